from freezegun import freeze_time
from psycopg2.errors import UniqueViolation

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.account_collections.engine import kpi

from .common import CollectionsCommon

FEB = fields.Date.to_date("2026-02-01")
JAN = fields.Date.to_date("2026-01-01")


@tagged("post_install", "-at_install")
class TestKpiSnapshot(CollectionsCommon):
    """Monthly snapshots of a small ledger, checked against hand-computed KPIs.

    February 2026: at its start 1000 open (A1, 11 days late); sales of
    December 300, January 1000, February 600 - 100 (a credit note); at its end
    A1's 600 (39 days late), B1's 600 (not due) and the credit note's -100
    (8 days): 1100 open, 600 of it current.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="kpi_manager",
            groups="account_collections.group_collections_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.alpha = cls._customer("Alpha")
        with freeze_time("2025-11-15"):  # Alpha's collector for the whole history
            cls.alpha.with_company(cls.company).collector_id = cls.collector
        cls.bravo = cls._customer("Bravo")
        cls.a1 = cls._invoice(cls.alpha, 1000, "2026-01-20", invoice_date="2026-01-05")
        cls._pay(cls.a1, 400, "2026-02-10")
        cls.b2 = cls._invoice(cls.bravo, 300, "2025-12-31", invoice_date="2025-12-10")
        cls._pay(cls.b2, 300, "2026-01-15")
        cls.b1 = cls._invoice(cls.bravo, 600, "2026-03-15", invoice_date="2026-02-15")
        cls.credit = cls._invoice(cls.bravo, 100, "2026-02-20", move_type="out_refund")
        cls.cron = cls.env.ref("account_collections.ir_cron_collection_kpi_snapshot")
        cls.snapshots = cls.env["account.collection.kpi.snapshot"]

    def _trigger(self, when="2026-03-31 08:00:00"):
        with freeze_time(when), self.enter_registry_test_mode():
            self.cron.method_direct_trigger()

    def _get(self, month, collector=None, company=None):
        return self.snapshots.search(
            [
                ("company_id", "=", (company or self.company).id),
                ("month", "=", month),
                ("collector_id", "=", collector.id if collector else False),
            ]
        )

    def test_february_against_hand_computed_figures(self):
        self._trigger()
        self.assertRecordValues(
            self._get(FEB),
            [
                {
                    "date": fields.Date.to_date("2026-02-28"),
                    "receivables": 1100.0,
                    "current": 600.0,
                    "overdue": 500.0,
                    "begin_receivables": 1000.0,
                    "credit_sales": 500.0,
                    "amount_bucket_0": 600.0,
                    "amount_bucket_1": -100.0,
                    "amount_bucket_2": 600.0,
                    "amount_bucket_3": 0.0,
                    # 1100 / (500 + 1000 + 300) * (28 + 31 + 31)
                    "dso": 55.0,
                    "best_possible_dso": 30.0,
                    "add": 25.0,
                    # February's 500 in 28 days, then 600 of January's 1000
                    "dso_count_back": 46.6,
                    # (1000 + 500 - 1100) / (1000 + 500 - 600)
                    "cei": round(400 / 900 * 100, 1),
                    "percentage_current": round(600 / 1100 * 100, 1),
                }
            ],
        )
        self.assertRecordValues(
            self._get(JAN),
            [{"receivables": 1000.0, "begin_receivables": 300.0, "credit_sales": 1000.0}],
        )

    def test_indicators_that_cannot_be_computed_stay_empty(self):
        self._trigger()
        # November 2025: no receivable, no sale: no DSO, CEI or share current
        # (count-back finds nothing outstanding: 0 days)
        november = self._get(fields.Date.to_date("2025-11-01"))
        self.assertEqual(november.receivables, 0.0)
        self.env.cr.execute(
            "SELECT dso, dso_count_back, cei, percentage_current, add"
            " FROM account_collection_kpi_snapshot WHERE id = %s",
            [november.id],
        )
        self.assertEqual(self.env.cr.fetchone(), (None, 0.0, None, None, None))
        february = self._get(FEB)
        self.env.cr.execute(
            "SELECT dso FROM account_collection_kpi_snapshot WHERE id = %s", [february.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], 55.0)
        # the average over the year leaves the empty months out
        [[average]] = self.snapshots._read_group(
            [("company_id", "=", self.company.id), ("collector_id", "=", False)],
            aggregates=["dso:avg"],
        )
        dsos = [
            snapshot.dso
            for snapshot in self.snapshots.search(
                [("company_id", "=", self.company.id), ("collector_id", "=", False)]
            )
            if snapshot.month >= fields.Date.to_date("2025-12-01")
        ]
        self.assertAlmostEqual(average, sum(dsos) / len(dsos), places=1)

    def test_per_collector(self):
        self._trigger()
        self.assertRecordValues(
            self._get(FEB, self.collector),
            [
                {
                    "receivables": 600.0,
                    "current": 0.0,
                    "begin_receivables": 1000.0,
                    "credit_sales": 0.0,
                    "dso": 54.0,  # 600 / 1000 * 90
                    "cei": 40.0,  # (1000 - 600) / 1000
                }
            ],
        )
        # Bravo has no collector: no collector row for it, the company row has it
        self.assertEqual(self.snapshots.search([("month", "=", FEB)]).collector_id, self.collector)

    def test_a_new_collector_takes_the_months_from_the_change_on(self):
        other = new_test_user(
            self.env,
            login="kpi_other_collector",
            groups="account_collections.group_collections_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with freeze_time("2026-02-10"):
            self.alpha.with_company(self.company).collector_id = other
        history = self.env["account.collection.collector.history"].search(
            [("partner_id", "=", self.alpha.id)]
        )
        self.assertEqual(
            [(str(h.date_from), h.collector_id) for h in history],
            [
                ("2026-02-10", other),
                ("2025-11-15", self.collector),
                ("False", self.env["res.users"]),
            ],
        )
        self._trigger()
        # January stays with the collector of the day, February is the new one's
        self.assertEqual(self._get(JAN, self.collector).receivables, 1000.0)
        self.assertFalse(self._get(JAN, other))
        self.assertEqual(self._get(FEB, other).receivables, 600.0)
        self.assertFalse(self._get(FEB, self.collector).receivables)  # nothing left with him
        # the activity report too: a call before the change stays with the first collector
        with freeze_time("2026-01-20"):
            call = self.env["account.collection.call"].create(
                {"partner_id": self.alpha.id, "outcome": "no_answer", "date": "2026-01-20 10:00:00"}
            )
        row = self.env["account.collection.activity.report"].search(
            [("activity", "=", "call"), ("partner_id", "=", self.alpha.id)]
        )
        self.assertEqual(row.collector_id, self.collector)
        self.assertTrue(call)

    def test_backfill_on_first_run_then_one_month_at_a_time(self):
        self._trigger()
        company_rows = self.snapshots.search(
            [("company_id", "=", self.company.id), ("collector_id", "=", False)]
        )
        self.assertEqual(len(company_rows), 12)
        self.assertEqual(min(company_rows.mapped("month")), fields.Date.to_date("2025-03-01"))
        self.assertEqual(max(company_rows.mapped("month")), FEB)
        count = self.snapshots.search_count([])
        # rerun the same day: nothing new, nothing twice
        self._trigger("2026-03-31 20:00:00")
        self.assertEqual(self.snapshots.search_count([]), count)
        # once March has ended, March alone is added
        self._trigger("2026-04-02 08:00:00")
        march = self._get(fields.Date.to_date("2026-03-01"))
        self.assertEqual(march.receivables, 1100.0)  # nothing moved in March
        self.assertEqual(
            self.snapshots.search_count(
                [("company_id", "=", self.company.id), ("collector_id", "=", False)]
            ),
            13,
        )

    def test_switched_off(self):
        self.company.collection_trends = False
        self._trigger()
        self.assertFalse(self.snapshots.search([("company_id", "=", self.company.id)]))

    def test_one_snapshot_per_company_collector_and_month(self):
        self._trigger()
        with self.assertRaises(UniqueViolation), self.cr.savepoint(), mute_logger("odoo.sql_db"):
            self.snapshots.sudo().create(
                {"company_id": self.company.id, "month": FEB, "date": "2026-02-28"}
            )
            self.snapshots.flush_model()

    def test_backfill_on_demand_replaces(self):
        self._trigger()
        self._get(FEB).sudo().receivables = 1.0
        count = self.snapshots.search_count([])
        with freeze_time("2026-03-31"):
            self.snapshots.with_user(self.manager).with_context(
                allowed_company_ids=self.company.ids
            ).action_backfill()
        self.assertEqual(self._get(FEB).receivables, 1100.0)
        self.assertEqual(self.snapshots.search_count([]), count)
        with self.assertRaises(UserError):
            self.snapshots.with_user(self.collector).action_backfill()

    def test_rights_and_companies(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        self._invoice(self.bravo, 700, "2026-01-10", company=company_b)
        self._trigger()
        self.assertEqual(self._get(FEB, company=company_b).receivables, 700.0)
        rows = self.snapshots.with_user(self.collector).search([])
        self.assertEqual(rows.company_id, self.company)
        with self.assertRaises(AccessError):
            self._get(FEB, company=company_b).with_user(self.collector).read(["receivables"])
        with self.assertRaises(AccessError):
            self._get(FEB).with_user(self.collector).write({"receivables": 0})
        billing = new_test_user(
            self.env, login="kpi_billing", groups="account.group_account_invoice"
        )
        with self.assertRaises(AccessError):
            self.snapshots.with_user(billing).search([])

    def test_query_count_does_not_grow_with_customers(self):
        def count():
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            self.snapshots._get_snapshot_values(self.company, [JAN, FEB])
            return self.cr.sql_log_count - start

        count()  # warm the caches
        before = count()
        self._bulk_customers(30)
        self.assertEqual(count(), before)


@tagged("post_install", "-at_install")
class TestPaymentDays(CollectionsCommon):
    def test_average_days_to_pay_and_late(self):
        customer = self._customer("Payer")
        contact = self.env["res.partner"].create({"name": "Payer AP", "parent_id": customer.id})
        # 45 days to pay, 15 late, 100 paid
        inv_1 = self._invoice(contact, 100, "2026-01-31", invoice_date="2026-01-01")
        self._pay(inv_1, 100, "2026-02-15")
        # 28 days to pay, on time, 300 paid
        inv_2 = self._invoice(customer, 300, "2026-03-03", invoice_date="2026-02-01")
        self._pay(inv_2, 300, "2026-03-01")
        # paid 13 months ago: out of the window
        inv_3 = self._invoice(customer, 500, "2025-01-31", invoice_date="2025-01-01")
        self._pay(inv_3, 500, "2025-02-28")
        # a credit note is not a payment
        inv_4 = self._invoice(customer, 50, "2026-01-31", invoice_date="2026-01-01")
        refund = self._invoice(customer, 50, "2026-03-20", move_type="out_refund")
        (inv_4 + refund).line_ids.filtered(
            lambda line: line.account_id == self.receivable
        ).reconcile()
        expected = [
            kpi.Payment(100, *map(fields.Date.to_date, ("2026-01-01", "2026-01-31", "2026-02-15"))),
            kpi.Payment(300, *map(fields.Date.to_date, ("2026-02-01", "2026-03-03", "2026-03-01"))),
        ]
        customer.invalidate_recordset()
        # shown to one decimal
        self.assertAlmostEqual(
            customer.collection_avg_days_to_pay, kpi.average_days_to_pay(expected), delta=0.05
        )
        self.assertAlmostEqual(customer.collection_avg_days_to_pay, 32.25, delta=0.05)
        self.assertAlmostEqual(customer.collection_avg_days_late, 3.75, delta=0.05)
        days = self.env["account.collection.kpi.snapshot"]._get_payment_days(
            self.company, customer.ids
        )
        self.assertAlmostEqual(days[customer.id][0], 32.25)
        self.assertAlmostEqual(days[customer.id][1], kpi.average_days_late(expected))
        self.assertEqual(contact.collection_avg_days_late, customer.collection_avg_days_late)
        nobody = self._customer("Never Paid")
        self.assertEqual(nobody.collection_avg_days_to_pay, 0.0)

    def test_query_count_does_not_grow_with_customers(self):
        partners = self._bulk_customers(40)

        def count(customers):
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            customers.mapped("collection_avg_days_to_pay")
            return self.cr.sql_log_count - start

        count(partners[:5])  # warm the caches
        self.assertEqual(count(partners[:20]), count(partners))
