import logging
import time

from markupsafe import Markup
from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.pdf import merge_pdf

from ..engine import dunning
from .account_collection_communication import LETTER_CHUNK

_logger = logging.getLogger(__name__)

#: Customers processed per batch: one transaction of a few seconds at most.
BATCH_SIZE = 1000


def to_minor(currency, amount):
    """An amount as an integer number of the currency's smallest unit."""
    return round(currency.round(amount) * 10**currency.decimal_places)


class AccountCollectionRun(models.Model):
    """A dunning run of one company on one day (seam 5, the batch runner).

    The run is data, so that any worker can carry it on: its first step
    evaluates the company's open items once (seams 1 and 2) and keeps the
    customers to remind in :class:`AccountCollectionRunCustomer`; each batch
    then claims the next customers not yet done (rows locked by another
    worker are skipped, so several workers share a run), reads their open
    items as they are now, takes the level decision (the pure
    ``engine.dunning``), saves the reminders through the communication's send
    service (seams 3 and 4) and marks the customers done, all in one
    transaction. Letters are rendered after the batches commit, by their own
    scheduled job. A rerun the same day sends nothing twice: invoices
    already reminded today cannot climb again, and a unique key guards
    (company, customer, level, day).
    """

    _name = "account.collection.run"
    _inherit = ["mail.thread", "account.collection.guard.mixin"]
    _description = "Collections: dunning run"
    _order = "date desc, id desc"
    _check_company_auto = True
    # the run's progress is the runner's: Run Now and the scheduled job set it
    _collection_protected_fields = frozenset(
        {"state", "evaluated", "customer_count", "error_count", "error_log"}
    )

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    date = fields.Date(
        required=True,
        default=lambda self: self.env["account.collection.open.item"]._company_today(
            self.env.company
        ),
        help="Invoices are aged as of this day.",
    )
    trigger = fields.Selection(
        [("cron", "Scheduled"), ("manual", "Manual")], required=True, default="manual"
    )
    state = fields.Selection(
        [("draft", "Draft"), ("in_progress", "In Progress"), ("done", "Done")],
        default="draft",
        required=True,
        tracking=True,
    )
    catch_up = fields.Boolean(
        string="Catch-up",
        compute="_compute_catch_up",
        store=True,
        readonly=False,
        precompute=True,
        help="Each customer starts at the level its oldest overdue invoice has reached "
        "(waiting times ignored), instead of climbing one level at a time, and every "
        "reminder waits for review before anything leaves. The first run of a company is "
        "a catch-up.",
    )
    evaluated = fields.Boolean(
        readonly=True, copy=False, help="The customers to remind are chosen and kept."
    )
    communication_ids = fields.One2many("account.collection.communication", "run_id")
    customer_count = fields.Integer(string="Customers Evaluated", readonly=True)
    remaining_count = fields.Integer(compute="_compute_remaining_count", string="Customers Left")
    sent_count = fields.Integer(compute="_compute_counts", string="Sent")
    refused_count = fields.Integer(compute="_compute_counts", string="Refused")
    review_count = fields.Integer(compute="_compute_counts", string="Awaiting Review")
    letter_pending_count = fields.Integer(compute="_compute_counts", string="Letters to Render")
    error_count = fields.Integer(string="Errors", readonly=True)
    error_log = fields.Text(readonly=True)

    _one_scheduled_run_per_day = models.UniqueIndex(
        "(company_id, date) WHERE trigger = 'cron'",
        "A company has one scheduled dunning run per day.",
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("company_id", "date")
    def _compute_name(self):
        for run in self:
            run.name = self.env._(
                "Dunning %(date)s (%(company)s)",
                date=run.date and fields.Date.to_string(run.date),
                company=run.company_id.name,
            )

    @api.depends("company_id")
    def _compute_catch_up(self):
        for run in self:
            if run.state == "draft" or not run.id:
                run.catch_up = not run.company_id.collection_dunning_started
            else:
                run.catch_up = run.catch_up

    @api.depends("communication_ids.state", "communication_ids.letter_state")
    def _compute_counts(self):
        Communication = self.env["account.collection.communication"]
        counts = {
            (run.id, state): count
            for run, state, count in Communication._read_group(
                [("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
            )
        }
        letters = dict(
            Communication._read_group(
                [("run_id", "in", self.ids), ("letter_state", "=", "pending")],
                ["run_id"],
                ["__count"],
            )
        )
        for run in self:
            run.sent_count = counts.get((run.id, "sent"), 0)
            run.refused_count = counts.get((run.id, "refused"), 0)
            run.review_count = counts.get((run.id, "to_review"), 0)
            run.letter_pending_count = letters.get(run, 0)

    def _compute_remaining_count(self):
        remaining = self.env["account.collection.run.customer"]._count_todo(self)
        for run in self:
            run.remaining_count = remaining.get(run.id, 0)

    # ------------------------------------------------------------------
    # BUSINESS: entry points
    # ------------------------------------------------------------------

    @api.model
    def _cron_run_dunning(self):
        """The daily scheduled run, for every company that has it switched on.

        Works in batches, each committed, for as long as Odoo's time for this
        pickup lasts, then tells Odoo how much is left and wakes a worker for
        the next pickup, which carries the run on where it stopped.
        """
        cron = self.env["ir.cron"]
        if self._cron_time_is_up():
            # Odoo calls a job again and again within one pickup: past the
            # pickup's time, hand over at once so that no pickup runs long
            cron._commit_progress(remaining=1)
            self._wake_up_cron()
            return
        # runs started by hand that could not finish (customers held elsewhere)
        for run in self.search([("trigger", "=", "manual"), ("state", "=", "in_progress")]):
            if not run._execute(commit=True):
                self._wake_up_cron()
                return
        companies = self.env["res.company"].search([("collection_auto_run", "=", True)])
        open_items = self.env["account.collection.open.item"]
        for company in companies:
            today = open_items._company_today(company)
            self._close_earlier_runs(company, today)
            run = self.search(
                [("company_id", "=", company.id), ("date", "=", today), ("trigger", "=", "cron")]
            )
            if run.state == "done":
                continue
            if not run:
                run = self.create({"company_id": company.id, "date": today, "trigger": "cron"})
            if not run._execute(commit=True):
                # out of time, or batches still held by another worker: the
                # next pickup (this worker or another) carries the run on
                self._wake_up_cron()
                return

    @api.model
    def _cron_time_is_up(self):
        """Whether this scheduled pickup has used its time (always False outside a cron)."""
        end_time = self.env.context.get("cron_end_time")
        return end_time is not None and time.monotonic() >= end_time

    @api.model
    def _wake_up_cron(self):
        """Have a cron worker call the dunning job again as soon as this commits."""
        self.env.ref("account_collections.ir_cron_collection_dunning")._trigger()
        self.env["ir.cron"]._commit_progress()

    @api.model
    def _close_earlier_runs(self, company, today):
        """Close the scheduled runs of earlier days a worker left unfinished.

        Their customers were evaluated as of their own day; today's run
        evaluates every customer again, so nothing is lost by closing them.
        """
        stale = self.search(
            [
                ("company_id", "=", company.id),
                ("trigger", "=", "cron"),
                ("date", "<", today),
                ("state", "!=", "done"),
            ]
        )
        for run in stale:
            left = run.remaining_count
            run._finish()
            run.message_post(
                body=self.env._(
                    "Closed by the run of %(today)s with %(left)s customers not reached: "
                    "that run evaluates them again.",
                    today=fields.Date.to_string(today),
                    left=left,
                )
            )

    def action_run(self):
        """Run now, in this request: batch after batch, letters rendered after them."""
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise UserError(self.env._("Only collections managers can start a dunning run."))
        for run in self:
            if run.state == "done":
                raise UserError(self.env._("%(run)s has already run.", run=run.name))
            if run._execute(commit=False):
                run._render_letters_now()
            else:
                # some customers are held by another transaction: the scheduled
                # job carries the run on as soon as this one commits
                run.message_post(
                    body=self.env._(
                        "%(count)s customers were busy elsewhere: the scheduled run reminds "
                        "them shortly and finishes this run.",
                        count=run.remaining_count,
                    )
                )
                self.env.ref("account_collections.ir_cron_collection_dunning")._trigger()
        return True

    def _render_letters_now(self):
        """Render the run's letters in this request when there are few, else
        leave them to the scheduled letter job (it is triggered)."""
        Communication = self.env["account.collection.communication"].sudo()
        if Communication._count_pending_letters(self) > LETTER_CHUNK:
            return
        pending = Communication.search([("run_id", "=", self.id), ("letter_state", "=", "pending")])
        pending._render_pending_letters()

    def action_open_review(self):
        """The run's reminders awaiting review, grouped by level: approve or skip them."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_communication_review"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {
            "create": False,
            "search_default_to_review": 1,
            "search_default_group_level": 1,
        }
        return action

    def action_print_letters(self):
        """All letters of the run as one PDF, to print and post."""
        self.ensure_one()
        letters = self.communication_ids.filtered(lambda c: c.state == "sent" and c.by_letter)
        attachments = letters.attachment_id
        if not attachments:
            if letters.filtered(lambda c: c.letter_state == "pending"):
                raise UserError(
                    self.env._(
                        "The letters of this run are still being rendered: "
                        "try again in a few minutes."
                    )
                )
            if self.communication_ids.filtered(lambda c: c.state == "sent" and c.attachment_id):
                raise UserError(
                    self.env._(
                        "No letter of this run is to be posted: its levels sent their letters "
                        "by email only (attached to each reminder)."
                    )
                )
            raise UserError(self.env._("This run has no letter to print."))
        merged = self.env["ir.attachment"].create(
            {
                "name": self.env._("Letters %(run)s.pdf", run=self.name),
                "raw": merge_pdf([attachment.raw for attachment in attachments]),
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{merged.id}?download=true",
            "target": "download",
        }

    # ------------------------------------------------------------------
    # BUSINESS: the run
    # ------------------------------------------------------------------

    def _get_batch_context(self):
        """The run in its company, as a batch job works: letters after the
        batch, no tracking or followers on what it creates."""
        self.ensure_one()
        return self.with_company(self.company_id).with_context(
            allowed_company_ids=self.company_id.ids,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_notrack=True,
            collection_defer_letters=True,
        )

    def _execute(self, commit=False):
        """Evaluate once, then process the customers left, batch by batch.

        :param commit: commit after each batch (the scheduled run), reporting
            progress to the cron and stopping when the pickup's time is up.
        :return: whether the run is done (False: out of time, or the last
            batches are held by another worker; to resume).
        """
        self.ensure_one()
        run = self._get_batch_context()
        Customer = self.env["account.collection.run.customer"]
        cron = self.env["ir.cron"]
        if run.state == "draft":
            run._collection_write({"state": "in_progress"})
        if not run.evaluated or not Customer._has_rows(run):
            # first call, or the kept evaluation was lost (a server crash
            # empties unlogged tables): evaluating again is safe, a customer
            # reminded today is not reminded again
            count = run._prepare_evaluation()
            vals = {"evaluated": True}
            if not run.evaluated:
                vals["customer_count"] = count
            run._collection_write(vals)
            if commit and cron._commit_progress(1, remaining=count + 1) <= 0:
                return False
        skipped = []
        while True:
            batch = Customer._claim(run, BATCH_SIZE, skipped)
            if not batch:
                break
            skipped += run._process_batch(batch)
            Customer._mark_done(run, batch, skipped)
            if commit:
                left = Customer._count_todo(run).get(run.id, 0)
                if cron._commit_progress(len(batch), remaining=left + 1) <= 0:
                    return False
        if Customer._count_todo(run).get(run.id, 0):
            return False  # held by another worker, or customers locked by a user
        run._finish()
        if commit:
            cron._commit_progress(1, remaining=0)
        return True

    def _finish(self):
        """Mark the run done, drop its work list, and say in its chatter what it did."""
        self.ensure_one()
        self.env["account.collection.run.customer"]._drop(self)
        self._collection_write({"state": "done"})
        if not self.company_id.collection_dunning_started:
            self.company_id.sudo().collection_dunning_started = True
        self.message_post(body=self._get_summary_message())

    def _get_summary_message(self):
        """What the run did: reminders per level and channel, refusals, errors."""
        self.ensure_one()
        Communication = self.env["account.collection.communication"]
        groups = Communication._read_group(
            [("run_id", "=", self.id)],
            ["level_id", "state", "by_email", "by_letter"],
            ["__count"],
        )
        states = dict(Communication._fields["state"]._description_selection(self.env))
        lines = []
        for level, state, by_email, by_letter, count in sorted(
            groups, key=lambda group: (group[0].days, group[0].id, group[1])
        ):
            channels = [
                name
                for name, used in (
                    (self.env._("email"), by_email),
                    (self.env._("letter"), by_letter),
                )
                if used
            ]
            lines.append(
                self.env._(
                    "%(level)s: %(count)s %(state)s%(channels)s",
                    level=level.name or self.env._("No level"),
                    count=count,
                    state=states[state].lower(),
                    channels=f" ({', '.join(channels)})" if channels else "",
                )
            )
        if not lines:
            lines.append(self.env._("Nobody to remind."))
        if self.catch_up and self.review_count:
            lines.append(
                self.env._(
                    "Catch-up: each customer starts at the level its lateness has reached; "
                    "nothing leaves before the reminders are approved (Review Reminders)."
                )
            )
        if self.error_count:
            lines.append(self.env._("%(count)s customers failed.", count=self.error_count))
        letters = Communication._count_pending_letters(self)
        if letters:
            lines.append(self.env._("%(count)s letters to render.", count=letters))
        return Markup("<br/>").join([Markup("<b>%s</b>") % self.env._("Dunning run done."), *lines])

    def _prepare_evaluation(self):
        """Evaluate the company's customers in one pass and keep those to remind.

        One query over the open items (seams 1 and 2) finds the customers
        with an invoice overdue enough for the lowest level of the company's
        policies; they are kept as the run's work list, in the order the
        batches take them.

        :return: how many customers the work list holds.
        """
        # a company created after install gets the standard policy on its first run
        self.env["account.collection.policy"]._get_default_policy(self.company_id)
        policies = self.env["account.collection.policy"].search(
            [("company_id", "=", self.company_id.id)]
        )
        Customer = self.env["account.collection.run.customer"]
        Customer._drop(self)
        if not policies.level_ids:
            return 0
        min_days = min(policies.level_ids.mapped("days"))
        self._flush_evaluation()
        cr = self.env.cr
        # One statement reads every open item: sort and hash in memory rather
        # than on disk; the planner underestimates the rows of the computed
        # open amounts and would probe the level table once per invoice, and
        # compiling the plan (JIT) costs more than it saves here.
        for setting, value in (("work_mem", "256MB"), ("enable_nestloop", "off"), ("jit", "off")):
            cr.execute(SQL("SET LOCAL %s = %s", SQL.identifier(setting), value))
        count = Customer._insert_candidates(self, self._evaluate_sql(), min_days)
        for setting in ("work_mem", "enable_nestloop", "jit"):
            cr.execute(SQL("RESET %s", SQL.identifier(setting)))
        return count

    def _flush_evaluation(self):
        """Flush what the evaluation reads."""
        self.env["account.collection.open.item"]._flush_open_items()
        self.env["account.move"].flush_model(["collection_excluded", "collection_disputed"])
        self.env["res.partner"].flush_model(["collection_excluded"])
        self.env["account.collection.move.level"].flush_model()

    def _evaluate_sql(self, partner_ids=None):
        """Per open invoice of the customers (all when None): days overdue,
        net owed, due date, and the level it last reached and when."""
        open_items = self.env["account.collection.open.item"]
        return SQL(
            """
            WITH per_move AS (
                SELECT partner_id, move_id,
                       MAX(days_overdue) FILTER (WHERE net_amount > 0) AS days_overdue,
                       SUM(net_amount) AS net_amount,
                       MIN(due_date) FILTER (WHERE net_amount > 0) AS due_date
                  FROM (%(items)s) items
                 WHERE amount > 0
                 GROUP BY partner_id, move_id
                HAVING SUM(net_amount) > 0
            )
            SELECT per_move.partner_id, per_move.move_id, per_move.days_overdue,
                   per_move.net_amount, per_move.due_date,
                   reached.level_id, reached.date AS level_date
              FROM per_move
              LEFT JOIN account_collection_move_level reached
                ON reached.move_id = per_move.move_id
            """,
            items=open_items._open_items_sql(
                {self.company_id.id: self.date}, partner_ids, skip_excluded=True
            ),
        )

    def _fetch_evaluation(self, partner_ids):
        """The evaluation rows of ``partner_ids``, by customer and due date.

        Read as the open items are now: a payment, a promise or a dispute
        that came after the run's first step counts. One query for the batch.
        """
        self._flush_evaluation()
        return self.env.execute_query(
            SQL(
                """SELECT partner_id, move_id, days_overdue, net_amount::float8, due_date,
                          level_id, level_date
                     FROM (%s) evaluation
                    ORDER BY partner_id, due_date, move_id""",
                self._evaluate_sql(partner_ids),
            )
        )

    def _get_current_levels(self, partner_ids):
        """``{partner_id: level}``: the highest level its open invoices hold."""
        if not partner_ids:
            return {}
        level_ids = {}
        for partner_id, _move, _days, _net, _due, level_id, _date in self._fetch_evaluation(
            partner_ids
        ):
            if level_id:
                level_ids.setdefault(partner_id, set()).add(level_id)
        levels = self.env["account.collection.level"].browse(
            {level_id for ids in level_ids.values() for level_id in ids}
        )
        return {
            partner_id: max(levels.browse(ids), key=lambda level: (level.days, level.id))
            for partner_id, ids in level_ids.items()
        }

    def _evaluate(self, partner_ids, include_current=False):
        """``{partner_id: (policy, Decision, {move_id: (days, net, due)})}``.

        One query for the batch, whatever its size, then the pure decision per
        customer. Customers awaiting review of an earlier reminder, or reminded
        at the same level today (sent or refused), are left out.

        :param include_current: for a reminder sent by hand: when no invoice
            climbs today, repeat the customer's current level instead of
            sending nothing.
        """
        company = self.company_id
        currency = company.currency_id
        rows = self._fetch_evaluation(partner_ids)
        # amounts come as sums of amounts already rounded to the currency: a
        # plain round() to the smallest unit keeps them exact
        factor = 10**currency.decimal_places
        per_partner = {}
        invoices_by_partner = {}
        Invoice = dunning.Invoice
        for row in rows:
            partner_id, move_id, days, net, _due, level_id, level_date = row
            minor = round(net * factor)
            if partner_id not in per_partner:
                per_partner[partner_id] = []
                invoices_by_partner[partner_id] = []
            per_partner[partner_id].append(row)
            invoices_by_partner[partner_id].append(
                Invoice(move_id, days, minor, level_id, level_date)
            )
        partners = self.env["res.partner"].browse(list(per_partner))
        waiting = {
            partner.id
            for [partner] in self.env["account.collection.communication"]._read_group(
                [("partner_id", "in", partners.ids), ("state", "=", "to_review")], ["partner_id"]
            )
        }
        # a reminder refused today (no address, say) does not move the
        # invoices: do not try that level again the same day
        reminded_today = {
            (partner.id, level.id)
            for partner, level in self.env["account.collection.communication"]._read_group(
                [
                    ("partner_id", "in", partners.ids),
                    ("company_id", "=", company.id),
                    ("kind", "=", "reminder"),
                    ("date", "=", self.date),
                    ("state", "!=", "skipped"),
                ],
                ["partner_id", "level_id"],
            )
        }
        policies = partners._get_collection_policy(company)
        levels_by_policy = {
            policy: [
                dunning.Level(
                    level.id,
                    level.days,
                    to_minor(currency, level.min_amount),
                    level.min_days_since_previous,
                )
                for level in policy.level_ids
            ]
            for policy in set(policies.values())
            if policy
        }
        result = {}
        for partner in partners:
            policy = policies[partner]
            if partner.id in waiting or not policy:
                continue
            levels = levels_by_policy[policy]
            invoices = invoices_by_partner[partner.id]
            decide = dunning.catch_up if self.catch_up else dunning.decide
            decision = decide(levels, invoices, self.date)
            if not decision.level and include_current:
                decision = dunning.repeat_current(levels, invoices)
            if (
                decision.level
                and not include_current  # sent by hand: the wizard says it was done today
                and (partner.id, decision.level.key) in reminded_today
            ):
                continue
            if decision.level:
                result[partner.id] = (
                    policy,
                    decision,
                    {
                        move_id: (days, invoice.amount / factor, due)
                        for (_partner, move_id, days, _net, due, *_rest), invoice in zip(
                            per_partner[partner.id], invoices, strict=True
                        )
                    },
                )
        return result

    def _process_batch(self, partner_ids):
        """Remind the batch's customers, all at once if possible.

        The batch runs in one savepoint; if anything fails it runs again one
        customer at a time, each in its own savepoint, so the failing customer
        is recorded and the others go through.

        :return: the ids of the customers left out because someone else
            holds them (to try again later in the run).
        """
        # Lock first, then evaluate what is locked: what we read about the
        # customers we hold cannot change under us.
        locked = self.env["res.partner"].browse(partner_ids).try_lock_for_update()
        busy = sorted(set(partner_ids) - set(locked.ids))
        decisions = self._evaluate(locked.ids)
        if not decisions:
            return busy
        partners = locked.filtered(lambda partner: partner.id in decisions)
        try:
            with self.env.cr.savepoint():
                self._remind(partners, decisions)
        except Exception:  # noqa: BLE001 - isolate the customer that fails, below
            _logger.info("Dunning batch failed, retrying customer by customer", exc_info=True)
            self.env.invalidate_all()
            for partner in partners:
                try:
                    with self.env.cr.savepoint():
                        self._remind(partner, decisions)
                except UniqueViolation:
                    # reminded at this level today already, by a concurrent run
                    self.env.invalidate_all()
                    _logger.info("Partner %s was reminded by another run today", partner.id)
                except Exception as error:  # noqa: BLE001 - recorded, the run goes on
                    self.env.invalidate_all()
                    self._record_failure(partner, error)
        return busy

    def _record_failure(self, partner, error):
        """Note a customer's failure on the customer and on the run."""
        _logger.warning("Dunning failed for partner %s: %s", partner.id, error)
        message = self.env._(
            "The dunning run of %(date)s could not remind this customer: %(error)s",
            date=fields.Date.to_string(self.date),
            error=str(error) or error.__class__.__name__,
        )
        partner.sudo().message_post(body=message, subtype_xmlid="mail.mt_note")
        self._collection_write(
            {
                "error_count": self.error_count + 1,
                "error_log": "\n".join(
                    filter(None, [self.error_log, f"{partner.display_name}: {error}"])
                ),
            }
        )

    def _remind(self, partners, decisions):
        """Create the communications of ``partners`` and send the automatic ones."""
        communications = self.env["account.collection.communication"]._create_reminders(
            self, partners, decisions
        )
        if not self.catch_up:
            communications.filtered(lambda c: not c.level_id.review_required).sudo()._deliver()
        return communications


class AccountCollectionRunCustomer(models.Model):
    """A customer a dunning run has to consider: the run's work list.

    Written by the run's first step in one statement, read by every batch
    with ``FOR UPDATE SKIP LOCKED`` so that workers sharing a run never take
    the same customers, and dropped when the run is done. Derived data: the
    table is unlogged and has no foreign keys (a crash that empties it makes
    the run evaluate again).
    """

    _name = "account.collection.run.customer"
    _description = "Collections: customer of a dunning run's work list"
    _auto = False
    _log_access = False

    run_id = fields.Many2one("account.collection.run", readonly=True)
    partner_id = fields.Many2one("res.partner", readonly=True)
    done = fields.Boolean(readonly=True)

    def init(self):
        self.env.cr.execute(
            SQL(
                """CREATE UNLOGGED TABLE IF NOT EXISTS %s (
                       id SERIAL PRIMARY KEY,
                       run_id int4 NOT NULL,
                       partner_id int4 NOT NULL,
                       done bool NOT NULL DEFAULT FALSE)""",
                SQL.identifier(self._table),
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (run_id, done, partner_id)",
                SQL.identifier(f"{self._table}_todo_index"),
                SQL.identifier(self._table),
            )
        )

    @api.model
    def _insert_candidates(self, run, evaluation, min_days):
        """Keep the customers of ``evaluation`` (SQL) overdue by ``min_days`` or more."""
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(table)s (run_id, partner_id)
                   SELECT DISTINCT %(run)s, partner_id FROM (%(evaluation)s) evaluation
                    WHERE days_overdue >= %(min_days)s""",
                table=SQL.identifier(self._table),
                run=run.id,
                evaluation=evaluation,
                min_days=min_days,
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _claim(self, run, limit, exclude=()):
        """Lock and return up to ``limit`` customers of ``run`` not done yet
        and not held by another worker (nor in ``exclude``), in order."""
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id FROM %(table)s
                    WHERE run_id = %(run)s AND NOT done AND partner_id != ALL(%(exclude)s)
                    ORDER BY partner_id
                    LIMIT %(limit)s
                      FOR UPDATE SKIP LOCKED""",
                table=SQL.identifier(self._table),
                run=run.id,
                exclude=list(exclude),
                limit=limit,
            )
        )
        return [partner_id for (partner_id,) in rows]

    @api.model
    def _mark_done(self, run, partner_ids, exclude=()):
        """Mark the customers of a batch done (those in ``exclude`` stay to do)."""
        self.env.execute_query(
            SQL(
                """UPDATE %s SET done = TRUE
                    WHERE run_id = %s AND partner_id = ANY(%s) AND partner_id != ALL(%s)""",
                SQL.identifier(self._table),
                run.id,
                partner_ids,
                list(exclude),
            )
        )

    @api.model
    def _count_todo(self, runs):
        """``{run_id: customers not done yet}``."""
        if not runs:
            return {}
        return dict(
            self.env.execute_query(
                SQL(
                    """SELECT run_id, COUNT(*) FROM %s
                        WHERE run_id = ANY(%s) AND NOT done GROUP BY run_id""",
                    SQL.identifier(self._table),
                    runs.ids,
                )
            )
        )

    @api.model
    def _has_rows(self, run):
        """Whether the run's work list exists (done or not)."""
        return bool(
            self.env.execute_query(
                SQL(
                    "SELECT 1 FROM %s WHERE run_id = %s LIMIT 1",
                    SQL.identifier(self._table),
                    run.id,
                )
            )
        )

    @api.model
    def _drop(self, runs):
        """Forget the work list of ``runs``."""
        self.env.execute_query(
            SQL(
                "DELETE FROM %s WHERE run_id = ANY(%s)",
                SQL.identifier(self._table),
                runs.ids,
            )
        )
