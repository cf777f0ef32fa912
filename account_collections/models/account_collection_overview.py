from odoo import api, fields, models
from odoo.tools import SQL

from ..engine.aging import DEFAULT_BUCKETS
from .account_collection_open_item import AccountCollectionOpenItem

#: Row ids combine customer and company in 31 bits, so that XML-RPC (32-bit integers)
#: carries them: ``partner_id * COMPANY_SLOTS + company_id``, for company ids below
#: ``COMPANY_SLOTS`` and customer ids below ``MAX_COMPACT_PARTNER`` (2,097,151).
COMPANY_SLOTS = 1024
MAX_COMPACT_PARTNER = (2**31 - 1) // COMPANY_SLOTS
#: Beyond those, ``company_id * ID_FACTOR + partner_id``: still unique (above 2**31),
#: readable over JSON-RPC.
ID_FACTOR = 10**10


class AccountCollectionOverview(models.Model):
    """One row per customer and company with something open on receivables.

    Read-only and computed live by the open-items query (seam 1) as of each
    company's today, so it is never stale: sortable, filterable, groupable
    and summed like any list, without a stored copy to keep in sync.
    """

    _name = "account.collection.overview"
    _description = "Collections: receivables overview per customer"
    _auto = False
    _order = "total_overdue desc, partner_id"
    _rec_name = "partner_id"
    _check_company_auto = True
    _depends = {
        **AccountCollectionOpenItem.OPEN_ITEM_DEPENDS,
        "res.partner": ["commercial_partner_id", "collector_id", "user_id"],
        "res.company": ["currency_id"],
    }

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    collector_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="The collector assigned to the customer, or its salesperson when none is.",
    )
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    total_due = fields.Monetary(string="Balance", readonly=True, aggregator="sum")
    total_overdue = fields.Monetary(string="Overdue", readonly=True, aggregator="sum")
    days_overdue = fields.Integer(
        readonly=True,
        aggregator="max",
        help="Days overdue of the oldest invoice still owed, credits applied oldest first.",
    )
    oldest_due_date = fields.Date(readonly=True)
    overdue_count = fields.Integer(string="Overdue Invoices", readonly=True, aggregator="sum")
    amount_current = fields.Monetary(string="Not Due", readonly=True, aggregator="sum")
    amount_1_30 = fields.Monetary(string="1-30", readonly=True, aggregator="sum")
    amount_31_60 = fields.Monetary(string="31-60", readonly=True, aggregator="sum")
    amount_61_90 = fields.Monetary(string="61-90", readonly=True, aggregator="sum")
    amount_91_120 = fields.Monetary(string="91-120", readonly=True, aggregator="sum")
    amount_over_120 = fields.Monetary(string="Over 120", readonly=True, aggregator="sum")

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @property
    def _table_query(self):
        open_items = self.env["account.collection.open.item"]
        companies = self.env.companies
        bucket_columns = SQL(", ").join(
            SQL("summary.%s", SQL.identifier("amount_" + bucket.key)) for bucket in DEFAULT_BUCKETS
        )
        return SQL(
            """
            SELECT CASE WHEN summary.company_id < %(slots)s
                         AND summary.partner_id < %(max_partner)s
                        THEN summary.partner_id * %(slots)s + summary.company_id
                        ELSE summary.company_id::bigint * %(factor)s + summary.partner_id
                   END AS id,
                   summary.company_id, summary.partner_id,
                   company.currency_id,
                   COALESCE(
                       (partner.collector_id ->> summary.company_id::text)::int, partner.user_id
                   ) AS collector_id,
                   partner.user_id,
                   summary.total_due, summary.total_overdue, summary.days_overdue,
                   summary.oldest_due_date, summary.overdue_count,
                   %(bucket_columns)s
              FROM (%(summary)s) summary
              JOIN res_company company ON company.id = summary.company_id
              JOIN res_partner partner ON partner.id = summary.partner_id
            """,
            factor=ID_FACTOR,
            slots=COMPANY_SLOTS,
            max_partner=MAX_COMPACT_PARTNER,
            bucket_columns=bucket_columns,
            summary=open_items._customer_summary_sql(open_items._as_of_dates(companies)),
        )

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    def action_open_customer(self):
        """Open the customer's form."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "views": [(False, "form")],
        }

    def action_open_invoices(self):
        """The customer's open invoices and credit notes in the row's company."""
        self.ensure_one()
        return self.partner_id._get_collection_invoices_action(self.company_id)

    def action_create_plan(self):
        """Draw up a payment plan over the customer's overdue invoices in the row's company."""
        self.ensure_one()
        return self.env["res.partner.create.plan"]._get_action(self.partner_id, self.company_id)

    @api.model
    def _bucket_field_names(self):
        """The overview's amount field per bucket, in bucket order."""
        return ["amount_" + bucket.key for bucket in DEFAULT_BUCKETS]
