from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    collection_return_id = fields.Many2one(
        "account.collection.return",
        string="Return Agreement",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        help="The collections return agreement whose goods this receipt brings back.",
    )

    def _action_done(self):
        """A validated return picking marks its agreement received: the credit
        note is posted (once the agreement's last picking is done)."""
        result = super()._action_done()
        # the storekeeper validating need not be a collector
        agreements = self.sudo().collection_return_id.filtered(
            lambda agreement: agreement.state == "agreed" and not agreement._open_pickings()
        )
        agreements._post_receipt()
        return result
