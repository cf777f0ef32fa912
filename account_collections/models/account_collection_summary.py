"""The monthly summary email to the collections managers of each company."""

import datetime
import logging

from markupsafe import Markup, escape

from odoo import Command, api, models
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from ..engine import kpi

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

#: Customers listed as the month's largest overdue balances.
TOP_CUSTOMERS = 10

#: (snapshot field, label, kind): the KPIs the summary compares month to month.
SUMMARY_KPIS = (
    ("receivables", _lt("Receivables"), "amount"),
    ("overdue", _lt("Overdue"), "amount"),
    ("percentage_current", _lt("Current (%)"), "number"),
    ("dso", _lt("DSO (days)"), "number"),
    ("dso_count_back", _lt("DSO, count-back (days)"), "number"),
    ("add", _lt("Average days delinquent"), "number"),
    ("cei", _lt("CEI (%)"), "number"),
)


class AccountCollectionSummary(models.AbstractModel):
    _name = "account.collection.summary"
    _description = "Collections: monthly summary email"

    @api.model
    def _cron_send_summaries(self):
        """Daily: each company's summary of its last closed month, once."""
        open_items = self.env["account.collection.open.item"]
        companies = self.env["res.company"].search([("collection_summary_email", "=", True)])
        for company in companies:
            month = kpi.add_months(open_items._company_today(company).replace(day=1), -1)
            if company.collection_summary_month and company.collection_summary_month >= month:
                continue
            if not company.try_lock_for_update():
                continue
            try:
                with self.env.cr.savepoint():
                    self._send_summary(company, month)
            except Exception as error:  # noqa: BLE001 - logged, the other companies go on
                _logger.warning("Collections summary failed for %s: %s", company.name, error)
            self.env["ir.cron"]._commit_progress(1)

    @api.model
    def _send_summary(self, company, month):
        """Queue the summary of ``company`` for ``month`` (its first day)."""
        managers = self.env["res.users"].search(
            [
                (
                    "all_group_ids",
                    "in",
                    self.env.ref("account_collections.group_collections_manager").ids,
                ),
                ("company_ids", "in", company.ids),
                ("share", "=", False),
            ]
        )
        company.sudo().collection_summary_month = month
        if not managers:
            return self.env["mail.mail"]
        body = self._render_summary(company, month)
        return (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": self.env._(
                        "Collections summary %(month)s - %(company)s",
                        month=month.strftime("%B %Y"),
                        company=company.name,
                    ),
                    "body_html": body,
                    "email_from": company.email_formatted or self.env.user.email_formatted,
                    "recipient_ids": [Command.set(managers.partner_id.ids)],
                    "auto_delete": True,
                }
            )
        )

    @api.model
    def _render_summary(self, company, month):
        """The summary's HTML: every value escaped."""
        snapshot_model = self.env["account.collection.kpi.snapshot"].sudo()
        months = [kpi.add_months(month, -1), month]
        snapshot_model._take_snapshots(company, months)
        snapshots = {
            snapshot.month: snapshot
            for snapshot in snapshot_model.search(
                [
                    ("company_id", "=", company.id),
                    ("collector_id", "=", False),
                    ("month", "in", months),
                ]
            )
        }
        current, previous = snapshots.get(month), snapshots.get(months[0])
        currency = company.currency_id
        month_end = kpi.add_months(month, 1) - datetime.timedelta(days=1)

        def show(value, kind):
            if kind == "amount":
                return currency.format(value or 0.0)
            return f"{value or 0.0:.1f}"

        kpi_rows = Markup("").join(
            Markup(
                "<tr><td>%s</td><td style='text-align: right;'>%s</td>"
                "<td style='text-align: right;'>%s</td></tr>"
            )
            % (
                str(label),
                show(current[name] if current else 0.0, kind),
                show(previous[name] if previous else 0.0, kind),
            )
            for name, label, kind in SUMMARY_KPIS
        )
        open_items = self.env["account.collection.open.item"]
        open_items._flush_open_items()
        top = self.env.execute_query(
            SQL(
                """SELECT summary.partner_id, summary.total_overdue, summary.days_overdue
                     FROM (%s) summary
                    WHERE summary.total_overdue > 0
                    ORDER BY summary.total_overdue DESC, summary.partner_id
                    LIMIT %s""",
                open_items._customer_summary_sql({company.id: month_end}, historical=True),
                TOP_CUSTOMERS,
            )
        )
        partners = self.env["res.partner"].browse([row[0] for row in top])
        names = dict(zip(partners.ids, partners.mapped("display_name"), strict=True))
        top_rows = Markup("").join(
            Markup(
                "<tr><td>%s</td><td style='text-align: right;'>%s</td>"
                "<td style='text-align: right;'>%s</td></tr>"
            )
            % (names[partner_id], currency.format(amount), days)
            for partner_id, amount, days in top
        )
        return Markup(
            "<div style='font-size: 13px;'>"
            "<p>%(intro)s</p>"
            "<table style='border-collapse: collapse;'><tr><th></th><th>%(this)s</th>"
            "<th>%(before)s</th></tr>%(kpis)s</table>"
            "<p><strong>%(top)s</strong></p>"
            "<table style='border-collapse: collapse;'><tr><th>%(customer)s</th>"
            "<th>%(overdue)s</th><th>%(days)s</th></tr>%(rows)s</table></div>"
        ) % {
            "intro": self.env._(
                "Receivables of %(company)s at the end of %(month)s.",
                company=company.name,
                month=month.strftime("%B %Y"),
            ),
            "this": escape(month.strftime("%b %Y")),
            "before": escape(months[0].strftime("%b %Y")),
            "kpis": kpi_rows,
            "top": self.env._("Largest overdue balances"),
            "customer": self.env._("Customer"),
            "overdue": self.env._("Overdue"),
            "days": self.env._("Days Overdue"),
            "rows": top_rows,
        }
