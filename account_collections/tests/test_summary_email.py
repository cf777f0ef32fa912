from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestSummaryEmail(DunningCommon):
    def test_monthly_summary_to_the_managers_once(self):
        self.company.collection_summary_email = True
        others = self.env["res.company"].search([("id", "!=", self.company.id)])
        others.collection_summary_email = False
        big = self._customer("Big <b>Debtor</b>")
        self._invoice(big, 900, "2026-02-15")
        small = self._customer("Small Debtor")
        self._invoice(small, 100, "2026-03-10")
        cron = self.env.ref("account_collections.ir_cron_collection_summary")
        with freeze_time("2026-04-02"):
            for _attempt in range(2):
                with self.enter_registry_test_mode():
                    cron.method_direct_trigger()
        mails = self.env["mail.mail"].search([("subject", "like", "Collections summary")])
        self.assertEqual(len(mails), 1)
        self.assertIn("March 2026", mails.subject)
        self.assertIn(self.manager.partner_id, mails.recipient_ids)
        self.assertNotIn(self.collector.partner_id, mails.recipient_ids)
        body = str(mails.body_html)
        self.assertIn("Big &lt;b&gt;Debtor&lt;/b&gt;", body)  # escaped
        self.assertLess(body.index("Big &lt;b&gt;"), body.index("Small Debtor"))  # largest first
        self.assertIn("DSO", body)
        self.assertEqual(str(self.company.collection_summary_month), "2026-03-01")

    def test_switched_off(self):
        self.env["res.company"].search([]).collection_summary_email = False
        cron = self.env.ref("account_collections.ir_cron_collection_summary")
        with freeze_time("2026-04-02"), self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertFalse(self.env["mail.mail"].search([("subject", "like", "Collections summary")]))
