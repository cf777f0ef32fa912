"""Kinds of communication beyond payment reminders, one class for all (seam 4)."""

import datetime
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from ..engine.aging import DEFAULT_BUCKETS

_logger = logging.getLogger(__name__)

#: Customers sent their statement per batch by the monthly scheduled action.
STATEMENT_BATCH_SIZE = 500


class AccountCollectionCommunication(models.Model):
    """Seam 4: the kinds of communication beyond reminders: payment plan
    agreements and credit hold notices (linked to the plan or hold they are
    about), statements of account (for a period), agency placement notices, payment
    commitments and dispute rejections (linked to the promise or dispute), and
    letters before action (linked to the court claim)."""

    _inherit = "account.collection.communication"

    kind = fields.Selection(
        selection_add=[
            ("plan_agreement", "Payment Plan Agreement"),
            ("hold_notice", "Credit Hold Notice"),
            ("hold_release", "Credit Hold Release"),
            ("statement", "Statement of Account"),
            ("agency_notice", "Placement Notice"),
            ("promise", "Payment Commitment"),
            ("dispute_rejected", "Dispute Rejected"),
            ("letter_before_action", "Letter Before Action"),
        ],
        ondelete={
            "plan_agreement": "cascade",
            "hold_notice": "cascade",
            "hold_release": "cascade",
            "statement": "cascade",
            "agency_notice": "cascade",
            "promise": "cascade",
            "dispute_rejected": "cascade",
            "letter_before_action": "cascade",
        },
    )
    plan_id = fields.Many2one(
        "account.collection.plan", string="Payment Plan", readonly=True, index="btree_not_null"
    )
    hold_id = fields.Many2one(
        "account.collection.hold", string="Credit Hold", readonly=True, index="btree_not_null"
    )
    promise_id = fields.Many2one(
        "account.collection.promise", readonly=True, index="btree_not_null", ondelete="set null"
    )
    dispute_id = fields.Many2one(
        "account.collection.dispute", readonly=True, index="btree_not_null", ondelete="set null"
    )
    claim_id = fields.Many2one(
        "account.collection.claim",
        string="Court Claim",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )

    @api.model
    def _get_recipients(self, partners):
        """A child contact marked as the collections contact, with an email,
        receives the customer's letters and emails before its invoice contact."""
        recipients = super()._get_recipients(partners)
        contacts = self.env["res.partner"].search_fetch(
            [
                ("parent_id", "in", partners.ids),
                ("collection_contact", "=", True),
                ("email", "!=", False),
            ],
            ["parent_id"],
            order="id",
        )
        for contact in contacts[::-1]:  # the first collections contact wins
            recipients[contact.parent_id.id] = contact
        return recipients

    period_start = fields.Date(readonly=True, help="First day the statement covers.")
    period_end = fields.Date(readonly=True, help="Last day the statement covers.")

    _one_statement_per_period = models.UniqueIndex(
        "(company_id, partner_id, period_end) WHERE kind = 'statement' AND state != 'skipped'",
        "A customer gets one statement per period.",
    )

    def _get_letter_total_label(self):
        if self.kind == "plan_agreement":
            return self.env._("Total under the plan")
        return super()._get_letter_total_label()

    def _get_letter_title(self):
        if self.kind == "statement":
            return self.env._("Statement of Account")
        return super()._get_letter_title()

    def _get_letter_log_body(self):
        if self.kind == "statement":
            return self.env._(
                "Statement of account from %(start)s to %(end)s to print.",
                start=self.period_start,
                end=self.period_end,
            )
        return super()._get_letter_log_body()

    # ------------------------------------------------------------------
    # The statement's content
    # ------------------------------------------------------------------

    def _get_statement_values(self):
        """Opening balance, the period's entries with a running balance, the
        closing balance and the aging at the period's end, in company currency."""
        self.ensure_one()
        open_items = self.env["account.collection.open.item"]
        open_items._flush_open_items()
        company = self.company_id
        currency = company.currency_id
        account = SQL.identifier("aml_account")
        receivable = open_items._get_receivable_domain_sql("aml")
        rows = self.env.execute_query(
            SQL(
                """SELECT aml.date < %(start)s AS before, aml.date, move.name, move.move_type,
                          move.ref, aml.date_maturity, aml.balance
                     FROM account_move_line aml
                     JOIN account_account %(account)s ON %(account)s.id = aml.account_id
                     JOIN account_move move ON move.id = aml.move_id
                     JOIN res_partner partner ON partner.id = aml.partner_id
                    WHERE %(receivable)s AND aml.company_id = %(company)s
                      AND partner.commercial_partner_id = %(partner)s
                      AND aml.date <= %(end)s
                    ORDER BY aml.date, move.name, aml.id""",
                start=self.period_start,
                end=self.period_end,
                account=account,
                receivable=receivable,
                company=company.id,
                partner=self.partner_id.id,
            )
        )
        types = dict(self.env["account.move"]._fields["move_type"]._description_selection(self.env))
        opening = 0.0
        balance = 0.0
        entries = []
        for before, date, name, move_type, ref, due, amount in rows:
            if before:
                opening += amount
                balance = opening
                continue
            balance += amount
            entries.append(
                {
                    "date": date,
                    "name": name,
                    "type": self.env._("Payment") if move_type == "entry" else types[move_type],
                    "ref": ref or "",
                    "due_date": due if amount > 0 else False,
                    "debit": amount if amount > 0 else 0.0,
                    "credit": -amount if amount < 0 else 0.0,
                    "balance": currency.round(balance),
                }
            )
        summary = open_items._get_customer_summaries(
            self.partner_id, company, as_of=self.period_end
        ).get((company.id, self.partner_id.id), {})
        aging = [
            (bucket.label, summary.get(f"amount_{bucket.key}", 0.0)) for bucket in DEFAULT_BUCKETS
        ]
        return {
            "opening": currency.round(opening),
            "entries": entries,
            "closing": currency.round(opening + sum(e["debit"] - e["credit"] for e in entries)),
            "aging": aging,
            "currency": currency,
        }

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    @api.model
    def _send_statements(self, partners, company, period_start, period_end):
        """Send ``partners`` their statement of ``company`` for the period.

        Through the send service (gate, PDF, queued email, record). Customers
        who already got this period's statement are left out.
        :return: ``(sent, refused)`` communications.
        """
        if period_start > period_end:
            raise UserError(self.env._("The statement period ends before it starts."))
        customers = partners.commercial_partner_id
        done = {
            partner.id
            for [partner] in self._read_group(
                [
                    ("kind", "=", "statement"),
                    ("company_id", "=", company.id),
                    ("partner_id", "in", customers.ids),
                    ("period_end", "=", period_end),
                    ("state", "!=", "skipped"),
                ],
                ["partner_id"],
            )
        }
        customers = customers.filtered(lambda partner: partner.id not in done)
        if not customers:
            return self.browse(), self.browse()
        summaries = self.env["account.collection.open.item"]._get_customer_summaries(
            customers, company, as_of=period_end
        )
        template = self.env.ref("account_collections.mail_template_statement")
        today = self.env["account.collection.open.item"]._company_today(company)
        vals_list = [
            {
                "company_id": company.id,
                "partner_id": customer.id,
                "kind": "statement",
                "date": today,
                "period_start": period_start,
                "period_end": period_end,
                "send_email": True,
                "mail_template_id": template.id,
                "email_attach_letter": True,
                "send_letter": False,
                "amount_total": summaries.get((company.id, customer.id), {}).get("total_due", 0.0),
            }
            for customer in customers
        ]
        return self._send(vals_list)

    @api.model
    def _cron_send_statements(self):
        """Each month, last month's statement to every customer owing something."""
        companies = self.env["res.company"].search([("collection_statement_auto", "=", True)])
        open_items = self.env["account.collection.open.item"]
        for company in companies:
            today = open_items._company_today(company)
            period_end = today.replace(day=1) - datetime.timedelta(days=1)
            period_start = period_end.replace(day=1)
            open_items._flush_open_items()
            rows = self.env.execute_query(
                SQL(
                    """SELECT partner_id FROM (%s) summary
                        WHERE total_due > 0 ORDER BY partner_id""",
                    open_items._customer_summary_sql({company.id: period_end}, historical=True),
                )
            )
            partner_ids = [partner_id for (partner_id,) in rows]
            remaining = len(partner_ids)
            service = self.with_company(company).with_context(
                allowed_company_ids=company.ids, mail_notrack=True, collection_defer_letters=True
            )
            for batch in split_every(STATEMENT_BATCH_SIZE, partner_ids):
                locked = self.env["res.partner"].browse(batch).try_lock_for_update()
                try:
                    with self.env.cr.savepoint():
                        service._send_statements(locked, company, period_start, period_end)
                except Exception:  # noqa: BLE001 - one customer at a time, failures logged
                    _logger.info("Statement batch failed, retrying one by one", exc_info=True)
                    for partner in locked:
                        try:
                            with self.env.cr.savepoint():
                                service._send_statements(partner, company, period_start, period_end)
                        except Exception as error:  # noqa: BLE001 - recorded, the run goes on
                            partner.sudo().message_post(
                                body=self.env._(
                                    "The statement of %(end)s could not be sent: %(error)s",
                                    end=period_end,
                                    error=error,
                                ),
                                subtype_xmlid="mail.mt_note",
                            )
                remaining -= len(batch)
                self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining)
