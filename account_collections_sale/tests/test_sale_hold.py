from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.account_collections.tests.common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestSaleHold(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = new_test_user(
            cls.env,
            login="hold_seller",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.manager = new_test_user(
            cls.env,
            login="hold_sale_manager",
            groups="account_collections.group_collections_manager,"
            "sales_team.group_sale_salesman_all_leads",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.customer = cls._customer("Blocked Buyer", email="buyer@example.com")
        cls.contact = cls.env["res.partner"].create(
            {"name": "Buyer Contact", "parent_id": cls.customer.id}
        )
        cls.hold = cls.env["account.collection.hold"].create(
            {"partner_id": cls.customer.id, "reason": "Three invoices unpaid."}
        )

    def _order(self, partner=None, user=None):
        return (
            self.env["sale.order"]
            .with_user(user or self.salesperson)
            .create(
                {
                    "partner_id": (partner or self.contact).id,
                    "order_line": [
                        Command.create({"product_id": self.product_a.id, "product_uom_qty": 1})
                    ],
                }
            )
        )

    def test_confirmation_is_refused_with_the_reason(self):
        order = self._order()
        self.assertTrue(order.collection_on_hold)  # the quotation shows the warning
        self.assertEqual(order.collection_hold_reason, "Three invoices unpaid.")
        with self.assertRaisesRegex(UserError, "Blocked Buyer is on credit hold: Three invoices"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")

    def test_a_salesperson_cannot_override(self):
        order = self._order()
        with self.assertRaises(UserError):
            order.action_confirm_despite_hold()
        self.assertFalse(order.collection_hold_override_by_id)

    def test_a_manager_overrides_and_it_is_recorded(self):
        order = self._order()
        order.with_user(self.manager).action_confirm_despite_hold()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.collection_hold_override_by_id, self.manager)
        self.assertTrue(order.collection_hold_override_date)
        self.assertTrue(any("despite" in str(body) for body in order.message_ids.mapped("body")))

    def test_the_sales_team_leader_is_told(self):
        leader = new_test_user(
            self.env,
            login="hold_team_leader",
            groups="sales_team.group_sale_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.env["crm.team"].sudo().create(
            {
                "name": "Hold Team",
                "user_id": leader.id,
                "member_ids": [Command.link(self.salesperson.id)],
            }
        )
        customer = self._customer("Team Customer", user_id=self.salesperson.id)
        self.env["account.collection.hold"].create(
            {"partner_id": customer.id, "reason": "Cheque bounced."}
        )
        self.assertEqual(customer.activity_ids.user_id, self.salesperson + leader)

    def test_released_customer_confirms_normally(self):
        self.hold.action_release()
        order = self._order()
        self.assertFalse(order.collection_on_hold)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_the_hold_is_per_company(self):
        company_b = self.setup_other_company(name="Sale Company B")["company"]
        self.salesperson.company_ids = self.company + company_b
        order = (
            self.env["sale.order"]
            .with_user(self.salesperson)
            .with_context(allowed_company_ids=company_b.ids)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": company_b.id,
                    "order_line": [
                        Command.create({"product_id": self.product_a.id, "product_uom_qty": 1})
                    ],
                }
            )
        )
        self.assertFalse(order.collection_on_hold)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
