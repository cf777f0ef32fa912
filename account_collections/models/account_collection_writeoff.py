import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date, split_every

from ..engine import writeoff as writeoff_rules
from .account_collection_guard import changes_are_trusted
from .account_collection_run import to_minor

_logger = logging.getLogger(__name__)

#: Customers handled per batch by the scheduled rule.
BATCH_SIZE = 500

#: States in which a write-off holds its invoices: no other proposal, no dunning.
ACTIVE_STATES = ("proposed", "waiting", "posted")

#: What a proposal is made of: fixed once approved (the note stays open).
LOCKED_FIELDS = frozenset(
    {
        "partner_id",
        "company_id",
        "reason_id",
        "method",
        "accounting_date",
        "line_ids",
        "state",
        "origin",
        "date",
        "approved_by_id",
        "accounting_approved_by_id",
        "approved_date",
        "auto_approved",
    }
)

#: Per state, the locked fields a user may still change.
EDITABLE_FIELDS = {
    "proposed": frozenset({"partner_id", "company_id", "reason_id", "method",
                           "accounting_date", "line_ids"}),
    "waiting": frozenset({"accounting_date"}),
}  # fmt: skip


class AccountCollectionWriteoff(models.Model):
    """A write-off proposal of a customer's invoices, its approval and its posting.

    Proposed by hand (customer, invoices) or by the daily rule; approved by a
    collections manager, and above the company's limit by an accounting
    manager too; posted as its own entry (a journal entry moving the open
    amount to the bad-debt account, or a credit note per invoice) reconciled
    with the invoices by Odoo's reconciliation. Posted entries are never
    edited: a write-off is undone by reversing its entries. While proposed or
    posted, its invoices are out of dunning (seam 2).
    """

    _name = "account.collection.writeoff"
    _inherit = ["mail.thread", "mail.activity.mixin", "account.collection.guard.mixin"]
    _description = "Collections: write-off proposal"
    _order = "date desc, id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset(
        {
            "state",
            "approved_by_id",
            "accounting_approved_by_id",
            "approved_date",
            "auto_approved",
            "move_ids",
            "recovery_move_ids",
        }
    )

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
    date = fields.Date(
        string="Proposed On",
        required=True,
        readonly=True,
        default=lambda self: self.env["account.collection.open.item"]._company_today(
            self.env.company
        ),
    )
    accounting_date = fields.Date(
        tracking=True,
        help="The date of the write-off entry; empty: the day it is approved. A date in a "
        "locked period moves to the first open date, as the chatter then says.",
    )
    reason_id = fields.Many2one(
        "account.collection.writeoff.reason",
        required=True,
        tracking=True,
        default=lambda self: self.env.ref(
            "account_collections.writeoff_reason_uncollectible", raise_if_not_found=False
        ),
    )
    method = fields.Selection(
        [("entry", "Journal Entry"), ("credit_note", "Credit Note")],
        string="Posting Method",
        compute="_compute_method",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        tracking=True,
    )
    note = fields.Html(help="Why this debt cannot be collected: the evidence in words.")
    origin = fields.Selection(
        [("manual", "By Hand"), ("rule", "Scheduled Rule")],
        required=True,
        default="manual",
        readonly=True,
    )
    state = fields.Selection(
        [
            ("proposed", "Proposed"),
            ("waiting", "Awaiting Accounting Approval"),
            ("posted", "Posted"),
            ("reversed", "Reversed"),
            ("rejected", "Rejected"),
        ],
        required=True,
        default="proposed",
        readonly=True,
        index=True,
        tracking=True,
    )
    line_ids = fields.One2many(
        "account.collection.writeoff.line", "writeoff_id", string="Invoices", copy=False
    )
    amount_total = fields.Monetary(
        string="Amount", compute="_compute_amount_total", store=True, tracking=True
    )
    needs_accounting_approval = fields.Boolean(
        compute="_compute_needs_accounting_approval",
        help="Above the company's limit an accounting manager approves too.",
    )
    approved_by_id = fields.Many2one("res.users", readonly=True)
    accounting_approved_by_id = fields.Many2one(
        "res.users", string="Accounting Approval By", readonly=True
    )
    approved_date = fields.Datetime(readonly=True)
    auto_approved = fields.Boolean(
        readonly=True, help="A small balance approved without a manager, by the company's rule."
    )
    move_ids = fields.One2many(
        "account.move", "collection_writeoff_id", string="Entries", readonly=True
    )
    move_count = fields.Integer(compute="_compute_move_count", string="Entry Count")
    recovery_move_ids = fields.One2many(
        "account.move",
        "collection_writeoff_recovery_id",
        string="Recoveries",
        readonly=True,
        help="Payments received after the write-off, booked as bad debt recovered.",
    )
    amount_recovered = fields.Monetary(
        string="Recovered", compute="_compute_amount_recovered", store=True
    )
    communication_ids = fields.Many2many(
        "account.collection.communication",
        compute="_compute_communication_ids",
        string="Communication History",
        help="Every reminder and letter that listed these invoices.",
    )
    communication_count = fields.Integer(compute="_compute_communication_ids")

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("reason_id", "company_id")
    def _compute_method(self):
        for writeoff in self:
            reason = writeoff.reason_id.with_company(writeoff.company_id)
            writeoff.method = reason.method or "entry"

    @api.depends("line_ids.amount_residual_company")
    def _compute_amount_total(self):
        for writeoff in self:
            writeoff.amount_total = writeoff.currency_id.round(
                sum(writeoff.line_ids.mapped("amount_residual_company"))
            )

    @api.depends("amount_total", "company_id.collection_writeoff_approval_limit")
    def _compute_needs_accounting_approval(self):
        for writeoff in self:
            currency = writeoff.currency_id
            needed = writeoff_rules.approvals_needed(
                to_minor(currency, writeoff.amount_total),
                to_minor(currency, writeoff.company_id.collection_writeoff_approval_limit),
            )
            writeoff.needs_accounting_approval = "accounting" in needed

    @api.depends("recovery_move_ids.amount_total_signed", "recovery_move_ids.state")
    def _compute_amount_recovered(self):
        for writeoff in self:
            writeoff.amount_recovered = sum(
                writeoff.recovery_move_ids.filtered(lambda m: m.state == "posted").mapped(
                    "amount_total_signed"
                )
            )

    @api.depends("move_ids")
    def _compute_move_count(self):
        for writeoff in self:
            writeoff.move_count = len(writeoff.move_ids | writeoff.move_ids.reversal_move_ids)

    @api.depends("line_ids.move_id")
    def _compute_communication_ids(self):
        lines = self.env["account.collection.communication.line"].search_fetch(
            [("move_id", "in", self.line_ids.move_id.ids)], ["communication_id", "move_id"]
        )
        by_move = defaultdict(set)
        for line in lines:
            by_move[line.move_id.id].add(line.communication_id.id)
        Communication = self.env["account.collection.communication"]
        for writeoff in self:
            ids = set().union(*(by_move[move.id] for move in writeoff.line_ids.move_id))
            writeoff.communication_ids = Communication.browse(sorted(ids, reverse=True))
            writeoff.communication_count = len(ids)

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------

    @api.constrains("state")
    def _check_posted_entries(self):
        """A posted (or reversed) write-off is its journal entry: none without one."""
        for writeoff in self.filtered(lambda w: w.state in ("posted", "reversed")):
            if not writeoff.move_ids.filtered(lambda move: move.state == "posted"):
                raise ValidationError(
                    self.env._(
                        "%(name)s cannot be posted without its posted journal entry.",
                        name=writeoff.name,
                    )
                )

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = (
                    sequence.with_company(company).next_by_code("account.collection.writeoff")
                    or "/"
                )
        return super().create(vals_list)

    def write(self, vals):
        if not changes_are_trusted(self.env):
            self._collection_check_write(vals)
            for writeoff in self:
                editable = EDITABLE_FIELDS.get(writeoff.state, frozenset())
                if set(vals) & LOCKED_FIELDS - editable:
                    raise UserError(
                        self.env._(
                            "%(name)s is %(state)s: it stays as it is.",
                            name=writeoff.name,
                            state=writeoff._fields["state"].convert_to_export(
                                writeoff.state, writeoff
                            ),
                        )
                    )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_posted(self):
        if any(writeoff.state in ("posted", "reversed") for writeoff in self):
            raise UserError(self.env._("Posted write-offs stay on record; reverse them instead."))

    def _write_internal(self, vals):
        return self._collection_write(vals)

    # ------------------------------------------------------------------
    # BUSINESS: proposing
    # ------------------------------------------------------------------

    @api.model
    def _get_active_move_ids(self, moves):
        """The ids of ``moves`` already held by a proposed or posted write-off."""
        self.env["account.collection.writeoff.line"].flush_model(["move_id", "state"])
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT move_id FROM account_collection_writeoff_line
                    WHERE move_id = ANY(%s) AND state IN %s""",
                moves.ids,
                ACTIVE_STATES,
            )
        )
        return {move_id for (move_id,) in rows}

    @api.model
    def _propose(self, moves, reason=None, origin="manual", note=None):
        """Create one proposal per company and customer with ``moves``.

        :param moves: posted customer invoices with an open amount, in no
            other active write-off.
        :param reason: an ``account.collection.writeoff.reason``; default
            "uncollectible".
        :return: the proposals created.
        """
        if not moves:
            return self
        invalid = moves.filtered(
            lambda move: (
                move.state != "posted"
                or move.move_type not in ("out_invoice", "out_receipt")
                or move.currency_id.is_zero(move.amount_residual)
            )
        )
        if invalid:
            raise UserError(
                self.env._(
                    "Only posted customer invoices with an open amount can be written off: "
                    "%(moves)s.",
                    moves=", ".join(invalid.mapped("display_name")),
                )
            )
        held = moves.browse(self._get_active_move_ids(moves))
        if held:
            raise UserError(
                self.env._(
                    "These invoices are already in a write-off proposal: %(moves)s.",
                    moves=", ".join(held.mapped("display_name")),
                )
            )
        groups = defaultdict(lambda: self.env["account.move"])
        for move in moves:
            groups[move.company_id, move.commercial_partner_id] |= move
        vals_list = [
            {
                "company_id": company.id,
                "partner_id": partner.id,
                "origin": origin,
                "note": note,
                "date": self.env["account.collection.open.item"]._company_today(company),
                "line_ids": [Command.create({"move_id": move.id}) for move in group],
                **({"reason_id": reason.id} if reason else {}),
            }
            for (company, partner), group in groups.items()
        ]
        return self.create(vals_list)

    @api.model
    def _get_proposable_moves(self, partners, company):
        """The open invoices of ``partners`` in ``company`` that may be proposed (seam 1)."""
        open_items = self.env["account.collection.open.item"]
        open_items._flush_open_items()
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT items.move_id
                     FROM (%s) items
                     JOIN account_move move ON move.id = items.move_id
                    WHERE items.amount > 0 AND move.move_type IN ('out_invoice', 'out_receipt')""",
                open_items._open_items_sql(
                    open_items._as_of_dates(company), partners.commercial_partner_id.ids
                ),
            )
        )
        moves = self.env["account.move"].browse(sorted(move_id for (move_id,) in rows))
        return moves - moves.browse(self._get_active_move_ids(moves))

    def action_open(self):
        """Open the given proposals: the form for one, the list for several."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_writeoff"
        )
        if len(self) == 1:
            action.update({"res_id": self.id, "views": [(False, "form")], "view_mode": "form"})
        else:
            action["domain"] = [("id", "in", self.ids)]
        return action

    # ------------------------------------------------------------------
    # BUSINESS: the scheduled rule (seam 5)
    # ------------------------------------------------------------------

    @api.model
    def _cron_propose_writeoffs(self):
        """The daily rule, for every company that has it switched on."""
        companies = self.env["res.company"].search(
            [("collection_writeoff_auto_propose", "=", True)]
        )
        for company in companies:
            if not self.with_company(company)._propose_by_rule(company, commit=True):
                return  # out of time: the cron calls again

    @api.model
    def _rule_candidates_sql(self, company):
        """Per open invoice of the company: customer, balance, bankrupt flag,
        days overdue and what it still owes, from the open items (seams 1, 2).

        Invoices out of dunning (an active write-off among them) are left
        out, which makes a rerun propose nothing twice.
        """
        open_items = self.env["account.collection.open.item"]
        return SQL(
            """
            WITH items AS (%(items)s),
            balances AS (
                SELECT partner_id, SUM(amount) AS balance FROM items GROUP BY partner_id
            )
            SELECT items.partner_id, balances.balance::float8,
                   COALESCE(customer.collection_bankrupt, FALSE),
                   items.move_id,
                   COALESCE(MAX(items.days_overdue) FILTER (WHERE items.net_amount > 0), 0),
                   SUM(items.net_amount)::float8
              FROM items
              JOIN balances ON balances.partner_id = items.partner_id
              JOIN res_partner customer ON customer.id = items.partner_id
              JOIN account_move move ON move.id = items.move_id
             WHERE items.amount > 0 AND move.move_type IN ('out_invoice', 'out_receipt')
             GROUP BY items.partner_id, balances.balance, customer.collection_bankrupt,
                      items.move_id
            HAVING SUM(items.net_amount) > 0
             ORDER BY items.partner_id, items.move_id
            """,
            items=open_items._open_items_sql(open_items._as_of_dates(company), skip_excluded=True),
        )

    @api.model
    def _rule_decisions(self, company):
        """``{partner_id: engine.writeoff.Proposal}`` for the company, one query."""
        currency = company.currency_id
        self.env["account.collection.open.item"]._flush_open_items()
        self.env["res.partner"].flush_model(["collection_bankrupt"])
        rows = self.env.execute_query(self._rule_candidates_sql(company))
        thresholds = writeoff_rules.Thresholds(
            days_overdue=company.collection_writeoff_days,
            small_balance=to_minor(currency, company.collection_writeoff_small_balance),
            auto_approve=to_minor(currency, company.collection_writeoff_auto_approve_limit),
        )
        barred = self._statute_barred_moves(company)
        per_partner = defaultdict(list)
        balances = {}
        for partner_id, balance, bankrupt, move_id, days, net in rows:
            balances[partner_id] = (to_minor(currency, balance), bankrupt)
            per_partner[partner_id].append(
                writeoff_rules.OpenInvoice(
                    move_id, days, to_minor(currency, net), move_id in barred
                )
            )
        decisions = {}
        for partner_id, invoices in per_partner.items():
            balance, bankrupt = balances[partner_id]
            proposal = writeoff_rules.propose(invoices, balance, thresholds, bankrupt)
            if proposal:
                decisions[partner_id] = proposal
        return decisions

    @api.model
    def _statute_barred_moves(self, company):
        """Ids of the company's open invoices whose limitation date has passed."""
        today = self.env["account.collection.open.item"]._company_today(company)
        return {
            move_id
            for move_id, _partner_id, limit in self.env[
                "account.collection.claim"
            ]._limitation_candidates(company)
            if limit <= today
        }

    @api.model
    def _propose_by_rule(self, company, commit=False):
        """Propose the write-offs the company's rule finds, batch by batch.

        :param commit: commit after each batch (the scheduled job).
        :return: whether all was done (False: out of time, to resume).
        """
        decisions = self._rule_decisions(company)
        cron = self.env["ir.cron"]
        remaining = len(decisions)
        if commit:
            cron._commit_progress(remaining=remaining)
        for batch in split_every(BATCH_SIZE, sorted(decisions)):
            self._propose_batch(company, list(batch), decisions)
            remaining -= len(batch)
            if commit and cron._commit_progress(len(batch), remaining=remaining) <= 0:
                return False
        return True

    @api.model
    def _propose_batch(self, company, partner_ids, decisions):
        """Propose for the batch in one savepoint, else customer by customer."""
        locked = self.env["res.partner"].browse(partner_ids).try_lock_for_update()
        if not locked:
            return
        try:
            with self.env.cr.savepoint():
                self._propose_for_partners(company, locked, decisions)
        except Exception:  # noqa: BLE001 - isolate the customer that fails, below
            _logger.info("Write-off batch failed, retrying customer by customer", exc_info=True)
            self.env.invalidate_all()
            for partner in locked:
                try:
                    with self.env.cr.savepoint():
                        self._propose_for_partners(company, partner, decisions)
                except Exception as error:  # noqa: BLE001 - recorded, the rule goes on
                    self.env.invalidate_all()
                    _logger.warning("Write-off rule failed for partner %s: %s", partner.id, error)
                    partner.sudo().message_post(
                        body=self.env._(
                            "The write-off rule could not propose for this customer: %(error)s",
                            error=str(error) or error.__class__.__name__,
                        ),
                        subtype_xmlid="mail.mt_note",
                    )

    @api.model
    def _propose_for_partners(self, company, partners, decisions):
        """Create the rule's proposals for ``partners``; post the automatic ones."""
        reasons = {
            reason.code: reason
            for reason in self.env["account.collection.writeoff.reason"].search([])
        }
        by_reason = defaultdict(list)
        for partner in partners:
            proposal = decisions[partner.id]
            by_reason[proposal.reason].extend(proposal.keys)
        created = self
        for code, move_ids in by_reason.items():
            created |= self._propose(
                self.env["account.move"].browse(move_ids), reason=reasons.get(code), origin="rule"
            )
        created.filtered(
            lambda writeoff: decisions[writeoff.partner_id.id].auto_approve
        )._approve_automatically()
        return created

    # ------------------------------------------------------------------
    # BUSINESS: approval
    # ------------------------------------------------------------------

    def _check_collections_manager(self):
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise AccessError(
                self.env._("Only collections managers can approve or reject write-offs.")
            )

    def action_approve(self):
        """Approve: post when every approval the amount needs is given.

        A collections manager approves; above the company's limit the
        proposal then waits for an accounting manager (who may give both).
        """
        self._check_collections_manager()
        user = self.env.user
        accountant = user.has_group("account.group_account_manager")
        to_post = self.browse()
        for writeoff in self:
            if writeoff.state not in ("proposed", "waiting"):
                raise UserError(
                    self.env._("%(name)s is not awaiting approval.", name=writeoff.name)
                )
            if not writeoff.line_ids:
                raise UserError(self.env._("%(name)s lists no invoice.", name=writeoff.name))
            vals = {}
            if writeoff.state == "proposed":
                vals.update(approved_by_id=user.id, approved_date=fields.Datetime.now())
            if writeoff.needs_accounting_approval:
                if not accountant:
                    if writeoff.state == "waiting":
                        raise AccessError(
                            self.env._(
                                "%(name)s is above %(limit)s: an accounting manager approves it.",
                                name=writeoff.name,
                                limit=writeoff.company_id.collection_writeoff_approval_limit,
                            )
                        )
                    vals["state"] = "waiting"
                    writeoff._write_internal(vals)
                    writeoff.message_post(
                        body=self.env._(
                            "Approved by %(user)s; above the limit, it awaits an accounting "
                            "manager.",
                            user=user.name,
                        )
                    )
                    continue
                vals["accounting_approved_by_id"] = user.id
            writeoff._write_internal(vals)
            writeoff._log_transition(self.env._("Approved"))
            to_post |= writeoff
        to_post.sudo()._post_writeoffs()
        return True

    def _approve_automatically(self):
        """Post small balances the company approves without a manager."""
        self._write_internal({"auto_approved": True, "approved_date": fields.Datetime.now()})
        for writeoff in self:
            writeoff.message_post(
                body=self.env._(
                    "Approved automatically: a small balance below %(limit)s.",
                    limit=writeoff.company_id.collection_writeoff_auto_approve_limit,
                )
            )
        self.sudo()._post_writeoffs()

    def action_reject(self):
        """Reject the proposal: its invoices go back to dunning."""
        self._check_collections_manager()
        if any(writeoff.state not in ("proposed", "waiting") for writeoff in self):
            raise UserError(self.env._("Only proposals awaiting approval can be rejected."))
        self._write_internal({"state": "rejected"})
        return True

    # ------------------------------------------------------------------
    # BUSINESS: posting
    # ------------------------------------------------------------------

    @api.model
    def _first_open_date(self, company, day, journal, has_tax):
        """``(date, message)``: ``day``, or the first date after the locks it violates."""
        locks = company._get_violated_lock_dates(day, has_tax, journal)
        if not locks:
            return day, None
        posted_on = max(lock for lock, _field in locks) + timedelta(days=1)
        message = self.env._(
            "%(day)s falls in a locked period (%(locks)s): the entry is posted on %(posted)s, "
            "the first open date.",
            day=format_date(self.env, day),
            locks=company._format_lock_dates(locks),
            posted=format_date(self.env, posted_on),
        )
        return posted_on, message

    def _check_configuration(self):
        for company in self.company_id:
            if not company.collection_writeoff_account_id:
                raise UserError(
                    self.env._(
                        "Set the bad-debt expense account of %(company)s in the settings "
                        "(Collections) first.",
                        company=company.name,
                    )
                )
            methods = {w.method for w in self if w.company_id == company}
            if "entry" in methods and not company.collection_writeoff_journal_id:
                raise UserError(
                    self.env._(
                        "Set the write-off journal of %(company)s in the settings "
                        "(Collections) first.",
                        company=company.name,
                    )
                )

    def _refresh_lines(self):
        """Bring each line to its invoice's current open amount before posting.

        A payment may have come in since the proposal; an invoice paid in
        full stops the posting.
        """
        paid = self.line_ids.move_id.filtered(
            lambda move: move.currency_id.is_zero(move.amount_residual)
        )
        if paid:
            raise UserError(
                self.env._(
                    "These invoices were paid since the proposal; remove them first: %(moves)s.",
                    moves=", ".join(paid.mapped("display_name")),
                )
            )
        for line in self.line_ids:
            move = line.move_id
            if move.currency_id.compare_amounts(move.amount_residual, line.amount_residual):
                line._collection_write(
                    {
                        "amount_residual": move.amount_residual,
                        "amount_residual_company": abs(move.amount_residual_signed),
                    }
                )

    def _post_writeoffs(self):
        """Post the approved write-offs with their method; mark them posted.

        Called with sudo, after the rights were checked: the approver need
        not be an accountant to book what was approved.
        """
        if not self:
            return
        self._check_configuration()
        self._refresh_lines()
        entries = self.filtered(lambda writeoff: writeoff.method == "entry")
        entries._post_entries()
        (self - entries)._post_credit_notes()
        self._write_internal({"state": "posted"})

    def _open_receivable_lines(self):
        return self.line_ids.move_id.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        ).sorted("id")

    def _posting_day(self):
        return self.accounting_date or self.env["account.collection.open.item"]._company_today(
            self.company_id
        )

    def _post_entries(self):
        """Method (a): one entry per write-off, receivable to bad-debt expense
        (to the doubtful-debt allowance first, up to the customer's standing
        provision: :meth:`_expense_line_commands`).

        One credit line per open receivable line of the invoices, in the
        invoice's currency at the rate of the entry's date; the expense lines
        balance them. Each is reconciled with its invoice line; Odoo books
        any exchange difference.
        """
        if not self:
            return
        vals_list = []
        sources = []
        messages = []
        for writeoff in self:
            company = writeoff.company_id
            company_currency = company.currency_id
            journal = company.collection_writeoff_journal_id
            date, message = self._first_open_date(
                company, writeoff._posting_day(), journal, has_tax=False
            )
            messages.append(message)
            receivables = writeoff._open_receivable_lines()
            label = self.env._(
                "Write-off %(name)s: %(reason)s", name=writeoff.name, reason=writeoff.reason_id.name
            )
            line_cmds = []
            expense = defaultdict(lambda: [0.0, 0.0])
            for line in receivables:
                amount_currency = line.amount_residual_currency
                balance = (
                    line.amount_residual
                    if line.currency_id == company_currency
                    else line.currency_id._convert(amount_currency, company_currency, company, date)
                )
                line_cmds.append(
                    Command.create(
                        {
                            "name": f"{label} ({line.move_id.name})",
                            "account_id": line.account_id.id,
                            "partner_id": line.partner_id.id,
                            "currency_id": line.currency_id.id,
                            "amount_currency": -amount_currency,
                            "balance": -balance,
                        }
                    )
                )
                expense[line.currency_id][0] += amount_currency
                expense[line.currency_id][1] += balance
            line_cmds += writeoff._expense_line_commands(expense, date, label)
            vals_list.append(
                {
                    "move_type": "entry",
                    "company_id": company.id,
                    "journal_id": journal.id,
                    "date": date,
                    "ref": label,
                    "partner_id": writeoff.partner_id.id,
                    "collection_writeoff_id": writeoff.id,
                    "line_ids": line_cmds,
                }
            )
            sources.append(receivables)
        moves = self.env["account.move"].create(vals_list)
        moves._post(soft=False)
        plan = []
        for move, receivables in zip(moves, sources, strict=True):
            written = move.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            ).sorted("id")
            plan += [source + target for source, target in zip(receivables, written, strict=True)]
        self.env["account.move.line"]._reconcile_plan(plan)
        for writeoff, move, message in zip(self, moves, messages, strict=True):
            writeoff._log_posting(move, message)

    def _allowance_available(self, day):
        """What the customer's standing provision still holds on ``day``.

        A provision stands from its entry's date until its reversal's: the
        customer's line of the posted provision in force on ``day``, less
        what the customer's entries on the allowance account (write-offs
        charged to it, their reversals) took since the provision's date.
        Amounts in the company currency; 0 without a provision.
        """
        self.ensure_one()
        allowance = self.company_id.collection_provision_allowance_account_id
        if not allowance:
            return 0.0
        line = self.env["account.collection.provision.line"].search_fetch(
            [
                ("partner_id", "=", self.partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("state", "=", "posted"),
                ("amount", ">", 0),
                ("provision_id.move_id.date", "<=", day),
                ("provision_id.reversal_move_id.date", ">", day),
            ],
            ["amount", "provision_id"],
            order="date desc, id desc",
            limit=1,
        )
        if not line:
            return 0.0
        taken = self.env["account.move.line"]._read_group(
            [
                ("account_id", "=", allowance.id),
                ("partner_id", "=", self.partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("parent_state", "=", "posted"),
                ("date", ">=", line.provision_id.move_id.date),
                ("date", "<=", day),
            ],
            aggregates=["balance:sum"],
        )[0][0]
        return max(0.0, line.amount - (taken or 0.0))

    def _expense_line_commands(self, expense, date, label):
        """The debit lines of a write-off entry: the doubtful-debt allowance
        up to what the customer's standing provision holds, the bad-debt
        expense for the rest.

        :param expense: ``{currency: [amount_currency, balance]}`` written off.
        """
        self.ensure_one()
        company = self.company_id
        company_currency = company.currency_id
        # the allowance is drawn from the company-currency amounts first
        groups = sorted(expense.items(), key=lambda item: item[0] != company_currency)
        allowance, expenses = writeoff_rules.allowance_split(
            [to_minor(company_currency, balance) for _currency, (_ac, balance) in groups],
            to_minor(company_currency, self._allowance_available(date)),
        )
        unit = 10**company_currency.decimal_places
        commands = []
        if allowance:
            commands.append(
                Command.create(
                    {
                        "name": label,
                        "account_id": company.collection_provision_allowance_account_id.id,
                        "partner_id": self.partner_id.id,
                        "currency_id": company_currency.id,
                        "amount_currency": allowance / unit,
                        "balance": allowance / unit,
                    }
                )
            )
        for (currency, (amount_currency, balance)), rest in zip(groups, expenses, strict=True):
            if not rest:
                continue
            rest_balance = company_currency.round(rest / unit)
            if currency == company_currency:
                rest_currency = rest_balance
            else:
                # the part the allowance did not cover, in the invoice's currency
                rest_currency = currency.round(
                    amount_currency * rest_balance / company_currency.round(balance)
                )
            commands.append(
                Command.create(
                    {
                        "name": label,
                        "account_id": company.collection_writeoff_account_id.id,
                        "partner_id": self.partner_id.id,
                        "currency_id": currency.id,
                        "amount_currency": rest_currency,
                        "balance": rest_balance,
                    }
                )
            )
        return commands

    def _post_credit_notes(self):
        """Method (b): a credit note per invoice, to the bad-debt account.

        The credit note reverses the invoice with its taxes (the output tax
        comes back), its revenue lines booked to the bad-debt account, and is
        reconciled with the invoice. Only invoices still fully open qualify.
        """
        if not self:
            return
        partial = self.line_ids.move_id.filtered(
            lambda move: (
                move.move_type != "out_invoice"
                or move.currency_id.compare_amounts(move.amount_residual, move.amount_total)
            )
        )
        if partial:
            raise UserError(
                self.env._(
                    "A credit note writes off invoices still fully open; use the journal "
                    "entry method for: %(moves)s.",
                    moves=", ".join(partial.mapped("display_name")),
                )
            )
        invoice_ids = []
        defaults = []
        messages = {}
        for writeoff in self:
            day = writeoff._posting_day()
            for invoice in writeoff.line_ids.move_id:
                date, message = self._first_open_date(
                    writeoff.company_id, day, invoice.journal_id, has_tax=True
                )
                messages.setdefault(writeoff, message)
                invoice_ids.append(invoice.id)
                defaults.append(
                    {
                        "date": date,
                        "invoice_date": date,
                        "invoice_date_due": date,
                        "invoice_payment_term_id": False,
                        "ref": self.env._(
                            "Bad debt %(name)s: %(reason)s (%(invoice)s)",
                            name=writeoff.name,
                            reason=writeoff.reason_id.name,
                            invoice=invoice.name,
                        ),
                        "collection_writeoff_id": writeoff.id,
                    }
                )
        invoices = self.env["account.move"].browse(invoice_ids)
        refunds = invoices._reverse_moves(defaults, cancel=False)
        for refund in refunds:
            account = refund.company_id.collection_writeoff_account_id
            for line in refund.invoice_line_ids.filtered(
                lambda line: line.display_type == "product"
            ):
                line.write({"account_id": account.id, "tax_ids": [Command.set(line.tax_ids.ids)]})
        refunds._post(soft=False)
        plan = [
            (invoice.line_ids + refund.line_ids).filtered(
                lambda line: line.account_type == "asset_receivable" and not line.reconciled
            )
            for invoice, refund in zip(invoices, refunds, strict=True)
        ]
        self.env["account.move.line"]._reconcile_plan(plan)
        for writeoff in self:
            writeoff._log_posting(
                refunds.filtered(lambda move, w=writeoff: move.collection_writeoff_id == w),
                messages.get(writeoff),
            )

    def _log_posting(self, moves, lock_message):
        body = Markup("%s %s") % (
            self.env._("Posted:"),
            Markup(", ").join(move._get_html_link() for move in moves),
        )
        if lock_message:
            body += Markup("<br/>") + lock_message
        self.message_post(body=body)

    # ------------------------------------------------------------------
    # BUSINESS: reversal
    # ------------------------------------------------------------------

    def action_reverse(self):
        """Reverse the posted entries: the invoices open again and go back to dunning."""
        self._check_collections_manager()
        if any(writeoff.state != "posted" for writeoff in self):
            raise UserError(self.env._("Only posted write-offs can be reversed."))
        self.sudo()._reverse_writeoffs()
        return True

    def _reverse_writeoffs(self):
        moves = self.move_ids.filtered(lambda move: not move.reversal_move_ids)
        defaults = []
        messages = {}
        for move in moves:
            writeoff = move.collection_writeoff_id
            today = self.env["account.collection.open.item"]._company_today(move.company_id)
            date, message = self._first_open_date(
                move.company_id, today, move.journal_id, has_tax=move.move_type != "entry"
            )
            messages.setdefault(writeoff, message)
            values = {
                "date": date,
                "ref": self.env._("Reversal of %(name)s", name=move.name),
            }
            if move.is_invoice(include_receipts=True):
                values.update(invoice_date=date, invoice_date_due=date)
            defaults.append(values)
        reversals = moves._reverse_moves(defaults, cancel=True)
        self._write_internal({"state": "reversed"})
        for writeoff in self:
            body = Markup("%s %s") % (
                self.env._("Reversed:"),
                Markup(", ").join(
                    move._get_html_link()
                    for move in reversals.filtered(
                        lambda m, w=writeoff: m.reversed_entry_id.collection_writeoff_id == w
                    )
                ),
            )
            if messages.get(writeoff):
                body += Markup("<br/>") + messages[writeoff]
            writeoff.message_post(body=body)

    # ------------------------------------------------------------------
    # BUSINESS: recovery
    # ------------------------------------------------------------------

    def action_book_recovery(self):
        """Book the customer's unapplied payments as bad debt recovered.

        What the customer paid since (open credits on its receivable, seam 1),
        up to what was written off and not yet recovered, moves from the
        receivable to the company's recovery income account, or back to the
        bad-debt expense account (the company's recovery method); the new
        receivable line is reconciled with the payments. The write-off stays.
        """
        self._check_collections_manager()
        if any(writeoff.state != "posted" for writeoff in self):
            raise UserError(self.env._("Only posted write-offs recover payments."))
        self.sudo()._book_recoveries()
        return True

    def _book_recoveries(self):
        open_items = self.env["account.collection.open.item"]
        for writeoff in self:
            company = writeoff.company_id
            currency = company.currency_id
            if company.collection_writeoff_recovery_method == "reversal":
                account = company.collection_writeoff_account_id
            else:
                account = company.collection_writeoff_recovery_account_id
            if not account:
                raise UserError(
                    self.env._(
                        "Set the bad debt recovered account (or the bad-debt expense account "
                        "when recoveries reverse the expense) of %(company)s in the settings "
                        "(Collections) first.",
                        company=company.name,
                    )
                )
            open_items._flush_open_items()
            rows = self.env.execute_query(
                SQL(
                    "SELECT id, -amount FROM (%s) items WHERE amount < 0 ORDER BY due_date, id",
                    open_items._open_items_sql(
                        open_items._as_of_dates(company), [writeoff.partner_id.id]
                    ),
                )
            )
            to_recover = writeoff.amount_total - writeoff.amount_recovered
            credits = self.env["account.move.line"]
            amount = 0.0
            lines = credits.browse([line_id for line_id, _credit in rows])
            for line, (_line_id, credit) in zip(lines, rows, strict=True):
                if currency.compare_amounts(amount, to_recover) >= 0:
                    break
                if credits and line.account_id != credits[0].account_id:
                    continue  # one receivable account per recovery entry
                credits |= line
                amount += min(credit, to_recover - amount)
            amount = currency.round(amount)
            if currency.is_zero(amount):
                raise UserError(
                    self.env._(
                        "%(customer)s has no unapplied payment to book against %(name)s.",
                        customer=writeoff.partner_id.display_name,
                        name=writeoff.name,
                    )
                )
            journal = company.collection_writeoff_journal_id or credits.move_id.journal_id[:1]
            today = open_items._company_today(company)
            date, message = self._first_open_date(company, today, journal, has_tax=False)
            label = self.env._("Bad debt recovered: %(name)s", name=writeoff.name)
            move = self.env["account.move"].create(
                {
                    "move_type": "entry",
                    "company_id": company.id,
                    "journal_id": journal.id,
                    "date": date,
                    "ref": label,
                    "partner_id": writeoff.partner_id.id,
                    "collection_writeoff_recovery_id": writeoff.id,
                    "line_ids": [
                        Command.create(
                            {
                                "name": label,
                                "account_id": credits[0].account_id.id,
                                "partner_id": writeoff.partner_id.id,
                                "balance": amount,
                            }
                        ),
                        Command.create(
                            {
                                "name": label,
                                "account_id": account.id,
                                "partner_id": writeoff.partner_id.id,
                                "balance": -amount,
                            }
                        ),
                    ],
                }
            )
            move._post(soft=False)
            receivable = move.line_ids.filtered(lambda line: line.balance > 0)
            (receivable + credits).reconcile()
            body = Markup("%s %s") % (
                self.env._("Recovered %(amount)s:", amount=currency.format(amount)),
                move._get_html_link(),
            )
            if message:
                body += Markup("<br/>") + message
            writeoff.message_post(body=body)

    # ------------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------------

    def action_open_moves(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_journal_line")
        action.update(
            domain=[("id", "in", (self.move_ids | self.move_ids.reversal_move_ids).ids)],
            context={"create": False},
        )
        return action

    def action_open_communications(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_communication"
        )
        action.update(domain=[("id", "in", self.communication_ids.ids)], context={"create": False})
        return action


class AccountCollectionWriteoffLine(models.Model):
    """An invoice in a write-off and its open amount when proposed (and posted)."""

    _name = "account.collection.writeoff.line"
    _inherit = ["account.collection.guard.mixin"]
    _description = "Collections: invoice in a write-off"
    _order = "writeoff_id, due_date, id"
    _check_company_auto = True
    _collection_protected_fields = frozenset(
        {"amount_residual", "amount_residual_company", "due_date", "state", "company_id"}
    )
    _collection_locked_states = frozenset({"waiting", "posted", "reversed", "rejected"})
    _collection_parent_field = "writeoff_id"

    writeoff_id = fields.Many2one(
        "account.collection.writeoff", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="writeoff_id.company_id", store=True, index=True)
    state = fields.Selection(related="writeoff_id.state", store=True)
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        check_company=True,
        ondelete="restrict",
        domain="[('move_type', 'in', ('out_invoice', 'out_receipt')), ('state', '=', 'posted'),"
        " ('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    move_currency_id = fields.Many2one(related="move_id.currency_id", string="Invoice Currency")
    company_currency_id = fields.Many2one(related="company_id.currency_id")
    due_date = fields.Date(compute="_compute_amounts", store=True, precompute=True)
    amount_residual = fields.Monetary(
        string="Open Amount",
        currency_field="move_currency_id",
        compute="_compute_amounts",
        store=True,
        precompute=True,
        help="In the invoice's currency, when proposed; brought up to date when posted.",
    )
    amount_residual_company = fields.Monetary(
        string="Open Amount (Company Currency)",
        currency_field="company_currency_id",
        compute="_compute_amounts",
        store=True,
        precompute=True,
    )

    _one_active_writeoff_per_invoice = models.UniqueIndex(
        "(move_id) WHERE state IN ('proposed', 'waiting', 'posted')",
        "An invoice is in one write-off proposal at a time.",
    )

    @api.depends("move_id")
    def _compute_amounts(self):
        for line in self:
            move = line.move_id
            line.due_date = move.invoice_date_due
            line.amount_residual = move.amount_residual
            line.amount_residual_company = abs(move.amount_residual_signed)

    @api.constrains("move_id", "writeoff_id")
    def _check_customer(self):
        for line in self:
            customer = line.writeoff_id.partner_id.commercial_partner_id
            if line.move_id._collection_not_open_invoices_of(customer):
                raise ValidationError(
                    self.env._(
                        "%(move)s is not a posted, open invoice of %(customer)s: only those "
                        "can be written off.",
                        move=line.move_id.display_name,
                        customer=line.writeoff_id.partner_id.display_name,
                    )
                )
