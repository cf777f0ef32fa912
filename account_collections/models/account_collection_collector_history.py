from odoo import api, fields, models
from odoo.tools import SQL


class AccountCollectionCollectorHistory(models.Model):
    """Who worked a customer's account in a company, from which day.

    Written when a customer's collector (or salesperson, its fallback)
    changes; the reports and the trends attribute the past to the collector
    of that day instead of today's. Before the first change nothing is kept:
    the first change records the previous collector too, since ever.
    """

    _name = "account.collection.collector.history"
    _description = "Collections: collector of a customer over time"
    _order = "partner_id, company_id, date_from desc nulls last, id desc"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade"
    )
    collector_id = fields.Many2one("res.users", ondelete="set null")
    date_from = fields.Date(string="From", help="Empty: since ever.")

    _partner_company_date_index = models.Index("(partner_id, company_id, date_from)")

    @api.model
    def _record(self, company, before, partners):
        """Record the collectors of ``partners`` in ``company`` where they
        differ from ``before`` (``{partner_id: user_id}``), as of today."""
        after = {
            partner.id: partner.with_company(company).collection_collector_id.id
            for partner in partners
        }
        changed = [pid for pid, user_id in after.items() if user_id != before.get(pid)]
        if not changed:
            return
        known = {
            partner.id
            for [partner] in self.sudo()._read_group(
                [("company_id", "=", company.id), ("partner_id", "in", changed)], ["partner_id"]
            )
        }
        today = self.env["account.collection.open.item"]._company_today(company)
        vals_list = []
        for partner_id in changed:
            if partner_id not in known:
                vals_list.append(
                    {
                        "company_id": company.id,
                        "partner_id": partner_id,
                        "collector_id": before.get(partner_id) or False,
                        "date_from": False,
                    }
                )
            vals_list.append(
                {
                    "company_id": company.id,
                    "partner_id": partner_id,
                    "collector_id": after[partner_id] or False,
                    "date_from": today,
                }
            )
        self.sudo().create(vals_list)

    @api.model
    def _collector_sql(self, partner, company, day):
        """SQL: the collector of customer row ``partner`` (an alias of
        res_partner) in ``company`` on ``day`` (SQL expressions): the history's,
        else today's (collector, else salesperson). The history is looked up
        only for customers that have one (a hashed set when ``company`` is a
        constant), so a report over a million items pays nearly nothing."""
        return SQL(
            """COALESCE(
                   CASE WHEN %(partner)s.id IN (
                            SELECT partner_id FROM account_collection_collector_history
                             WHERE company_id = %(company)s)
                   THEN (SELECT history.collector_id
                      FROM account_collection_collector_history history
                     WHERE history.partner_id = %(partner)s.id
                       AND history.company_id = %(company)s
                       AND (history.date_from IS NULL OR history.date_from <= %(day)s)
                     ORDER BY history.date_from DESC NULLS LAST, history.id DESC
                     LIMIT 1) END,
                   (%(partner)s.collector_id ->> (%(company)s)::text)::int,
                   %(partner)s.user_id)""",
            partner=partner,
            company=company,
            day=day,
        )
