from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import DunningCommon


class PlanCommon(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.collection_plan_grace_days = 5
        cls.customer = cls._customer("Planned Ltd")
        cls.inv_1 = cls._invoice(cls.customer, 500, "2026-01-01")
        cls.inv_2 = cls._invoice(cls.customer, 400, "2026-02-01")
        cls.not_due = cls._invoice(cls.customer, 250, "2026-04-15")
        cls.cron = cls.env.ref("account_collections.ir_cron_collection_plan_check")

    def _wizard(self, user=None, **values):
        action = self.customer.with_user(user or self.collector).action_create_collection_plan()
        wizard_form = Form(
            self.env["res.partner.create.plan"]
            .with_user(user or self.collector)
            .with_context(**action["context"])
        )
        for name, value in values.items():
            setattr(wizard_form, name, value)
        return wizard_form

    def _plan(self, user=None, **values):
        values.setdefault("first_date", fields.Date.to_date("2026-04-30"))
        wizard = self._wizard(user, **values).save()
        action = wizard.action_create()
        return self.env["account.collection.plan"].browse(action["res_id"])

    def _reminders(self, partner):
        return super()._reminders(partner).filtered(lambda c: c.kind == "reminder")

    def _check(self, day):
        with freeze_time(f"{day} 08:00:00"), self.enter_registry_test_mode():
            self.cron.method_direct_trigger()
        self.env.invalidate_all()


@tagged("post_install", "-at_install")
class TestPaymentPlan(PlanCommon):
    def test_wizard_takes_the_overdue_invoices_and_previews_the_schedule(self):
        wizard_form = self._wizard()
        self.assertEqual(wizard_form.move_ids.ids, (self.inv_1 + self.inv_2).ids)
        self.assertEqual(wizard_form.amount_debt, 900.0)
        self.assertEqual(wizard_form.first_date, fields.Date.to_date("2026-04-30"))
        self.assertIn("2026-06-30", wizard_form.preview)
        wizard_form.instalment_count = 0
        self.assertTrue(wizard_form.error)
        wizard = wizard_form.save()
        with self.assertRaises(UserError):
            wizard.action_create()

    def test_overview_row_opens_the_wizard_for_its_company(self):
        row = (
            self.env["account.collection.overview"]
            .with_user(self.collector)
            .search([("partner_id", "=", self.customer.id)])
        )
        action = row.action_create_plan()
        self.assertEqual(action["res_model"], "res.partner.create.plan")
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)
        self.assertEqual(action["context"]["default_company_id"], self.company.id)

    def test_plan_schedule_exact_to_the_cent(self):
        plan = self._plan(down_payment=100.0, instalment_count=3)
        self.assertEqual(plan.state, "draft")
        self.assertEqual(plan.amount_total, 900.0)
        self.assertRecordValues(
            plan.line_ids,
            [
                {"sequence": 0, "down_payment": True, "due_date": self.today, "amount": 100.0},
                {
                    "sequence": 1,
                    "down_payment": False,
                    "due_date": fields.Date.to_date("2026-04-30"),
                    "amount": 266.66,
                },
                {
                    "sequence": 2,
                    "down_payment": False,
                    "due_date": fields.Date.to_date("2026-05-30"),
                    "amount": 266.66,
                },
                {
                    "sequence": 3,
                    "down_payment": False,
                    "due_date": fields.Date.to_date("2026-06-30"),
                    "amount": 266.68,
                },
            ],
        )

    def test_month_ends_and_instalment_amount(self):
        plan = self._plan(
            schedule_mode="amount",
            instalment_amount=250.0,
            first_date=fields.Date.to_date("2026-05-31"),
        )
        self.assertEqual(
            [(str(line.due_date), line.amount) for line in plan.line_ids],
            [
                ("2026-05-31", 250.0),
                ("2026-06-30", 250.0),
                ("2026-07-31", 250.0),
                ("2026-08-31", 150.0),
            ],
        )
        plan.with_user(self.collector).write({"frequency": "biweekly"})
        self.assertEqual(plan.line_ids[1].due_date, fields.Date.to_date("2026-06-14"))

    def test_fee_is_charged_on_a_new_invoice(self):
        totals = (self.inv_1.amount_total, self.inv_2.amount_total)
        plan = self._plan(charge_type="fee", fee_amount=30.0)
        self.assertEqual(plan.amount_total, 930.0)
        self.assertEqual(sum(plan.line_ids.mapped("amount")), 930.0)
        plan.with_user(self.collector).action_activate()
        charge = plan.charge_move_id
        self.assertRecordValues(
            charge,
            [
                {
                    "state": "posted",
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "amount_total": 30.0,
                    "invoice_date_due": fields.Date.to_date("2026-06-30"),
                }
            ],
        )
        self.assertIn(charge, plan.move_ids)
        self.assertEqual((self.inv_1.amount_total, self.inv_2.amount_total), totals)
        self.assertEqual(plan.amount_paid, 0.0)

    def test_interest_rate(self):
        plan = self._plan(charge_type="interest", interest_rate=1.5, down_payment=100.0)
        self.assertEqual(plan.amount_charge, 12.0)  # 1.5 % of the 800 spread
        self.assertEqual(plan.amount_total, 912.0)

    def test_approval_above_the_company_amount(self):
        self.company.collection_plan_approval_amount = 500.0
        plan = self._plan()
        self.assertTrue(plan.approval_required)
        with self.assertRaisesRegex(UserError, "manager must approve"):
            plan.with_user(self.collector).action_activate()
        self.assertEqual(plan.state, "draft")
        plan.with_user(self.collector).action_request_approval()
        self.assertIn(self.manager, plan.activity_ids.user_id)
        plan.with_user(self.manager).action_activate()
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.approved_by_id, self.manager)
        self.assertFalse(plan.activity_ids)
        # below the amount, a collector activates alone
        self.company.collection_plan_approval_amount = 5000.0
        other = self._customer("Small Ltd")
        self._invoice(other, 100, "2026-03-01")
        self.customer = other
        small = self._plan(instalment_count=2)
        small.with_user(self.collector).action_activate()
        self.assertEqual(small.state, "active")
        self.assertFalse(small.approved_by_id)

    def test_terms_are_frozen_once_active(self):
        plan = self._plan()
        plan.with_user(self.collector).action_activate()
        with self.assertRaises(UserError):
            plan.with_user(self.collector).write({"instalment_count": 4})
        with self.assertRaises(UserError):
            plan.with_user(self.collector).action_cancel()  # a manager's call
        plan.with_user(self.manager).action_cancel()
        self.assertEqual(plan.state, "cancelled")
        self.assertFalse(self.inv_1.collection_exclusion_reasons)

    def test_an_invoice_is_in_one_plan_at_a_time(self):
        self._plan()
        wizard_form = self._wizard()
        self.assertFalse(wizard_form.move_ids)  # already planned: not proposed again
        with self.assertRaises(ValidationError):
            self.env["account.collection.plan"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.inv_1.ids)],
                    "first_date": "2026-04-30",
                }
            )

    def test_only_the_customers_posted_invoices(self):
        other = self._customer("Somebody Else")
        foreign = self._invoice(other, 100, "2026-01-01")
        with self.assertRaises(ValidationError):
            self.env["account.collection.plan"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set((self.inv_1 + foreign).ids)],
                    "first_date": "2026-04-30",
                }
            )

    def test_negative_terms_are_refused_by_the_database(self):
        plan = self._plan()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            plan.write({"grace_days": -1})
            plan.flush_recordset()

    def test_active_plan_takes_its_invoices_out_of_dunning(self):
        plan = self._plan()
        plan.with_user(self.collector).action_activate()
        self.assertIn("payment plan", self.inv_1.collection_exclusion_reasons)
        self.assertFalse(self.not_due.collection_exclusion_reasons)
        self._run("2026-03-31")
        self.assertFalse(self._reminders(self.customer))
        # the invoice and the customer show the plan
        self.assertEqual(self.inv_1.collection_plan_id, plan)
        self.assertEqual(self.customer.collection_plan_id, plan)
        self.assertEqual(self.customer.collection_plan_count, 1)
        self.assertEqual(
            self.customer.action_open_collection_plans()["domain"],
            [("partner_id", "=", self.customer.id)],
        )

    def test_payments_tick_off_instalments_in_date_order(self):
        plan = self._plan()
        plan.with_user(self.collector).action_activate()
        self._pay(self.inv_2, 400, "2026-03-31")  # any invoice of the plan counts
        plan.invalidate_recordset()
        plan.line_ids.invalidate_recordset()
        self.assertRecordValues(
            plan.line_ids,
            [
                {"amount_paid": 300.0, "amount_open": 0.0, "payment_state": "paid"},
                {"amount_paid": 100.0, "amount_open": 200.0, "payment_state": "partial"},
                {"amount_paid": 0.0, "amount_open": 300.0, "payment_state": "open"},
            ],
        )
        self.assertEqual(plan.amount_paid, 400.0)
        self.assertEqual(plan.next_due_date, fields.Date.to_date("2026-05-30"))
        self.assertEqual(plan.next_due_amount, 200.0)
        self.assertAlmostEqual(plan.progress, 400 / 9)
        self.customer.invalidate_recordset()
        self.assertAlmostEqual(self.customer.collection_plan_progress, 400 / 9)
        self.inv_1.invalidate_recordset()
        self.assertAlmostEqual(self.inv_1.collection_plan_progress, 400 / 9)


@tagged("post_install", "-at_install")
class TestPaymentPlanForeignCurrency(DunningCommon):
    """A plan on a foreign-currency invoice is kept in company currency at the
    invoice's booked rate: Odoo's exchange differences keep what a payment in
    the invoice's currency ticks off exact, whatever the rate that day."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2025-01-01", 2.0), ("2026-04-01", 2.5)])
        cls.customer = cls._customer("Euro Planner")
        cls.invoice = cls._invoice(cls.customer, 1000, "2026-02-01", currency_id=cls.eur.id)

    def test_a_payment_in_the_invoice_currency_ticks_off_its_share_exactly(self):
        self.assertEqual(self.invoice.amount_residual_signed, 500.0)  # booked at 2.0
        action = self.customer.with_user(self.collector).action_create_collection_plan()
        wizard = Form(
            self.env["res.partner.create.plan"]
            .with_user(self.collector)
            .with_context(**action["context"])
        )
        wizard.instalment_count = 2
        wizard.first_date = fields.Date.to_date("2026-04-30")
        plan = self.env["account.collection.plan"].browse(wizard.save().action_create()["res_id"])
        plan.with_user(self.collector).action_activate()
        self.assertEqual(plan.line_ids.mapped("amount"), [250.0, 250.0])
        # half the invoice paid in EUR after the rate moved: 500 EUR is 200 USD that day
        payment = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=self.invoice.ids)
            .create(
                {
                    "amount": 500.0,
                    "currency_id": self.eur.id,
                    "payment_date": fields.Date.to_date("2026-04-20"),
                }
            )
            ._create_payments()
        )
        self.assertTrue(payment)
        self.assertEqual(self.invoice.amount_residual, 500.0)
        plan.invalidate_recordset()
        plan.line_ids.invalidate_recordset()
        # the first instalment is paid in full, not 200 of it
        self.assertRecordValues(
            plan.line_ids,
            [
                {"amount_paid": 250.0, "amount_open": 0.0, "payment_state": "paid"},
                {"amount_paid": 0.0, "amount_open": 250.0, "payment_state": "open"},
            ],
        )


@tagged("post_install", "-at_install")
class TestPaymentPlanCheck(PlanCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.company"].search([("id", "!=", cls.company.id)]).collection_auto_run = False

    def _active_plan(self):
        plan = self._plan()
        plan.with_user(self.collector).action_activate()
        return plan

    def test_a_missed_instalment_breaks_the_plan_and_dunning_resumes(self):
        plan = self._active_plan()
        self._check("2026-05-05")  # 5 days late: within the grace days
        self.assertEqual(plan.state, "active")
        self._check("2026-05-06")
        self.assertEqual(plan.state, "broken")
        self.assertEqual(plan.end_date, fields.Date.to_date("2026-05-06"))
        self.assertIn("6 days late", plan.end_reason)
        activity = plan.activity_ids
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn("broken", activity.summary)
        self.assertTrue(
            any("Payment plan broken" in str(body) for body in plan.message_ids.mapped("body"))
        )
        self.assertFalse(self.inv_1.collection_exclusion_reasons)
        # re-escalation: the next dunning run reminds the customer again
        self._run("2026-05-06")
        reminders = self._reminders(self.customer)
        self.assertEqual(len(reminders), 1)
        self.assertEqual(reminders.line_ids.move_id, self.inv_1 + self.inv_2 + self.not_due)
        # a rerun of the check changes nothing
        self._check("2026-05-07")
        self.assertEqual(len(plan.activity_ids), 1)

    def test_paid_instalments_keep_it_running_and_full_payment_completes(self):
        plan = self._active_plan()
        self._pay(self.inv_1, 300, "2026-04-29")
        self._check("2026-05-20")
        self.assertEqual(plan.state, "active")
        self._pay(self.inv_1, 200, "2026-05-30")
        self._pay(self.inv_2, 400, "2026-06-30")
        self._check("2026-07-01")
        self.assertEqual(plan.state, "completed")
        self.assertEqual(plan.progress, 100.0)

    def test_a_failing_plan_is_noted_and_the_others_are_checked(self):
        plan = self._active_plan()
        other_customer = self._customer("Other Planned")
        self._invoice(other_customer, 300, "2026-01-01")
        self.customer = other_customer
        other = self._plan()
        other.with_user(self.collector).action_activate()
        original = type(plan)._mark_broken

        def failing(self_, broken):
            if plan in broken:
                raise ValueError("Ledger on fire")
            return original(self_, broken)

        with mute_logger("odoo.addons.account_collections.models.account_collection_plan"):
            with self.patch_object(type(plan), "_mark_broken", failing):
                self._check("2026-05-10")
        self.assertEqual(plan.state, "active")
        self.assertTrue(
            any("Ledger on fire" in str(body) for body in plan.message_ids.mapped("body"))
        )
        self.assertEqual(other.state, "broken")

    def patch_object(self, cls, name, value):
        from unittest.mock import patch

        return patch.object(cls, name, value)


@tagged("post_install", "-at_install")
class TestPaymentPlanRights(PlanCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoicing_user = new_test_user(
            cls.env, login="plan_billing", groups="account.group_account_invoice"
        )
        cls.company_b = cls.setup_other_company(name="Plan Company B")["company"]
        cls.user_b = new_test_user(
            cls.env,
            login="plan_collector_b",
            groups="account_collections.group_collections_user",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )

    def test_invoicing_users_read_but_do_not_make_plans(self):
        plan = self._plan()
        self.assertEqual(plan.with_user(self.invoicing_user).amount_total, 900.0)
        with self.assertRaises(AccessError):
            self.env["account.collection.plan"].with_user(self.invoicing_user).create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.inv_1.ids)],
                    "first_date": "2026-04-30",
                }
            )
        with self.assertRaises(AccessError):
            self._wizard(user=self.invoicing_user)

    def test_collectors_cannot_delete_managers_delete_drafts_only(self):
        plan = self._plan()
        with self.assertRaises(AccessError):
            plan.with_user(self.collector).unlink()
        plan.with_user(self.manager).action_activate()
        with self.assertRaises(UserError):
            plan.with_user(self.manager).unlink()

    def test_other_company_sees_nothing(self):
        plan = self._plan()
        plans_b = (
            self.env["account.collection.plan"]
            .with_user(self.user_b)
            .with_context(allowed_company_ids=self.company_b.ids)
        )
        self.assertFalse(plans_b.search([]))
        with self.assertRaises(AccessError):
            plan.with_user(self.user_b).read(["amount_total"])
        with self.assertRaises(AccessError):
            plan.line_ids.with_user(self.user_b).read(["amount"])


@tagged("post_install", "-at_install")
class TestPaymentPlanAgreement(PlanCommon):
    def test_activation_sends_the_agreement_through_the_send_service(self):
        plan = self._plan(down_payment=100.0)
        plan.with_user(self.collector).action_activate()
        agreement = plan.communication_ids
        self.assertRecordValues(
            agreement,
            [
                {
                    "kind": "plan_agreement",
                    "partner_id": self.customer.id,
                    "state": "sent",
                    "by_email": True,
                    "amount_total": 900.0,
                }
            ],
        )
        self.assertEqual(agreement.line_ids.move_id, self.inv_1 + self.inv_2)
        mail = agreement.mail_ids
        self.assertEqual(mail.state, "outgoing")
        self.assertIn("Your payment plan", mail.subject)
        self.assertIn("06/30/2026", str(mail.body_html))  # the last instalment's date
        self.assertIn(self.inv_1.name, str(mail.body_html))
        report = self.env.ref("account_collections.action_report_collection_letter")
        html, _type = self.env["ir.actions.report"]._render_qweb_html(report, agreement.ids)
        self.assertIn(plan.name, html.decode())
        self.assertIn('name="signatures"', html.decode())
        self.assertIn("Total under the plan", html.decode())
        self.assertNotIn("Total overdue", html.decode())
        self.assertEqual(plan.action_open_agreements()["domain"], [("plan_id", "=", plan.id)])

    def test_a_refused_agreement_is_noted_on_the_plan(self):
        self.customer.collection_do_not_contact = True
        plan = self._plan()
        plan.with_user(self.collector).action_activate()
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.communication_ids.state, "refused")
        self.assertTrue(
            any("could not be sent" in str(body) for body in plan.message_ids.mapped("body"))
        )
        with self.assertRaises(UserError):
            self._plan_draft_agreement()

    def _plan_draft_agreement(self):
        other = self._customer("Drafty")
        self._invoice(other, 100, "2026-03-01")
        self.customer = other
        return self._plan().action_send_agreement()
