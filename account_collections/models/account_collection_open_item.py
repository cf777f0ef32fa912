import pytz

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine.aging import DEFAULT_BUCKETS


class AccountCollectionOpenItem(models.AbstractModel):
    """Seam 1: what is open for whom, how late, as of a date.

    Every feature that needs open receivables (the overview, the dunning
    evaluation, the worklist, holds, reports) reads them through the SQL built
    here, so there is one definition of an open item:

    * a posted, not fully reconciled line on a trade receivable account;
    * each due line of an instalment payment term is its own item;
    * its open amount in company currency (and in its own currency);
    * its days overdue as of the company's date (negative when not yet due);
    * credits (credit notes, unapplied payments) net against the customer's
      oldest debits first, the rule of ``engine.netting``.

    Customers are commercial entities: lines booked on a contact count for
    the company they belong to.
    """

    _name = "account.collection.open.item"
    _description = "Collections: open receivable items"

    #: The stored fields the open-items SQL reads; flushed before it runs.
    OPEN_ITEM_DEPENDS = {
        "account.move.line": [
            "account_id",
            "amount_currency",
            "amount_residual",
            "amount_residual_currency",
            "balance",
            "company_id",
            "currency_id",
            "date",
            "date_maturity",
            "invoice_date",
            "move_id",
            "parent_state",
            "partner_id",
            "reconciled",
        ],
        "account.partial.reconcile": [
            "amount",
            "credit_amount_currency",
            "credit_move_id",
            "debit_amount_currency",
            "debit_move_id",
            "max_date",
        ],
        "account.account": ["account_type", "non_trade"],
        "account.move": ["collection_excluded", "collection_disputed"],
        "res.partner": ["commercial_partner_id", "collection_excluded"],
        "account.collection.promise": ["state", "move_ids"],
    }

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model
    def _company_today(self, company):
        """Today's date in the company's time zone (its address's zone).

        Falls back to the user's zone, then UTC. Runs and the overview use it
        so that a company in Auckland does not age its invoices a day late.
        """
        tz_name = company.partner_id.tz or self.env.context.get("tz") or self.env.user.tz
        tz = pytz.timezone(tz_name) if tz_name in pytz.all_timezones_set else pytz.utc
        return fields.Datetime.now().replace(tzinfo=pytz.utc).astimezone(tz).date()

    @api.model
    def _flush_open_items(self):
        """Write pending changes the open-items SQL depends on to the database."""
        for model_name, field_names in self.OPEN_ITEM_DEPENDS.items():
            self.env[model_name].flush_model(field_names)

    @api.model
    def _execute_report_query(self, query):
        """Run a report's one big statement over the open items; return its rows.

        Just-in-time compilation is switched off for it: the planner's
        estimates of the computed open amounts are high enough to trigger it,
        and compiling costs seconds where the query itself takes a fraction.
        """
        cr = self.env.cr
        cr.execute(SQL("SET LOCAL jit = off"))
        try:
            return self.env.execute_query(query)
        finally:
            cr.execute(SQL("RESET jit"))

    @api.model
    def _as_of_dates(self, companies, as_of=None):
        """``{company_id: date}``: ``as_of`` for all, or each company's today."""
        return {company.id: as_of or self._company_today(company) for company in companies}

    @api.model
    def _get_receivable_domain_sql(self, alias, include_draft=False):
        """SQL condition selecting the lines that count as open items.

        Extension hook: add conditions (e.g. a journal to ignore) by calling
        super and combining with ``SQL(" AND ")``.

        :param include_draft: count draft entries too (the aging report's
            "posted only" switched off); the default is posted entries only.
        """
        return SQL(
            "%(state)s AND %(account)s.account_type = 'asset_receivable'"
            " AND %(account)s.non_trade IS NOT TRUE",
            state=SQL(
                "%s.parent_state IN ('posted', 'draft')"
                if include_draft
                else "%s.parent_state = 'posted'",
                SQL.identifier(alias),
            ),
            account=SQL.identifier(f"{alias}_account"),
        )

    @api.model
    def _get_exclusion_reasons(self):
        """Seam 2: why an invoice (or customer) is out of dunning.

        ``[(code, label, condition)]``: ``condition`` is SQL over the aliases
        ``aml`` (the receivable line), ``move`` (its entry) and ``customer``
        (the commercial partner). Features add their reason by overriding
        this hook; the evaluation leaves out every debit line for which any
        condition holds (credits still net off), and the forms show the
        labels.
        """
        return [
            (
                "invoice_excluded",
                self.env._("Excluded from dunning by hand"),
                SQL("move.collection_excluded IS TRUE"),
            ),
            ("disputed", self.env._("Disputed"), SQL("move.collection_disputed IS TRUE")),
            (
                "promised",
                self.env._("Promised to pay"),
                SQL(
                    """move.id IN (SELECT rel.move_id
                                     FROM account_collection_promise_move_rel rel
                                     JOIN account_collection_promise promise
                                       ON promise.id = rel.promise_id
                                    WHERE promise.state = 'open')"""
                ),
            ),
            (
                "customer_excluded",
                self.env._("Customer excluded from dunning"),
                SQL("customer.collection_excluded IS TRUE"),
            ),
        ]

    @api.model
    def _excluded_moves_sql(self):
        """SQL yielding the ids of the entries out of dunning, for any reason.

        One branch per reason, so that each is planned on its own (an index
        on a flag, a semi-join for an ``EXISTS``); the ledger scan then
        anti-joins this small set instead of reading every entry it meets.
        The customer is the entry's commercial partner.
        """
        reasons = self._get_exclusion_reasons()
        if not reasons:
            return SQL("SELECT NULL::int4 AS id WHERE FALSE")
        return SQL(" UNION ").join(
            SQL(
                """SELECT move.id FROM account_move move
                     JOIN res_partner customer ON customer.id = move.commercial_partner_id
                    WHERE %s""",
                condition,
            )
            for _code, _label, condition in reasons
        )

    @api.model
    def _get_exclusion_reasons_by_move(self, moves):
        """``{move_id: [label, ...]}``: why each of ``moves`` is out of dunning."""
        reasons = self._get_exclusion_reasons()
        if not moves or not reasons:
            return {}
        self._flush_open_items()
        rows = self.env.execute_query(
            SQL(
                """SELECT move.id, %(flags)s
                     FROM account_move move
                     JOIN account_move_line aml ON aml.move_id = move.id
                     JOIN res_partner partner ON partner.id = move.partner_id
                     JOIN res_partner customer ON customer.id = partner.commercial_partner_id
                    WHERE move.id = ANY(%(ids)s)
                    GROUP BY move.id""",
                flags=SQL(", ").join(
                    SQL("bool_or(%s)", condition) for _code, _label, condition in reasons
                ),
                ids=moves.ids,
            )
        )
        return {
            row[0]: [
                label for (_code, label, _cond), flag in zip(reasons, row[1:], strict=True) if flag
            ]
            for row in rows
        }

    @api.model
    def _open_items_sql(
        self,
        as_of_dates,
        partner_ids=None,
        historical=False,
        skip_excluded=False,
        include_draft=False,
        dated=False,
    ):
        """SQL yielding one row per open item, credits netted.

        :param as_of_dates: ``{company_id: date}``; only those companies.
        :param partner_ids: commercial partner ids to restrict to, or None.
        :param historical: compute open amounts as they were on the as-of
            date (payments reconciled later are ignored, lines booked later
            excluded) instead of the current residual amounts.
        :param skip_excluded: leave out the debit lines that are out of
            dunning (seam 2); credits still net against what remains.
        :param include_draft: draft entries count too (reports only; draft
            lines are never reconciled, so their whole amount is open).
        :param dated: without ``historical``, leave out the lines dated after
            the as-of date too: with no reconciliation dated after it, the
            current residuals are the amounts open that day, read without the
            historical probe (a report as of today or later).
        :return: SQL with columns id, move_id, company_id, partner_id,
            currency_id, due_date, invoice_date (the entry's invoice date, or
            the due date when it has none: payments, manual entries),
            amount (company currency, signed),
            amount_currency, days_overdue, net_amount (what is still owed on a
            debit once the customer's credits are applied oldest first; 0 on
            credits).
        """
        as_of_values = SQL(", ").join(
            SQL("(%s, %s::date)", company_id, day) for company_id, day in as_of_dates.items()
        )
        partner_filter = SQL()
        if partner_ids is not None:
            partner_filter = SQL(
                " AND aml.partner_id IN"
                " (SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s))",
                list(partner_ids),
            )
        if historical:
            # what was settled on each line on or before the as-of date, in
            # one probe per line (both sides of the partial reconciliations)
            settled_join = SQL(
                """LEFT JOIN LATERAL (
                       SELECT COALESCE(SUM(CASE WHEN pr.debit_move_id = aml.id
                                                THEN pr.amount ELSE -pr.amount END), 0)
                                  AS amount,
                              COALESCE(SUM(CASE WHEN pr.debit_move_id = aml.id
                                                THEN pr.debit_amount_currency
                                                ELSE -pr.credit_amount_currency END), 0)
                                  AS amount_currency
                         FROM account_partial_reconcile pr
                        WHERE (pr.debit_move_id = aml.id OR pr.credit_move_id = aml.id)
                          AND pr.max_date <= a.day
                   ) settled ON TRUE"""
            )
            amount = SQL("aml.balance - settled.amount")
            amount_currency = SQL("aml.amount_currency - settled.amount_currency")
            # A line reconciled in full was open on the day only if part of
            # its reconciliation came later; the others would come out at 0:
            # leave them out before computing anything (most of a ledger).
            open_filter = SQL(
                """aml.date <= a.day AND (aml.reconciled IS NOT TRUE OR aml.id IN (
                       SELECT pr.debit_move_id FROM account_partial_reconcile pr
                        WHERE pr.max_date > %(first_day)s
                       UNION ALL
                       SELECT pr.credit_move_id FROM account_partial_reconcile pr
                        WHERE pr.max_date > %(first_day)s))""",
                first_day=min(as_of_dates.values()),
            )
        else:
            settled_join = SQL()
            amount = SQL("aml.amount_residual")
            amount_currency = SQL("aml.amount_residual_currency")
            open_filter = SQL("aml.reconciled IS NOT TRUE AND aml.amount_residual != 0")
            if dated:
                open_filter = SQL("%s AND aml.date <= a.day", open_filter)
        return SQL(
            """
            WITH as_of(company_id, day) AS (VALUES %(as_of_values)s),
            lines AS (
                SELECT aml.id, aml.move_id, aml.company_id,
                       partner.commercial_partner_id AS partner_id,
                       aml.currency_id,
                       COALESCE(aml.date_maturity, aml.date) AS due_date,
                       COALESCE(aml.invoice_date, aml.date_maturity, aml.date) AS invoice_date,
                       %(amount)s AS amount,
                       %(amount_currency)s AS amount_currency,
                       a.day - COALESCE(aml.date_maturity, aml.date) AS days_overdue
                  FROM account_move_line aml
                  JOIN as_of a ON a.company_id = aml.company_id
                  JOIN account_account aml_account ON aml_account.id = aml.account_id
                  JOIN res_partner partner ON partner.id = aml.partner_id
                  %(exclusion_join)s
                  %(settled_join)s
                 WHERE %(receivable)s AND %(open_filter)s %(partner_filter)s %(excluded_filter)s
            ),
            open_lines AS (
                SELECT * FROM lines WHERE amount != 0
            ),
            -- credits net against the customer's oldest debits first: only
            -- the (few) customers holding a credit need the running total
            credits AS (
                SELECT company_id, partner_id, SUM(-amount) AS credit
                  FROM open_lines WHERE amount < 0
                 GROUP BY company_id, partner_id
            ),
            netted AS (
                SELECT l.id,
                       l.amount - LEAST(l.amount, GREATEST(c.credit - COALESCE(SUM(l.amount) OVER (
                           PARTITION BY l.company_id, l.partner_id ORDER BY l.due_date, l.id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                       ), 0), 0)) AS net_amount
                  FROM open_lines l
                  JOIN credits c ON c.company_id = l.company_id AND c.partner_id = l.partner_id
                 WHERE l.amount > 0
            )
            SELECT l.id, l.move_id, l.company_id, l.partner_id, l.currency_id, l.due_date,
                   l.invoice_date, l.amount, l.amount_currency, l.days_overdue,
                   CASE WHEN l.amount > 0 THEN COALESCE(n.net_amount, l.amount)
                        ELSE 0 END AS net_amount
              FROM open_lines l
              LEFT JOIN netted n ON n.id = l.id
            """,
            as_of_values=as_of_values,
            settled_join=settled_join,
            amount=amount,
            amount_currency=amount_currency,
            receivable=self._get_receivable_domain_sql("aml", include_draft=include_draft),
            open_filter=open_filter,
            partner_filter=partner_filter,
            # debits of entries out of dunning are left out (anti-join with the
            # small set of excluded entries); credits still net off
            exclusion_join=(
                SQL(
                    "LEFT JOIN (%s) excluded ON excluded.id = aml.move_id",
                    self._excluded_moves_sql(),
                )
                if skip_excluded
                else SQL()
            ),
            excluded_filter=(
                SQL("AND (excluded.id IS NULL OR aml.balance <= 0)") if skip_excluded else SQL()
            ),
        )

    @api.model
    def _bucket_columns_sql(self, buckets=DEFAULT_BUCKETS, prefix="amount_"):
        """One ``SUM(...) AS amount_<key>`` column per overdue bucket.

        The first ("current") bucket is left out: the summary computes it as
        what remains of the balance, so leftover credit shows there.
        """
        columns = []
        for bucket in buckets[1:]:
            condition = SQL("days_overdue >= %s", bucket.low)
            if bucket.high is not None:
                condition = SQL("%s AND days_overdue <= %s", condition, bucket.high)
            columns.append(
                SQL(
                    "COALESCE(SUM(net_amount) FILTER (WHERE %s), 0) AS %s",
                    condition,
                    SQL.identifier(prefix + bucket.key),
                )
            )
        return SQL(", ").join(columns)

    @api.model
    def _customer_summary_sql(
        self, as_of_dates, partner_ids=None, historical=False, skip_excluded=False
    ):
        """SQL yielding one row per (company, customer) with anything open.

        ``skip_excluded`` leaves out the invoices out of dunning (seam 2), as
        :meth:`_open_items_sql` does: what remains is what a collector can act on.

        Columns: company_id, partner_id, total_due (net balance),
        total_overdue (netted, past due), days_overdue (oldest item still
        owed), oldest_due_date, overdue_count (invoices with an overdue
        amount), amount_current and one amount_<bucket key> per bucket.
        """
        return SQL(
            """
            SELECT company_id, partner_id,
                   SUM(amount) AS total_due,
                   COALESCE(SUM(net_amount) FILTER (WHERE days_overdue > 0), 0) AS total_overdue,
                   COALESCE(MAX(days_overdue) FILTER (WHERE owed), 0) AS days_overdue,
                   MIN(due_date) FILTER (WHERE owed) AS oldest_due_date,
                   COUNT(DISTINCT move_id) FILTER (WHERE owed)
                       AS overdue_count,
                   SUM(amount) - COALESCE(SUM(net_amount) FILTER (WHERE days_overdue > 0), 0)
                       AS amount_current,
                   %(buckets)s
              FROM (SELECT *, days_overdue > 0 AND net_amount > 0 AS owed
                      FROM (%(items)s) all_items) items
             GROUP BY company_id, partner_id
            """,
            buckets=self._bucket_columns_sql(),
            items=self._open_items_sql(
                as_of_dates, partner_ids, historical, skip_excluded=skip_excluded
            ),
        )

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    @api.model
    def _get_customer_summaries(self, partners, companies, as_of=None):
        """``{(company_id, partner_id): row dict}`` for the given customers.

        One query for the whole batch, whatever its size. Amounts are rounded
        to each company's currency. ``as_of`` in the past gives the position
        as it was that day.
        """
        commercial_ids = partners.commercial_partner_id.ids
        if not commercial_ids or not companies:
            return {}
        self._flush_open_items()
        as_of_dates = self._as_of_dates(companies, as_of)
        historical = bool(as_of) and any(
            as_of < self._company_today(company) for company in companies
        )
        self.env.cr.execute(self._customer_summary_sql(as_of_dates, commercial_ids, historical))
        currencies = {company.id: company.currency_id for company in companies}
        summaries = {}
        for row in self.env.cr.dictfetchall():
            currency = currencies[row["company_id"]]
            for key, value in row.items():
                if key == "total_due" or key.startswith(("amount_", "total_")):
                    row[key] = currency.round(value or 0.0)
            summaries[row["company_id"], row["partner_id"]] = row
        return summaries
