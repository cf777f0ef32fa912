from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_auto_run = fields.Boolean(
        string="Daily Dunning Run",
        default=True,
        help="Remind overdue customers every day, by the scheduled action.",
    )

    # ---- write-offs ----
    collection_writeoff_journal_id = fields.Many2one(
        "account.journal",
        string="Write-off Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="The journal of the write-off entries (journal entry method).",
    )
    collection_writeoff_account_id = fields.Many2one(
        "account.account",
        string="Bad-Debt Expense Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_other'))]",
        help="Written-off amounts are booked to this account (both methods).",
    )
    collection_writeoff_approval_limit = fields.Monetary(
        string="Accounting Approval Above",
        currency_field="currency_id",
        help="Write-offs above this amount are approved by an accounting manager too. "
        "0: a collections manager always suffices.",
    )
    collection_writeoff_auto_propose = fields.Boolean(
        string="Daily Write-off Proposals",
        help="Every day, a scheduled rule proposes write-offs by the thresholds below and "
        "for customers marked bankrupt or closed.",
    )
    collection_writeoff_days = fields.Integer(
        string="Propose After Days Overdue",
        help="The rule proposes invoices overdue this many days or more. 0: off.",
    )
    collection_writeoff_small_balance = fields.Monetary(
        string="Small Balance Below",
        currency_field="currency_id",
        help="The rule proposes a customer's whole balance when it is overdue and below "
        "this amount. 0: off.",
    )
    collection_writeoff_auto_approve_limit = fields.Monetary(
        string="Approve Small Balances Below",
        currency_field="currency_id",
        help="Small-balance proposals of the rule below this amount are approved and posted "
        "without a manager. 0: never.",
    )
