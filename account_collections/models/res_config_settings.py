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
    collection_cod_days = fields.Integer(related="company_id.collection_cod_days", readonly=False)

    def _compute_collection_default_policy_id(self):
        for settings in self:
            settings.collection_default_policy_id = self.env["account.collection.policy"].search(
                [("company_id", "=", settings.company_id.id), ("is_default", "=", True)], limit=1
            )

    collection_writeoff_journal_id = fields.Many2one(
        related="company_id.collection_writeoff_journal_id", readonly=False
    )
    collection_writeoff_account_id = fields.Many2one(
        related="company_id.collection_writeoff_account_id", readonly=False
    )
    collection_writeoff_recovery_method = fields.Selection(
        related="company_id.collection_writeoff_recovery_method", readonly=False, required=True
    )
    collection_writeoff_recovery_account_id = fields.Many2one(
        related="company_id.collection_writeoff_recovery_account_id", readonly=False
    )
    collection_writeoff_approval_limit = fields.Monetary(
        related="company_id.collection_writeoff_approval_limit", readonly=False
    )
    collection_writeoff_auto_propose = fields.Boolean(
        related="company_id.collection_writeoff_auto_propose", readonly=False
    )
    collection_writeoff_days = fields.Integer(
        related="company_id.collection_writeoff_days", readonly=False
    )
    collection_writeoff_small_balance = fields.Monetary(
        related="company_id.collection_writeoff_small_balance", readonly=False
    )
    collection_writeoff_auto_approve_limit = fields.Monetary(
        related="company_id.collection_writeoff_auto_approve_limit", readonly=False
    )

    collection_provision_auto = fields.Boolean(
        related="company_id.collection_provision_auto", readonly=False
    )
    collection_provision_journal_id = fields.Many2one(
        related="company_id.collection_provision_journal_id", readonly=False
    )
    collection_provision_expense_account_id = fields.Many2one(
        related="company_id.collection_provision_expense_account_id", readonly=False
    )
    collection_provision_allowance_account_id = fields.Many2one(
        related="company_id.collection_provision_allowance_account_id", readonly=False
    )
    collection_provision_rate_current = fields.Float(
        related="company_id.collection_provision_rate_current", readonly=False
    )
    collection_provision_rate_1_30 = fields.Float(
        related="company_id.collection_provision_rate_1_30", readonly=False
    )
    collection_provision_rate_31_60 = fields.Float(
        related="company_id.collection_provision_rate_31_60", readonly=False
    )
    collection_provision_rate_61_90 = fields.Float(
        related="company_id.collection_provision_rate_61_90", readonly=False
    )
    collection_provision_rate_91_120 = fields.Float(
        related="company_id.collection_provision_rate_91_120", readonly=False
    )
    collection_provision_rate_over_120 = fields.Float(
        related="company_id.collection_provision_rate_over_120", readonly=False
    )
    collection_limitation_years = fields.Integer(
        related="company_id.collection_limitation_years", readonly=False
    )
    collection_limitation_warning_days = fields.Integer(
        related="company_id.collection_limitation_warning_days", readonly=False
    )
    collection_claim_interest_rate = fields.Float(
        related="company_id.collection_claim_interest_rate", readonly=False
    )
    collection_claim_notice_days = fields.Integer(
        related="company_id.collection_claim_notice_days", readonly=False
    )
    collection_claim_cost_account_id = fields.Many2one(
        related="company_id.collection_claim_cost_account_id", readonly=False
    )
    collection_claim_cost_journal_id = fields.Many2one(
        related="company_id.collection_claim_cost_journal_id", readonly=False
    )
    collection_placement_days = fields.Integer(
        related="company_id.collection_placement_days", readonly=False
    )
    collection_placement_agency_id = fields.Many2one(
        related="company_id.collection_placement_agency_id", readonly=False
    )
