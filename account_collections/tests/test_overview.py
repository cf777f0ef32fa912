from odoo import fields
from odoo.tests import tagged

from odoo.addons.account_collections.engine.aging import DEFAULT_BUCKETS
from odoo.addons.account_collections.engine.netting import OpenItem, summarize

from .common import CollectionsCommon

BUCKETS = ["current", "1_30", "31_60", "61_90", "91_120", "over_120"]


@tagged("post_install", "-at_install")
class TestOverview(CollectionsCommon):
    """The receivables overview on a hand-built ledger, as of 2026-03-31."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        cls.customer = cls._customer("Acme Retail", user_id=cls.env.user.id)
        c = cls.customer
        cls.inv_current = cls._invoice(c, 100, "2026-04-10", invoice_date="2026-03-11")
        cls.inv_10 = cls._invoice(c, 200, "2026-03-21")  # 10 days
        cls.inv_45 = cls._invoice(c, 300, "2026-02-14")  # 45 days
        cls.inv_75 = cls._invoice(c, 400, "2026-01-15")  # 75 days
        cls.inv_105 = cls._invoice(c, 500, "2025-12-16")  # 105 days
        cls.inv_181 = cls._invoice(c, 600, "2025-10-01")  # 181 days
        cls._pay(cls.inv_181, 250, "2026-03-05")  # partial payment: 350 left
        # 1000 EUR at 2 EUR per USD: 500 in company currency, 30 days
        cls.inv_eur = cls._invoice(c, 1000, "2026-03-01", currency_id=cls.eur.id)
        # an open credit note nets off the oldest invoice still owed
        cls.refund = cls._invoice(c, 150, "2026-03-25", move_type="out_refund")

        # an instalment term: 30 % now, 70 % at the end of next month
        cls.instalment_customer = cls._customer("Instalment Inc")
        cls.inv_terms = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.instalment_customer.id,
                "invoice_date": "2026-03-10",
                "invoice_payment_term_id": cls.pay_terms_b.id,
                "invoice_line_ids": [
                    fields.Command.create({"name": "Goods", "price_unit": 1000, "tax_ids": []})
                ],
            }
        )
        cls.inv_terms.action_post()

    def _expected_row(self):
        return {
            "total_due": 2200.0,
            "total_overdue": 2100.0,
            "days_overdue": 181,
            "oldest_due_date": fields.Date.to_date("2025-10-01"),
            "overdue_count": 6,
            "amount_current": 100.0,
            "amount_1_30": 700.0,  # 200 + 500 (the EUR invoice)
            "amount_31_60": 300.0,
            "amount_61_90": 400.0,
            "amount_91_120": 500.0,
            "amount_over_120": 200.0,  # 600 - 250 paid - 150 credit note
        }

    def test_customer_fields(self):
        expected = self._expected_row()
        self.assertRecordValues(
            self.customer,
            [
                {
                    "collection_total_due": expected["total_due"],
                    "collection_total_overdue": expected["total_overdue"],
                    "collection_days_overdue": 181,
                    "collection_currency_id": self.currency.id,
                    **{"collection_amount_" + key: expected["amount_" + key] for key in BUCKETS},
                }
            ],
        )
        # a contact of the customer shows its company's position
        contact = self.env["res.partner"].create({"name": "Jane", "parent_id": self.customer.id})
        self.assertEqual(contact.collection_total_overdue, 2100.0)

    def test_overview_row(self):
        overview = self.env["account.collection.overview"].with_user(self.collector)
        rows = overview.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(rows), 1)
        self.assertRecordValues(
            rows,
            [
                {
                    **self._expected_row(),
                    "company_id": self.company.id,
                    "currency_id": self.currency.id,
                    "collector_id": self.env.user.id,  # no collector: the salesperson
                }
            ],
        )
        self.customer.collector_id = self.collector
        rows.invalidate_recordset()
        self.assertEqual(rows.collector_id, self.collector)

    def test_instalments_are_separate_items(self):
        """30 % due 2026-03-10 is 21 days late; 70 % due 2026-04-30 is not due."""
        self.assertRecordValues(
            self.instalment_customer,
            [
                {
                    "collection_total_due": 1000.0,
                    "collection_total_overdue": 300.0,
                    "collection_amount_current": 700.0,
                    "collection_amount_1_30": 300.0,
                    "collection_days_overdue": 21,
                }
            ],
        )
        self.assertEqual(self.inv_terms.collection_days_overdue, 21)
        # paying the first instalment leaves the second one, not yet due
        self._pay(self.inv_terms, 300, "2026-03-30")
        self.instalment_customer.invalidate_recordset()
        self.inv_terms.invalidate_recordset()
        self.assertRecordValues(
            self.instalment_customer,
            [
                {
                    "collection_total_overdue": 0.0,
                    "collection_amount_current": 700.0,
                    "collection_days_overdue": 0,
                }
            ],
        )
        self.assertEqual(self.inv_terms.collection_days_overdue, 0)

    def test_invoice_days_overdue(self):
        self.assertRecordValues(
            self.inv_current + self.inv_10 + self.inv_181 + self.inv_eur + self.refund,
            [
                {"collection_days_overdue": 0},
                {"collection_days_overdue": 10},
                {"collection_days_overdue": 181},
                {"collection_days_overdue": 30},
                {"collection_days_overdue": 0},  # a credit note is never overdue
            ],
        )
        self._pay(self.inv_10, 200, "2026-03-31")
        self.inv_10.invalidate_recordset()
        self.assertEqual(self.inv_10.collection_days_overdue, 0)

    def test_full_payment_and_more_credit(self):
        """A credit larger than everything owed: nothing overdue, a credit balance."""
        customer = self._customer("Overpaid Ltd")
        invoice = self._invoice(customer, 80, "2026-01-10")
        self._invoice(customer, 120, "2026-03-01", move_type="out_refund")
        customer.invalidate_recordset()
        self.assertRecordValues(
            customer,
            [
                {
                    "collection_total_due": -40.0,
                    "collection_total_overdue": 0.0,
                    "collection_days_overdue": 0,
                    "collection_amount_current": -40.0,
                    "collection_amount_61_90": 0.0,
                }
            ],
        )
        self.assertEqual(invoice.collection_days_overdue, 80)
        overview = self.env["account.collection.overview"]
        self.assertFalse(
            overview.search([("partner_id", "=", customer.id), ("total_overdue", ">", 0)])
        )
        self.assertTrue(overview.search([("partner_id", "=", customer.id), ("total_due", "<", 0)]))

    def test_sql_matches_the_pure_rule(self):
        """The SQL netting gives what engine.netting gives on the same lines."""
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.customer.id),
                ("account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
                ("parent_state", "=", "posted"),
            ]
        )
        items = [
            OpenItem(line.id, line.date_maturity, round(line.amount_residual * 100))
            for line in lines
            if line.amount_residual
        ]
        aging = summarize(items, self.today, DEFAULT_BUCKETS)
        summary = self.env["account.collection.open.item"]._get_customer_summaries(
            self.customer, self.company
        )[self.company.id, self.customer.id]
        self.assertEqual(round(summary["total_due"] * 100), aging.total_due)
        self.assertEqual(round(summary["total_overdue"] * 100), aging.total_overdue)
        self.assertEqual(summary["days_overdue"], aging.oldest_days_overdue)
        for key in BUCKETS:
            self.assertEqual(round(summary["amount_" + key] * 100), aging.buckets[key], key)

    def test_as_of_a_past_date(self):
        """On 2026-02-20: later invoices absent, the later partial payment not applied."""
        summary = self.env["account.collection.open.item"]._get_customer_summaries(
            self.customer, self.company, as_of=fields.Date.to_date("2026-02-20")
        )[self.company.id, self.customer.id]
        self.assertEqual(summary["total_due"], 1800.0)  # 300 + 400 + 500 + 600
        self.assertEqual(summary["total_overdue"], 1800.0)
        self.assertEqual(summary["days_overdue"], 142)
        self.assertEqual(summary["amount_1_30"], 300.0)  # 6 days
        self.assertEqual(summary["amount_31_60"], 400.0)  # 36 days
        self.assertEqual(summary["amount_61_90"], 500.0)  # 66 days
        self.assertEqual(summary["amount_over_120"], 600.0)

    def test_overview_list_order_filters_and_groups(self):
        small = self._customer("Small Debtor")
        self._invoice(small, 50, "2026-01-31")  # 59 days
        overview = self.env["account.collection.overview"].with_user(self.collector)
        rows = overview.search([("total_overdue", ">", 0)])
        self.assertEqual(rows.partner_id[:3], self.customer + self.instalment_customer + small)
        # a bucket filter
        self.assertEqual(
            overview.search([("amount_31_60", ">", 0)]).partner_id, self.customer + small
        )
        # grouped by collector, summed
        groups = overview._read_group(
            [("total_overdue", ">", 0)], ["collector_id"], ["total_overdue:sum", "__count"]
        )
        by_collector = {collector: (total, count) for collector, total, count in groups}
        self.assertEqual(by_collector[self.env.user], (2100.0, 1))
        self.assertEqual(by_collector[self.env["res.users"]], (350.0, 2))

    def test_bucket_fields_follow_the_engine(self):
        overview = self.env["account.collection.overview"]
        names = overview._bucket_field_names()
        self.assertEqual(names, ["amount_" + bucket.key for bucket in DEFAULT_BUCKETS])
        for name in names:
            self.assertIn(name, overview._fields)
            self.assertIn("collection_" + name, self.env["res.partner"]._fields)

    def test_open_actions(self):
        row = self.env["account.collection.overview"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(row.action_open_customer()["res_id"], self.customer.id)
        action = row.action_open_invoices()
        invoices = self.env["account.move"].search(action["domain"])
        self.assertEqual(
            invoices,
            self.inv_current
            + self.inv_10
            + self.inv_45
            + self.inv_75
            + self.inv_105
            + self.inv_181
            + self.inv_eur
            + self.refund,
        )
