from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_auto_run = fields.Boolean(related="company_id.collection_auto_run", readonly=False)
    collection_statement_auto = fields.Boolean(
        related="company_id.collection_statement_auto", readonly=False
    )
    collection_summary_email = fields.Boolean(
        related="company_id.collection_summary_email", readonly=False
    )
    collection_trends = fields.Boolean(related="company_id.collection_trends", readonly=False)
    collection_aging_limits = fields.Char(
        related="company_id.collection_aging_limits", readonly=False
    )
    collection_default_policy_id = fields.Many2one(
        "account.collection.policy",
        string="Default Dunning Policy",
        compute="_compute_collection_default_policy_id",
    )
    collection_plan_approval_amount = fields.Monetary(
        related="company_id.collection_plan_approval_amount",
        readonly=False,
    )
    collection_plan_grace_days = fields.Integer(
        related="company_id.collection_plan_grace_days", readonly=False
    )

    collection_hold_overdue_amount = fields.Monetary(
        related="company_id.collection_hold_overdue_amount", readonly=False
    )
    collection_hold_overdue_days = fields.Integer(
        related="company_id.collection_hold_overdue_days", readonly=False
    )

    def _compute_collection_default_policy_id(self):
        for settings in self:
            settings.collection_default_policy_id = self.env["account.collection.policy"].search(
                [("company_id", "=", settings.company_id.id), ("is_default", "=", True)], limit=1
            )
