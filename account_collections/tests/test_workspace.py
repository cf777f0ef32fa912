import ast

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import DunningCommon


class WorkspaceCommon(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = new_test_user(
            cls.env,
            login="salesperson",
            name="Sam Sales",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.invoicing_user = new_test_user(
            cls.env,
            login="billing_ws",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.customer = cls._customer("Acme Debtor")
        cls.contact = cls.env["res.partner"].create(
            {"name": "Ann Payable", "parent_id": cls.customer.id, "phone": "+1 555 0100"}
        )
        cls.invoice_1 = cls._invoice(
            cls.customer, 1000, "2026-02-01", invoice_user_id=cls.salesperson.id
        )
        cls.invoice_2 = cls._invoice(cls.customer, 500, "2026-02-15")

    def _call(self, outcome, user=None, **values):
        """Log a call through its form, as the collector; return (call, action)."""
        action = self.customer.with_user(user or self.collector).action_log_collection_call()
        form = Form(
            self.env["account.collection.call"]
            .with_user(user or self.collector)
            .with_context(**action["context"])
        )
        form.outcome = outcome
        for name, value in values.items():
            setattr(form, name, value)
        call = form.save()
        return call, call.action_log()

    def _activities(self, record, xmlid):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("activity_type_id", "=", self.env.ref(xmlid).id),
            ]
        )

    def _promise(self, moves=None, user=None, context=None, **values):
        form = Form(
            self.env["account.collection.promise"]
            .with_user(user or self.collector)
            .with_context(**(context or {"default_partner_id": self.customer.id}))
        )
        for move in moves or self.invoice_1:
            form.move_ids.add(move)
        form.date = values.pop("date", "2026-04-10")
        for name, value in values.items():
            setattr(form, name, value)
        return form.save()

    def _dispute(self, moves=None, user=None, **values):
        form = Form(
            self.env["account.collection.dispute"]
            .with_user(user or self.collector)
            .with_context(default_partner_id=self.customer.id)
        )
        for move in moves or self.invoice_1:
            form.move_ids.add(move)
        form.reason = values.pop("reason", "price")
        for name, value in values.items():
            setattr(form, name, value)
        return form.save()

    def _reasons(self, move):
        move.invalidate_recordset()
        return move.collection_exclusion_reasons


@tagged("post_install", "-at_install")
class TestCalls(WorkspaceCommon):
    def test_promised_opens_the_promise_form(self):
        """The promise form comes prefilled; the call is saved with the promise."""
        Call = self.env["account.collection.call"]
        _call, action = self._call("promised", reason="cash_flow", notes="Pays on the 10th")
        self.assertEqual(action["res_model"], "account.collection.promise")
        self.assertEqual(action["name"], "Promise to Pay: Acme Debtor")
        # nothing is recorded until the promise is saved
        self.assertFalse(Call.search([("partner_id", "=", self.customer.id)]))
        self.assertFalse(self.customer.message_ids.filtered(lambda m: "Promised" in str(m.body)))
        form = Form(
            self.env["account.collection.promise"]
            .with_user(self.collector)
            .with_context(**action["context"])
        )
        self.assertEqual(form.partner_id, self.customer)
        self.assertEqual(
            [form.move_ids[i].id for i in range(len(form.move_ids))],
            (self.invoice_1 + self.invoice_2).ids,
        )
        self.assertEqual(form.amount, 1500.0)
        form.date = "2026-04-10"
        promise = form.save()
        call = promise.call_id
        self.assertRecordValues(
            call,
            [
                {
                    "partner_id": self.customer.id,
                    "outcome": "promised",
                    "reason": "cash_flow",
                    "notes": "Pays on the 10th",
                    "user_id": self.collector.id,
                    "logged": True,
                }
            ],
        )
        self.assertEqual(call.promise_ids, promise)
        message = self.customer.message_ids.filtered(lambda m: "Call:" in str(m.body))
        self.assertIn("Promised to Pay", message.body)
        self.assertIn("Cash Flow", message.body)
        self.assertIn("Pays on the 10th", message.body)

    def test_discarding_the_promise_leaves_no_promise_call(self):
        self._call("promised", reason="cash_flow")
        # the user closes the promise dialog without saving
        calls = self.env["account.collection.call"].search([("partner_id", "=", self.customer.id)])
        self.assertFalse(calls)
        self.assertEqual(self.customer.with_user(self.collector).collection_call_count, 0)

    def test_a_promise_call_is_handed_over_by_its_author_only(self):
        other = new_test_user(
            self.env,
            login="other_ws_collector",
            groups="account_collections.group_collections_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        call = (
            self.env["account.collection.call"]
            .with_user(self.collector)
            .create({"partner_id": self.customer.id, "outcome": "promised"})
        )
        with self.assertRaises(AccessError):
            call.with_user(other).action_log()
        self.assertTrue(call.exists())

    def test_the_promise_covers_what_dunning_may_act_on(self):
        """Disputed invoices and invoices not yet due are not prefilled."""
        self._dispute(moves=self.invoice_2)
        self._invoice(self.customer, 300, "2026-04-30")  # not due yet
        _call, action = self._call("promised")
        self.assertEqual(action["context"]["default_move_ids"], [Command.set(self.invoice_1.ids)])

    def test_disputed_opens_the_dispute_form(self):
        _call, action = self._call("disputed", reason="dispute")
        self.assertEqual(action["res_model"], "account.collection.dispute")
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)

    def test_says_already_paid_asks_to_look_for_the_payment(self):
        _call, action = self._call("already_paid")
        self.assertEqual(action["type"], "ir.actions.act_window_close")
        activity = self._activities(
            self.customer, "account_collections.mail_activity_type_check_payment"
        )
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(str(activity.date_deadline), "2026-04-01")

    def test_wrong_number_opens_skip_tracing(self):
        self.assertFalse(self.customer.collection_skip_trace)
        self._call("wrong_number", contact_id=self.contact)
        self.assertTrue(self.customer.collection_skip_trace)
        self.assertIn("Wrong number", self.customer.collection_skip_trace_reason)
        activity = self._activities(
            self.customer, "account_collections.mail_activity_type_skip_trace"
        )
        self.assertEqual(activity.user_id, self.collector)
        queue = self.env.ref("account_collections.action_account_collection_locate")
        self.assertIn(self.customer, self.env["res.partner"].search(ast.literal_eval(queue.domain)))
        self.customer.with_user(self.collector).action_collection_located()
        self.assertFalse(self.customer.collection_skip_trace)

    def test_next_action_date_schedules_a_todo(self):
        self._call("no_answer", next_action_date="2026-04-03")
        activity = self._activities(self.customer, "mail.mail_activity_data_todo")
        self.assertEqual(str(activity.date_deadline), "2026-04-03")
        self.assertEqual(activity.user_id, self.collector)

    def test_completing_a_dunning_follow_up_asks_for_the_outcome(self):
        self._run("2026-03-01")  # first reminder
        self._run("2026-03-31")  # second reminder: its level asks for a call
        activity = self._activities(self.customer, "mail.mail_activity_data_call")
        self.assertEqual(len(activity), 1)
        self.env["account.collection.worklist"]._refresh(self.company)
        row = self.env["account.collection.worklist"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(row.activity_id, activity)
        self.assertEqual(row.activity_date_deadline, activity.date_deadline)
        action = row.with_user(self.collector).action_complete_activity()
        form = Form(
            self.env["account.collection.call"]
            .with_user(self.collector)
            .with_context(**action["context"])
        )
        form.outcome = "reached"
        form.notes = "Will pay Friday"
        form.save().action_log()
        self.assertFalse(activity.exists().filtered("active"))
        self.assertTrue(
            self.customer.message_ids.filtered(lambda m: "Will pay Friday" in str(m.body))
        )

    def test_a_call_is_logged_once(self):
        call, _action = self._call("reached")
        with self.assertRaises(UserError):
            call.action_log()
        self.assertEqual(self.customer.with_user(self.collector).collection_call_count, 1)

    def test_from_the_worklist(self):
        self.env["account.collection.worklist"]._refresh(self.company)
        row = self.env["account.collection.worklist"].search(
            [("partner_id", "=", self.customer.id)]
        )
        action = row.with_user(self.collector).action_log_call()
        self.assertEqual(action["res_model"], "account.collection.call")
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)

    def test_rights(self):
        with self.assertRaises(AccessError):
            self.env["account.collection.call"].with_user(self.invoicing_user).create(
                {"partner_id": self.customer.id, "outcome": "reached"}
            )
        call, _action = self._call("reached")
        with self.assertRaises(AccessError):
            call.with_user(self.collector).unlink()
        call.with_user(self.manager).unlink()


@tagged("post_install", "-at_install")
class TestPromises(WorkspaceCommon):
    def test_a_promise_pauses_dunning_on_its_invoices_only(self):
        promise = self._promise()
        self.assertEqual(promise.amount, 1000.0)  # defaults to what the invoices owe
        self.assertEqual(promise.grace_days, 3)
        self.assertEqual(str(promise.pause_until), "2026-04-13")
        self.assertEqual(self._reasons(self.invoice_1), "Promised to pay")
        self.assertFalse(self._reasons(self.invoice_2))
        run = self._run("2026-03-31")
        reminder = self._reminders(self.customer)
        self.assertEqual(run.sent_count, 1)
        self.assertEqual(reminder.line_ids.move_id, self.invoice_2)

    def test_kept_when_paid_on_time(self):
        promise = self._promise(amount=600)
        self._pay(self.invoice_1, 600, "2026-04-08")
        with freeze_time("2026-04-09"):
            promise._check_promises(promise.date - self.days(1))
        self.assertEqual(promise.state, "open")  # its date has not come
        with freeze_time("2026-04-10"):
            self.env["account.collection.promise"].search([])._check_promises(promise.date)
        self.assertRecordValues(
            promise, [{"state": "kept", "amount_paid": 600.0, "checked_date": promise.date}]
        )
        self.assertFalse(self._reasons(self.invoice_1))

    def test_broken_after_the_grace_days(self):
        score_before = self.customer.with_user(self.collector).collection_score
        promise = self._promise()
        self.env["account.collection.worklist"]._refresh(self.company)
        day = promise.date
        while day <= promise.pause_until:
            promise._check_promises(day)
            self.assertEqual(promise.state, "open", day)
            day += self.days(1)
        self.assertEqual(self._reasons(self.invoice_1), "Promised to pay")
        promise._check_promises(day)  # the day after the grace days
        self.assertEqual(promise.state, "broken")
        self.assertEqual(promise.checked_date, day)
        activity = self._activities(
            self.customer, "account_collections.mail_activity_type_broken_promise"
        )
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn("broken", activity.summary)
        self.assertFalse(self._reasons(self.invoice_1))  # dunning resumes
        # a rerun changes nothing
        promise._check_promises(day + self.days(1))
        self.assertEqual(len(activity.search([("id", "in", activity.ids)])), 1)
        # and the customer's score falls
        self.customer.invalidate_recordset()
        row = self.env["account.collection.worklist"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(row.broken_promise_count, 1)
        self.assertAlmostEqual(row.promise_factor, 0.6)
        # the same invoices are overdue again, with a broken promise
        self.assertAlmostEqual(
            self.customer.with_user(self.collector).collection_score, score_before * 0.6, delta=0.01
        )

    def test_partly_kept(self):
        promise = self._promise(amount=800)
        self._pay(self.invoice_1, 300, "2026-04-05")
        promise._check_promises(promise.pause_until + self.days(1))
        self.assertRecordValues(promise, [{"state": "partial", "amount_paid": 300.0}])
        self.assertTrue(
            self._activities(self.customer, "account_collections.mail_activity_type_broken_promise")
        )

    def test_the_scheduled_check(self):
        promise = self._promise()
        self._pay(self.invoice_1, 1000, "2026-04-01")
        cron = self.env.ref("account_collections.ir_cron_collection_promise_check")
        with freeze_time("2026-04-09 12:00"), self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertEqual(promise.state, "open")  # its date has not come
        with freeze_time("2026-04-10 12:00"), self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertEqual(promise.state, "kept")

    def test_commitment_letter_through_the_send_service(self):
        promise = self._promise(moves=self.invoice_1 + self.invoice_2, amount=1200)
        promise.with_user(self.collector).action_send_letter()
        letter = promise.communication_ids
        self.assertRecordValues(
            letter,
            [{"kind": "promise", "state": "sent", "by_email": True, "amount_total": 1500.0}],
        )
        self.assertEqual(letter.line_ids.move_id, self.invoice_1 + self.invoice_2)
        self.assertIn("1,200.00", letter.body_text)
        self.assertIn("04/10/2026", letter.body_text)
        self.assertEqual(letter.mail_ids.attachment_ids, letter.attachment_id)
        self.assertIn("payment commitment", letter.mail_ids.subject.lower())

    def test_the_gate_refuses_a_do_not_contact_customer(self):
        promise = self._promise()
        self.customer.collection_do_not_contact = True
        action = promise.with_user(self.collector).action_send_letter()
        refused = promise.communication_ids
        self.assertEqual(action["res_id"], refused.id)
        self.assertEqual(refused.state, "refused")
        self.assertIn("do-not-contact", refused.refusal_reason)
        self.assertFalse(refused.mail_ids)

    def test_bad_input(self):
        with self.assertRaises(ValidationError):
            self._promise(amount=1500)  # more than the invoice owes
        with self.assertRaises(ValidationError):
            self._promise(date="2026-03-30")  # in the past
        other = self._customer("Someone Else")
        foreign = self._invoice(other, 100, "2026-03-01")
        with self.assertRaises(ValidationError):
            self._promise(moves=foreign)
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            self._promise(amount=-5)

    def test_cancel_resumes_dunning(self):
        promise = self._promise()
        promise.with_user(self.collector).action_cancel()
        self.assertEqual(promise.state, "cancelled")
        self.assertFalse(self._reasons(self.invoice_1))
        with self.assertRaises(UserError):
            promise.action_cancel()

    def test_rights(self):
        with self.assertRaises(AccessError):
            self._promise(user=self.invoicing_user)
        promise = self._promise()
        self.assertEqual(
            self.env["account.collection.promise"].with_user(self.invoicing_user).search([]),
            promise,
        )
        with self.assertRaises(AccessError):
            promise.with_user(self.invoicing_user).write({"amount": 10})
        with self.assertRaises(AccessError):
            promise.with_user(self.collector).unlink()
        self.assertEqual(self.invoice_1.with_user(self.collector).collection_promise_ids, promise)


@tagged("post_install", "-at_install")
class TestDisputes(WorkspaceCommon):
    def test_opening_pauses_dunning_and_asks_the_salesperson(self):
        dispute = self._dispute(description="Price list not applied")
        self.assertEqual(dispute.amount, 1000.0)
        self.assertEqual(dispute.user_id, self.salesperson)
        self.assertTrue(self.invoice_1.collection_disputed)
        self.assertEqual(self._reasons(self.invoice_1), "Disputed")
        activity = self._activities(dispute, "account_collections.mail_activity_type_dispute")
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertEqual(str(activity.date_deadline), "2026-04-07")
        # the salesperson can read what to resolve
        self.assertEqual(
            dispute.with_user(self.salesperson).read(["amount", "description"])[0]["description"],
            "Price list not applied",
        )
        run = self._run("2026-03-31")
        self.assertEqual(run.sent_count, 1)
        self.assertEqual(self._reminders(self.customer).line_ids.move_id, self.invoice_2)
        # history on the invoice and the customer
        self.assertEqual(self.invoice_1.with_user(self.collector).collection_dispute_ids, dispute)
        self.assertEqual(self.customer.with_user(self.collector).collection_dispute_count, 1)
        self.assertIn("Dispute opened", self.invoice_1.message_ids[:1].body)

    def test_without_salesperson_the_company_handler(self):
        self.company.collection_dispute_user_id = self.manager
        self.invoice_2.invoice_user_id = False
        dispute = self._dispute(moves=self.invoice_2)
        self.assertEqual(dispute.user_id, self.manager)

    def test_rejection_resumes_dunning_and_tells_the_customer(self):
        dispute = self._dispute(moves=self.invoice_1 + self.invoice_2, amount=200)
        self.assertEqual(dispute.amount, 200.0)
        dispute.resolution_note = "Prices match the signed quote."
        dispute.with_user(self.collector).action_reject()
        self.assertEqual(dispute.state, "rejected")
        self.assertFalse(self.invoice_1.collection_disputed)
        self.assertFalse(self._reasons(self.invoice_2))
        told = dispute.communication_ids
        self.assertRecordValues(told, [{"kind": "dispute_rejected", "state": "sent"}])
        self.assertIn("signed quote", told.body_text)
        self.assertIn("dispute", told.mail_ids.subject.lower())
        self.assertFalse(
            self._activities(dispute, "account_collections.mail_activity_type_dispute")
        )
        run = self._run("2026-03-31")
        self.assertEqual(run.sent_count, 1)
        self.assertEqual(
            self._reminders(self.customer)
            .filtered(lambda c: c.kind == "reminder")
            .line_ids.move_id,
            self.invoice_1 + self.invoice_2,
        )

    def test_resolved_by_credit_note(self):
        dispute = self._dispute()
        with self.assertRaises(UserError):
            dispute.with_user(self.collector).action_resolve_credit_note()
        credit_note = self._invoice(self.customer, 1000, "2026-03-31", move_type="out_refund")
        dispute.credit_note_id = credit_note
        dispute.with_user(self.collector).action_resolve_credit_note()
        self.assertEqual(dispute.state, "credit_note")
        self.assertFalse(self.invoice_1.collection_disputed)
        self.assertFalse(dispute.communication_ids)  # nothing to tell: the credit note says it

    def test_settled(self):
        dispute = self._dispute()
        dispute.with_user(self.collector).action_settle()
        self.assertEqual(dispute.state, "settled")
        self.assertFalse(self.invoice_1.collection_disputed)
        with self.assertRaises(UserError):
            dispute.action_settle()

    def test_the_flag_stays_while_another_dispute_is_open(self):
        first = self._dispute()
        second = self._dispute(reason="quality")
        first.with_user(self.collector).action_settle()
        self.assertTrue(self.invoice_1.collection_disputed)
        second.with_user(self.collector).action_settle()
        self.assertFalse(self.invoice_1.collection_disputed)

    def test_deleting_a_dispute_resumes_dunning(self):
        dispute = self._dispute()
        dispute.with_user(self.manager).unlink()
        self.assertFalse(self.invoice_1.collection_disputed)

    def test_the_flag_set_by_hand_still_works(self):
        self.invoice_2.collection_disputed = True
        self.assertEqual(self._reasons(self.invoice_2), "Disputed")

    def test_a_dispute_lowers_the_score(self):
        worklist = self.env["account.collection.worklist"]
        worklist._refresh(self.company)
        row = worklist.search([("partner_id", "=", self.customer.id)])
        before = row.score
        self._dispute(moves=self.invoice_2)
        row = worklist.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(row.open_dispute_count, 1)
        self.assertEqual(row.total_overdue, 1000.0)  # the disputed invoice waits
        self.assertLess(row.score, before)

    def test_from_the_invoice(self):
        action = (
            (self.invoice_1 + self.invoice_2).with_user(self.collector).action_collection_dispute()
        )
        self.assertEqual(
            action["context"]["default_move_ids"], (self.invoice_1 + self.invoice_2).ids
        )
        other = self._customer("Other")
        with self.assertRaises(UserError):
            (self.invoice_1 + self._invoice(other, 10, "2026-03-01")).action_collection_dispute()

    def test_rights(self):
        with self.assertRaises(AccessError):
            self._dispute(user=self.invoicing_user)
        dispute = self._dispute()
        with self.assertRaises(AccessError):
            dispute.with_user(self.salesperson).action_settle()
        with self.assertRaises(AccessError):
            dispute.with_user(self.invoicing_user).write({"amount": 1})
        self.assertEqual(dispute.state, "open")
        with self.assertRaises(AccessError):
            dispute.with_user(self.collector).unlink()


@tagged("post_install", "-at_install")
class TestWorkspaceMultiCompany(WorkspaceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.invoice_b = cls._invoice(cls.customer, 700, "2026-01-01", company=cls.company_b)
        cls.user_b = new_test_user(
            cls.env,
            login="collector_b_ws",
            groups="account_collections.group_collections_user",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )

    def test_each_company_sees_its_own(self):
        promise = self._promise()
        dispute = self._dispute(moves=self.invoice_2)
        call, _action = self._call("reached")
        for model in ("promise", "dispute", "call", "timeline"):
            self.assertFalse(
                self.env[f"account.collection.{model}"].with_user(self.user_b).search([]), model
            )
        with self.assertRaises(AccessError):
            promise.with_user(self.user_b).read(["amount"])
        with self.assertRaises(AccessError):
            dispute.with_user(self.user_b).read(["amount"])
        with self.assertRaises(AccessError):
            call.with_user(self.user_b).read(["outcome"])
        customer_b = self.customer.with_user(self.user_b).with_company(self.company_b)
        self.assertEqual(customer_b.collection_promise_count, 0)
        self.assertEqual(customer_b.collection_dispute_count, 0)

    def test_an_invoice_of_another_company_cannot_be_promised(self):
        with self.assertRaises(UserError):
            self.env["account.collection.promise"].with_user(self.collector).create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.invoice_b.ids)],
                    "date": "2026-04-10",
                }
            )


@tagged("post_install", "-at_install")
class TestSkipTracingAndTimeline(WorkspaceCommon):
    def test_returned_mail_marked_by_hand(self):
        self.customer.with_company(self.company).collector_id = self.collector
        self.customer.with_user(self.collector).action_collection_mail_returned()
        self.assertTrue(self.customer.collection_skip_trace)
        self.assertEqual(self.customer.collection_skip_trace_reason, "Letter returned by the post")
        activity = self._activities(
            self.customer, "account_collections.mail_activity_type_skip_trace"
        )
        self.assertEqual(activity.user_id, self.collector)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.invoicing_user).action_collection_mail_returned()

    def test_a_bounced_email_puts_the_customer_in_the_queue(self):
        self.customer.user_id = self.salesperson
        self.contact._message_receive_bounce(self.contact.email or "ann@example.com", self.contact)
        self.assertTrue(self.customer.collection_skip_trace)
        self.assertIn("bounced", self.customer.collection_skip_trace_reason)
        activity = self._activities(
            self.customer, "account_collections.mail_activity_type_skip_trace"
        )
        self.assertEqual(activity.user_id, self.salesperson)
        # a second bounce adds no second activity
        self.customer._message_receive_bounce(self.customer.email, self.customer)
        self.assertEqual(
            len(
                self._activities(self.customer, "account_collections.mail_activity_type_skip_trace")
            ),
            1,
        )

    def test_address_changes_stay_in_the_history(self):
        # records created in this transaction are not tracked before it commits:
        # finish it as a commit would, then switch tracking (disabled in tests) on
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.customer.with_context(tracking_disable=False, mail_notrack=False).write(
            {"street": "2 New Road", "email": "new@example.com"}
        )
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking values are written just before commit
        tracked = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", "res.partner"),
                ("mail_message_id.res_id", "=", self.customer.id),
            ]
        )
        self.assertIn("1 Main Street", tracked.mapped("old_value_char"))
        self.assertIn("2 New Road", tracked.mapped("new_value_char"))
        self.assertIn("new@example.com", tracked.mapped("new_value_char"))

    def test_the_collections_contact_receives_the_letters(self):
        self.env["res.partner"].create(
            {
                "name": "Billing",
                "parent_id": self.customer.id,
                "type": "invoice",
                "email": "billing@example.com",
            }
        )
        alternate = self.env["res.partner"].create(
            {
                "name": "Carl Credit",
                "parent_id": self.customer.id,
                "email": "carl@example.com",
                "collection_contact": True,
            }
        )
        self._run("2026-03-31")
        reminder = self._reminders(self.customer)
        self.assertEqual(reminder.recipient_id, alternate)
        self.assertEqual(reminder.mail_ids.recipient_ids, alternate)

    def test_the_customer_timeline(self):
        _call, action = self._call("promised")
        promise = self._promise(context=action["context"])
        call = promise.call_id
        dispute = self._dispute(moves=self.invoice_2)
        self._run("2026-03-31")  # nothing left to remind: all paused
        promise.with_user(self.collector).action_send_letter()
        action = self.customer.with_user(self.collector).action_open_collection_timeline()
        rows = (
            self.env["account.collection.timeline"]
            .with_user(self.collector)
            .search(action["domain"])
        )
        self.assertEqual(
            sorted(rows.mapped("source")), ["call", "communication", "dispute", "promise"]
        )
        by_source = {row.source: row for row in rows}
        self.assertEqual(by_source["call"].res_id, call.id)
        self.assertEqual(by_source["dispute"].summary, dispute.display_name)
        self.assertEqual(by_source["promise"].status, "open")
        opened = by_source["communication"].action_open_record()
        self.assertEqual(opened["res_model"], "account.collection.communication")
        self.assertEqual(opened["res_id"], promise.communication_ids.id)
        with self.assertRaises(AccessError):
            self.env["account.collection.timeline"].with_user(self.invoicing_user).search([])
