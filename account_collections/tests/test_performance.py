from odoo.tests import tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestPerformance(CollectionsCommon):
    """Computing the overview costs a fixed number of queries per batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls._bulk_customers(200, amount=lambda i: 10 + i)

    def _count_queries(self, partners):
        """Queries run to compute the customers' overview, and the result."""
        self.env.invalidate_all()
        start = self.cr.sql_log_count
        totals = partners.mapped("collection_total_overdue")
        return self.cr.sql_log_count - start, totals

    def test_same_query_count_for_100_and_200_customers(self):
        self._count_queries(self.partners[:10])  # warm the caches (company, currency)
        count_100, totals_100 = self._count_queries(self.partners[:100])
        count_200, totals_200 = self._count_queries(self.partners)
        self.assertEqual(count_100, count_200)
        self.assertLessEqual(count_200, 8)  # the summary, plus reading company and currency
        self.assertEqual(totals_200[:3], [10.0, 11.0, 12.0])
        self.assertEqual(sum(totals_200), sum(10 + i for i in range(200)))
        self.assertEqual(len(totals_100), 100)

    def test_overview_list_query_count_does_not_grow(self):
        overview = self.env["account.collection.overview"]

        def count(limit):
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            rows = overview.search_fetch(
                [("total_overdue", ">", 0)],
                ["partner_id", "total_overdue", "amount_1_30", "collector_id"],
                limit=limit,
            )
            rows.mapped("partner_id.name")
            return self.cr.sql_log_count - start, len(rows)

        count(1)  # warm the caches
        self.assertEqual(count(100)[0], count(200)[0])
        self.assertEqual(count(200)[1], 200)
