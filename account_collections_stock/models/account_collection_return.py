from odoo import Command, fields, models
from odoo.exceptions import UserError


class AccountCollectionReturn(models.Model):
    _inherit = "account.collection.return"

    picking_ids = fields.One2many(
        "stock.picking", "collection_return_id", string="Return Pickings", readonly=True
    )
    picking_count = fields.Integer(compute="_compute_picking_count")

    def _compute_picking_count(self):
        for agreement in self:
            agreement.picking_count = len(agreement.picking_ids)

    def _open_pickings(self):
        return self.picking_ids.filtered(lambda picking: picking.state not in ("done", "cancel"))

    def action_agree(self):
        """Agreed: the goods are expected in the warehouse on a receipt."""
        result = super().action_agree()
        self.sudo()._create_return_pickings()
        return result

    def _post_receipt(self):
        """Marked received by hand while a receipt waits: the receipt is
        validated for the agreed quantities, which marks the goods received."""
        pickings = self._open_pickings()
        if pickings:
            for move in pickings.move_ids:
                move.quantity = move.product_uom_qty
            pickings.move_ids.picked = True
            pickings.with_context(skip_backorder=True).button_validate()
        # agreements without a receipt (or whose receipt did not mark them)
        return super(
            AccountCollectionReturn, self.filtered(lambda a: a.state == "agreed")
        )._post_receipt()

    def action_cancel(self):
        pickings = self._open_pickings()
        result = super().action_cancel()
        pickings.sudo().action_cancel()
        return result

    def _create_return_pickings(self):
        """A receipt per agreement of its goods (consumable products), from the
        customer's location into the company's first warehouse."""
        Warehouse = self.env["stock.warehouse"]
        vals_list = []
        for agreement in self:
            lines = agreement.line_ids.filtered(lambda line: line.product_id.type == "consu")
            if not lines:
                continue
            warehouse = Warehouse.search(
                [("company_id", "=", agreement.company_id.id)], order="sequence, id", limit=1
            )
            picking_type = warehouse.in_type_id
            if not picking_type:
                raise UserError(
                    self.env._(
                        "%(company)s has no warehouse receiving goods: create one first.",
                        company=agreement.company_id.name,
                    )
                )
            partner = agreement.partner_id.with_company(agreement.company_id)
            source = partner.property_stock_customer
            destination = picking_type.default_location_dest_id
            vals_list.append(
                {
                    "picking_type_id": picking_type.id,
                    "partner_id": partner.id,
                    "company_id": agreement.company_id.id,
                    "origin": agreement.name,
                    "location_id": source.id,
                    "location_dest_id": destination.id,
                    "collection_return_id": agreement.id,
                    "move_ids": [
                        Command.create(
                            {
                                "product_id": line.product_id.id,
                                "product_uom_qty": line.quantity,
                                "product_uom": line.invoice_line_id.product_uom_id.id
                                or line.product_id.uom_id.id,
                                "location_id": source.id,
                                "location_dest_id": destination.id,
                                "company_id": agreement.company_id.id,
                            }
                        )
                        for line in lines
                    ],
                }
            )
        pickings = self.env["stock.picking"].create(vals_list)
        pickings.action_confirm()
        return pickings

    def action_open_pickings(self):
        """The return pickings of this agreement."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "stock.picking",
            "name": self.env._("Receipts of %(name)s", name=self.name),
            "domain": [("id", "in", self.picking_ids.ids)],
            "views": [(False, "list"), (False, "form")],
        }
