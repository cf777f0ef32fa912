import base64
import io

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestClaim(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Defendant Ltd")
        cls.inv_old = cls._invoice(cls.customer, 1000, "2026-01-01")
        cls.inv_recent = cls._invoice(cls.customer, 250, "2026-03-01")
        cls.inv_not_due = cls._invoice(cls.customer, 80, "2026-04-30")
        cls.Claim = cls.env["account.collection.claim"]

    def _draft(self):
        return self.Claim.browse(
            self.customer.with_user(self.collector).action_collection_claim()["res_id"]
        )

    def test_letter_before_action_sets_a_deadline_and_stops_dunning(self):
        claim = self._draft()
        self.assertRecordValues(
            claim, [{"state": "draft", "amount_principal": 1250.0, "amount_interest": 0.0}]
        )
        self.assertEqual(claim.line_ids.move_id, self.inv_old + self.inv_recent)
        claim.with_user(self.collector).action_send_notice()
        self.assertRecordValues(
            claim,
            [
                {
                    "state": "notice",
                    "notice_date": self.today,
                    "deadline_date": fields.Date.to_date("2026-04-14"),
                }
            ],
        )
        letter = claim.communication_id
        self.assertRecordValues(
            letter,
            [
                {
                    "kind": "letter_before_action",
                    "state": "sent",
                    "by_email": True,
                    "claim_id": claim.id,
                }
            ],
        )
        self.assertEqual(letter.line_ids.move_id, self.inv_old + self.inv_recent)
        self.assertIn("court proceedings", letter.mail_ids.body_html)
        self.assertIn("04/14/2026", letter.mail_ids.body_html)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account_collections.action_report_collection_letter", letter.ids)[0]
            .decode()
        )
        self.assertIn("Letter Before Action", html)
        self.assertIn("Payment deadline", html)
        self.assertIn("Total overdue", html)
        self.assertIn(self.inv_old.name, html)
        # out of dunning from the letter on
        self.inv_old.invalidate_recordset(["collection_exclusion_reasons"])
        self.assertEqual(self.inv_old.collection_exclusion_reasons, "In a court claim")
        self.assertFalse(self._run("2026-03-31").communication_ids)
        # the customer's timeline shows the claim and its letter
        timeline = self.env["account.collection.timeline"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(sorted(timeline.mapped("source")), ["claim", "communication"])
        self.assertEqual(
            timeline.filtered(lambda row: row.source == "claim").mapped("status"), ["notice"]
        )
        # a second claim for the same invoice is refused
        with self.assertRaises(ValidationError):
            self.Claim.create(
                {
                    "partner_id": self.customer.id,
                    "line_ids": self.Claim._prepare_lines(self.inv_old),
                }
            )

    def test_interest_to_the_filing_date_fees_and_amount_claimed(self):
        self.company.collection_claim_interest_rate = 8.0
        claim = self._draft()
        # 1000 * 8 % * 89 / 365 = 19.51 and 250 * 8 % * 30 / 365 = 1.64
        self.assertEqual(claim.amount_interest, 21.15)
        claim.write({"amount_fees": 35.0, "court": "Springfield County Court"})
        with freeze_time("2026-04-30"):
            claim.with_user(self.manager).action_file()
        # filed on the company's today: 119 and 60 days
        self.assertRecordValues(
            claim,
            [
                {
                    "state": "filed",
                    "filing_date": fields.Date.to_date("2026-04-30"),
                    "amount_interest": 26.08 + 3.29,
                    "amount_claim": 1250.0 + 29.37 + 35.0,
                }
            ],
        )

    def test_filing_and_decision_need_a_manager_and_their_data(self):
        claim = self._draft()
        with self.assertRaises(AccessError):
            claim.with_user(self.collector).action_file()
        with self.assertRaises(UserError):  # no court named
            claim.with_user(self.manager).action_file()
        claim.court = "Springfield County Court"
        claim.with_user(self.manager).action_file()
        with self.assertRaises(UserError):  # no outcome yet
            claim.with_user(self.manager).action_decide()
        claim.write({"outcome": "won", "judgment_amount": 1290.0, "judgment_date": "2026-05-20"})
        claim.with_user(self.manager).action_decide()
        self.assertEqual(claim.state, "decided")
        with self.assertRaises(UserError):  # a decided claim cannot be cancelled
            claim.with_user(self.manager).action_cancel()
        claim.with_user(self.manager).action_close()
        self.inv_old.invalidate_recordset(["collection_exclusion_reasons"])
        self.assertFalse(self.inv_old.collection_exclusion_reasons)

    def test_only_open_invoices_of_the_customer_are_claimed(self):
        other = self._customer("Someone Else")
        other_inv = self._invoice(other, 10, "2026-01-01")
        with self.assertRaises(UserError):
            self.Claim._draft_for(self.customer, self.inv_old + other_inv)
        paid = self._invoice(self.customer, 10, "2026-01-01")
        self._pay(paid, 10, "2026-02-01")
        with self.assertRaises(UserError):
            self.Claim._draft_for(self.customer, paid)
        with self.assertRaises(UserError):  # nothing overdue
            self.Claim._draft_for(self._customer("Nobody"))
        # a payment after the draft is refused at the letter
        claim = self._draft()
        self._pay(self.inv_recent, 250, "2026-03-30")
        with self.assertRaises(UserError):
            claim.action_send_notice()
        self.assertEqual(claim.state, "draft")

    def test_costs_are_booked_as_a_balanced_expense_at_the_first_open_date(self):
        expense = self.company_data["default_account_expense"]
        bank = self.company_data["default_journal_bank"]
        self.company.write(
            {
                "collection_claim_cost_account_id": expense.id,
                "collection_claim_cost_journal_id": bank.id,
                "fiscalyear_lock_date": "2026-03-31",
            }
        )
        claim = self._draft()
        claim.with_user(self.collector).action_send_notice()
        claim.cost_amount = 75.0
        with self.assertRaises(AccessError):
            claim.with_user(self.collector).action_book_costs()
        claim.with_user(self.manager).action_book_costs()
        move = claim.cost_move_ids
        self.assertRecordValues(
            move,
            [{"state": "posted", "date": fields.Date.to_date("2026-04-01"), "amount_total": 75.0}],
        )
        self.assertRecordValues(
            move.line_ids.sorted("debit"),
            [
                {"account_id": bank.default_account_id.id, "debit": 0.0, "credit": 75.0},
                {"account_id": expense.id, "debit": 75.0, "credit": 0.0},
            ],
        )
        self.assertEqual(claim.amount_costs_booked, 75.0)
        self.assertEqual(claim.cost_amount, 0.0)
        self.assertIn("first open date", claim.message_ids[0].body)

    def test_claim_file_lists_statement_and_contact_history(self):
        self._run("2026-01-12")  # a first reminder for the old invoice
        self.env["account.collection.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(self.inv_recent.ids)],
                "date": "2026-04-10",
                "amount": 250.0,
            }
        )
        self._pay(self.inv_old, 100, "2026-02-10")
        claim = self._draft()
        values = claim._get_packet_values()
        # from the first claimed invoice to today: the invoice due in April is not in it
        self.assertEqual(values["statement"]["closing"], 1250.0 - 100.0)
        self.assertEqual(values["communications"].filtered("level_id").level_id, self.level_1)
        self.assertEqual(len(values["promises"]), 1)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "account_collections.action_report_collection_claim_packet", claim.ids
            )[0]
            .decode()
        )
        for text in ("Claim File", "Statement of account", "First reminder", self.inv_old.name):
            self.assertIn(text, html)

    def test_claim_packet_is_one_pdf_with_the_invoice_copies(self):
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() != "ok":
            self.skipTest("wkhtmltopdf is not installed")
        from odoo.tools.pdf import PdfFileReader  # noqa: PLC0415 - only with wkhtmltopdf

        claim = self._draft()
        action = claim.with_context(force_report_rendering=True).action_print_packet()
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", claim._name), ("res_id", "=", claim.id)]
        )
        self.assertEqual(action["url"], f"/web/content/{attachment.id}?download=true")
        pdf = PdfFileReader(io.BytesIO(base64.b64decode(attachment.datas)))
        # the file (claim, statement, history: at least two pages) and one copy per invoice
        self.assertGreaterEqual(len(pdf.pages), 4)
        text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
        self.assertIn("Claim File", text)
        self.assertIn(self.inv_recent.name, text)

    def test_file_names_hold_no_slash_from_the_customer_name(self):
        self.customer.name = "Defendant A/S"
        claim = self._draft()
        report = self.env.ref("account_collections.action_report_collection_claim_packet")
        name = safe_eval(report.print_report_name, {"object": claim})
        self.assertEqual(name, "Claim file - Claim against Defendant A-S")
        self.assertEqual(
            claim._get_report_filename("Claim packet"), "Claim packet - Claim against Defendant A-S"
        )

    def test_claim_from_selected_invoices(self):
        other = self._customer("Second Defendant")
        other_inv = self._invoice(other, 60, "2026-02-01")
        action = (self.inv_old + other_inv).with_user(self.collector).action_collection_claim()
        claims = self.Claim.search(action["domain"])
        self.assertEqual(claims.partner_id, self.customer + other)
        self.assertEqual(claims.line_ids.move_id, self.inv_old + other_inv)
        self.inv_old.invalidate_recordset(["collection_claim_ids"])
        self.assertEqual(self.inv_old.collection_claim_ids.partner_id, self.customer)

    def test_other_company_sees_no_claim(self):
        claim = self._draft()
        company_b = self.setup_other_company(name="Claims B")["company"]
        user_b = new_test_user(
            self.env,
            login="claims_b",
            groups="account_collections.group_collections_manager",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        self.assertFalse(self.Claim.with_user(user_b).search([("id", "=", claim.id)]))
        with self.assertRaises(AccessError):
            claim.with_user(user_b).read(["amount_claim"])


@tagged("post_install", "-at_install")
class TestLimitation(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"collection_limitation_years": 2, "collection_limitation_warning_days": 60}
        )
        cls.customer = cls._customer("Forgetful Co", collector_id=cls.collector.id)
        cls.near = cls._invoice(cls.customer, 400, "2024-04-30")  # barred on 2026-04-30
        cls.far = cls._invoice(cls.customer, 300, "2024-06-30")  # barred on 2026-06-30
        cls.acknowledged = cls._invoice(cls.customer, 500, "2024-04-15")
        cls._pay(cls.acknowledged, 100, "2025-01-10")  # restarts: barred on 2027-01-10
        cls.barred = cls._invoice(cls.customer, 90, "2024-02-20")  # barred since 2026-02-20
        cls.cron = cls.env.ref("account_collections.ir_cron_collection_limitation")
        cls.activity_type = cls.env.ref("account_collections.mail_activity_type_limitation")

    def _trigger(self):
        with freeze_time("2026-03-31 08:00:00"), self.enter_registry_test_mode():
            self.cron.method_direct_trigger()

    def _warnings(self):
        return self.env["mail.activity"].search(
            [("res_model", "=", "account.move"), ("activity_type_id", "=", self.activity_type.id)]
        )

    def test_each_invoice_carries_its_limitation_date(self):
        self.assertEqual(
            (self.near + self.far + self.acknowledged + self.barred).mapped(
                "collection_limitation_date"
            ),
            [
                fields.Date.to_date(day)
                for day in ("2026-04-30", "2026-06-30", "2027-01-10", "2026-02-20")
            ],
        )
        # a promise to pay acknowledges the debt too
        with freeze_time("2026-03-20 10:00:00"):
            promise = self.env["account.collection.promise"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.far.ids)],
                    "date": "2026-04-10",
                    "amount": 300.0,
                }
            )
        self.assertEqual(promise.made_date, fields.Date.to_date("2026-03-20"))
        self.far.invalidate_recordset(["collection_limitation_date"])
        self.assertEqual(self.far.collection_limitation_date, fields.Date.to_date("2028-03-20"))

    def test_collector_is_warned_once_before_the_date_passes(self):
        self._trigger()
        warnings = self._warnings()
        self.assertEqual(sorted(warnings.mapped("res_id")), sorted((self.near + self.barred).ids))
        self.assertEqual(warnings.user_id, self.collector)
        self.assertEqual(self.near.collection_limitation_warned, fields.Date.to_date("2026-04-30"))
        near_warning = warnings.filtered(lambda a: a.res_id == self.near.id)
        self.assertIn("04/30/2026", near_warning.summary)
        self._trigger()
        self.assertEqual(self._warnings(), warnings)

    def test_a_filed_claim_stops_the_warnings(self):
        claim = self.env["account.collection.claim"]._draft_for(self.customer, self.near)
        claim.write({"court": "County Court"})
        claim.with_user(self.manager).action_file()
        self._trigger()
        self.assertEqual(self._warnings().mapped("res_id"), self.barred.ids)

    def test_statute_barred_invoices_are_proposed_for_write_off(self):
        self.company.collection_writeoff_auto_propose = True
        cron = self.env.ref("account_collections.ir_cron_collection_writeoff")
        with freeze_time("2026-03-31 08:00:00"), self.enter_registry_test_mode():
            cron.method_direct_trigger()
        writeoff = self.env["account.collection.writeoff"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertRecordValues(
            writeoff,
            [
                {
                    "reason_id": self.env.ref(
                        "account_collections.writeoff_reason_statute_barred"
                    ).id,
                    "origin": "rule",
                    "amount_total": 90.0,
                }
            ],
        )
        self.assertEqual(writeoff.line_ids.move_id, self.barred)

    def test_no_period_no_dates_no_warnings(self):
        self.company.collection_limitation_years = 0
        self._trigger()
        self.assertFalse(self._warnings())
        self.assertFalse(self.near.collection_limitation_date)
