from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestStatement(DunningCommon):
    """Statements of account: content, sending through the one service, monthly run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Statement Customer")
        cls.old = cls._invoice(cls.customer, 500, "2026-01-31", invoice_date="2026-01-10")
        cls.march = cls._invoice(cls.customer, 300, "2026-04-15", invoice_date="2026-03-16")
        cls._pay(cls.old, 200, "2026-03-05")
        cls.start = fields.Date.to_date("2026-03-01")
        cls.end = fields.Date.to_date("2026-03-31")

    def _send(self, partners=None):
        return self.env["account.collection.communication"]._send_statements(
            partners or self.customer, self.company, self.start, self.end
        )

    def test_statement_balances_and_entries(self):
        sent, refused = self._send()
        self.assertFalse(refused)
        values = sent._get_statement_values()
        self.assertEqual(values["opening"], 500.0)  # January's invoice, before March
        self.assertEqual(
            [(e["debit"], e["credit"], e["balance"]) for e in values["entries"]],
            [(0.0, 200.0, 300.0), (300.0, 0.0, 600.0)],
        )
        self.assertEqual(values["closing"], 600.0)
        self.assertEqual(sent.amount_total, 600.0)
        aging = dict(values["aging"])
        self.assertEqual(aging["31-60"], 300.0)  # what is left of January's, 59 days late
        self.assertEqual(aging["Not due"], 300.0)

    def test_sent_by_email_with_the_pdf_and_recorded_once(self):
        sent, _refused = self._send()
        self.assertEqual(sent.kind, "statement")
        self.assertEqual(sent.state, "sent")
        self.assertEqual(len(sent.mail_ids), 1)
        self.assertIn("Statement of account", sent.mail_ids.subject)
        report = self.env.ref("account_collections.action_report_collection_letter")
        html = self.env["ir.actions.report"]._render_qweb_html(report, sent.ids)[0].decode()
        self.assertIn("Opening balance", html)
        self.assertIn(self.march.name, html)
        # the same period again: nothing new
        again, refused = self._send()
        self.assertFalse(again | refused)

    def test_the_gate_refuses_and_records(self):
        blocked = self._customer("Quiet Customer", collection_do_not_contact=True)
        self._invoice(blocked, 100, "2026-03-20")
        sent, refused = self._send(blocked)
        self.assertFalse(sent)
        self.assertIn("do-not-contact", refused.refusal_reason)
        self.assertFalse(refused.mail_ids)

    def test_bad_period(self):
        with self.assertRaises(UserError):
            self.env["account.collection.communication"]._send_statements(
                self.customer, self.company, self.end, self.start
            )

    def test_wizard_for_a_collector(self):
        wizard = (
            self.env["res.partner.send.statement"]
            .with_user(self.collector)
            .with_context(active_model="res.partner", active_ids=self.customer.ids)
            .create({"period_start": self.start, "period_end": self.end})
        )
        self.assertEqual(wizard.partner_ids, self.customer)
        action = wizard.action_send()
        statement = self.env["account.collection.communication"].search(action["domain"])
        self.assertEqual(statement.partner_id, self.customer)

    def test_monthly_cron_sends_last_month_once(self):
        self.company.collection_statement_auto = True
        others = self.env["res.company"].search([("id", "!=", self.company.id)])
        others.collection_statement_auto = False
        settled = self._customer("Settled Customer")
        paid = self._invoice(settled, 100, "2026-03-10")
        self._pay(paid, 100, "2026-03-12")
        cron = self.env.ref("account_collections.ir_cron_collection_statements")
        with freeze_time("2026-04-01"):
            for _attempt in range(2):
                with self.enter_registry_test_mode():
                    cron.method_direct_trigger()
        statements = self.env["account.collection.communication"].search(
            [("kind", "=", "statement"), ("partner_id", "in", (self.customer | settled).ids)]
        )
        self.assertEqual(statements.partner_id, self.customer)  # nothing owed: no statement
        self.assertEqual((statements.period_start, statements.period_end), (self.start, self.end))
