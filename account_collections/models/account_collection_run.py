import logging

from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every
from odoo.tools.pdf import merge_pdf

from ..engine import dunning

_logger = logging.getLogger(__name__)

#: Customers processed per batch (one read of the evaluation each).
BATCH_SIZE = 1000

#: Session-private table holding a run's evaluation while its batches go.
EVALUATION_TABLE = "account_collection_run_evaluation"


def to_minor(currency, amount):
    """An amount as an integer number of the currency's smallest unit."""
    return round(currency.round(amount) * 10**currency.decimal_places)


class AccountCollectionRun(models.Model):
    """A dunning run of one company on one day (seam 5, the batch runner).

    Evaluation is set-based: one query over the company's open items (seams 1
    and 2) at the start of each execution, kept in a temporary table that the
    batches read by customer; the level decision is the pure
    ``engine.dunning``, and every reminder goes through the communication's
    send service (seams 3 and 4). A rerun the
    same day sends nothing twice: invoices already reminded today cannot climb
    again, and a unique key guards (company, customer, level, day).
    """

    _name = "account.collection.run"
    _inherit = ["mail.thread"]
    _description = "Collections: dunning run"
    _order = "date desc, id desc"
    _check_company_auto = True

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
    communication_ids = fields.One2many("account.collection.communication", "run_id")
    customer_count = fields.Integer(string="Customers Evaluated", readonly=True)
    sent_count = fields.Integer(compute="_compute_counts", string="Sent")
    refused_count = fields.Integer(compute="_compute_counts", string="Refused")
    review_count = fields.Integer(compute="_compute_counts", string="Awaiting Review")
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

    @api.depends("communication_ids.state")
    def _compute_counts(self):
        counts = {
            (run.id, state): count
            for run, state, count in self.env["account.collection.communication"]._read_group(
                [("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
            )
        }
        for run in self:
            run.sent_count = counts.get((run.id, "sent"), 0)
            run.refused_count = counts.get((run.id, "refused"), 0)
            run.review_count = counts.get((run.id, "to_review"), 0)

    # ------------------------------------------------------------------
    # BUSINESS: entry points
    # ------------------------------------------------------------------

    @api.model
    def _cron_run_dunning(self):
        """The daily scheduled run, for every company that has it switched on."""
        companies = self.env["res.company"].search([("collection_auto_run", "=", True)])
        open_items = self.env["account.collection.open.item"]
        for company in companies:
            today = open_items._company_today(company)
            run = self.search(
                [("company_id", "=", company.id), ("date", "=", today), ("trigger", "=", "cron")]
            )
            if run.state == "done":
                continue
            if not run:
                run = self.create({"company_id": company.id, "date": today, "trigger": "cron"})
            if not run._execute(commit=True):
                return  # out of time; the cron calls again and resumes

    def action_run(self):
        """Run now (in this transaction); the scheduled run commits per batch."""
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise UserError(self.env._("Only collections managers can start a dunning run."))
        for run in self:
            if run.state == "done":
                raise UserError(self.env._("%(run)s has already run.", run=run.name))
            run._execute(commit=False)
        return True

    def action_print_letters(self):
        """All letters of the run as one PDF, to print and post."""
        self.ensure_one()
        letters = self.communication_ids.filtered(lambda c: c.state == "sent" and c.by_letter)
        attachments = letters.attachment_id
        if not attachments:
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

    def _execute(self, commit=False):
        """Evaluate and process every candidate customer, batch by batch.

        :param commit: commit after each batch (the scheduled run), reporting
            progress to the cron.
        :return: whether the run finished (False: out of time, to resume).
        """
        self.ensure_one()
        run = self.with_company(self.company_id).with_context(
            allowed_company_ids=self.company_id.ids,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_notrack=True,
        )
        run.state = "in_progress"
        candidates = run._prepare_evaluation()
        run = run.with_context(collection_evaluation_table=EVALUATION_TABLE)
        run.customer_count = len(candidates)
        remaining = len(candidates)
        if commit:
            self.env["ir.cron"]._commit_progress(remaining=remaining)
        for batch in split_every(BATCH_SIZE, candidates):
            run._process_batch(list(batch))
            remaining -= len(batch)
            if commit:
                time_left = self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining)
                if time_left <= 0:
                    # out of time: the run stays in progress, the next call resumes it
                    return False
        run.state = "done"
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(EVALUATION_TABLE)))
        if commit:
            self.env["ir.cron"]._commit_progress()
        return True

    def _prepare_evaluation(self):
        """Evaluate the company's customers in one pass; return the candidates.

        One query over the open items (seams 1 and 2) writes, per open
        invoice, its days overdue, what it still owes once credits are netted
        and the level it last reached into a temporary table of this database
        session; the batches then read it by customer. Each execution (a
        resumed scheduled run too) evaluates again, so what the batches read
        is as old as this execution at most.

        :return: the ids of the customers with an invoice overdue enough for
            the lowest level of the company's policies.
        """
        # a company created after install gets the standard policy on its first run
        self.env["account.collection.policy"]._get_default_policy(self.company_id)
        policies = self.env["account.collection.policy"].search(
            [("company_id", "=", self.company_id.id)]
        )
        table = SQL.identifier(EVALUATION_TABLE)
        cr = self.env.cr
        cr.execute(SQL("DROP TABLE IF EXISTS %s", table))
        if not policies.level_ids:
            return []
        min_days = min(policies.level_ids.mapped("days"))
        self._flush_evaluation()
        # One statement reads every open item: sort and hash in memory rather
        # than on disk; the planner underestimates the rows of the computed
        # open amounts and would probe the level table once per invoice, and
        # compiling the plan (JIT) costs more than it saves here.
        for setting, value in (("work_mem", "256MB"), ("enable_nestloop", "off"), ("jit", "off")):
            cr.execute(SQL("SET LOCAL %s = %s", SQL.identifier(setting), value))
        cr.execute(SQL("CREATE TEMPORARY TABLE %s AS %s", table, self._evaluate_sql()))
        for setting in ("work_mem", "enable_nestloop", "jit"):
            cr.execute(SQL("RESET %s", SQL.identifier(setting)))
        cr.execute(SQL("CREATE INDEX ON %s (partner_id)", table))
        cr.execute(SQL("ANALYZE %s", table))
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT partner_id FROM %s
                    WHERE days_overdue >= %s ORDER BY partner_id""",
                table,
                min_days,
            )
        )
        return [partner_id for (partner_id,) in rows]

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

        Read from the run's evaluation table when the run prepared one, else
        evaluated now (a reminder sent by hand, a preview).
        """
        table = self.env.context.get("collection_evaluation_table")
        if table:
            source = SQL(
                "SELECT * FROM %s WHERE partner_id = ANY(%s)",
                SQL.identifier(table),
                list(partner_ids),
            )
        else:
            self._flush_evaluation()
            source = self._evaluate_sql(partner_ids)
        return self.env.execute_query(
            SQL(
                """SELECT partner_id, move_id, days_overdue, net_amount::float8, due_date,
                          level_id, level_date
                     FROM (%s) evaluation
                    ORDER BY partner_id, due_date, move_id""",
                source,
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
            decision = dunning.decide(levels, invoices, self.date)
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
        """
        # Lock first, then evaluate what is locked: a customer another worker
        # holds is skipped (that worker reminds it), and what we read about the
        # customers we hold cannot change under us.
        locked = self.env["res.partner"].browse(partner_ids).try_lock_for_update()
        decisions = self._evaluate(locked.ids)
        if not decisions:
            return
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

    def _record_failure(self, partner, error):
        """Note a customer's failure on the customer and on the run."""
        _logger.warning("Dunning failed for partner %s: %s", partner.id, error)
        message = self.env._(
            "The dunning run of %(date)s could not remind this customer: %(error)s",
            date=fields.Date.to_string(self.date),
            error=str(error) or error.__class__.__name__,
        )
        partner.sudo().message_post(body=message, subtype_xmlid="mail.mt_note")
        self.write(
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
        communications.filtered(lambda c: not c.level_id.review_required).sudo()._deliver()
        return communications
