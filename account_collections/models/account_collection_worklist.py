import datetime

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, split_every

from ..engine import scoring

#: How far back the payment history and broken promises count.
HISTORY_DAYS = 365

#: Customers flagged per batch by the daily cash-on-delivery check.
COD_BATCH_SIZE = 1000


class AccountCollectionWorklist(models.Model):
    """The collector's daily worklist: one row per customer needing action.

    A customer is on it when it owes an overdue amount that dunning may act
    on (seam 1 with the reasons of seam 2 applied: disputed or promised
    invoices wait). Rows are ordered by the cash expected from acting today,
    ``engine.scoring``; the score's parts are stored with the row to say why
    the customer is there. The list is rebuilt per company once a day when it
    is opened (and by "Refresh"), set-based: a fixed number of queries
    whatever the number of customers.
    """

    _name = "account.collection.worklist"
    _description = "Collections: worklist of customers to act on"
    # a customer contacted today has had its turn: it drops below the others
    _order = (
        "contacted_today, cash_on_delivery_count desc, score desc, total_overdue desc, partner_id"
    )
    _rec_name = "partner_id"
    _check_company_auto = True
    # rebuilt daily by one set-based statement: who and when is the date
    _log_access = False

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    collector_id = fields.Many2one(
        "res.users",
        readonly=True,
        index=True,
        help="The collector assigned to the customer, or its salesperson when none is.",
    )
    date = fields.Date(readonly=True, help="The day the row was computed.")
    phone = fields.Char(related="partner_id.phone")
    last_contact_date = fields.Date(
        string="Last Contacted",
        readonly=True,
        help="The day of the last call logged or communication sent to the customer.",
    )
    last_contact = fields.Char(
        readonly=True, help="What the last contact was: a call and its outcome, or what was sent."
    )
    contacted_today = fields.Boolean(
        readonly=True,
        help="Called or sent something today: the customer drops below those not contacted yet.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    total_overdue = fields.Monetary(
        string="To Collect",
        readonly=True,
        help="Overdue amount dunning may act on: disputed and promised invoices left out, "
        "credits applied.",
    )
    days_overdue = fields.Integer(readonly=True, help="Days overdue of the oldest invoice owed.")
    overdue_count = fields.Integer(string="Overdue Invoices", readonly=True)
    avg_days_late = fields.Float(
        string="Average Days Late",
        readonly=True,
        digits=(16, 1),
        help="How late the customer paid its invoices over the last twelve months; empty "
        "when it paid none (no payment history).",
    )
    payment_history = fields.Boolean(
        readonly=True,
        help="The customer paid invoices over the last twelve months, so its average days "
        "late says something.",
    )
    cash_on_delivery_count = fields.Integer(
        string="Unpaid Cash on Delivery",
        readonly=True,
        help="Invoices under a cash-on-delivery payment term still unpaid the company's "
        "cash-on-delivery days after their invoice date: such customers come first.",
    )
    broken_promise_count = fields.Integer(string="Broken Promises", readonly=True)
    open_dispute_count = fields.Integer(string="Open Disputes", readonly=True)
    days_factor = fields.Float(readonly=True, digits=(16, 4))
    history_factor = fields.Float(readonly=True, digits=(16, 4))
    promise_factor = fields.Float(readonly=True, digits=(16, 4))
    dispute_factor = fields.Float(readonly=True, digits=(16, 4))
    probability = fields.Float(
        readonly=True, digits=(16, 4), help="Chance of collecting, from the four factors."
    )
    score = fields.Monetary(
        string="Expected Cash",
        readonly=True,
        help="Amount to collect times the chance of collecting it: who to call first.",
    )
    explanation = fields.Html(
        string="Why This Customer Is Here", compute="_compute_explanation", sanitize=False
    )
    activity_date_deadline = fields.Date(
        related="partner_id.activity_date_deadline", string="Next Activity"
    )
    activity_summary = fields.Char(related="partner_id.activity_summary", string="Activity")
    activity_id = fields.Many2one(
        "mail.activity",
        string="Next Follow-up",
        compute="_compute_activity_id",
        help="The customer's earliest open activity (a dunning level's follow-up, a call "
        "to return...): completing it from the worklist asks for the call's outcome.",
    )

    _company_partner_unique = models.UniqueIndex("(company_id, partner_id)")

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("score", "probability")
    def _compute_explanation(self):
        for row in self:
            row.explanation = self._explain(row._read_score_values(), row.currency_id)

    def _compute_activity_id(self):
        activities = self.env["mail.activity"].search_fetch(
            [("res_model", "=", "res.partner"), ("res_id", "in", self.partner_id.ids)],
            ["res_id", "date_deadline"],
            order="date_deadline, id",
        )
        first = {}
        for activity in activities:
            first.setdefault(activity.res_id, activity)
        for row in self:
            row.activity_id = first.get(row.partner_id.id, False)

    def _read_score_values(self):
        self.ensure_one()
        return {
            name: self[name]
            for name in (
                "total_overdue",
                "days_overdue",
                "overdue_count",
                "cash_on_delivery_count",
                "avg_days_late",
                "payment_history",
                "broken_promise_count",
                "open_dispute_count",
                "days_factor",
                "history_factor",
                "promise_factor",
                "dispute_factor",
                "probability",
                "score",
            )
        }

    # ------------------------------------------------------------------
    # BUSINESS: actions
    # ------------------------------------------------------------------

    @api.model
    def action_open_worklist(self):
        """The worklist, rebuilt first when it is not from today."""
        self._check_collections_user()
        companies = self.env.companies
        stale = companies.filtered(
            lambda company: (
                company.collection_worklist_date
                != self.env["account.collection.open.item"]._company_today(company)
            )
        )
        if stale:
            self._refresh(stale)
        return self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_worklist"
        )

    @api.model
    def _cron_refresh_worklist(self):
        """Rebuild every company's worklist before the collectors start their day."""
        open_items = self.env["account.collection.open.item"]
        companies = self.env["res.company"].search([("active", "=", True)])
        stale = companies.filtered(
            lambda company: company.collection_worklist_date != open_items._company_today(company)
        )
        self.env["ir.cron"]._commit_progress(remaining=len(stale))
        for company in stale:
            self._refresh(company)
            if self.env["ir.cron"]._commit_progress(1) <= 0:
                return

    @api.model
    def action_refresh(self):
        """Rebuild the worklist of the current companies now."""
        self._check_collections_user()
        self._refresh(self.env.companies)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_open_customer(self):
        """Open the customer's form."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "views": [(False, "form")],
            "context": {"allowed_company_ids": self.company_id.ids},
        }

    def action_log_call(self):
        """Log a call with this customer."""
        self.ensure_one()
        return self.partner_id.with_company(self.company_id).action_log_collection_call()

    def action_complete_activity(self):
        """Complete the customer's next follow-up: log the call it was about."""
        self.ensure_one()
        action = self.action_log_call()
        if self.activity_id:
            action["context"] = dict(action["context"], collection_activity_id=self.activity_id.id)
        return action

    def action_propose_writeoff(self):
        """Propose writing off the open invoices of the selected customers, in
        each row's company: one proposal per customer."""
        Writeoff = self.env["account.collection.writeoff"]
        writeoffs = Writeoff
        for company, rows in self.grouped("company_id").items():
            moves = Writeoff._get_proposable_moves(rows.partner_id, company)
            if moves:
                writeoffs |= Writeoff.with_company(company)._propose(moves)
        if not writeoffs:
            raise UserError(
                self.env._(
                    "No open invoice to write off (invoices already in a write-off proposal "
                    "are left out)."
                )
            )
        return writeoffs.action_open()

    def action_court_claim(self):
        """Draft a court claim for this customer's overdue invoices."""
        self.ensure_one()
        return self.partner_id.with_company(self.company_id).action_collection_claim()

    def action_assign_collector(self):
        """Assign a collector to the selected customers."""
        return self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_res_partner_assign_collector"
        ) | {
            "context": {
                "default_partner_ids": self.partner_id.ids,
                "default_company_id": (self.company_id[:1] or self.env.company).id,
            }
        }

    @api.model
    def _check_collections_user(self):
        if not self.env.su and not self.env.user.has_group(
            "account_collections.group_collections_user"
        ):
            raise AccessError(self.env._("Only collections users work the worklist."))

    # ------------------------------------------------------------------
    # BUSINESS: scores
    # ------------------------------------------------------------------

    @api.model
    def _get_scores(self, company, partners=None):
        """``{partner_id: (values, engine Score)}`` for ``company``'s customers.

        ``partners``: the customers to score; None for every customer with an
        overdue amount to act on. A fixed number of queries whatever their
        number: the open-items summary (seams 1 and 2), the payment history,
        and one ``_read_group`` each for broken promises and open disputes.
        ``values`` holds the inputs and parts, ready to show or store.
        """
        open_items = self.env["account.collection.open.item"]
        today = open_items._company_today(company)
        partner_ids = None if partners is None else partners.commercial_partner_id.ids
        if partner_ids is not None and not partner_ids:
            return {}
        open_items._flush_open_items()
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT partner_id, total_overdue, days_overdue, overdue_count
                     FROM (%s) summary
                    WHERE total_overdue > 0""",
                open_items._customer_summary_sql(
                    {company.id: today}, partner_ids, skip_excluded=True
                ),
            )
        )
        if not rows:
            return {}
        ids = [row["partner_id"] for row in rows]
        since = today - datetime.timedelta(days=HISTORY_DAYS)
        late = self._get_average_days_late(company, ids, since, today)
        broken = dict(
            self.env["account.collection.promise"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "in", ids),
                    ("state", "=", "broken"),
                    ("checked_date", ">=", since),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        disputes = dict(
            self.env["account.collection.dispute"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "in", ids),
                    ("state", "=", "open"),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        cash_on_delivery = self._get_cash_on_delivery_moves(company, ids)
        Partner = self.env["res.partner"]
        currency = company.currency_id
        factor = 10**currency.decimal_places
        result = {}
        for row in rows:
            partner = Partner.browse(row["partner_id"])
            total = currency.round(row["total_overdue"])
            data = scoring.ScoreInput(
                overdue=round(total * factor),
                days_overdue=row["days_overdue"],
                avg_days_late=late.get(row["partner_id"]),
                broken_promises=broken.get(partner, 0),
                open_disputes=disputes.get(partner, 0),
            )
            values = self._score_values(data, total, row, factor)
            values["cash_on_delivery_count"] = len(cash_on_delivery.get(row["partner_id"], ()))
            result[row["partner_id"]] = (values, data)
        return result

    @api.model
    def _get_cash_on_delivery_moves(self, company, partner_ids=None, unflagged=False):
        """``{partner_id: [move_id]}``: the company's invoices under a
        cash-on-delivery term still owed (seams 1 and 2) the company's
        cash-on-delivery days after their invoice date; one query.

        :param unflagged: only those the daily check has not flagged yet.
        """
        open_items = self.env["account.collection.open.item"]
        open_items._flush_open_items()
        self.env["account.payment.term"].flush_model(["collection_cash_on_delivery"])
        self.env["account.move"].flush_model(
            ["invoice_payment_term_id", "invoice_date", "collection_cod_flagged"]
        )
        today = open_items._company_today(company)
        rows = self.env.execute_query(
            SQL(
                """SELECT items.partner_id, items.move_id
                     FROM (%(items)s) items
                     JOIN account_move move ON move.id = items.move_id
                     JOIN account_payment_term term ON term.id = move.invoice_payment_term_id
                    WHERE term.collection_cash_on_delivery AND items.net_amount > 0
                      AND move.move_type IN ('out_invoice', 'out_receipt')
                      AND move.invoice_date <= %(limit)s
                      AND (NOT %(unflagged)s OR move.collection_cod_flagged IS NULL)
                    GROUP BY items.partner_id, items.move_id
                    ORDER BY items.partner_id, items.move_id""",
                items=open_items._open_items_sql(
                    {company.id: today}, partner_ids, skip_excluded=True
                ),
                limit=today - datetime.timedelta(days=company.collection_cod_days),
                unflagged=unflagged,
            )
        )
        result = {}
        for partner_id, move_id in rows:
            result.setdefault(partner_id, []).append(move_id)
        return result

    @api.model
    def _cron_check_cash_on_delivery(self):
        """Daily: each cash-on-delivery invoice found unpaid gets one activity
        for the customer's collector, once, and its customer goes to the top
        of the worklist now."""
        cron = self.env["ir.cron"]
        for company in self.env["res.company"].search([("active", "=", True)]):
            found = self.with_company(company)._get_cash_on_delivery_moves(company, unflagged=True)
            remaining = len(found)
            for batch in split_every(COD_BATCH_SIZE, sorted(found)):
                partners = self.env["res.partner"].browse(batch).try_lock_for_update()
                if partners:
                    with self.env.cr.savepoint():
                        self.with_company(company)._flag_cash_on_delivery(
                            company, partners, {p: found[p] for p in partners.ids}
                        )
                remaining -= len(batch)
                if cron._commit_progress(len(batch), remaining=remaining) <= 0:
                    return

    @api.model
    def _flag_cash_on_delivery(self, company, partners, moves_by_partner):
        """The activities and the flag of ``moves_by_partner``'s invoices, and
        the worklist rows of ``partners`` rebuilt."""
        activity_type = self.env.ref(
            "account_collections.mail_activity_type_cash_on_delivery", raise_if_not_found=False
        )
        today = self.env["account.collection.open.item"]._company_today(company)
        model_id = self.env["ir.model"]._get_id("account.move")
        moves = self.env["account.move"].browse(
            [move_id for move_ids in moves_by_partner.values() for move_id in move_ids]
        )
        names = dict(zip(moves.ids, moves.mapped("name"), strict=True))
        vals_list = []
        for partner in partners.with_company(company):
            collector = partner.collection_collector_id or self.env.user
            for move_id in moves_by_partner[partner.id]:
                vals_list.append(
                    {
                        "res_model_id": model_id,
                        "res_id": move_id,
                        "activity_type_id": activity_type.id if activity_type else False,
                        "summary": self.env._("Cash on delivery unpaid"),
                        "note": self.env._(
                            "%(invoice)s was due on delivery and is still unpaid.",
                            invoice=names[move_id],
                        ),
                        "user_id": collector.id,
                        "date_deadline": today,
                    }
                )
        self.env["mail.activity"].sudo().create(vals_list)
        moves.sudo().write({"collection_cod_flagged": today})
        self.sudo()._refresh(company, partners)

    @api.model
    def _score_values(self, data, total, row, factor):
        """Field values of a row: the inputs and the score's parts."""
        result = scoring.score(data)
        return {
            "total_overdue": total,
            "days_overdue": data.days_overdue,
            "overdue_count": row["overdue_count"],
            "avg_days_late": data.avg_days_late or 0.0,
            "payment_history": data.avg_days_late is not None,
            "broken_promise_count": data.broken_promises,
            "open_dispute_count": data.open_disputes,
            "days_factor": result.days_factor,
            "history_factor": result.history_factor,
            "promise_factor": result.promise_factor,
            "dispute_factor": result.dispute_factor,
            "probability": result.probability,
            "score": result.score / factor,
        }

    @api.model
    def _get_average_days_late(self, company, partner_ids, since, today):
        """``{partner_id: days}``: average days late of the invoices paid in the period.

        An invoice line counts once it is fully settled; its days late are
        the days between its due date and its last settlement, 0 when paid on
        time. One query for all the customers.
        """
        open_items = self.env["account.collection.open.item"]
        rows = self.env.execute_query(
            SQL(
                """SELECT partner.commercial_partner_id,
                          AVG(GREATEST(settled.day - COALESCE(aml.date_maturity, aml.date), 0))
                     FROM account_move_line aml
                     JOIN account_account aml_account ON aml_account.id = aml.account_id
                     JOIN res_partner partner ON partner.id = aml.partner_id
                     JOIN LATERAL (
                          SELECT MAX(pr.max_date) AS day FROM account_partial_reconcile pr
                           WHERE pr.debit_move_id = aml.id
                     ) settled ON TRUE
                    WHERE aml.company_id = %(company)s AND aml.reconciled AND aml.balance > 0
                      AND %(receivable)s
                      AND partner.commercial_partner_id = ANY(%(partners)s)
                      AND settled.day BETWEEN %(since)s AND %(today)s
                    GROUP BY partner.commercial_partner_id""",
                company=company.id,
                receivable=open_items._get_receivable_domain_sql("aml"),
                partners=list(partner_ids),
                since=since,
                today=today,
            )
        )
        return {partner_id: float(days) for partner_id, days in rows}

    @api.model
    def _get_last_contacts(self, company, partner_ids, today):
        """``{partner_id: values}``: the last contact with each customer, one query.

        A contact is a call logged (on its day in the company's time zone) or a
        communication sent; on the same day the call wins, since it says more
        about where the customer stands.
        """
        if not partner_ids:
            return {}
        self.env["account.collection.call"].flush_model(
            ["company_id", "partner_id", "date", "outcome", "logged"]
        )
        self.env["account.collection.communication"].flush_model(
            ["company_id", "partner_id", "date", "kind", "level_id", "state"]
        )
        tz = company.partner_id.tz or self.env.context.get("tz") or self.env.user.tz or "UTC"
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT DISTINCT ON (partner_id) partner_id, day, is_call, outcome, kind, level_id
                     FROM (
                          SELECT partner_id, (date AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date
                                 AS day, TRUE AS is_call, outcome, NULL AS kind,
                                 NULL::int AS level_id, id
                            FROM account_collection_call
                           WHERE company_id = %(company)s AND logged
                             AND partner_id = ANY(%(partners)s)
                          UNION ALL
                          SELECT partner_id, date, FALSE, NULL, kind, level_id, id
                            FROM account_collection_communication
                           WHERE company_id = %(company)s AND state = 'sent'
                             AND partner_id = ANY(%(partners)s)
                     ) contact
                    WHERE day <= %(today)s
                    ORDER BY partner_id, day DESC, is_call DESC, id DESC""",
                tz=tz if tz in pytz.all_timezones_set else "UTC",
                company=company.id,
                partners=list(partner_ids),
                today=today,
            )
        )
        outcomes = dict(
            self.env["account.collection.call"]._fields["outcome"]._description_selection(self.env)
        )
        kinds = dict(
            self.env["account.collection.communication"]
            ._fields["kind"]
            ._description_selection(self.env)
        )
        levels = self.env["account.collection.level"].browse(
            {row["level_id"] for row in rows if row["level_id"]}
        )
        level_names = dict(zip(levels.ids, levels.mapped("name"), strict=True))
        result = {}
        for row in rows:
            if row["is_call"]:
                what = outcomes.get(row["outcome"], row["outcome"])
                label = (
                    self.env._("Called today: %(outcome)s", outcome=what)
                    if row["day"] == today
                    else self.env._("Call: %(outcome)s", outcome=what)
                )
            else:
                label = level_names.get(row["level_id"]) or kinds.get(row["kind"], row["kind"])
            result[row["partner_id"]] = {
                "last_contact_date": row["day"],
                "last_contact": label,
                "contacted_today": row["day"] == today,
            }
        return result

    @api.model
    def _refresh(self, companies, partners=None):
        """Rebuild the rows of ``companies`` (only ``partners``' rows when given).

        Rows are derived data, rewritten with one DELETE and one INSERT per
        company, whatever the number of customers.
        """
        open_items = self.env["account.collection.open.item"]
        self.flush_model()
        columns = {
            "company_id": "int4",
            "partner_id": "int4",
            "collector_id": "int4",
            "date": "date",
            "total_overdue": "numeric",
            "days_overdue": "int4",
            "overdue_count": "int4",
            "cash_on_delivery_count": "int4",
            "avg_days_late": "float8",
            "payment_history": "bool",
            "last_contact_date": "date",
            "last_contact": "varchar",
            "contacted_today": "bool",
            "broken_promise_count": "int4",
            "open_dispute_count": "int4",
            "days_factor": "float8",
            "history_factor": "float8",
            "promise_factor": "float8",
            "dispute_factor": "float8",
            "probability": "float8",
            "score": "numeric",
        }
        table = SQL.identifier(self._table)
        for company in companies:
            today = open_items._company_today(company)
            scores = self._get_scores(company, partners)
            condition = SQL("company_id = %s", company.id)
            if partners is not None:
                condition = SQL(
                    "%s AND partner_id = ANY(%s)", condition, partners.commercial_partner_id.ids
                )
            self.env.execute_query(SQL("DELETE FROM %s WHERE %s", table, condition))
            customers = self.env["res.partner"].browse(list(scores)).with_company(company)
            customers.fetch(["collector_id", "user_id"])
            contacts = self._get_last_contacts(company, customers.ids, today)
            values = {name: [] for name in columns}
            for customer in customers:
                row = {
                    **scores[customer.id][0],
                    "company_id": company.id,
                    "partner_id": customer.id,
                    "collector_id": (customer.collector_id or customer.user_id).id or None,
                    "date": today,
                    "last_contact_date": None,
                    "last_contact": None,
                    "contacted_today": False,
                    **contacts.get(customer.id, {}),
                }
                for name in columns:
                    values[name].append(row[name])
            if customers:
                self.env.execute_query(
                    SQL(
                        "INSERT INTO %s (%s) SELECT * FROM unnest(%s)",
                        table,
                        SQL(", ").join(SQL.identifier(name) for name in columns),
                        SQL(", ").join(
                            SQL("%s::%s[]", values[name], SQL(kind))
                            for name, kind in columns.items()
                        ),
                    )
                )
            if partners is None:
                company.sudo().collection_worklist_date = today
        self.invalidate_model()
        return True

    @api.model
    def _sync_collectors(self, partners, company):
        """Show a new collector on the worklist rows of ``partners`` at once."""
        rows = self.sudo().search(
            [("company_id", "=", company.id), ("partner_id", "in", partners.ids)]
        )
        for collector, group in rows.grouped(
            lambda row: (
                row.partner_id.with_company(company).collector_id
                or row.partner_id.with_company(company).user_id
            )
        ).items():
            group.write({"collector_id": collector.id})

    # ------------------------------------------------------------------
    # BUSINESS: explanation
    # ------------------------------------------------------------------

    @api.model
    def _explain(self, values, currency):
        """HTML saying why a customer is on the worklist, part by part."""
        if not values or not values.get("total_overdue"):
            return Markup("<p>%s</p>") % self.env._("Nothing overdue to act on.")

        def item(text, factor):
            return Markup("<li>%s <strong>&#215; %s</strong></li>") % (text, f"{factor:.2f}")

        parts = []
        if values.get("cash_on_delivery_count"):
            parts.append(
                Markup("<li><strong>%s</strong></li>")
                % self.env._(
                    "%(count)s cash-on-delivery invoices still unpaid: first on the list",
                    count=values["cash_on_delivery_count"],
                )
            )
        parts += [
            item(
                self.env._(
                    "%(amount)s overdue to act on (%(count)s invoices, the oldest "
                    "%(days)s days overdue)",
                    amount=currency.format(values["total_overdue"]),
                    count=values["overdue_count"],
                    days=values["days_overdue"],
                ),
                values["days_factor"],
            ),
            item(
                self.env._(
                    "Pays %(days)s days late on average over the last twelve months",
                    days=f"{values['avg_days_late']:.0f}",
                )
                if values["avg_days_late"]
                else self.env._("Paid on time over the last twelve months")
                if values.get("payment_history")
                else self.env._("No payment history: paid no invoice over the last twelve months"),
                values["history_factor"],
            ),
            item(
                self.env._(
                    "%(count)s broken promises to pay in the last twelve months",
                    count=values["broken_promise_count"],
                ),
                values["promise_factor"],
            ),
            item(
                self.env._("%(count)s open disputes", count=values["open_dispute_count"]),
                values["dispute_factor"],
            ),
        ]
        return Markup("<ul>%s</ul><p>%s</p>") % (
            Markup("").join(parts),
            self.env._(
                "Chance of collecting: %(probability)s%%, expected cash from acting "
                "today: %(score)s.",
                probability=f"{values['probability'] * 100:.0f}",
                score=currency.format(values["score"]),
            ),
        )
