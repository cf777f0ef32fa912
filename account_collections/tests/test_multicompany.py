from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestMultiCompany(CollectionsCommon):
    """Each company sees its own receivables, and a shared customer's are split."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.shared = cls._customer("Shared Customer")
        cls.only_b = cls._customer("Only In B")
        cls._invoice(cls.shared, 100, "2026-03-01")
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company_b.id]))
        cls._invoice(cls.shared, 700, "2026-01-01")
        cls._invoice(cls.only_b, 900, "2026-02-01")
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        cls.user_a = cls.collector
        cls.user_b = new_test_user(
            cls.env,
            login="collector_b",
            groups="account_collections.group_collections_user",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )

    def test_a_user_of_company_a_sees_nothing_of_company_b(self):
        overview = self.env["account.collection.overview"].with_user(self.user_a)
        rows = overview.search([])
        self.assertEqual(rows.company_id, self.company)
        self.assertEqual(rows.partner_id, self.shared)
        self.assertEqual(rows.total_overdue, 100.0)
        # even asking for company B explicitly
        self.assertFalse(overview.search([("company_id", "=", self.company_b.id)]))
        totals = overview._read_group([], [], ["total_due:sum"])
        self.assertEqual(totals, [(100.0,)])
        # and company B's rows cannot be read by id
        row_b = (
            self.env["account.collection.overview"]
            .with_company(self.company_b)
            .search([("partner_id", "=", self.only_b.id)])
        )
        self.assertTrue(row_b)
        with self.assertRaises(AccessError):
            row_b.with_user(self.user_a).read(["total_overdue"])

    def test_customer_figures_follow_the_current_company(self):
        shared_a = self.shared.with_user(self.user_a)
        self.assertEqual(shared_a.collection_total_overdue, 100.0)
        shared_b = self.shared.with_user(self.user_b).with_company(self.company_b)
        self.assertEqual(shared_b.collection_total_overdue, 700.0)
        self.assertEqual(shared_b.collection_days_overdue, 89)
        self.assertEqual(shared_b.collection_amount_61_90, 700.0)

    def test_collector_is_per_company(self):
        self.shared.with_company(self.company_b).collector_id = self.user_b
        self.assertFalse(self.shared.collector_id)
        rows = (
            self.env["account.collection.overview"]
            .with_user(self.user_b)
            .with_context(allowed_company_ids=self.company_b.ids)
            .search([])
        )
        self.assertEqual(rows.partner_id, self.shared + self.only_b)
        self.assertEqual(
            rows.filtered(lambda r: r.partner_id == self.shared).collector_id, self.user_b
        )

    def test_a_user_of_both_companies_sees_a_row_per_company(self):
        self.user_a.company_ids = self.company + self.company_b
        overview = (
            self.env["account.collection.overview"]
            .with_user(self.user_a)
            .with_context(allowed_company_ids=[self.company.id, self.company_b.id])
        )
        rows = overview.search([("partner_id", "=", self.shared.id)])
        self.assertEqual(len(rows), 2)
        self.assertEqual(sorted(rows.mapped("total_overdue")), [100.0, 700.0])
