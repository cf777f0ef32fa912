from odoo import api, fields, models
from odoo.exceptions import AccessError


class ResPartnerAssignCollector(models.TransientModel):
    """Assign (or reassign) a collector to many customers at once."""

    _name = "res.partner.assign.collector"
    _description = "Collections: assign a collector to customers"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        required=True,
        default=lambda self: self._default_partner_ids(),
    )
    collector_id = fields.Many2one(
        "res.users",
        domain=[("share", "=", False)],
        help="Empty: the customers go back to their salesperson.",
    )

    @api.model
    def _default_partner_ids(self):
        """The customers selected in the customer list or the worklist."""
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids") or []
        if model == "res.partner":
            return self.env["res.partner"].browse(ids).commercial_partner_id
        if model == "account.collection.worklist":
            return self.env[model].browse(ids).partner_id
        return self.env["res.partner"]

    def action_assign(self):
        """Write the collector on every customer, in this company, in one go."""
        self.ensure_one()
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise AccessError(self.env._("Only collections managers assign collectors."))
        customers = self.partner_ids.commercial_partner_id
        # the collector is company-dependent: one write sets it for this company
        customers.sudo().with_company(self.company_id).write({"collector_id": self.collector_id.id})
        return {"type": "ir.actions.act_window_close"}
