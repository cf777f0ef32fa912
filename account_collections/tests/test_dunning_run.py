import io
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.pdf import PdfFileReader

from ..models import account_collection_run as run_module
from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningRun(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Walker Trading")
        cls.invoice = cls._invoice(cls.customer, 1000, "2026-01-01", invoice_date="2025-12-01")

    def _reminders(self, partner):
        """The payment reminders only (a level's credit hold sends a hold notice too)."""
        return super()._reminders(partner).filtered(lambda c: c.kind == "reminder")

    def _levels(self, partner):
        return [(str(c.date), c.level_id.name) for c in self._reminders(partner)]

    def test_a_customer_walks_through_every_level_in_order(self):
        """Daily runs over three months: each level once, waiting times kept."""
        day = fields.Date.to_date("2026-01-05")
        while day <= fields.Date.to_date("2026-04-15"):
            self._run(day)
            day += self.days(1)
        self.assertEqual(
            self._levels(self.customer),
            [
                ("2026-01-11", "First reminder"),  # 10 days late
                ("2026-01-31", "Second reminder"),  # 30 days late
                ("2026-03-02", "Final demand"),  # 60 days late
            ],
        )
        reminders = self._reminders(self.customer)
        self.assertEqual(reminders.mapped("state"), ["sent", "sent", "sent"])
        self.assertEqual(reminders[2].amount_total, 1000.0)
        self.assertTrue(reminders[2].credit_hold)
        # the final demand's credit hold: placed with it, and told in it (one message)
        hold = self.env["account.collection.hold"].search([("partner_id", "=", self.customer.id)])
        self.assertRecordValues(hold, [{"state": "active", "level_id": self.level_3.id}])
        self.assertEqual(hold.notice_reminder_id, reminders[2])
        self.assertFalse(hold.communication_ids)
        self.assertEqual(self.invoice.collection_level_id, self.level_3)
        self.assertEqual(self.customer.collection_level_id, self.level_3)

    def test_the_run_keeps_each_invoice_level_and_drops_its_evaluation(self):
        run = self._run("2026-01-11")
        reached = self.env["account.collection.move.level"].search(
            [("move_id", "=", self.invoice.id)]
        )
        self.assertEqual((reached.level_id, reached.date), (self.level_1, run.date))
        self._run("2026-01-31")
        self.assertEqual(reached.level_id, self.level_2)
        # the evaluation table lives only while the run executes
        self.env.cr.execute("SELECT to_regclass('account_collection_run_evaluation')")
        self.assertIsNone(self.env.cr.fetchone()[0])

    def test_waiting_time_is_never_skipped(self):
        """Found 90 days late: the levels still come 14 days apart."""
        for day in ("2026-04-01", "2026-04-02", "2026-04-15", "2026-04-28", "2026-04-29"):
            self._run(day)
        self.assertEqual(
            self._levels(self.customer),
            [
                ("2026-04-01", "First reminder"),
                ("2026-04-15", "Second reminder"),
                ("2026-04-29", "Final demand"),
            ],
        )

    def test_partial_payment_keeps_the_level_full_payment_clears_it(self):
        self._run("2026-01-11")
        self._pay(self.invoice, 400, "2026-01-20")
        self._run("2026-01-31")
        reminders = self._reminders(self.customer)
        self.assertEqual(reminders.level_id, self.level_1 + self.level_2)
        self.assertEqual(reminders[1].line_ids.amount_residual_company, 600.0)
        self.assertEqual(self.customer.collection_level_id, self.level_2)
        self._pay(self.invoice, 600, "2026-02-10")
        self._run("2026-03-15")
        self.assertEqual(len(self._reminders(self.customer)), 2)
        self.invoice.invalidate_recordset()
        self.assertEqual(self.invoice.payment_state, "paid")
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.collection_level_id)  # full payment clears it

    def test_credit_note_nets_off(self):
        customer = self._customer("Credit Holder")
        self._invoice(customer, 300, "2026-01-01")
        self._invoice(customer, 300, "2026-01-05", move_type="out_refund")
        self._run("2026-02-15")
        self.assertFalse(self._reminders(customer))
        # part of a second invoice is not covered: only that is reminded
        second = self._invoice(customer, 250, "2026-01-10")
        self._run("2026-02-16")
        reminder = self._reminders(customer)
        self.assertEqual(reminder.line_ids.move_id, second)
        self.assertEqual(reminder.amount_total, 250.0)

    def test_disputed_and_excluded_invoices_are_skipped(self):
        disputed = self._invoice(self.customer, 200, "2026-01-02")
        excluded = self._invoice(self.customer, 300, "2026-01-03")
        disputed.collection_disputed = True
        excluded.collection_excluded = True
        self._run("2026-01-20")
        reminder = self._reminders(self.customer)
        self.assertEqual(reminder.line_ids.move_id, self.invoice)
        self.assertEqual(disputed.collection_exclusion_reasons, "Disputed")
        self.assertEqual(excluded.collection_exclusion_reasons, "Excluded from dunning by hand")
        # only the disputed invoice overdue: nothing at all
        other = self._customer("Only Disputed")
        self._invoice(other, 500, "2026-01-01").collection_disputed = True
        self._run("2026-01-21")
        self.assertFalse(self._reminders(other))

    def test_excluded_customer_gets_nothing(self):
        self.customer.collection_excluded = True
        self._run("2026-01-20")
        self.assertFalse(self._reminders(self.customer))

    def test_minimum_amount_is_in_company_currency(self):
        """1000 EUR at 2 EUR per USD is 500 USD: exactly the final demand's minimum."""
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        customer = self._customer("Euro Buyer")
        self._invoice(customer, 1000, "2026-01-01", currency_id=eur.id)
        for day in ("2026-01-11", "2026-01-31", "2026-03-02"):
            self._run(day)
        self.assertEqual(self._reminders(customer).level_id, self.policy.level_ids)
        self.level_3.min_amount = 500.01
        small = self._customer("Small Euro Buyer")
        self._invoice(small, 1000, "2026-01-01", currency_id=eur.id)
        for day in ("2026-01-11", "2026-01-31", "2026-03-02"):
            self._run(day)
        self.assertEqual(self._reminders(small).level_id, self.level_1 + self.level_2)

    def test_one_message_per_customer_per_day_listing_every_overdue_invoice(self):
        second = self._invoice(self.customer, 200, "2026-01-05")
        not_due = self._invoice(self.customer, 900, "2026-02-28")
        self._run("2026-01-20")
        reminder = self._reminders(self.customer)
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.line_ids.move_id, self.invoice + second)
        self.assertNotIn(not_due, reminder.line_ids.move_id)
        self.assertEqual(len(reminder.mail_ids), 1)
        self.assertEqual(reminder.mail_ids.state, "outgoing")  # queued, sent after commit
        self.assertEqual(reminder.mail_state, "queued")
        reminder.mail_ids.write({"state": "exception", "failure_reason": "Mailbox full"})
        reminder.invalidate_recordset()
        self.assertEqual(reminder.mail_state, "failed")
        self.assertEqual(reminder.failure_reason, "Mailbox full")
        self.assertEqual(
            self.env["account.collection.communication"].name_search("Walker"),
            [(reminder.id, reminder.display_name)],
        )
        self.assertEqual(reminder.mail_ids.recipient_ids, self.customer)
        self.assertIn(second.name, reminder.mail_ids.body_html)
        self.assertIn(reminder.summary_html, reminder.mail_ids.body_html)
        # the shipped templates render by substitution, not by compiling QWeb per customer
        template = self.level_1.mail_template_id
        self.assertFalse(
            template._has_unsafe_expression_template_qweb(template.body_html, template.model)
        )
        self.assertEqual(reminder.mail_ids.model, "res.partner")
        self.assertEqual(reminder.mail_ids.res_id, self.customer.id)

    def test_invoice_contact_receives_the_reminder(self):
        contact = self.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "parent_id": self.customer.id,
                "type": "invoice",
                "email": "ap@walker.example.com",
            }
        )
        self._run("2026-01-20")
        reminder = self._reminders(self.customer)
        self.assertEqual(reminder.recipient_id, contact)
        self.assertEqual(reminder.mail_ids.recipient_ids, contact)

    def test_second_level_prints_a_letter_and_creates_an_activity(self):
        self.customer.collector_id = self.collector
        self._run("2026-01-11")
        run = self._run("2026-01-31")
        reminder = self._reminders(self.customer)[1]
        self.assertTrue(reminder.by_letter)
        self.assertTrue(reminder.attachment_id)
        self.assertEqual(reminder.mail_ids.attachment_ids, reminder.attachment_id)
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.date_deadline, fields.Date.to_date("2026-02-03"))
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(run.sent_count, 1)

    def test_review_mode(self):
        self.level_1.review_required = True
        other = self._customer("Second Customer")
        self._invoice(other, 700, "2026-01-01")
        self._run("2026-01-11")
        pending = self._reminders(self.customer) | self._reminders(other)
        self.assertEqual(pending.mapped("state"), ["to_review", "to_review"])
        self.assertFalse(pending.mail_ids)
        # the next day's run does not stack another proposal
        self._run("2026-01-12")
        self.assertEqual(len(self._reminders(self.customer)), 1)
        with self.assertRaises(UserError):
            pending.with_user(self.collector).action_approve()
        pending[0].with_user(self.manager).action_approve()
        pending[1].with_user(self.manager).action_skip()
        self.assertEqual(pending.mapped("state"), ["sent", "skipped"])
        self.assertEqual(len(pending[0].mail_ids), 1)
        self.assertFalse(pending[1].mail_ids)
        self.assertEqual(self.invoice.collection_level_id, self.level_1)

    def test_multi_company_isolation(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        self._make_policy(company_b)
        invoice_b = self._invoice(self.customer, 5000, "2026-01-01", company=company_b)
        self.manager.company_ids = self.company + company_b
        self._run("2026-01-11")
        reminder = self._reminders(self.customer)
        self.assertEqual(reminder.company_id, self.company)
        self.assertEqual(reminder.line_ids.move_id, self.invoice)
        self._run("2026-01-11", company=company_b)
        reminder_b = (
            self.env["account.collection.communication"]
            .sudo()
            .search([("company_id", "=", company_b.id)])
        )
        self.assertEqual(reminder_b.line_ids.move_id, invoice_b)
        self.assertEqual(reminder_b.amount_total, 5000.0)
        # a collections user of company A does not see company B's reminders
        self.assertEqual(
            self.env["account.collection.communication"].with_user(self.collector).search([]),
            reminder,
        )

    def test_a_new_company_gets_the_standard_policy(self):
        company_c = self.setup_other_company(name="Company C")["company"]
        self.manager.company_ids = self.company + company_c
        invoice = self._invoice(self.customer, 300, "2026-01-01", company=company_c)
        self._run("2026-01-20", company=company_c)
        policy = self.env["account.collection.policy"].search([("company_id", "=", company_c.id)])
        self.assertTrue(policy.is_default)
        self.assertEqual(
            policy.level_ids.sorted("days").mapped("name"),
            ["Friendly reminder", "Second reminder", "Final demand", "Notice before legal action"],
        )
        reminder = self.env["account.collection.communication"].search(
            [("company_id", "=", company_c.id)]
        )
        self.assertEqual(reminder.level_id.name, "Friendly reminder")
        self.assertEqual(reminder.line_ids.move_id, invoice)

    def test_unique_reminder_per_level_and_day(self):
        self._run("2026-01-11")
        reminder = self._reminders(self.customer)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["account.collection.communication"].sudo().create(
                {
                    "company_id": self.company.id,
                    "partner_id": self.customer.id,
                    "level_id": reminder.level_id.id,
                    "date": reminder.date,
                    "state": "to_review",
                }
            )

    def test_sent_reminders_cannot_be_changed_or_deleted(self):
        self._run("2026-01-11")
        reminder = self._reminders(self.customer)
        with self.assertRaises(UserError):
            reminder.with_user(self.manager).write({"amount_total": 1.0})
        with self.assertRaises(AccessError):
            reminder.with_user(self.manager).unlink()
        with self.assertRaises(UserError):
            reminder.with_user(self.collector).write({"amount_total": 1.0})
        with self.assertRaises(UserError):
            reminder.sudo().write({"amount_total": 1.0})
        with self.assertRaises(UserError):
            reminder.line_ids.sudo().write({"amount_residual": 1.0})
        with self.assertRaises(UserError):
            reminder.sudo().unlink()

    def test_rights_on_configuration(self):
        invoicing_user = new_test_user(
            self.env, login="billing_clerk", groups="account.group_account_invoice"
        )
        with self.assertRaises(AccessError):
            self.policy.with_user(invoicing_user).write({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.level_1.with_user(self.collector).write({"days": 5})
        self.level_1.with_user(self.manager).write({"days": 5})
        with self.assertRaises(UserError), freeze_time("2026-01-11"):
            self.env["account.collection.run"].with_user(self.collector).create(
                {"company_id": self.company.id}
            )
            self.env["account.collection.run"].create({"company_id": self.company.id}).with_user(
                self.collector
            ).action_run()


@tagged("post_install", "-at_install")
class TestGate(DunningCommon):
    def _reminder_for(self, **partner_values):
        customer = self._customer("Gate Customer", **partner_values)
        self._invoice(customer, 100, "2026-01-01")
        self._run("2026-01-11")
        return self._reminders(customer)

    def test_no_email_address(self):
        reminder = self._reminder_for(email=False)
        self.assertEqual(reminder.state, "refused")
        self.assertIn("no valid email address", reminder.refusal_reason)
        self.assertFalse(reminder.mail_ids)

    def test_a_refused_reminder_is_not_tried_again_the_same_day(self):
        reminder = self._reminder_for(email=False)
        with patch.object(
            type(self.env["account.collection.communication"]),
            "_create_reminders",
            side_effect=AssertionError("nothing to remind"),
        ):
            run = self._run("2026-01-11")
        self.assertEqual(run.error_count, 0)
        self.assertEqual(self._reminders(reminder.partner_id), reminder)

    def test_blacklisted_email(self):
        self.env["mail.blacklist"].create({"email": "blocked@example.com"})
        reminder = self._reminder_for(email="blocked@example.com")
        self.assertEqual(reminder.state, "refused")
        self.assertIn("blacklist", reminder.refusal_reason)

    def test_do_not_contact(self):
        reminder = self._reminder_for(collection_do_not_contact=True)
        self.assertEqual(reminder.state, "refused")
        self.assertIn("do-not-contact", reminder.refusal_reason)

    def test_letter_without_address_still_emails(self):
        self.level_1.send_letter = True
        reminder = self._reminder_for(street=False)
        self.assertEqual(reminder.state, "sent")
        self.assertTrue(reminder.by_email)
        self.assertFalse(reminder.by_letter)
        self.assertIn("no complete postal address", reminder.refusal_reason)

    def test_gate_rules_directly(self):
        gate = self.env["account.collection.gate"]
        ok = self._customer("Fine Customer")
        excluded = self._customer("Excluded Customer", collection_excluded=True)
        refused = gate._check(ok + excluded, "email")
        self.assertEqual(list(refused), [excluded.id])
        with self.assertRaises(ValueError):
            gate._check(ok, "pigeon")

    def test_refused_reminder_does_not_advance_the_invoice(self):
        reminder = self._reminder_for(email=False)
        self.assertFalse(reminder.line_ids.move_id.collection_level_id)


@tagged("post_install", "-at_install")
class TestDunningCron(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"]
        for name in ("Alpha Co", "Beta Co", "Gamma Co"):
            customer = cls._customer(name)
            cls._invoice(customer, 800, "2026-03-01")
            cls.customers |= customer
        cls.env["res.company"].search([("id", "!=", cls.company.id)]).collection_auto_run = False
        cls.cron = cls.env.ref("account_collections.ir_cron_collection_dunning")

    def _trigger(self):
        with freeze_time("2026-03-31 08:00:00"), self.enter_registry_test_mode():
            self.cron.method_direct_trigger()

    def _communications(self):
        return self.env["account.collection.communication"].search(
            [("partner_id", "in", self.customers.ids)]
        )

    def test_cron_twice_on_the_same_day_sends_once(self):
        self._trigger()
        self._trigger()
        communications = self._communications()
        self.assertEqual(len(communications), 3)
        self.assertEqual(len(communications.mail_ids), 3)
        runs = self.env["account.collection.run"].search([("company_id", "=", self.company.id)])
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs.state, "done")
        self.assertEqual(runs.trigger, "cron")

    def test_an_error_on_one_customer_leaves_the_others_processed(self):
        beta = self.customers[1]
        original = type(self.env["account.collection.communication"])._create_activities

        def failing(communications):
            if beta in communications.partner_id:
                raise ValueError("Mail server on fire")
            return original(communications)

        with (
            patch.object(
                type(self.env["account.collection.communication"]), "_create_activities", failing
            ),
            mute_logger("odoo.addons.account_collections.models.account_collection_run"),
        ):
            self._trigger()
        communications = self._communications()
        self.assertEqual(communications.partner_id, self.customers - beta)
        run = self.env["account.collection.run"].search([("company_id", "=", self.company.id)])
        self.assertEqual(run.error_count, 1)
        self.assertIn("Mail server on fire", run.error_log)
        self.assertIn("Mail server on fire", beta.message_ids[0].body)
        # the rerun (same day, by hand) completes the job without duplicates
        self._run("2026-03-31")
        communications = self._communications()
        self.assertEqual(len(communications), 3)
        self.assertEqual(communications.partner_id, self.customers)

    def _cron_run(self, day="2026-03-31"):
        with freeze_time(day):
            return self.env["account.collection.run"].create(
                {"company_id": self.company.id, "date": day, "trigger": "cron"}
            )

    def _out_of_time(self, reported):
        """Every commit of progress says the pickup's time is up (and records it)."""

        def commit_progress(cron, processed=0, *, remaining=None, deactivate=False):
            reported.append(remaining)
            return 0

        return patch.object(type(self.env["ir.cron"]), "_commit_progress", commit_progress)

    def test_each_pickup_advances_and_the_run_is_done_with_its_last_batch(self):
        """Out of time after every step: each call goes one step further, Odoo is
        told there is work left until the run is really done (a last batch
        ending after the pickup's time no longer leaves the run In Progress)."""
        run = self._cron_run()
        reported, results, counts = [], [], []
        with (
            freeze_time("2026-03-31 08:00:00"),
            patch.object(run_module, "BATCH_SIZE", 1),
            self._out_of_time(reported),
        ):
            for _call in range(6):
                results.append(run._execute(commit=True))
                counts.append(len(self._communications()))
                if results[-1]:
                    break
        self.assertEqual(results, [False, False, False, False, True])
        self.assertEqual(counts, [0, 1, 2, 3, 3])
        self.assertEqual(reported, [4, 3, 2, 1, 0])
        self.assertEqual(run.state, "done")
        self.assertEqual(run.customer_count, 3)
        self.assertIn("Dunning run done", run.message_ids[0].body)
        self.assertIn("3 sent", run.message_ids[0].body)

    def test_a_lost_work_list_is_evaluated_again_without_duplicates(self):
        """A crash empties the unlogged work list: the run evaluates again and
        reminds nobody twice."""
        run = self._cron_run()
        with (
            freeze_time("2026-03-31 08:00:00"),
            patch.object(run_module, "BATCH_SIZE", 1),
            self._out_of_time([]),
        ):
            run._execute(commit=True)
            run._execute(commit=True)
            self.assertEqual(len(self._communications()), 1)
            self.env.cr.execute("DELETE FROM account_collection_run_customer")
            while not run._execute(commit=True):
                pass
        self.assertEqual(run.state, "done")
        communications = self._communications()
        self.assertEqual(len(communications), 3)
        self.assertEqual(communications.partner_id, self.customers)

    def test_a_run_by_hand_with_a_busy_customer_is_finished_by_the_scheduled_job(self):
        """A customer locked by another transaction is left for later, not lost:
        the run by hand stays In Progress and the scheduled job finishes it."""
        busy = self.customers[0]
        partner_model = type(self.env["res.partner"])
        original = partner_model.try_lock_for_update

        def locked_elsewhere(partners, *args, **kwargs):
            return original(partners - busy, *args, **kwargs)

        with patch.object(partner_model, "try_lock_for_update", locked_elsewhere):
            run = self._run("2026-03-31")
        self.assertEqual(run.state, "in_progress")
        self.assertEqual(self._communications().partner_id, self.customers - busy)
        self.assertIn("busy elsewhere", run.message_ids[0].body)
        self.assertTrue(self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]))
        self.env["res.company"].search([]).collection_auto_run = False
        self._trigger()
        self.assertEqual(run.state, "done")
        self.assertEqual(self._communications().partner_id, self.customers)
        self.assertEqual(len(self._communications()), 3)

    def test_the_cron_hands_over_when_its_time_is_up(self):
        """Called again past the pickup's time, the job does nothing and asks
        to be called again at once."""
        run = self._cron_run()
        reported = []
        with freeze_time("2026-03-31 08:00:00"), self._out_of_time(reported):
            self.env["account.collection.run"].with_context(cron_end_time=0)._cron_run_dunning()
        self.assertEqual(run.state, "draft")
        self.assertEqual(reported[0], 1)
        self.assertTrue(self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]))

    def test_an_earlier_run_left_in_progress_is_closed_by_today_s_run(self):
        earlier = self._cron_run("2026-03-30")
        with (
            freeze_time("2026-03-30 08:00:00"),
            patch.object(run_module, "BATCH_SIZE", 1),
            self._out_of_time([]),
        ):
            earlier._execute(commit=True)
            earlier._execute(commit=True)
        self.assertEqual(earlier.state, "in_progress")
        self._trigger()
        self.assertEqual(earlier.state, "done")
        self.assertIn("not reached", " ".join(earlier.message_ids.mapped("body")))
        today = self.env["account.collection.run"].search(
            [("company_id", "=", self.company.id), ("date", "=", "2026-03-31")]
        )
        self.assertEqual(today.state, "done")
        self.assertEqual(len(self._communications()), 3)
        self.assertFalse(self.env["account.collection.run.customer"]._count_todo(earlier | today))


@tagged("post_install", "-at_install")
class TestLetter(DunningCommon):
    def test_letter_lists_the_invoices_and_escapes_the_customer_name(self):
        hostile = self._customer('<script>alert("x")</script> Ltd')
        first = self._invoice(hostile, 120, "2026-01-01")
        second = self._invoice(hostile, 80, "2026-01-02")
        paid = self._invoice(hostile, 50, "2026-01-03")
        self._pay(paid, 50, "2026-01-04")
        self._run("2026-01-12")
        reminder = self._reminders(hostile)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account_collections.action_report_collection_letter", reminder.ids)[
                0
            ]
            .decode()
        )
        self.assertIn(first.name, html)
        self.assertIn(second.name, html)
        self.assertNotIn(paid.name, html)
        self.assertNotIn("<script>", html)
        self.assertIn("&lt;script&gt;", html)
        self.assertIn("First reminder", html)
        # and the email body too
        self.assertNotIn("<script>", reminder.mail_ids.body_html)

    def test_letter_file_name_holds_no_path_separator(self):
        customer = self._customer("Smith / Sons: Ltd")
        self._invoice(customer, 120, "2026-01-01")
        self._run("2026-01-12")
        name = self._reminders(customer)._get_report_filename()
        self.assertNotIn("/", name)
        self.assertNotIn(":", name)
        self.assertIn("Smith", name)

    def test_print_letters_says_why_there_is_nothing_to_post(self):
        self.level_1.email_attach_letter = True
        customer = self._customer("Email Only")
        self._invoice(customer, 120, "2026-01-01")
        run = self._run("2026-01-12")
        reminder = self._reminders(customer)
        self.assertTrue(reminder.attachment_id)  # the letter went with the email
        with self.assertRaisesRegex(UserError, "by email only"):
            run.with_user(self.manager).action_print_letters()
        empty = self._run("2026-01-13")
        with self.assertRaisesRegex(UserError, "no letter to print"):
            empty.with_user(self.manager).action_print_letters()

    def test_real_pdf_and_batch_printing(self):
        """With wkhtmltopdf: real letters, and a run's letters merged in one PDF."""
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() != "ok":
            self.skipTest("wkhtmltopdf is not installed")
        self.level_1.send_letter = True
        customers = self._customer("Pdf Customer") + self._customer("Other Pdf Customer")
        for customer in customers:
            self._invoice(customer, 120, "2026-01-01")
        report_model = type(self.env["ir.actions.report"])
        original = report_model._run_wkhtmltopdf
        calls = []

        def counted(report, bodies, *args, **kwargs):
            calls.append(len(bodies))
            return original(report, bodies, *args, **kwargs)

        with patch.object(report_model, "_run_wkhtmltopdf", counted):
            run = self._run("2026-01-12", force_report_rendering=True)
        # both letters from one wkhtmltopdf call, cut apart afterwards
        self.assertEqual(calls, [1])
        letters = self._reminders(customers[0]) + self._reminders(customers[1])
        self.assertEqual(letters.mapped("by_letter"), [True, True])
        self.assertEqual(letters.mapped("letter_state"), ["rendered", "rendered"])
        for letter in letters:
            self.assertTrue(letter.attachment_id.raw.startswith(b"%PDF"))
            pdf = PdfFileReader(io.BytesIO(letter.attachment_id.raw))
            self.assertEqual(len(pdf.pages), 1)
            # the marker link that told the letters apart is gone
            annotations = pdf.pages[0].get("/Annots")
            uris = [
                str(a.get_object().get("/A", {}).get("/URI"))
                for a in (annotations.get_object() if annotations else [])
            ]
            self.assertFalse([uri for uri in uris if "letter.invalid" in uri])
        action = run.with_user(self.manager).action_print_letters()
        merged = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        self.assertTrue(merged.raw.startswith(b"%PDF"))
        self.assertGreater(
            len(merged.raw), max(len(letter.attachment_id.raw) for letter in letters)
        )


@tagged("post_install", "-at_install")
class TestSendNow(DunningCommon):
    def test_preview_then_send(self):
        customer = self._customer("Urgent Case")
        invoice = self._invoice(customer, 400, "2026-03-01")
        wizard = (
            self.env["res.partner.send.reminder"]
            .with_user(self.collector)
            .create({"partner_id": customer.id})
        )
        # 30 days late but never reminded: the first level, never skipping one
        self.assertEqual(wizard.level_id, self.level_1)
        self.assertIn(invoice.name, wizard.preview)
        action = wizard.action_send()
        reminder = self.env["account.collection.communication"].browse(action["res_id"])
        self.assertEqual(reminder.state, "sent")
        self.assertFalse(reminder.run_id)
        self.assertEqual(reminder.line_ids.move_id, invoice)
        # again the same day: refused clearly
        again = self.env["res.partner.send.reminder"].create({"partner_id": customer.id})
        self.assertTrue(again.resend)
        with self.assertRaises(UserError):
            again.action_send()

    def test_nothing_overdue(self):
        customer = self._customer("Good Payer")
        wizard = self.env["res.partner.send.reminder"].create({"partner_id": customer.id})
        self.assertFalse(wizard.level_id)
        with self.assertRaises(UserError):
            wizard.action_send()


@tagged("post_install", "-at_install")
class TestDunningPerformance(DunningCommon):
    """The run costs a fixed number of queries per batch, PDFs aside."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls._bulk_customers(320)
        cls.level_1.create_activity = True

    def _queries(self, run, partners):
        self.env.invalidate_all()
        start = self.cr.sql_log_count
        with freeze_time("2026-03-31"):
            run._process_batch(partners.ids)
        return self.cr.sql_log_count - start

    def test_same_query_count_for_100_and_200_customers(self):
        run = self.env["account.collection.run"].create(
            {"company_id": self.company.id, "date": "2026-03-31"}
        )
        self._queries(run, self.partners[:10])  # warm the caches (rules, templates)
        self._queries(run, self.partners[10:20])
        count_100 = self._queries(run, self.partners[20:120])
        count_200 = self._queries(run, self.partners[120:])
        # Per batch, not per customer: twice the customers only adds the ORM's
        # own chunking of INSERT/UPDATE statements (100 rows each), one more
        # statement for each of the ten tables written.
        self.assertLessEqual(count_200 - count_100, 10)
        self.assertLess(count_100, 60)
        sent = self.env["account.collection.communication"].search(
            [("partner_id", "in", self.partners.ids)]
        )
        self.assertEqual(len(sent), 320)
        self.assertEqual(set(sent.mapped("state")), {"sent"})
        self.assertEqual(len(sent.mail_ids), 320)
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", self.partners.ids)]
        )
        self.assertEqual(len(activities), 320)


@tagged("post_install", "-at_install")
class TestLetterFailure(DunningCommon):
    """Letters are made after the run's batch; one that fails is retried, then
    given up: the email goes without it, nothing is lost."""

    def _no_engine(self):
        def no_engine(report, *args, **kwargs):
            raise UserError(report.env._("Unable to find Wkhtmltopdf on this system."))

        return patch.object(type(self.env["ir.actions.report"]), "_render_qweb_pdf", no_engine)

    def _render_letters(self):
        with freeze_time("2026-01-11 09:00:00"), self.enter_registry_test_mode():
            self.env.ref("account_collections.ir_cron_collection_letters").method_direct_trigger()
        self.env.invalidate_all()

    def test_a_letter_that_cannot_be_rendered_is_retried_then_refused_not_lost(self):
        self.level_1.write({"send_letter": True, "email_attach_letter": True})
        customer = self._customer("No Pdf Engine")
        self._invoice(customer, 100, "2026-01-01")
        with self._no_engine():
            self._run("2026-01-11")
            reminder = self._reminders(customer)
            # saved and sent; the letter is tried again later, the email waits for it
            self.assertRecordValues(
                reminder,
                [
                    {
                        "state": "sent",
                        "by_email": True,
                        "by_letter": True,
                        "letter_state": "pending",
                        "letter_attempts": 1,
                        "mail_pending": True,
                    }
                ],
            )
            self.assertIn("Wkhtmltopdf", reminder.letter_error)
            self.assertFalse(reminder.mail_ids)
            self._render_letters()
        self.assertRecordValues(
            reminder,
            [
                {
                    "state": "sent",
                    "by_email": True,
                    "by_letter": False,
                    "letter_state": "failed",
                    "letter_attempts": 3,
                    "mail_pending": False,
                }
            ],
        )
        self.assertIn("could not be rendered", reminder.refusal_reason)
        self.assertEqual(len(reminder.mail_ids), 1)
        self.assertFalse(reminder.mail_ids.attachment_ids)

    def test_a_letter_only_reminder_whose_letter_fails_is_refused(self):
        self.level_1.write({"send_letter": True, "send_email": False})
        customer = self._customer("Letter Only")
        self._invoice(customer, 100, "2026-01-01")
        with self._no_engine():
            self._run("2026-01-11")
            self._render_letters()
        reminder = self._reminders(customer)
        self.assertRecordValues(
            reminder, [{"state": "refused", "by_letter": False, "letter_state": "failed"}]
        )
        self.assertFalse(reminder.mail_ids)

    def test_a_letter_that_fails_once_goes_out_with_its_email_later(self):
        self.level_1.write({"send_letter": True, "email_attach_letter": True})
        customer = self._customer("Flaky Engine")
        self._invoice(customer, 100, "2026-01-01")
        with self._no_engine():
            self._run("2026-01-11")
        reminder = self._reminders(customer)
        self.assertFalse(reminder.mail_ids)
        self._render_letters()
        self.assertRecordValues(
            reminder,
            [{"letter_state": "rendered", "by_letter": True, "mail_pending": False}],
        )
        self.assertTrue(reminder.attachment_id)
        self.assertEqual(reminder.mail_ids.attachment_ids, reminder.attachment_id)
        self.assertFalse(reminder.refusal_reason)

    def test_letter_status_is_not_writable_by_a_client(self):
        self.level_1.write({"send_letter": True, "review_required": True})
        customer = self._customer("Forger")
        self._invoice(customer, 100, "2026-01-01")
        self._run("2026-01-11")
        reminder = self._reminders(customer).with_user(self.manager)
        self.assertEqual(reminder.state, "to_review")  # still open to writes, but not these
        for vals in (
            {"letter_state": "rendered"},
            {"mail_pending": True},
            {"by_letter": True},
            {"letter_attempts": 3},
        ):
            with self.assertRaises(AccessError):
                reminder.write(vals)
        self.assertRecordValues(
            reminder, [{"letter_state": "none", "mail_pending": False, "by_letter": False}]
        )


class TestSendService(DunningCommon):
    """The one send service, used the way any later kind of communication uses it."""

    def _vals(self, customer, **values):
        return {
            "company_id": self.company.id,
            "partner_id": customer.id,
            "kind": "reminder",
            "date": self.today,
            "send_email": True,
            "mail_template_id": self.env.ref("account_collections.mail_template_reminder_1").id,
            "send_letter": False,
            "amount_total": 300.0,
            **values,
        }

    def _lines(self, invoice):
        return [
            {
                "move_id": invoice.id,
                "amount_residual": 300.0,
                "amount_residual_company": 300.0,
                "due_date": invoice.invoice_date_due,
                "days_overdue": 31,
            }
        ]

    def test_send_records_gates_and_queues(self):
        customer = self._customer("Service Customer")
        blocked = self._customer("Blocked Customer", collection_do_not_contact=True)
        invoice = self._invoice(customer, 300, "2026-02-28")
        other = self._invoice(blocked, 300, "2026-02-28")
        communications = self.env["account.collection.communication"]
        sent, refused = communications._send(
            [self._vals(customer), self._vals(blocked)],
            [self._lines(invoice), self._lines(other)],
        )
        self.assertEqual(sent.partner_id, customer)
        self.assertEqual(refused.partner_id, blocked)
        self.assertIn("do-not-contact", refused.refusal_reason)
        self.assertFalse(refused.mail_ids)
        self.assertEqual(sent.state, "sent")
        self.assertTrue(sent.by_email)
        self.assertEqual(sent.line_ids.move_id, invoice)
        self.assertEqual(sent.line_ids.amount_residual_company, 300.0)
        # the summary was rendered from the lines: invoice number and amount
        self.assertIn(invoice.name, sent.summary_html)
        self.assertEqual(len(sent.mail_ids), 1)
        self.assertIn(invoice.name, str(sent.mail_ids.body_html))
        self.assertEqual(sent.mail_ids.state, "outgoing")  # queued, sent after commit

    def test_letter_body_comes_from_the_kind(self):
        customer = self._customer("Letter Customer")
        invoice = self._invoice(customer, 300, "2026-02-28")
        communication = self.env["account.collection.communication"]._create_communications(
            [self._vals(customer, send_email=False, mail_template_id=False, send_letter=True)],
            [self._lines(invoice)],
        )
        report = self.env.ref("account_collections.action_report_collection_letter")
        html, _type = self.env["ir.actions.report"]._render_qweb_html(report, communication.ids)
        html = html.decode()
        self.assertIn(invoice.name, html)
        self.assertIn('name="payment_instructions"', html)

    def test_email_without_template_is_refused_up_front(self):
        customer = self._customer("No Template Customer")
        communications = self.env["account.collection.communication"]
        with self.assertRaises(UserError):
            communications._send([self._vals(customer, mail_template_id=False)])
        self.assertFalse(communications.search([("partner_id", "=", customer.id)]))


@tagged("post_install", "-at_install")
class TestCatchUp(DunningCommon):
    """The first run over an existing ledger: customers start at the level their
    lateness has reached, and nothing leaves before a manager has reviewed it."""

    def test_the_first_run_starts_customers_at_their_level_and_waits_for_review(self):
        self.company.collection_dunning_started = False
        late = self._customer("Year Late")
        self._invoice(late, 900, "2025-03-01")
        recent = self._customer("Recent")
        self._invoice(recent, 100, "2026-03-15")
        run = self._run("2026-03-31")
        self.assertTrue(run.catch_up)
        self.assertEqual(run.state, "done")
        reminders = self._reminders(late) + self._reminders(recent)
        self.assertRecordValues(
            reminders,
            [
                {"level_id": self.level_3.id, "state": "to_review"},
                {"level_id": self.level_1.id, "state": "to_review"},
            ],
        )
        self.assertFalse(reminders.mail_ids)
        self.assertTrue(self.company.collection_dunning_started)
        self.assertIn("Final demand: 1 awaiting review", run.message_ids[0].body)
        self.assertIn("Catch-up", run.message_ids[0].body)
        # the preview: the run's reminders awaiting review, grouped by level
        action = run.with_user(self.manager).action_open_review()
        self.assertEqual(action["context"]["search_default_group_level"], 1)
        self.assertEqual(
            self.env["account.collection.communication"].search(action["domain"]), reminders
        )
        # approved, they go out; the next run climbs level by level again
        with freeze_time("2026-03-31"):
            reminders.with_user(self.manager).action_approve()
        self.assertEqual(reminders.mapped("state"), ["sent", "sent"])
        self.assertEqual(len(reminders.mail_ids), 2)
        next_run = self._run("2026-04-01")
        self.assertFalse(next_run.catch_up)
        reminders = (self._reminders(late) | self._reminders(recent)).filtered(
            lambda c: c.kind == "reminder"
        )
        self.assertEqual(len(reminders), 2)

    def test_a_run_by_level_climbs_one_step_even_for_a_late_debtor(self):
        late = self._customer("Year Late Too")
        self._invoice(late, 900, "2025-03-01")
        run = self._run("2026-03-31")
        self.assertFalse(run.catch_up)
        self.assertRecordValues(
            self._reminders(late), [{"level_id": self.level_1.id, "state": "sent"}]
        )

    def test_a_manager_can_ask_for_a_catch_up(self):
        late = self._customer("Asked Catch-up")
        self._invoice(late, 900, "2025-03-01")
        with freeze_time("2026-03-31"):
            run = (
                self.env["account.collection.run"]
                .with_user(self.manager)
                .create({"company_id": self.company.id, "date": "2026-03-31", "catch_up": True})
            )
            run.action_run()
        self.assertRecordValues(
            self._reminders(late), [{"level_id": self.level_3.id, "state": "to_review"}]
        )
