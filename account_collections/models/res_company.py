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
    collection_writeoff_recovery_account_id = fields.Many2one(
        "account.account",
        string="Bad Debt Recovered Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Payments received for written-off debts are booked to this income account.",
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

    # ---- doubtful-debt provisions ----
    collection_provision_auto = fields.Boolean(
        string="Monthly Provision Proposal",
        help="On the first days of each month, propose the allowance for doubtful accounts "
        "as of the previous month's last day.",
    )
    collection_provision_journal_id = fields.Many2one(
        "account.journal",
        string="Provision Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
    )
    collection_provision_expense_account_id = fields.Many2one(
        "account.account",
        string="Provision Expense Account",
        check_company=True,
        help="Debited with the allowance at each month-end.",
    )
    collection_provision_allowance_account_id = fields.Many2one(
        "account.account",
        string="Allowance Account",
        check_company=True,
        help="The allowance for doubtful accounts (a contra-receivable account), credited.",
    )
    collection_provision_rate_current = fields.Float(string="Not Due (%)", digits=(5, 2))
    collection_provision_rate_1_30 = fields.Float(string="1-30 Days (%)", digits=(5, 2))
    collection_provision_rate_31_60 = fields.Float(string="31-60 Days (%)", digits=(5, 2))
    collection_provision_rate_61_90 = fields.Float(string="61-90 Days (%)", digits=(5, 2))
    collection_provision_rate_91_120 = fields.Float(string="91-120 Days (%)", digits=(5, 2))
    collection_provision_rate_over_120 = fields.Float(string="Over 120 Days (%)", digits=(5, 2))

    _collection_provision_rates_range = models.Constraint(
        "CHECK(collection_provision_rate_current BETWEEN 0 AND 100"
        " AND collection_provision_rate_1_30 BETWEEN 0 AND 100"
        " AND collection_provision_rate_31_60 BETWEEN 0 AND 100"
        " AND collection_provision_rate_61_90 BETWEEN 0 AND 100"
        " AND collection_provision_rate_91_120 BETWEEN 0 AND 100"
        " AND collection_provision_rate_over_120 BETWEEN 0 AND 100)",
        "Provision rates lie between 0 and 100 percent.",
    )
