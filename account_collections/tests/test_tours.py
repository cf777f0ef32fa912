from odoo.tests import HttpCase, tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestTours(CollectionsCommon, HttpCase):
    """A clerk's day in the browser (headless Chromium), as the demo collector would."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.silent = cls._customer("Tour Silent", phone="+1 555 0101")
        cls.promiser = cls._customer("Tour Promiser")
        cls.other = cls._customer("Tour Other")
        cls.later = cls._customer("Tour Later")
        for customer in (cls.silent, cls.promiser, cls.other, cls.later):
            customer.with_company(cls.company).collector_id = cls.collector
        cls._invoice(cls.silent, 5000, "2026-02-15", invoice_date="2026-01-15")
        cls.promised = cls._invoice(
            cls.promiser, 2000, "2026-02-20", invoice_date="2026-01-20"
        ) + cls._invoice(cls.promiser, 1000, "2026-03-10", invoice_date="2026-02-10")
        cls._invoice(cls.other, 500, "2026-03-01", invoice_date="2026-02-01")
        cls._invoice(cls.later, 800, "2026-03-25", invoice_date="2026-03-15")

    def test_worklist_call_with_a_promise(self):
        self.start_tour("/odoo", "account_collections_worklist", login="collector")
        promise = self.env["account.collection.promise"].search(
            [("partner_id", "=", self.promiser.id)]
        )
        self.assertRecordValues(
            promise, [{"amount": 3000.0, "state": "open", "user_id": self.collector.id}]
        )
        self.assertEqual(str(promise.date), "2026-04-10")
        self.assertEqual(promise.move_ids, self.promised)
        self.assertRecordValues(
            promise.call_id,
            [{"outcome": "promised", "logged": True, "notes": "Will pay next week"}],
        )
        calls = self.env["account.collection.call"].search(
            [("partner_id", "in", (self.silent + self.promiser).ids)]
        )
        self.assertEqual(sorted(calls.mapped("outcome")), ["no_answer", "promised"])

    def test_overview_title_and_payment_plan_button(self):
        self.start_tour("/odoo", "account_collections_overview", login="collector")

    def test_aging_as_of_a_date_with_xlsx(self):
        self.start_tour("/odoo", "account_collections_aging", login="collector")
