from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestWorklist(DunningCommon):
    """The worklist: who to call first, and why."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.big = cls._customer("Big Owner")
        cls.small = cls._customer("Small Owner")
        cls.old = cls._customer("Old Debt")
        cls.current = cls._customer("Not Yet Due")
        cls.big_invoice = cls._invoice(cls.big, 5000, "2026-03-01")
        cls._invoice(cls.small, 500, "2026-03-01")
        cls._invoice(cls.old, 5000, "2025-03-01")
        cls._invoice(cls.current, 9000, "2026-04-30")
        cls.invoicing_user = new_test_user(
            cls.env, login="billing_wl", groups="account.group_account_invoice"
        )

    def _worklist(self, user=None, **context):
        worklist = self.env["account.collection.worklist"].with_user(user or self.collector)
        worklist.with_context(**context)._refresh(self.env.companies)
        return worklist.search([])

    def _row(self, partner):
        return self.env["account.collection.worklist"].search([("partner_id", "=", partner.id)])

    def test_customers_in_score_order_with_the_parts(self):
        rows = self._worklist()
        self.assertEqual(rows.partner_id, self.big + self.old + self.small)
        big = rows[0]
        # 30 days overdue: 0.05 + 0.9 * 0.5 ** (30 / 90)
        self.assertAlmostEqual(big.days_factor, 0.05 + 0.9 * 0.5 ** (30 / 90), places=4)
        self.assertEqual(big.history_factor, 1.0)
        self.assertEqual(big.total_overdue, 5000.0)
        self.assertEqual(big.score, 3821.65)  # 5,000 x 0.76433
        self.assertIn("Big Owner", big.display_name)
        self.assertIn("5,000.00", big.explanation)
        self.assertIn("30 days overdue", big.explanation)
        self.assertNotIn(self.current, rows.partner_id)  # nothing overdue: nothing to do

    def test_write_off_and_court_claim_from_the_worklist(self):
        rows = self._worklist()
        old_row = rows.filtered(lambda row: row.partner_id == self.old)
        action = (
            (old_row + rows.filtered(lambda r: r.partner_id == self.small))
            .with_user(self.collector)
            .action_propose_writeoff()
        )
        writeoffs = self.env["account.collection.writeoff"].search(action["domain"])
        self.assertEqual(writeoffs.partner_id, self.old + self.small)
        self.assertEqual(writeoffs.mapped("state"), ["proposed", "proposed"])
        claim = self.env["account.collection.claim"].browse(
            rows[0].with_user(self.collector).action_court_claim()["res_id"]
        )
        self.assertEqual(claim.line_ids.move_id, self.big_invoice)

    def test_the_customer_shows_why_it_is_here(self):
        partner = self.big.with_user(self.collector)
        row = self._worklist()[0]
        self.assertEqual(partner.collection_score, row.score)
        self.assertAlmostEqual(partner.collection_probability, row.probability, places=4)
        self.assertIn("Chance of collecting", partner.collection_score_explanation)
        self.assertIn(
            "Nothing overdue", self.current.with_user(self.collector).collection_score_explanation
        )

    def test_a_late_payer_scores_lower(self):
        punctual = self._customer("Punctual")
        late = self._customer("Late Payer")
        for partner, paid_on in ((punctual, "2026-01-10"), (late, "2026-03-10")):
            paid = self._invoice(partner, 100, "2026-01-10", invoice_date="2025-12-10")
            self._pay(paid, 100, paid_on)
            self._invoice(partner, 1000, "2026-03-01")
        self._worklist()
        self.assertEqual(self._row(punctual).avg_days_late, 0.0)
        self.assertEqual(self._row(late).avg_days_late, 59.0)
        self.assertLess(self._row(late).score, self._row(punctual).score)
        self.assertIn("59 days late", self._row(late).explanation)

    def test_no_payment_history_is_said_so(self):
        """A debtor who paid nothing in twelve months has no average days late
        (not "paid on time"): its lateness is in the days overdue."""
        row = self._worklist().filtered(lambda row: row.partner_id == self.old)
        self.assertFalse(row.payment_history)
        self.assertEqual(row.days_overdue, 395)
        self.assertIn("No payment history", row.explanation)
        self.assertNotIn("Paid on time", row.explanation)
        punctual = self._customer("Punctual Payer")
        paid = self._invoice(punctual, 100, "2026-01-10", invoice_date="2025-12-10")
        self._pay(paid, 100, "2026-01-10")
        self._invoice(punctual, 1000, "2026-03-01")
        self._worklist()
        self.assertTrue(self._row(punctual).payment_history)
        self.assertIn("Paid on time", self._row(punctual).explanation)
        explanation = self.old.with_user(self.collector).collection_score_explanation
        self.assertIn("No payment history", explanation)

    def test_a_call_today_shows_and_drops_the_customer_below(self):
        self.big.phone = "+1 555 0199"
        rows = self._worklist()
        self.assertEqual(rows.partner_id, self.big + self.old + self.small)
        self.assertEqual(rows[0].phone, "+1 555 0199")
        self.assertFalse(rows[0].last_contact_date)
        action = rows[0].with_user(self.collector).action_log_call()
        form = Form(
            self.env["account.collection.call"]
            .with_user(self.collector)
            .with_context(**action["context"])
        )
        form.outcome = "no_answer"
        form.save().action_log()
        # no refresh by hand: logging the call updates the row
        rows = self.env["account.collection.worklist"].with_user(self.collector).search([])
        self.assertEqual(rows.partner_id, self.old + self.small + self.big)
        self.assertRecordValues(
            rows[2],
            [
                {
                    "last_contact_date": self.today,
                    "last_contact": "Called today: No Answer",
                    "contacted_today": True,
                }
            ],
        )
        # the next day the customer takes its place again
        with freeze_time("2026-04-01"):
            rows = self._worklist()
            self.assertEqual(rows.partner_id, self.big + self.old + self.small)
            self.assertEqual(rows[0].last_contact, "Call: No Answer")
            self.assertEqual(str(rows[0].last_contact_date), "2026-03-31")

    def test_last_contacted_by_a_reminder(self):
        self._run("2026-03-20")
        rows = self._worklist()
        big = rows.filtered(lambda row: row.partner_id == self.big)
        reminder = self._reminders(self.big)
        self.assertTrue(reminder)
        self.assertEqual(str(big.last_contact_date), "2026-03-20")
        self.assertEqual(big.last_contact, reminder.level_id.name)
        self.assertFalse(big.contacted_today)

    def test_my_accounts_and_bulk_assignment(self):
        other = new_test_user(
            self.env,
            login="other_collector",
            groups="account_collections.group_collections_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        rows = self._worklist()
        wizard_action = rows[:2].with_user(self.manager).action_assign_collector()
        wizard = Form(
            self.env["res.partner.assign.collector"]
            .with_user(self.manager)
            .with_context(**wizard_action["context"])
        )
        wizard.collector_id = other
        wizard.save().action_assign()
        self.assertEqual(self.big.collector_id, other)
        self.assertEqual(self.old.collector_id, other)
        self.assertFalse(self.small.collector_id)
        worklist = self.env["account.collection.worklist"]
        mine = worklist.with_user(other).search([("collector_id", "=", other.id)])
        self.assertEqual(mine.partner_id, self.big + self.old)  # without a refresh
        # reassign back to the salesperson (empty collector)
        self.small.user_id = self.collector
        self.assertEqual(self._row(self.small).collector_id, self.collector)
        wizard = (
            self.env["res.partner.assign.collector"]
            .with_user(self.manager)
            .with_context(active_model="res.partner", active_ids=self.big.ids)
            .create({})
        )
        self.assertEqual(wizard.partner_ids, self.big)
        wizard.action_assign()
        self.assertFalse(self.big.collector_id)
        self.assertFalse(self._row(self.big).collector_id)

    def test_a_collector_cannot_reassign(self):
        wizard = (
            self.env["res.partner.assign.collector"]
            .sudo()
            .create({"partner_ids": [Command.set(self.big.ids)], "collector_id": self.collector.id})
        )
        with self.assertRaises(AccessError):
            wizard.with_user(self.collector).action_assign()
        self.assertFalse(self.big.collector_id)

    def test_opening_rebuilds_once_a_day(self):
        worklist = self.env["account.collection.worklist"].with_user(self.collector)
        action = worklist.action_open_worklist()
        self.assertEqual(action["res_model"], "account.collection.worklist")
        self.assertEqual(self.company.collection_worklist_date, self.today)
        self.assertEqual(len(worklist.search([])), 3)
        newcomer = self._customer("Newcomer")
        self._invoice(newcomer, 100, "2026-03-20")
        worklist.action_open_worklist()  # built today already: not rebuilt
        self.assertNotIn(newcomer, worklist.search([]).partner_id)
        worklist.action_refresh()
        self.assertIn(newcomer, worklist.search([]).partner_id)

    def test_the_nightly_rebuild(self):
        cron = self.env.ref("account_collections.ir_cron_collection_worklist")
        with freeze_time("2026-03-31 05:00"), self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertEqual(self.company.collection_worklist_date, self.today)
        rows = self.env["account.collection.worklist"].search([])
        self.assertEqual(rows.partner_id, self.big + self.old + self.small)

    def test_rights(self):
        self._worklist()
        for user in (self.collector, self.manager):
            self.assertEqual(
                len(self.env["account.collection.worklist"].with_user(user).search([])), 3
            )
        with self.assertRaises(AccessError):
            self.env["account.collection.worklist"].with_user(self.invoicing_user).search([])
        with self.assertRaises(AccessError):
            self.env["account.collection.worklist"].with_user(
                self.invoicing_user
            ).action_open_worklist()
        with self.assertRaises(AccessError):
            self._row(self.big).with_user(self.collector).write({"score": 1})


@tagged("post_install", "-at_install")
class TestWorklistMultiCompany(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.shared = cls._customer("Shared")
        cls._invoice(cls.shared, 100, "2026-03-01")
        cls._invoice(cls.shared, 700, "2026-01-01", company=cls.company_b)
        cls.user_b = new_test_user(
            cls.env,
            login="collector_b_wl",
            groups="account_collections.group_collections_user",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )

    def test_each_company_its_own_worklist(self):
        worklist = self.env["account.collection.worklist"]
        worklist._refresh(self.company + self.company_b)
        row_a = worklist.with_user(self.collector).search([])
        self.assertEqual(row_a.company_id, self.company)
        self.assertEqual(row_a.total_overdue, 100.0)
        row_b = worklist.with_user(self.user_b).search([])
        self.assertEqual(row_b.company_id, self.company_b)
        self.assertEqual(row_b.total_overdue, 700.0)
        with self.assertRaises(AccessError):
            row_b.with_user(self.collector).read(["score"])
        self.assertEqual(
            self.shared.with_user(self.user_b).with_company(self.company_b).collection_score,
            row_b.score,
        )


@tagged("post_install", "-at_install")
class TestWorklistPerformance(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls._bulk_customers(200, amount=lambda i: 10 + i)

    def _count(self, partners):
        worklist = self.env["account.collection.worklist"]
        self.env.invalidate_all()
        start = self.cr.sql_log_count
        worklist._refresh(self.company, partners)
        scores = worklist.search_fetch([("partner_id", "in", partners.ids)], ["score"])
        return self.cr.sql_log_count - start, len(scores)

    def test_same_query_count_for_100_and_200_customers(self):
        self._count(self.partners[:10])  # warm the caches
        count_100, rows_100 = self._count(self.partners[:100])
        count_200, rows_200 = self._count(self.partners)
        self.assertEqual((rows_100, rows_200), (100, 200))
        self.assertEqual(count_100, count_200)
        self.assertLessEqual(count_200, 20)

    def test_customer_scores_in_one_batch(self):
        def count(partners):
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            scores = self.env["res.partner"].browse(partners.ids).mapped("collection_score")
            return self.cr.sql_log_count - start, scores

        count(self.partners[:100])  # warm the caches
        count_100, scores_100 = count(self.partners[:100])
        count_200, scores_200 = count(self.partners)
        self.assertEqual(count_100, count_200)
        self.assertEqual(scores_100, scores_200[:100])
        self.assertTrue(all(scores_200))
