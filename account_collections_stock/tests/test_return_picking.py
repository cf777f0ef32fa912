from odoo import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.account_collections.tests.common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestReturnPicking(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="ret_stock_manager",
            groups="account_collections.group_collections_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.storekeeper = new_test_user(
            cls.env,
            login="ret_storekeeper",
            groups="stock.group_stock_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.chair = cls.env["product.product"].create(
            {"name": "Chair", "type": "consu", "is_storable": True, "list_price": 100}
        )
        cls.customer = cls._customer("Returning Ltd")
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": "2026-01-15",
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": cls.chair.id, "quantity": 10, "price_unit": 100,
                         "tax_ids": []}
                    ),
                    Command.create({"name": "Delivery", "price_unit": 50, "tax_ids": []}),
                ],
            }
        )  # fmt: skip
        cls.invoice.action_post()

    def _agreed(self):
        agreement = self.env["account.collection.return"].create(
            {
                "partner_id": self.customer.id,
                "line_ids": [
                    Command.create(
                        {"invoice_line_id": self.invoice.invoice_line_ids[0].id, "quantity": 3,
                         "price_unit": 60}
                    ),
                    Command.create(
                        {"invoice_line_id": self.invoice.invoice_line_ids[1].id, "quantity": 1,
                         "price_unit": 50}
                    ),
                ],
            }
        )  # fmt: skip
        agreement.with_user(self.manager).action_agree()
        return agreement

    def test_agreed_return_creates_the_receipt_whose_validation_posts_the_credit_note(self):
        agreement = self._agreed()
        picking = agreement.picking_ids
        self.assertRecordValues(
            picking,
            [
                {
                    "picking_type_id": self.warehouse.in_type_id.id,
                    "partner_id": self.customer.id,
                    "origin": agreement.name,
                    "location_id": self.customer.property_stock_customer.id,
                    "location_dest_id": self.warehouse.lot_stock_id.id,
                    "state": "assigned",
                }
            ],
        )
        # goods only: the delivery line has no product to bring back
        self.assertRecordValues(picking.move_ids, [{"product_id": self.chair.id,
                                                    "product_uom_qty": 3}])  # fmt: skip
        picking = picking.with_user(self.storekeeper)
        picking.move_ids.quantity = 3
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.assertRecordValues(agreement, [{"state": "received", "date_received": self.today}])
        refund = agreement.move_ids
        self.assertRecordValues(
            refund, [{"move_type": "out_refund", "state": "posted", "amount_total": 230.0}]
        )
        self.assertEqual(self.invoice.amount_residual, 1050.0 - 230.0)
        self.assertEqual(self.chair.with_company(self.company).qty_available, 3)

    def test_marked_received_by_hand_validates_the_receipt(self):
        agreement = self._agreed()
        agreement.with_user(self.collector).action_receive()
        self.assertEqual(agreement.picking_ids.state, "done")
        self.assertEqual(agreement.state, "received")
        self.assertEqual(len(agreement.move_ids), 1)
        self.assertEqual(self.invoice.amount_residual, 1050.0 - 230.0)
        self.assertEqual(self.chair.with_company(self.company).qty_available, 3)

    def test_cancelled_agreement_cancels_the_receipt(self):
        agreement = self._agreed()
        agreement.with_user(self.manager).action_cancel()
        self.assertEqual(agreement.picking_ids.state, "cancel")
        self.assertEqual(agreement.state, "cancelled")
