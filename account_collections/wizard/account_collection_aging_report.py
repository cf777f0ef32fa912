import io

import xlsxwriter

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..models.account_collection_aging_bucket_mixin import MAX_BUCKETS

#: Column type of each kind of stored field of the report lines.
COLUMN_TYPES = {
    "int4": "int4",
    "date": "date",
    "varchar": "varchar",
    "numeric": "numeric",
    "float8": "float8",
    "timestamp": "timestamp",
    "bool": "bool",
    "text": "text",
}


def create_result_table(model):
    """(Re)create a report result model's table from its stored fields:
    unlogged, without foreign keys, indexed on its report."""
    table = SQL.identifier(model._table)
    columns = [SQL("id SERIAL PRIMARY KEY")]
    for name, field in model._fields.items():
        if field.store and field.column_type and name != "id":
            columns.append(
                SQL("%s %s", SQL.identifier(name), SQL(COLUMN_TYPES[field.column_type[0]]))
            )
    model.env.cr.execute(SQL("DROP TABLE IF EXISTS %s CASCADE", table))
    model.env.cr.execute(SQL("CREATE UNLOGGED TABLE %s (%s)", table, SQL(", ").join(columns)))
    model.env.cr.execute(
        SQL(
            "CREATE INDEX %s ON %s (report_id)",
            SQL.identifier(f"{model._table}_report_id_index"),
            table,
        )
    )


class AccountCollectionAgingReport(models.TransientModel):
    """The aging report: open receivables as they stood on a chosen date.

    One request fills the result lines with one INSERT ... SELECT over the
    open items (seam 1, historical), whatever the number of customers; the
    list, pivot, PDF and XLSX all read those lines, so their totals agree.
    """

    _name = "account.collection.aging.report"
    _description = "Collections: aging report"

    date = fields.Date(
        string="As of",
        required=True,
        default=lambda self: self.env["account.collection.open.item"]._company_today(
            self.env.company
        ),
        help="The receivables as they stood at the end of this day: payments reconciled "
        "after it are ignored, entries dated after it left out.",
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        help="The company whose letterhead the PDF carries.",
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        required=True,
        default=lambda self: self.env.companies,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    aged_by = fields.Selection(
        [("due_date", "Due Date"), ("invoice_date", "Invoice Date")],
        required=True,
        default="due_date",
    )
    posted_only = fields.Boolean(
        default=True, help="Leave out draft entries. Untick to see them as if posted."
    )
    collector_ids = fields.Many2many(
        "res.users",
        "account_collection_aging_report_collector_rel",
        string="Collectors",
        domain=[("share", "=", False)],
    )
    salesperson_ids = fields.Many2many(
        "res.users",
        "account_collection_aging_report_salesperson_rel",
        string="Salespersons",
        domain=[("share", "=", False)],
    )
    partner_ids = fields.Many2many("res.partner", string="Customers")
    currency_ids = fields.Many2many(
        "res.currency", string="Currencies", help="Only items in these currencies."
    )
    line_ids = fields.One2many("account.collection.aging.report.line", "report_id")

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("company_ids")
    @api.depends_context("company")
    def _compute_company_id(self):
        for report in self:
            companies = report.company_ids
            report.company_id = self.env.company if self.env.company in companies else companies[:1]

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    def action_view(self):
        """Compute the report and show it: one row per customer, with its
        buckets; opening a customer lists its open items."""
        self.ensure_one()
        self._compute_customers()
        labels = self._get_labels()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Aging as of %(date)s", date=self._format_date()),
            "res_model": "account.collection.aging.report.customer",
            "views": [
                (
                    self.env.ref(
                        "account_collections.account_collection_aging_report_customer_view_list"
                    ).id,
                    "list",
                ),
                (
                    self.env.ref(
                        "account_collections.account_collection_aging_report_customer_view_pivot"
                    ).id,
                    "pivot",
                ),
            ],
            "search_view_id": [
                self.env.ref(
                    "account_collections.account_collection_aging_report_customer_view_search"
                ).id
            ],
            "domain": [("report_id", "=", self.id)],
            "context": self._get_view_context(labels),
        }

    def _get_view_context(self, labels):
        return {
            "collection_aging_labels": labels,
            "collection_aging_bucket_count": len(labels),
            "create": False,
            "edit": False,
            "delete": False,
        }

    def _open_lines(self, partner):
        """The open items of ``partner`` in the report, computed now."""
        self.ensure_one()
        self._compute_lines(partner)
        labels = self._get_labels()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "%(customer)s: aging as of %(date)s",
                customer=partner.display_name,
                date=self._format_date(),
            ),
            "res_model": "account.collection.aging.report.line",
            "views": [
                (
                    self.env.ref(
                        "account_collections.account_collection_aging_report_line_view_list"
                    ).id,
                    "list",
                ),
                (
                    self.env.ref(
                        "account_collections.account_collection_aging_report_line_view_pivot"
                    ).id,
                    "pivot",
                ),
            ],
            "search_view_id": [
                self.env.ref(
                    "account_collections.account_collection_aging_report_line_view_search"
                ).id
            ],
            "domain": [("report_id", "=", self.id), ("partner_id", "=", partner.id)],
            "context": self._get_view_context(labels),
        }

    def action_print_pdf(self):
        """The report as a PDF on the company letterhead, landscape."""
        self.ensure_one()
        self._compute_lines()
        return self.env.ref("account_collections.action_report_collection_aging").report_action(
            self
        )

    def action_export_xlsx(self):
        """The report as an XLSX workbook: customers, then every open item."""
        self.ensure_one()
        self._compute_lines()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self._get_report_filename() + ".xlsx",
                "raw": self._render_xlsx(),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

    def _get_report_filename(self):
        self.ensure_one()
        return self.env._("Aging %(date)s", date=fields.Date.to_string(self.date))

    # ------------------------------------------------------------------
    # LOW-LEVEL: the computation
    # ------------------------------------------------------------------

    def _check_options(self):
        """Refuse what the report cannot show truthfully."""
        self.ensure_one()
        companies = self.company_ids
        if not companies:
            raise UserError(self.env._("Choose at least one company."))
        if companies - self.env.companies:
            raise UserError(
                self.env._(
                    "You can only report on the companies you are working in: %(names)s.",
                    names=", ".join(self.env.companies.mapped("name")),
                )
            )
        if len(companies.currency_id) > 1:
            raise UserError(
                self.env._("The companies have different currencies; report on them one at a time.")
            )
        if len({company._get_collection_aging_buckets() for company in companies}) > 1:
            raise UserError(
                self.env._("The companies age by different buckets; report on them one at a time.")
            )

    def _get_buckets(self):
        return self.company_ids[:1]._get_collection_aging_buckets()

    def _get_labels(self):
        return self.env["res.company"]._get_collection_bucket_labels(self._get_buckets())

    def _items_sql(self, partners=None, per_customer=False):
        """SQL: the report's open items as of its date, one row each, with
        their age, bucket and people (seam 1, historical); ``partners``
        narrows it to those customers.

        :param per_customer: one row per customer instead, summed before the
            customer's people are looked up (once per customer, not per item):
            ``item_count``, ``days`` (the oldest owed), ``amount`` and
            ``bucket_sum_<n>``.
        """
        self.ensure_one()
        self._check_options()
        open_items = self.env["account.collection.open.item"]
        lines = self.env["account.collection.aging.report.line"]
        open_items._flush_open_items()
        self.env["res.partner"].flush_model(["collector_id", "user_id"])
        self.flush_recordset()
        buckets = self._get_buckets()
        age_column = "invoice_date" if self.aged_by == "invoice_date" else "due_date"
        days = SQL("%s::date - items.%s", self.date, SQL.identifier(age_column))
        item_conditions = [SQL("TRUE")]
        if self.currency_ids:
            item_conditions.append(SQL("items.currency_id = ANY(%s)", self.currency_ids.ids))
        collector = SQL(
            "COALESCE((partner.collector_id ->> source.company_id::text)::int, partner.user_id)"
        )
        people_conditions = [SQL("TRUE")]
        if self.collector_ids:
            people_conditions.append(SQL("%s = ANY(%s)", collector, self.collector_ids.ids))
        if self.salesperson_ids:
            people_conditions.append(SQL("partner.user_id = ANY(%s)", self.salesperson_ids.ids))
        customers = self.partner_ids.commercial_partner_id
        if partners is not None:
            customers = partners.commercial_partner_id
        # the historical probe per line is only needed when something was
        # reconciled after the report's date (a report of the past)
        self.env["account.partial.reconcile"].flush_model(["max_date", "company_id"])
        historical = bool(
            self.env.execute_query(
                SQL(
                    """SELECT 1 FROM account_partial_reconcile
                        WHERE company_id = ANY(%s) AND max_date > %s LIMIT 1""",
                    self.company_ids.ids,
                    self.date,
                )
            )
        )
        source = SQL(
            """
            SELECT items.company_id, items.partner_id, items.move_id, items.currency_id,
                   items.invoice_date, items.due_date, aged.days, aged.bucket,
                   items.amount, items.amount_currency
              FROM (%(items)s) items
              CROSS JOIN LATERAL (SELECT %(days)s AS days) age
              CROSS JOIN LATERAL (SELECT age.days, %(bucket_index)s AS bucket) aged
             WHERE %(conditions)s
            """,
            items=open_items._open_items_sql(
                open_items._as_of_dates(self.company_ids, self.date),
                partner_ids=customers.ids or None,
                historical=historical,
                include_draft=not self.posted_only,
                dated=True,
            ),
            days=days,
            bucket_index=lines._bucket_index_sql(SQL("age.days"), buckets),
            conditions=SQL(" AND ").join(item_conditions),
        )
        if per_customer:
            source = SQL(
                """
                SELECT item.company_id, item.partner_id, COUNT(*) AS item_count,
                       COALESCE(MAX(item.days) FILTER (WHERE item.amount > 0), 0) AS days,
                       SUM(item.amount) AS amount, %(bucket_sums)s
                  FROM (%(items)s) item
                 GROUP BY item.company_id, item.partner_id
                """,
                bucket_sums=SQL(", ").join(
                    SQL(
                        "SUM(CASE WHEN item.bucket = %s THEN item.amount ELSE 0 END) AS %s",
                        position,
                        SQL.identifier(f"bucket_sum_{position}"),
                    )
                    for position in range(len(lines._bucket_amount_fields()))
                ),
                items=source,
            )
        return SQL(
            """
            SELECT source.*, %(collector)s AS collector_id, partner.user_id
              FROM (%(source)s) source
              JOIN res_partner partner ON partner.id = source.partner_id
             WHERE %(conditions)s
            """,
            collector=collector,
            source=source,
            conditions=SQL(" AND ").join(people_conditions),
        )

    def _compute_lines(self, partners=None):
        """Replace the report's lines (of ``partners`` only, when given) by
        the open items as of its date: one query."""
        self.ensure_one()
        lines = self.env["account.collection.aging.report.line"]
        table = SQL.identifier(lines._table)
        condition = SQL("report_id = %s", self.id)
        if partners is not None:
            condition = SQL(
                "%s AND partner_id = ANY(%s)", condition, partners.commercial_partner_id.ids
            )
        self.env.execute_query(SQL("DELETE FROM %s WHERE %s", table, condition))
        bucket_columns = SQL(", ").join(
            SQL.identifier(name) for name in lines._bucket_amount_fields()
        )
        query = SQL(
            """
            INSERT INTO %(table)s (
                report_id, company_id, partner_id, move_id, collector_id, user_id,
                item_currency_id, invoice_date, due_date, days, bucket, amount,
                amount_currency, %(bucket_columns)s,
                create_uid, create_date, write_uid, write_date
            )
            SELECT %(report)s, item.company_id, item.partner_id, item.move_id,
                   item.collector_id, item.user_id, item.currency_id,
                   item.invoice_date, item.due_date, item.days, item.bucket::varchar,
                   item.amount, item.amount_currency, %(bucket_amounts)s,
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM (%(items)s) item
            """,
            table=table,
            bucket_columns=bucket_columns,
            report=self.id,
            bucket_amounts=lines._bucket_amounts_sql(SQL("item.bucket"), SQL("item.amount")),
            uid=self.env.uid,
            items=self._items_sql(partners),
        )
        self.env["account.collection.open.item"]._execute_report_query(query)
        lines.invalidate_model()
        self.invalidate_recordset(["line_ids"])
        return self._get_labels()

    def _compute_customers(self):
        """Replace the report's customer rows: the open items summed per
        customer in one query, a row per customer whatever the number of
        items (what the screen shows first)."""
        self.ensure_one()
        customers = self.env["account.collection.aging.report.customer"]
        table = SQL.identifier(customers._table)
        self.env.execute_query(SQL("DELETE FROM %s WHERE report_id = %s", table, self.id))
        bucket_columns = SQL(", ").join(
            SQL.identifier(name) for name in customers._bucket_amount_fields()
        )
        query = SQL(
            """
            INSERT INTO %(table)s (
                report_id, company_id, currency_id, partner_id, collector_id, user_id,
                item_count, days, amount, %(bucket_columns)s,
                create_uid, create_date, write_uid, write_date
            )
            SELECT %(report)s, customer.company_id, company.currency_id, customer.partner_id,
                   customer.collector_id, customer.user_id, customer.item_count,
                   customer.days, customer.amount, %(bucket_sums)s,
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM (%(customers)s) customer
              JOIN res_company company ON company.id = customer.company_id
            """,
            table=table,
            bucket_columns=bucket_columns,
            bucket_sums=SQL(", ").join(
                SQL("customer.%s", SQL.identifier(f"bucket_sum_{position}"))
                for position in range(len(customers._bucket_amount_fields()))
            ),
            report=self.id,
            uid=self.env.uid,
            customers=self._items_sql(per_customer=True),
        )
        self.env["account.collection.open.item"]._execute_report_query(query)
        customers.invalidate_model()
        return self._get_labels()

    # ------------------------------------------------------------------
    # LOW-LEVEL: PDF and XLSX
    # ------------------------------------------------------------------

    def _format_date(self):
        return fields.Date.to_string(self.date)

    def _get_report_values(self):
        """What the PDF and the XLSX show, read in one grouped query.

        ``{"labels", "customers": [{"partner", "buckets", "total"}], "totals",
        "total", "currency", "options"}``; amounts in company currency.
        """
        self.ensure_one()
        labels = self._get_labels()
        bucket_fields = self.env["account.collection.aging.report.line"]._bucket_amount_fields()[
            : len(labels)
        ]
        groups = self.env["account.collection.aging.report.line"]._read_group(
            [("report_id", "=", self.id)],
            ["partner_id"],
            ["amount:sum", *(f"{name}:sum" for name in bucket_fields)],
            order="partner_id",
        )
        customers = [
            {"partner": partner, "total": total, "buckets": list(amounts)}
            for partner, total, *amounts in groups
        ]
        currency = self.company_ids[:1].currency_id
        totals = [
            currency.round(sum(customer["buckets"][index] for customer in customers))
            for index in range(len(labels))
        ]
        options = [
            (self.env._("As of"), self._format_date()),
            (
                self.env._("Aged by"),
                dict(self._fields["aged_by"]._description_selection(self.env))[self.aged_by],
            ),
            (self.env._("Companies"), ", ".join(self.company_ids.mapped("name"))),
        ]
        for label, records in (
            (self.env._("Collectors"), self.collector_ids),
            (self.env._("Salespersons"), self.salesperson_ids),
            (self.env._("Customers"), self.partner_ids),
            (self.env._("Currencies"), self.currency_ids),
        ):
            if records:
                options.append((label, ", ".join(records.mapped("display_name"))))
        if not self.posted_only:
            options.append((self.env._("Entries"), self.env._("Posted and draft")))
        return {
            "labels": labels,
            "customers": customers,
            "totals": totals,
            "total": currency.round(sum(customer["total"] for customer in customers)),
            "currency": currency,
            "options": options,
        }

    def _render_xlsx(self):
        """The workbook's bytes: a sheet per customer totals, one per open item."""
        self.ensure_one()
        values = self._get_report_values()
        labels = values["labels"]
        currency = values["currency"]
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        bold = workbook.add_format({"bold": True})
        money_format = (
            "#,##0." + "0" * currency.decimal_places if currency.decimal_places else "#,##0"
        )
        money = workbook.add_format({"num_format": money_format})
        money_bold = workbook.add_format({"num_format": money_format, "bold": True})
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})

        sheet = workbook.add_worksheet(self.env._("Aging"))
        row = 0
        for label, value in values["options"]:
            sheet.write(row, 0, label, bold)
            sheet.write(row, 1, value)
            row += 1
        row += 1
        header = [self.env._("Customer"), *labels, self.env._("Total")]
        sheet.write_row(row, 0, header, bold)
        for customer in values["customers"]:
            row += 1
            sheet.write(row, 0, customer["partner"].display_name)
            sheet.write_row(row, 1, customer["buckets"] + [customer["total"]], money)
        row += 1
        sheet.write(row, 0, self.env._("Total"), bold)
        sheet.write_row(row, 1, values["totals"] + [values["total"]], money_bold)
        sheet.set_column(0, 0, 40)
        sheet.set_column(1, len(header), 14)

        items = workbook.add_worksheet(self.env._("Open Items"))
        items.write_row(
            0,
            0,
            [
                self.env._("Customer"),
                self.env._("Company"),
                self.env._("Entry"),
                self.env._("Invoice Date"),
                self.env._("Due Date"),
                self.env._("Days"),
                self.env._("Bucket"),
                self.env._("Open Amount"),
                self.env._("Currency"),
                self.env._("Open Amount in Currency"),
            ],
            bold,
        )
        # read in one plain query: a report can hold a million lines
        lines = self.env["account.collection.aging.report.line"]
        lines.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT COALESCE(partner.complete_name, partner.name), company.name, move.name,
                       line.invoice_date, line.due_date, line.days, line.bucket, line.amount,
                       currency.name, line.amount_currency
                  FROM %(table)s line
                  JOIN res_partner partner ON partner.id = line.partner_id
                  JOIN res_company company ON company.id = line.company_id
                  JOIN account_move move ON move.id = line.move_id
                  LEFT JOIN res_currency currency ON currency.id = line.item_currency_id
                 WHERE line.report_id = %(report)s
                 ORDER BY partner.complete_name, partner.id DESC, line.due_date, line.id
                """,
                table=SQL.identifier(lines._table),
                report=self.id,
            )
        )
        for row, values in enumerate(rows, start=1):
            (name, company, entry, invoice_date, due_date, days, bucket, amount, code, foreign) = (
                values
            )
            items.write_string(row, 0, name or "")
            items.write_string(row, 1, company or "")
            items.write_string(row, 2, entry or "")
            items.write_datetime(row, 3, invoice_date, date_format)
            items.write_datetime(row, 4, due_date, date_format)
            items.write_number(row, 5, days)
            items.write_string(row, 6, labels[int(bucket)])
            items.write_number(row, 7, amount, money)
            items.write_string(row, 8, code or "")
            items.write_number(row, 9, foreign or 0.0)
        items.set_column(0, 2, 30)
        items.set_column(3, 9, 14)
        workbook.close()
        return output.getvalue()


class AccountCollectionAgingReportLine(models.TransientModel):
    """One open receivable item of an aging report, as of the report's date.

    A report over a million open items writes a million lines: their table
    is made here (:meth:`init`), unlogged and without foreign keys, where the
    ORM would check eight foreign keys per line, and lock every invoice row
    doing so (41.6 s against 8.5 s for 1,000,607 lines). The lines are
    derived data, deleted with their report or by the transient vacuum.
    """

    _name = "account.collection.aging.report.line"
    _inherit = ["account.collection.aging.bucket.mixin"]
    _description = "Collections: aging report line"
    _order = "partner_id, due_date, id"
    _auto = False
    _log_access = True

    report_id = fields.Many2one(
        "account.collection.aging.report", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Entry", readonly=True)
    # not stored: every foreign key costs a check per inserted line
    currency_id = fields.Many2one(related="company_id.currency_id")
    collector_id = fields.Many2one("res.users", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    item_currency_id = fields.Many2one("res.currency", string="Currency of the Item", readonly=True)
    invoice_date = fields.Date(readonly=True)
    due_date = fields.Date(readonly=True)
    days = fields.Integer(
        string="Age (Days)",
        readonly=True,
        aggregator="max",
        help="Days from the due date (or invoice date) to the report's date.",
    )
    bucket = fields.Selection(selection="_selection_bucket", readonly=True)
    amount = fields.Monetary(
        string="Open Amount",
        readonly=True,
        aggregator="sum",
        help="What was open on the report's date, in company currency at the booked rate; "
        "negative for credit notes and unapplied payments.",
    )
    amount_currency = fields.Monetary(
        string="Open in Currency",
        currency_field="item_currency_id",
        readonly=True,
        aggregator=None,
        help="What was open on the report's date, in the item's own currency.",
    )

    def init(self):
        create_result_table(self)

    @api.model
    def _selection_bucket(self):
        labels = self._get_bucket_labels()
        return [
            (str(index), labels[index] if index < len(labels) else str(index + 1))
            for index in range(MAX_BUCKETS)
        ]

    def action_open_move(self):
        """Open the invoice, credit note or payment entry of the line."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "views": [(False, "form")],
        }


class AccountCollectionAgingReportCustomer(models.TransientModel):
    """A customer's open items in an aging report, summed: what the screen
    shows first (20,000 rows where the items are a million). Its table is
    made like the lines' (:func:`create_result_table`)."""

    _name = "account.collection.aging.report.customer"
    _inherit = ["account.collection.aging.bucket.mixin"]
    _description = "Collections: aging report customer"
    _order = "amount desc, partner_id"
    _rec_name = "partner_id"
    _auto = False
    _log_access = True

    report_id = fields.Many2one("account.collection.aging.report", required=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    item_count = fields.Integer(string="Open Items", readonly=True, aggregator="sum")
    days = fields.Integer(
        string="Oldest (Days)",
        readonly=True,
        aggregator="max",
        help="Age of the customer's oldest amount owed on the report's date.",
    )
    amount = fields.Monetary(
        string="Open Amount",
        readonly=True,
        aggregator="sum",
        help="What the customer owed on the report's date, credits deducted, in company "
        "currency at the booked rate.",
    )

    def init(self):
        create_result_table(self)

    def action_open_items(self):
        """The customer's open items as of the report's date."""
        self.ensure_one()
        return self.report_id._open_lines(self.partner_id)
