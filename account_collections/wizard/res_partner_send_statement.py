from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError


class ResPartnerSendStatement(models.TransientModel):
    """Send statements of account to the selected customers."""

    _name = "res.partner.send.statement"
    _description = "Collections: send statements of account"

    def _default_start(self):
        return fields.Date.context_today(self).replace(day=1) - relativedelta(months=1)

    def _default_end(self):
        return fields.Date.context_today(self).replace(day=1) - relativedelta(days=1)

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    period_start = fields.Date(required=True, default=lambda self: self._default_start())
    period_end = fields.Date(required=True, default=lambda self: self._default_end())

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "res.partner" and "partner_ids" in fields_list:
            values["partner_ids"] = [(6, 0, self.env.context.get("active_ids", []))]
        return values

    def action_send(self):
        self.ensure_one()
        sent, refused = self.env["account.collection.communication"]._send_statements(
            self.partner_ids, self.company_id, self.period_start, self.period_end
        )
        communications = sent | refused
        if not communications:
            raise UserError(
                self.env._("These customers already got their statement for this period.")
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Statements"),
            "res_model": "account.collection.communication",
            "domain": [("id", "in", communications.ids)],
            "views": [(False, "list"), (False, "form")],
        }
