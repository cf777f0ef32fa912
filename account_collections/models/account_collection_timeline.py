from odoo import api, fields, models
from odoo.tools import SQL

#: Row ids combine the source and its record: ``res_id * SOURCES + source number``.
SOURCES = 16


class AccountCollectionTimeline(models.Model):
    """One timeline per customer: every communication, call, promise, dispute
    and court claim.

    Read-only and live (a SQL view over the sources), so it never drifts from
    the records it lists. Later features add their records (payment plans,
    holds...) by overriding :meth:`_get_timeline_sources`.
    """

    _name = "account.collection.timeline"
    _description = "Collections: customer timeline"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "summary"
    _check_company_auto = True

    date = fields.Date(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="By", readonly=True)
    source = fields.Selection(
        [
            ("communication", "Communication"),
            ("call", "Call"),
            ("promise", "Promise to Pay"),
            ("dispute", "Dispute"),
            ("claim", "Court Claim"),
        ],
        readonly=True,
    )
    res_model = fields.Char(readonly=True)
    res_id = fields.Integer(readonly=True)
    status = fields.Char(readonly=True)
    summary = fields.Char(compute="_compute_summary")

    @api.model
    def _get_timeline_sources(self):
        """``[(source, model, SQL)]``: each SQL selects date, partner_id,
        company_id, user_id, res_id and status (text) from the source's table."""
        return [
            (
                "communication",
                "account.collection.communication",
                SQL(
                    """SELECT date, partner_id, company_id, user_id, id AS res_id,
                              kind || ': ' || state AS status
                         FROM account_collection_communication WHERE state != 'skipped'"""
                ),
            ),
            (
                "call",
                "account.collection.call",
                SQL(
                    """SELECT date::date, partner_id, company_id, user_id, id AS res_id,
                              outcome::text AS status
                         FROM account_collection_call"""
                ),
            ),
            (
                "promise",
                "account.collection.promise",
                SQL(
                    """SELECT made_date AS date, partner_id, company_id, user_id,
                              id AS res_id, state::text AS status
                         FROM account_collection_promise"""
                ),
            ),
            (
                "dispute",
                "account.collection.dispute",
                SQL(
                    """SELECT date, partner_id, company_id, user_id, id AS res_id,
                              state::text AS status
                         FROM account_collection_dispute"""
                ),
            ),
            (
                "claim",
                "account.collection.claim",
                SQL(
                    """SELECT COALESCE(judgment_date, filing_date, notice_date, create_date::date)
                                  AS date,
                              partner_id, company_id, user_id, id AS res_id,
                              state::text AS status
                         FROM account_collection_claim WHERE state != 'cancelled'"""
                ),
            ),
        ]

    @property
    def _table_query(self):
        return SQL(" UNION ALL ").join(
            SQL(
                """SELECT source.res_id * %(factor)s + %(number)s AS id, source.date,
                          source.partner_id, source.company_id, source.user_id,
                          %(source)s AS source, %(model)s AS res_model, source.res_id,
                          source.status
                     FROM (%(query)s) source""",
                factor=SOURCES,
                number=number,
                source=name,
                model=model,
                query=query,
            )
            for number, (name, model, query) in enumerate(self._get_timeline_sources())
        )

    def _compute_summary(self):
        for model, rows in self.grouped("res_model").items():
            records = self.env[model].browse(rows.mapped("res_id"))
            names = {record.id: record.display_name for record in records}
            for row in rows:
                row.summary = names.get(row.res_id, "")

    def action_open_record(self):
        """Open the record of the row."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "views": [(False, "form")],
        }
