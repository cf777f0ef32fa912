import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date

from ..engine import provision as provision_rules
from ..engine.aging import DEFAULT_BUCKETS
from .account_collection_run import to_minor

_logger = logging.getLogger(__name__)


class AccountCollectionProvision(models.Model):
    """The month-end allowance for doubtful accounts of one company.

    Computed as of the month's last day from the open items of that day
    (seam 1, historical when the day is past): a percentage per aging bucket
    (company settings), or the customer's specific rate. Approved, it is
    posted as one entry (provision expense against the allowance account) and
    reversed on the first day of the next month, so that each month-end
    carries exactly that month's allowance.
    """

    _name = "account.collection.provision"
    _inherit = ["mail.thread", "account.collection.guard.mixin"]
    _description = "Collections: doubtful-debt provision"
    _order = "date desc, id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset(
        {
            "state",
            "approved_by_id",
            "move_id",
            "reversal_move_id",
            "line_ids",
            "amount_base",
            "amount_total",
        }
    )
    _collection_locked_states = frozenset({"posted", "rejected"})
    _collection_locked_fields = frozenset({"company_id", "date"})

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(
        string="As Of",
        required=True,
        default=lambda self: self._default_date(),
        help="The month's last day: customers' balances are aged as they stood that day.",
    )
    state = fields.Selection(
        [("proposed", "Proposed"), ("posted", "Posted"), ("rejected", "Rejected")],
        required=True,
        default="proposed",
        readonly=True,
        index=True,
        tracking=True,
    )
    line_ids = fields.One2many(
        "account.collection.provision.line", "provision_id", string="Customers", readonly=True
    )
    amount_base = fields.Monetary(string="Receivables Aged", compute="_compute_amounts", store=True)
    amount_total = fields.Monetary(
        string="Allowance", compute="_compute_amounts", store=True, tracking=True
    )
    move_id = fields.Many2one("account.move", string="Entry", readonly=True, copy=False)
    reversal_move_id = fields.Many2one("account.move", string="Reversal", readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)

    _posted_with_entry = models.Constraint(
        "CHECK (state != 'posted' OR move_id IS NOT NULL)",
        "A posted provision has its journal entry.",
    )
    _one_per_month = models.UniqueIndex(
        "(company_id, date) WHERE state != 'rejected'",
        "A company has one doubtful-debt provision per month-end.",
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.model
    def _default_date(self):
        today = self.env["account.collection.open.item"]._company_today(self.env.company)
        return today.replace(day=1) - timedelta(days=1)

    @api.depends("date", "company_id")
    def _compute_name(self):
        for provision in self:
            provision.name = self.env._(
                "Doubtful debts %(date)s (%(company)s)",
                date=provision.date and fields.Date.to_string(provision.date),
                company=provision.company_id.name,
            )

    @api.depends("line_ids.amount_base", "line_ids.amount")
    def _compute_amounts(self):
        for provision in self:
            provision.amount_base = sum(provision.line_ids.mapped("amount_base"))
            provision.amount_total = sum(provision.line_ids.mapped("amount"))

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------

    @api.constrains("date")
    def _check_month_end(self):
        for provision in self:
            if (provision.date + timedelta(days=1)).day != 1:
                raise ValidationError(
                    self.env._("A provision is computed as of a month's last day.")
                )

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.ondelete(at_uninstall=False)
    def _unlink_except_posted(self):
        if any(provision.state == "posted" for provision in self):
            raise UserError(self.env._("A posted provision stays on record."))

    # ------------------------------------------------------------------
    # BUSINESS: computing
    # ------------------------------------------------------------------

    @api.model
    def _get_rates(self, company):
        """``{bucket key: percent}`` from the company's settings."""
        return {
            bucket.key: company[f"collection_provision_rate_{bucket.key}"]
            for bucket in DEFAULT_BUCKETS
        }

    def action_compute(self):
        """(Re)compute the allowance of each customer as of the month-end."""
        self._check_collections_manager()
        if any(provision.state != "proposed" for provision in self):
            raise UserError(self.env._("Only a proposed provision is computed again."))
        for provision in self:
            provision._compute_lines()
        return True

    def _compute_lines(self):
        """Replace the lines by the customers' provisions (one query, then the engine)."""
        self.ensure_one()
        company = self.company_id
        currency = company.currency_id
        rates = self._get_rates(company)
        try:
            provision_rules.check_rates(rates)
        except ValueError as error:
            raise UserError(
                self.env._("Check the provision rates in the settings: %(error)s", error=error)
            ) from error
        open_items = self.env["account.collection.open.item"]
        open_items._flush_open_items()
        historical = self.date < open_items._company_today(company)
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id, days_overdue, net_amount::float8
                     FROM (%s) items WHERE net_amount > 0""",
                open_items._open_items_sql({company.id: self.date}, historical=historical),
            )
        )
        items = defaultdict(list)
        for partner_id, days, net in rows:
            items[partner_id].append((days, to_minor(currency, net)))
        partners = self.env["res.partner"].browse(list(items)).with_company(company)
        partners.fetch(["collection_provision_specific", "collection_provision_rate"])
        factor = 10**currency.decimal_places
        line_cmds = [Command.clear()]
        for partner in partners.sorted("id"):
            specific = (
                partner.collection_provision_rate if partner.collection_provision_specific else None
            )
            result = provision_rules.customer_provision(items[partner.id], rates, specific)
            if not result.total and specific is None:
                continue
            line_cmds.append(
                Command.create(
                    {
                        "partner_id": partner.id,
                        "amount_base": result.base_total / factor,
                        "amount": result.total / factor,
                        "specific": specific is not None,
                        "rate": float(result.rate) if specific is not None else 0.0,
                    }
                )
            )
        self._collection_write({"line_ids": line_cmds})

    @api.model
    def _propose(self, company, date):
        """The company's proposal for ``date``, created and computed if missing."""
        existing = self.search(
            [("company_id", "=", company.id), ("date", "=", date), ("state", "!=", "rejected")]
        )
        if existing:
            return existing
        provision = self.create({"company_id": company.id, "date": date})
        provision._compute_lines()
        return provision

    @api.model
    def _cron_propose_provisions(self):
        """Propose last month-end's provision for every company that asks for it."""
        companies = self.env["res.company"].search([("collection_provision_auto", "=", True)])
        cron = self.env["ir.cron"]
        remaining = len(companies)
        cron._commit_progress(remaining=remaining)
        for company in companies:
            today = self.env["account.collection.open.item"]._company_today(company)
            month_end = today.replace(day=1) - timedelta(days=1)
            try:
                with self.env.cr.savepoint():
                    self.with_company(company)._propose(company, month_end)
            except Exception as error:  # noqa: BLE001 - noted, the next company goes on
                self.env.invalidate_all()
                _logger.warning("Provision proposal failed for company %s: %s", company.id, error)
            remaining -= 1
            if cron._commit_progress(1, remaining=remaining) <= 0:
                return

    # ------------------------------------------------------------------
    # BUSINESS: approval and posting
    # ------------------------------------------------------------------

    def _check_collections_manager(self):
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise AccessError(self.env._("Only collections managers handle provisions."))

    def action_approve(self):
        """Approve and post: the entry at the month-end, its reversal the day after."""
        self._check_collections_manager()
        if any(provision.state != "proposed" for provision in self):
            raise UserError(self.env._("Only a proposed provision can be approved."))
        self._collection_write({"approved_by_id": self.env.user.id})
        self._log_transition(self.env._("Approved"))
        self.sudo()._post_provisions()
        return True

    def action_reject(self):
        self._check_collections_manager()
        if any(provision.state != "proposed" for provision in self):
            raise UserError(self.env._("Only a proposed provision can be rejected."))
        self._collection_write({"state": "rejected"})
        self._log_transition(self.env._("Rejected"))
        # the month is free again at once: a new proposal's insert sees it
        self.flush_recordset(["state"])
        return True

    def _post_provisions(self):
        Writeoff = self.env["account.collection.writeoff"]
        for provision in self:
            company = provision.company_id
            journal = company.collection_provision_journal_id
            expense = company.collection_provision_expense_account_id
            allowance = company.collection_provision_allowance_account_id
            if not (journal and expense and allowance):
                raise UserError(
                    self.env._(
                        "Set the provision journal and accounts of %(company)s in the settings "
                        "(Collections) first.",
                        company=company.name,
                    )
                )
            if company.currency_id.is_zero(provision.amount_total):
                raise UserError(
                    self.env._("%(name)s is zero: nothing to post.", name=provision.name)
                )
            date, message = Writeoff._first_open_date(company, provision.date, journal, False)
            label = provision.name
            move = self.env["account.move"].create(
                {
                    "move_type": "entry",
                    "company_id": company.id,
                    "journal_id": journal.id,
                    "date": date,
                    "ref": label,
                    "line_ids": [
                        Command.create(
                            {
                                "name": label,
                                "account_id": expense.id,
                                "balance": provision.amount_total,
                            }
                        ),
                        Command.create(
                            {
                                "name": label,
                                "account_id": allowance.id,
                                "balance": -provision.amount_total,
                            }
                        ),
                    ],
                }
            )
            move._post(soft=False)
            reverse_on, reverse_message = Writeoff._first_open_date(
                company, max(provision.date, date) + timedelta(days=1), journal, False
            )
            reversal = move._reverse_moves(
                [
                    {
                        "date": reverse_on,
                        "ref": self.env._("Reversal of %(name)s", name=label),
                    }
                ]
            )
            # posted on its date: by Odoo's scheduled posting when that is still ahead
            reversal._post(soft=True)
            provision._collection_write(
                {"state": "posted", "move_id": move.id, "reversal_move_id": reversal.id}
            )
            body = Markup("%s %s<br/>%s %s") % (
                self.env._("Posted:"),
                move._get_html_link(),
                self.env._("Reversed on %(date)s by", date=format_date(self.env, reverse_on)),
                reversal._get_html_link(),
            )
            for note in (message, reverse_message):
                if note:
                    body += Markup("<br/>") + note
            provision.message_post(body=body)


class AccountCollectionProvisionLine(models.Model):
    """One customer's allowance in a month-end provision."""

    _name = "account.collection.provision.line"
    _inherit = ["account.collection.guard.mixin"]
    _description = "Collections: doubtful-debt provision per customer"
    _order = "provision_id, amount desc, id"
    _check_company_auto = True
    _collection_protected_fields = frozenset({"company_id", "date", "state"})
    _collection_locked_states = frozenset({"posted", "rejected"})
    _collection_parent_field = "provision_id"

    provision_id = fields.Many2one(
        "account.collection.provision", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="provision_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="provision_id.currency_id")
    date = fields.Date(related="provision_id.date", store=True)
    state = fields.Selection(related="provision_id.state", store=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    amount_base = fields.Monetary(string="Owed", help="What the customer owed, credits netted.")
    amount = fields.Monetary(string="Allowance")
    specific = fields.Boolean(
        string="Specific Rate", help="The customer's own rate replaced the aging buckets'."
    )
    rate = fields.Float(string="Specific Rate (%)", digits=(5, 2))
