from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_auto_run = fields.Boolean(related="company_id.collection_auto_run", readonly=False)
    collection_promise_grace_days = fields.Integer(
        related="company_id.collection_promise_grace_days", readonly=False
    )
    collection_dispute_user_id = fields.Many2one(
        related="company_id.collection_dispute_user_id", readonly=False
    )
    collection_default_policy_id = fields.Many2one(
        "account.collection.policy",
        string="Default Dunning Policy",
        compute="_compute_collection_default_policy_id",
    )

    def _compute_collection_default_policy_id(self):
        for settings in self:
            settings.collection_default_policy_id = self.env["account.collection.policy"].search(
                [("company_id", "=", settings.company_id.id), ("is_default", "=", True)], limit=1
            )
