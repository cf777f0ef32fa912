import logging

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import kpi

_logger = logging.getLogger(__name__)

#: Months of history a company gets when it has none yet, and the most the
#: count-back DSO looks back over.
HISTORY_MONTHS = 12

#: The indicators a snapshot stores, NULL when they cannot be computed.
KPI_FIELDS = ("dso", "dso_count_back", "best_possible_dso", "add", "cei", "percentage_current")


class AccountCollectionKpiSnapshot(models.Model):
    """The receivables and collection KPIs of a company at a month's end.

    One row per company and month (``collector_id`` empty), plus one per
    collector (the customers that collector is assigned to today). Taken by
    the daily scheduled action once a month has ended, and backfilled from the
    ledger's history (open items as of each month's end, seam 1 historical),
    on demand or when a company has no history yet. The figures follow the
    aging report of the same date: each open item in its own bucket by due
    date, credits included.
    """

    _name = "account.collection.kpi.snapshot"
    _inherit = ["account.collection.aging.bucket.mixin"]
    _description = "Collections: monthly KPI snapshot"
    _order = "month desc, company_id, collector_id nulls first"
    _check_company_auto = True
    _rec_name = "month"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    collector_id = fields.Many2one(
        "res.users",
        readonly=True,
        index="btree_not_null",
        help="Empty: the whole company. Otherwise the customers this collector is assigned to "
        "today, in their history.",
    )
    month = fields.Date(required=True, readonly=True, help="The first day of the month.")
    date = fields.Date(string="As of", required=True, readonly=True, help="The month's end.")
    receivables = fields.Monetary(readonly=True, aggregator="sum")
    current = fields.Monetary(readonly=True, aggregator="sum", help="Receivables not yet due.")
    overdue = fields.Monetary(readonly=True, aggregator="sum")
    begin_receivables = fields.Monetary(
        string="Receivables at Start", readonly=True, aggregator="sum"
    )
    credit_sales = fields.Monetary(
        readonly=True, aggregator="sum", help="Invoices minus credit notes dated in the month."
    )
    dso = fields.Float(
        string="DSO",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Days sales outstanding: receivables / credit sales of the last 3 months * their "
        "days.",
    )
    dso_count_back = fields.Float(
        string="DSO (Count-Back)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="How many days of the most recent sales the receivables represent.",
    )
    best_possible_dso = fields.Float(
        string="Best Possible DSO",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="The DSO counting only receivables not yet due.",
    )
    add = fields.Float(
        string="ADD",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Average days delinquent: DSO minus best possible DSO.",
    )
    cei = fields.Float(
        string="CEI (%)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Collection effectiveness index: of the receivables at the start plus the month's "
        "sales, the share collected, leaving out what was not yet due at its end.",
    )
    percentage_current = fields.Float(
        string="Current (%)",
        digits=(16, 1),
        readonly=True,
        aggregator="avg",
        help="Share of the receivables not yet due.",
    )
    dso_computed = fields.Boolean(
        string="DSO Computed",
        compute="_compute_dso_computed",
        search="_search_dso_computed",
        help="The month had sales, so its DSO could be computed (it is stored empty "
        "otherwise, which a graph would draw as 0).",
    )

    _one_per_company_collector_month = models.UniqueIndex(
        "(company_id, COALESCE(collector_id, 0), month)",
        "A company has one snapshot per collector and month.",
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("month", "collector_id")
    def _compute_display_name(self):
        for snapshot in self:
            parts = [snapshot.month and snapshot.month.strftime("%Y-%m")]
            if snapshot.collector_id:
                parts.append(snapshot.collector_id.name)
            snapshot.display_name = " - ".join(filter(None, parts))

    def _compute_dso_computed(self):
        # the ORM reads a stored NULL as 0.0: ask the column itself, in one query
        self.flush_recordset(["dso"])
        known = {
            snapshot_id
            for (snapshot_id,) in self.env.execute_query(
                SQL(
                    "SELECT id FROM %s WHERE id = ANY(%s) AND dso IS NOT NULL",
                    SQL.identifier(self._table),
                    self.ids,
                )
            )
        }
        for snapshot in self:
            snapshot.dso_computed = snapshot.id in known

    def _search_dso_computed(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        # Odoo 19 passes a boolean condition as ``in``/``not in`` a set of values
        wanted = (True in value) == (operator == "in")
        return Domain.custom(
            to_sql=lambda model, alias, query: SQL(
                "%s IS NOT NULL" if wanted else "%s IS NULL",
                model._field_to_sql(alias, "dso", query),
            )
        )

    # ------------------------------------------------------------------
    # BUSINESS: entry points
    # ------------------------------------------------------------------

    @api.model
    def _cron_take_snapshots(self):
        """Daily: each company's last closed month, if not taken yet.

        Companies with the monthly trends switched off are left out.
        A company without any snapshot gets its last 12 months backfilled.
        Reruns are no-ops (one snapshot per company, collector and month).
        """
        open_items = self.env["account.collection.open.item"]
        companies = self.env["res.company"].search([("collection_trends", "=", True)])
        todo = {}
        taken = {
            company.id: last
            for company, last in self._read_group(
                [("company_id", "in", companies.ids), ("collector_id", "=", False)],
                ["company_id"],
                ["month:max"],
            )
        }
        for company in companies:
            today = open_items._company_today(company)
            last_closed = kpi.add_months(today, -1)
            last_taken = taken.get(company.id)
            if last_taken is None:
                todo[company] = kpi.last_closed_months(today, HISTORY_MONTHS)
            elif last_taken < last_closed:
                months = []
                month = kpi.add_months(last_taken, 1)
                while month <= last_closed:
                    months.append(month)
                    month = kpi.add_months(month, 1)
                todo[company] = months
        self.env["ir.cron"]._commit_progress(remaining=len(todo))
        for company, months in todo.items():
            locked = company.try_lock_for_update()
            if not locked:
                continue  # another worker takes this company's snapshots
            try:
                with self.env.cr.savepoint():
                    self._take_snapshots(company, months)
            except Exception as error:  # noqa: BLE001 - recorded, the other companies go on
                _logger.warning("Collections snapshots failed for %s: %s", company.name, error)
            if self.env["ir.cron"]._commit_progress(1, remaining=len(todo)) <= 0:
                return

    @api.model
    def action_backfill(self):
        """Recompute the last 12 months of the current companies from the ledger."""
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise UserError(self.env._("Only collections managers can rebuild the trends."))
        open_items = self.env["account.collection.open.item"]
        for company in self.env.companies:
            months = kpi.last_closed_months(open_items._company_today(company), HISTORY_MONTHS)
            self._take_snapshots(company, months, replace=True)
        return {
            "type": "ir.actions.client",
            "tag": "soft_reload",
        }

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model
    def _take_snapshots(self, company, months, replace=False):
        """Create the snapshots of ``company`` for ``months`` (first days).

        :param replace: recompute months already taken; otherwise they are
            left as they are.
        :return: the snapshots created.
        """
        if not months:
            return self.browse()
        existing = self.search([("company_id", "=", company.id), ("month", "in", months)])
        if replace:
            existing.sudo().unlink()
        else:
            months = sorted(set(months) - set(existing.mapped("month")))
        values = self._get_snapshot_values(company, months)
        # the ORM stores a float as 0.0; an indicator that cannot be computed
        # (no sales for a DSO, nothing to collect for a CEI) is kept NULL,
        # so the averages of the pivot and graph leave it out
        missing = [[name for name in KPI_FIELDS if vals[name] is None] for vals in values]
        snapshots = self.sudo().create(
            [{**vals, **{name: vals[name] or 0.0 for name in KPI_FIELDS}} for vals in values]
        )
        by_fields = {}
        for snapshot, names in zip(snapshots, missing, strict=True):
            if names:
                by_fields.setdefault(tuple(names), []).append(snapshot.id)
        if by_fields:
            snapshots.flush_recordset()
            for names, ids in by_fields.items():
                self.env.execute_query(
                    SQL(
                        "UPDATE %s SET %s WHERE id = ANY(%s)",
                        SQL.identifier(self._table),
                        SQL(", ").join(SQL("%s = NULL", SQL.identifier(name)) for name in names),
                        ids,
                    )
                )
            snapshots.invalidate_recordset(list(KPI_FIELDS))
        return snapshots

    @api.model
    def _position_sql(self, company, day, buckets):
        """Receivables of ``company`` as of ``day``: a row for the company and one
        per collector. Columns: is_total, collector_id, receivables, current,
        then one amount per bucket."""
        open_items = self.env["account.collection.open.item"]
        index = self._bucket_index_sql(SQL("days"), buckets)
        bucket_sums = SQL(", ").join(
            SQL("COALESCE(SUM(amount) FILTER (WHERE %s = %s), 0)", index, position)
            for position in range(len(buckets))
        )
        return SQL(
            """
            SELECT GROUPING(collector_id) = 1 AS is_total, collector_id,
                   COALESCE(SUM(amount), 0),
                   COALESCE(SUM(amount) FILTER (WHERE days <= 0), 0),
                   %(bucket_sums)s
              FROM (SELECT items.amount, %(day)s::date - items.due_date AS days,
                           %(collector)s AS collector_id
                      FROM (%(items)s) items
                      JOIN res_partner partner ON partner.id = items.partner_id) aged
             GROUP BY GROUPING SETS ((), (collector_id))
            """,
            bucket_sums=bucket_sums,
            day=day,
            collector=self.env["account.collection.collector.history"]._collector_sql(
                SQL("partner"), SQL("%s", company.id), SQL("%s::date", day)
            ),
            items=open_items._open_items_sql({company.id: day}, historical=True),
        )

    @api.model
    def _sales_sql(self, company, date_from, date_to):
        """Credit sales per month between two dates: the company's and each collector's.

        Columns: month, is_total, collector_id, amount.
        """
        open_items = self.env["account.collection.open.item"]
        return SQL(
            """
            SELECT month, GROUPING(collector_id) = 1 AS is_total, collector_id,
                   SUM(balance)
              FROM (SELECT date_trunc('month', aml.date)::date AS month, aml.balance,
                           %(collector)s AS collector_id
                      FROM account_move_line aml
                      JOIN account_account aml_account ON aml_account.id = aml.account_id
                      JOIN account_move move ON move.id = aml.move_id
                      JOIN res_partner line_partner ON line_partner.id = aml.partner_id
                      JOIN res_partner partner ON partner.id = line_partner.commercial_partner_id
                     WHERE aml.company_id = %(company)s AND %(receivable)s
                       AND move.move_type IN ('out_invoice', 'out_refund', 'out_receipt')
                       AND aml.date BETWEEN %(date_from)s AND %(date_to)s) sales
             GROUP BY GROUPING SETS ((month), (month, collector_id))
            """,
            company=company.id,
            collector=self.env["account.collection.collector.history"]._collector_sql(
                SQL("partner"), SQL("%s", company.id), SQL("aml.date")
            ),
            receivable=open_items._get_receivable_domain_sql("aml"),
            date_from=date_from,
            date_to=date_to,
        )

    @api.model
    def _get_payment_days(self, company, partner_ids, date_to=None, months=HISTORY_MONTHS):
        """``{partner_id: (average days to pay, average days late)}`` in ``company``.

        Over the amounts reconciled with the customers' invoices in the
        ``months`` before ``date_to`` (the company's today by default) by a
        payment (credit notes and exchange differences do not count), each
        weighted by the amount: the rule of ``engine.kpi.average_days_to_pay``
        and ``average_days_late``, aggregated in one query.
        """
        if not partner_ids:
            return {}
        date_to = date_to or self.env["account.collection.open.item"]._company_today(company)
        date_from = date_to - relativedelta(months=months)
        self.env["account.collection.open.item"]._flush_open_items()
        self.env["account.move"].flush_model(["move_type", "journal_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner.commercial_partner_id, SUM(pr.amount),
                       SUM(pr.amount * (pr.max_date - COALESCE(aml.invoice_date, aml.date))),
                       SUM(pr.amount * GREATEST(
                           pr.max_date - COALESCE(aml.date_maturity, aml.date), 0))
                  FROM account_partial_reconcile pr
                  JOIN account_move_line aml ON aml.id = pr.debit_move_id
                  JOIN account_account aml_account ON aml_account.id = aml.account_id
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN account_move_line payment ON payment.id = pr.credit_move_id
                  JOIN account_move payment_move ON payment_move.id = payment.move_id
                  JOIN res_company company ON company.id = aml.company_id
                  JOIN res_partner partner ON partner.id = aml.partner_id
                 WHERE aml.company_id = %(company)s AND %(receivable)s
                   AND move.move_type IN ('out_invoice', 'out_receipt')
                   AND payment_move.move_type = 'entry'
                   AND payment_move.journal_id IS DISTINCT FROM
                       company.currency_exchange_journal_id
                   AND partner.commercial_partner_id = ANY(%(partners)s)
                   AND pr.max_date > %(date_from)s AND pr.max_date <= %(date_to)s
                 GROUP BY partner.commercial_partner_id
                """,
                company=company.id,
                receivable=self.env["account.collection.open.item"]._get_receivable_domain_sql(
                    "aml"
                ),
                partners=list(partner_ids),
                date_from=date_from,
                date_to=date_to,
            )
        )
        return {
            partner_id: (
                kpi.average_from_totals(weighted_days, paid) or 0.0,
                kpi.average_from_totals(weighted_late, paid) or 0.0,
            )
            for partner_id, paid, weighted_days, weighted_late in rows
        }

    @api.model
    def _get_snapshot_values(self, company, months):
        """Create values of the snapshots of ``company`` for ``months``.

        One open-items query per month end (and the month before the first),
        one query for the sales of all of them, whatever the number of
        customers; then the pure KPI formulas.
        """
        if not months:
            return []
        months = sorted(months)
        self.env["account.collection.open.item"]._flush_open_items()
        self.env["account.move"].flush_model(["move_type"])
        self.env["res.partner"].flush_model(["collector_id", "user_id"])
        self.env["account.collection.collector.history"].flush_model()
        buckets = company._get_collection_aging_buckets()
        currency = company.currency_id
        ends = [kpi.month_end(kpi.add_months(months[0], -1))] + [
            kpi.month_end(month) for month in months
        ]
        positions = {}  # {(day, collector_id or None): (receivables, current, buckets)}
        for day in ends:
            for is_total, collector_id, total, current, *amounts in self.env[
                "account.collection.open.item"
            ]._execute_report_query(self._position_sql(company, day, buckets)):
                if is_total or collector_id:
                    key = (day, None if is_total else collector_id)
                    positions[key] = (total, current, amounts)
        sales = {}  # {(month, collector_id or None): amount}
        rows = self.env.execute_query(
            self._sales_sql(
                company,
                kpi.add_months(months[0], -(HISTORY_MONTHS - 1)),
                kpi.month_end(months[-1]),
            )
        )
        for month, is_total, collector_id, amount in rows:
            if is_total or collector_id:
                sales[month, None if is_total else collector_id] = amount
        collectors = sorted(
            {collector for _day, collector in positions if collector}
            | {collector for _month, collector in sales if collector}
        )
        values = []
        for month in months:
            end = kpi.month_end(month)
            begin = kpi.month_end(kpi.add_months(month, -1))
            for collector_id in [None, *collectors]:
                total, current, amounts = positions.get(
                    (end, collector_id), (0.0, 0.0, [0.0] * len(buckets))
                )
                begin_total = positions.get((begin, collector_id), (0.0,))[0]
                history = [
                    kpi.add_months(month, -back) for back in range(HISTORY_MONTHS)
                ]  # newest first
                monthly_sales = tuple(
                    (sales.get((past, collector_id), 0.0), kpi.month_days(past)) for past in history
                )
                if collector_id and not total and not begin_total and not monthly_sales[0][0]:
                    continue  # nothing for this collector this month
                figures = kpi.MonthFigures(
                    begin_receivables=begin_total,
                    end_receivables=total,
                    end_current=current,
                    monthly_sales=monthly_sales,
                )
                kpis = kpi.month_kpis(figures)
                vals = {
                    "company_id": company.id,
                    "collector_id": collector_id,
                    "month": month,
                    "date": end,
                    "receivables": currency.round(total),
                    "current": currency.round(current),
                    "overdue": currency.round(total - current),
                    "begin_receivables": currency.round(begin_total),
                    "credit_sales": currency.round(monthly_sales[0][0]),
                    "dso": kpis.dso,
                    "dso_count_back": kpis.dso_count_back,
                    "best_possible_dso": kpis.best_possible_dso,
                    "add": kpis.add,
                    "cei": kpis.cei,
                    "percentage_current": kpis.percentage_current,
                }
                for position, amount in enumerate(amounts):
                    vals[f"amount_bucket_{position}"] = currency.round(amount)
                values.append(vals)
        return values
