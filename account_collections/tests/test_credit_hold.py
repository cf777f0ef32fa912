from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import DunningCommon


class HoldCommon(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = new_test_user(
            cls.env,
            login="hold_salesperson",
            name="Sam Sales",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.customer = cls._customer("Held Corp", user_id=cls.salesperson.id)
        cls.invoice = cls._invoice(cls.customer, 1200, "2026-02-15")
        cls.Hold = cls.env["account.collection.hold"]

    def _check(self, day="2026-03-31"):
        with freeze_time(day):
            self.Hold._check_company_holds(self.company)
        self.env.invalidate_all()

    def _holds(self, **domain):
        return self.Hold.search(
            [("partner_id", "=", self.customer.id)] + [(k, "=", v) for k, v in domain.items()]
        )

    def _notices(self, kind):
        return self.env["account.collection.communication"].search(
            [("partner_id", "=", self.customer.id), ("kind", "=", kind)]
        )


@tagged("post_install", "-at_install")
class TestCreditHoldByHand(HoldCommon):
    def test_a_manager_puts_a_customer_on_hold_and_releases_it(self):
        action = self.customer.with_user(self.manager).action_place_collection_hold()
        hold_form = Form(
            self.Hold.with_user(self.manager).with_context(**action["context"]),
            view="account_collections.account_collection_hold_view_form",
        )
        hold_form.reason = "Cheque returned unpaid."
        hold = hold_form.save()
        self.assertRecordValues(
            hold,
            [
                {
                    "state": "active",
                    "reason_type": "manual",
                    "placed_by_id": self.manager.id,
                    "date_start": self.today,
                    "company_id": self.company.id,
                }
            ],
        )
        self.customer.invalidate_recordset()
        self.assertTrue(self.customer.collection_on_hold)
        self.assertEqual(self.customer.collection_hold_reason, "Cheque returned unpaid.")
        self.assertIn(
            self.customer,
            self.env["res.partner"].search([("collection_on_hold", "=", True)]),
        )
        # the customer gets the notice, the salesperson a task and a note
        notice = self._notices("hold_notice")
        self.assertEqual(notice.state, "sent")
        self.assertEqual(notice.hold_id, hold)
        self.assertTrue(notice.credit_hold)
        self.assertEqual(notice.line_ids.move_id, self.invoice)
        self.assertIn("Cheque returned unpaid.", str(notice.mail_ids.body_html))
        activity = self.customer.activity_ids
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertIn("credit hold", activity.summary)
        # a rule check leaves a hold placed by hand alone
        self._pay(self.invoice, 1200, "2026-03-31")
        self._check()
        self.assertEqual(hold.state, "active")
        # released by hand
        with self.assertRaises(UserError):
            hold.with_user(self.collector).action_release()
        hold.with_user(self.manager).action_release()
        self.assertRecordValues(
            hold,
            [{"state": "released", "released_by_id": self.manager.id, "date_release": self.today}],
        )
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.collection_on_hold)
        self.assertEqual(self._notices("hold_release").state, "sent")
        self.assertEqual(self.customer.collection_hold_count, 1)  # history kept

    def test_collectors_and_salespeople_cannot_place_holds(self):
        for user in (self.collector, self.salesperson):
            with self.assertRaises(UserError, msg=user.login):
                self.Hold.with_user(user).create(
                    {"partner_id": self.customer.id, "reason": "Because"}
                )
        # but they see that the customer is on hold
        self.Hold.with_user(self.manager).create(
            {"partner_id": self.customer.id, "reason": "Because"}
        )
        self.assertTrue(self.customer.with_user(self.salesperson).collection_on_hold)

    def test_one_hold_per_cause_and_holds_are_never_deleted(self):
        hold = self.Hold.create({"partner_id": self.customer.id, "reason": "First"})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Hold.create({"partner_id": self.customer.id, "reason": "Second"})
        with self.assertRaises(UserError):
            hold.unlink()

    def test_a_contact_is_held_through_its_company(self):
        contact = self.env["res.partner"].create({"name": "Jo", "parent_id": self.customer.id})
        self.Hold.create({"partner_id": self.customer.id, "reason": "Because"})
        self.assertTrue(contact.collection_on_hold)


@tagged("post_install", "-at_install")
class TestCreditHoldByRule(HoldCommon):
    def test_overdue_amount_places_and_payment_releases(self):
        self._check()
        self.assertFalse(self._holds())  # no threshold set: no rule
        self.company.collection_hold_overdue_amount = 1000.0
        self._check()
        hold = self._holds()
        self.assertRecordValues(hold, [{"reason_type": "overdue_amount", "state": "active"}])
        self.assertIn("1,200.00", hold.reason)
        self.assertEqual(len(self._notices("hold_notice")), 1)
        self._check()  # a rerun changes nothing
        self.assertEqual(len(self._holds()), 1)
        self.assertEqual(len(self._notices("hold_notice")), 1)
        self._pay(self.invoice, 300, "2026-03-31")
        self._check()
        self.assertEqual(hold.state, "released")
        self.assertIn("automatically", hold.release_reason)
        self.assertEqual(len(self._notices("hold_release")), 1)
        self.assertFalse(self.customer.collection_on_hold)

    def test_a_payment_releases_without_waiting_for_the_check(self):
        self.company.collection_hold_overdue_amount = 1000.0
        self._check()
        hold = self._holds()
        self.assertEqual(hold.state, "active")
        self._pay(self.invoice, 1200, "2026-03-31")
        self.assertEqual(hold.state, "active")  # rechecked once the payment is complete
        self.env.cr.flush()  # what the commit does first: runs the precommit hooks
        self.assertEqual(hold.state, "released")
        self.assertEqual(len(self._notices("hold_release")), 1)

    def test_days_overdue(self):
        self.company.collection_hold_overdue_days = 60
        self._check("2026-04-15")  # 59 days
        self.assertFalse(self._holds())
        self._check("2026-04-16")
        self.assertEqual(self._holds().reason_type, "overdue_days")

    def test_credit_limit(self):
        customer = self._customer("Limited Corp")
        self.customer = customer
        customer.with_company(self.company).credit_limit = 500.0
        self._invoice(customer, 800, "2026-04-30")  # not even due
        self._check()
        self.assertFalse(self._holds())  # the company does not use credit limits
        self.company.account_use_credit_limit = True
        self._check()
        self.assertEqual(self._holds().reason_type, "credit_limit")
        customer.with_company(self.company).credit_limit = 1000.0
        self._check()
        self.assertEqual(self._holds().state, "released")

    def test_dunning_level_with_the_hold_flag(self):
        for day in ("2026-02-25", "2026-03-17", "2026-04-16"):
            self._run(day)
        reminders = self._reminders(self.customer).filtered(lambda c: c.kind == "reminder")
        self.assertEqual(reminders[-1].level_id, self.level_3)
        self.assertTrue(reminders[-1].credit_hold)
        # on hold as the reminder went out, before any daily check
        hold = self._holds()
        self.assertRecordValues(
            hold, [{"reason_type": "dunning_level", "level_id": self.level_3.id}]
        )
        # one message that day: the reminder says the account is on hold
        self.assertFalse(hold.communication_ids)
        self.assertEqual(hold.notice_reminder_id, reminders[-1])
        self.assertIn("credit hold", reminders[-1].body_text)
        self.assertIn("credit hold", reminders[-1].mail_ids.body_html)
        self.assertFalse(self._notices("hold_notice"))
        # the daily check keeps that one hold
        self._check("2026-04-16")
        self.assertEqual(self._holds(), hold)
        self._pay(self.invoice, 1200, "2026-04-17")
        self._check("2026-04-17")
        self.assertEqual(hold.state, "released")

    def test_scheduled_check(self):
        self.company.collection_hold_overdue_amount = 1000.0
        cron = self.env.ref("account_collections.ir_cron_collection_hold_check")
        with freeze_time("2026-03-31 08:00:00"), self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertEqual(self._holds().reason_type, "overdue_amount")

    def test_a_failing_customer_is_noted_and_the_others_are_held(self):
        self.company.collection_hold_overdue_amount = 1000.0
        other = self._customer("Other Held")
        self._invoice(other, 1500, "2026-02-15")
        original = type(self.Hold)._on_placed

        def failing(holds, held_before):
            if self.customer in holds.partner_id:
                raise ValueError("Printer on fire")
            return original(holds, held_before)

        from unittest.mock import patch

        with (
            patch.object(type(self.Hold), "_on_placed", failing),
            mute_logger("odoo.addons.account_collections.models.account_collection_hold"),
        ):
            self._check()
        self.assertFalse(self._holds())
        self.assertTrue(
            any("Printer on fire" in str(body) for body in self.customer.message_ids.mapped("body"))
        )
        self.assertTrue(self.Hold.search([("partner_id", "=", other.id)]))


@tagged("post_install", "-at_install")
class TestCreditHoldMultiCompany(HoldCommon):
    def test_a_hold_is_per_company(self):
        company_b = self.setup_other_company(name="Hold Company B")["company"]
        user_b = new_test_user(
            self.env,
            login="hold_collector_b",
            groups="account_collections.group_collections_manager",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        hold = self.Hold.create({"partner_id": self.customer.id, "reason": "Because"})
        customer_b = self.customer.with_user(user_b).with_context(allowed_company_ids=company_b.ids)
        self.assertFalse(customer_b.collection_on_hold)
        self.assertFalse(
            self.Hold.with_user(user_b).with_context(allowed_company_ids=company_b.ids).search([])
        )
        with self.assertRaises(AccessError):
            hold.with_user(user_b).read(["reason"])


@tagged("post_install", "-at_install")
class TestCreditHoldQueries(HoldCommon):
    def _queries(self, partners):
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        self.Hold._check_company_holds(self.company, partners.ids)
        return self.cr.sql_log_count - before

    def test_the_check_costs_the_same_for_5_or_25_customers(self):
        partners = self._bulk_customers(25)
        self._queries(partners[:2])  # warm the caches
        self.assertEqual(self._queries(partners[:5]), self._queries(partners))
        self.assertFalse(self.Hold.search([("partner_id", "in", partners.ids)]))
