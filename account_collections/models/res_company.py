from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import aging


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_auto_run = fields.Boolean(
        string="Daily Dunning Run",
        default=True,
        help="Remind overdue customers every day, by the scheduled action.",
    )
    collection_dunning_started = fields.Boolean(
        string="Dunning Started",
        help="Dunning has run for this company. Until then, its next run is a catch-up: each "
        "customer starts at the level its lateness has reached, and the reminders wait for "
        "review.",
    )
    collection_statement_auto = fields.Boolean(
        string="Monthly Statements",
        help="On the first days of each month, email last month's statement of account "
        "to every customer with an open balance.",
    )
    collection_summary_email = fields.Boolean(
        string="Monthly Summary Email",
        help="At the start of each month, email the collections managers the aging totals, "
        "the month's indicators against the month before and the largest overdue customers.",
    )
    collection_summary_month = fields.Date(
        string="Last Summary Sent For",
        readonly=True,
        help="The month (first day) of the last summary email sent.",
    )
    collection_trends = fields.Boolean(
        string="Monthly Collection Trends",
        default=True,
        help="Record the receivables, DSO, CEI and ADD at every month's end, by the scheduled "
        "action; the first run rebuilds the last 12 months from the ledger.",
    )
    collection_aging_limits = fields.Char(
        string="Aging Buckets",
        default=aging.DEFAULT_LIMITS_TEXT,
        help="Upper limits of the aging buckets in days, separated by commas: "
        '"30,60,90,120" gives not due, 1-30, 31-60, 61-90, 91-120 and over 120 days. '
        "Used by the aging report and the monthly trends.",
    )

    collection_plan_approval_amount = fields.Monetary(
        string="Plan Approval Above",
        currency_field="currency_id",
        help="A payment plan whose total is above this amount is activated by a collections "
        "manager. 0: every plan can be activated by a collections user.",
    )
    collection_plan_grace_days = fields.Integer(
        string="Plan Grace Days",
        default=5,
        help="Default days an instalment may be late before the plan breaks.",
    )
    collection_hold_overdue_amount = fields.Monetary(
        string="Hold Above Overdue Amount",
        currency_field="currency_id",
        help="A customer whose overdue total reaches this amount goes on credit hold. "
        "0: no such rule.",
    )
    collection_hold_overdue_days = fields.Integer(
        string="Hold After Days Overdue",
        help="A customer with an invoice this many days overdue goes on credit hold. "
        "0: no such rule.",
    )
    collection_cod_days = fields.Integer(
        string="Cash-on-Delivery Days",
        default=3,
        help="An invoice under a cash-on-delivery payment term still unpaid this many days "
        "after its invoice date goes to the top of the worklist with an activity.",
    )

    _collection_cod_days_positive = models.Constraint(
        "CHECK(collection_cod_days >= 0)", "Cash-on-delivery days cannot be negative."
    )

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------

    @api.constrains("collection_aging_limits")
    def _check_collection_aging_limits(self):
        for company in self:
            try:
                aging.parse_limits(company.collection_aging_limits)
            except ValueError as error:
                raise ValidationError(
                    self.env._(
                        "The aging buckets of %(company)s are not valid: %(error)s",
                        company=company.name,
                        error=str(error),
                    )
                ) from None

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    def _get_collection_aging_buckets(self):
        """The company's aging buckets (``engine.aging.Bucket``), in order."""
        self.ensure_one()
        return aging.make_buckets(aging.parse_limits(self.collection_aging_limits))

    @api.model
    def _get_collection_bucket_labels(self, buckets):
        """Translated column titles of ``buckets``: Not Due, 1-30, ..., Over 120."""
        labels = []
        for bucket in buckets:
            if bucket.low is None:
                labels.append(self.env._("Not Due"))
            elif bucket.high is None:
                labels.append(self.env._("Over %(days)s", days=bucket.low - 1))
            else:
                labels.append(f"{bucket.low}-{bucket.high}")
        return labels

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
    collection_writeoff_recovery_method = fields.Selection(
        [
            ("income", "Income account"),
            ("reversal", "Reverse the bad-debt expense"),
        ],
        string="Bad Debt Recovered",
        default="income",
        required=True,
        help="A payment received for a written-off debt is booked to the bad debt recovered "
        "income account, or credited back to the bad-debt expense account it was charged to.",
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

    # ---- agency placements by rule ----
    collection_placement_days = fields.Integer(
        string="Propose Placement After (Days)",
        help="A customer reminded at a level flagged for escalation review this many days "
        "ago, and still owing, is proposed for placement with the default agency. 0: off.",
    )
    collection_placement_agency_id = fields.Many2one(
        "account.collection.agency",
        string="Default Agency",
        check_company=True,
        help="The agency the daily rule proposes placements with.",
    )

    # ---- limitation periods and court claims ----
    collection_limitation_years = fields.Integer(
        string="Limitation Period (Years)",
        default=6,
        help="A debt becomes statute-barred this many years after its due date or the "
        "customer's last acknowledgement (payment, promise to pay). 0: no limitation dates.",
    )
    collection_limitation_warning_days = fields.Integer(
        string="Warn Days Before Limitation",
        default=90,
        help="The daily check warns the collector this many days before an invoice's "
        "limitation date.",
    )
    collection_claim_interest_rate = fields.Float(
        string="Claim Interest Rate (%/year)",
        digits=(5, 2),
        help="Simple interest a court claim asks for, from each invoice's due date to the "
        "claim date. 0: the company charges no interest.",
    )
    collection_claim_notice_days = fields.Integer(
        string="Letter Before Action Deadline (Days)",
        default=14,
        help="The payment deadline a letter before action gives, in days from the letter.",
    )
    collection_claim_cost_account_id = fields.Many2one(
        "account.account",
        string="Legal Costs Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_other'))]",
        help="Court fees and legal costs of claims are booked to this expense account.",
    )
    collection_claim_cost_journal_id = fields.Many2one(
        "account.journal",
        string="Legal Costs Paid From",
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash'))]",
        help="The bank or cash journal the costs of claims are paid from.",
    )

    _collection_limitation_positive = models.Constraint(
        "CHECK(collection_limitation_years >= 0 AND collection_limitation_warning_days >= 0"
        " AND collection_claim_notice_days >= 0 AND collection_claim_interest_rate >= 0)",
        "Limitation years, warning days, deadline days and the interest rate cannot be negative.",
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
    collection_promise_grace_days = fields.Integer(
        string="Promise Grace Days",
        default=3,
        help="Days after a promised date before an unpaid promise counts as broken; "
        "dunning waits until then.",
    )
    collection_dispute_user_id = fields.Many2one(
        "res.users",
        string="Dispute Handler",
        domain=[("share", "=", False)],
        help="Resolves disputes of invoices without a salesperson.",
    )
    collection_worklist_date = fields.Date(
        string="Worklist Built On", readonly=True, help="The day the worklist was last rebuilt."
    )
