import base64
import csv
import io

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestPlacement(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        agency_partner = cls.env["res.partner"].create(
            {"name": "Recover & Co", "is_company": True, "email": "desk@recover.example.com"}
        )
        cls.agency = cls.env["account.collection.agency"].create(
            {"partner_id": agency_partner.id, "commission_rate": 20, "recall_days": 90}
        )
        cls.customer = cls._customer("Slow Payer", vat="BE0477472701", phone="+32 2 555 01 01")
        cls.inv_old = cls._invoice(cls.customer, 1200, "2025-12-31")
        cls.inv_recent = cls._invoice(cls.customer, 300, "2026-03-20")
        cls.inv_not_due = cls._invoice(cls.customer, 50, "2026-04-30")
        cls.Placement = cls.env["account.collection.placement"]

    def _place(self):
        action = self.customer.with_user(self.collector).action_collection_place_with_agency()
        placement = self.Placement.browse(action["res_id"])
        placement.with_user(self.manager).action_place()
        return placement

    def test_proposal_lists_overdue_invoices(self):
        action = self.customer.with_user(self.collector).action_collection_place_with_agency()
        placement = self.Placement.browse(action["res_id"])
        self.assertRecordValues(
            placement, [{"state": "proposed", "agency_id": self.agency.id, "amount_total": 1500.0}]
        )
        self.assertEqual(placement.line_ids.move_id, self.inv_old + self.inv_recent)
        with self.assertRaises(AccessError):
            placement.with_user(self.collector).action_place()
        with self.assertRaises(UserError):  # nothing left to place
            self.customer.with_user(self.collector).action_collection_place_with_agency()

    def test_place_records_amounts_sends_notice_and_stops_dunning(self):
        self._pay(self.inv_old, 200, "2026-03-25")
        placement = self._place()
        self.assertRecordValues(
            placement,
            [
                {
                    "state": "placed",
                    "date": self.today,
                    "recall_date": fields.Date.to_date("2026-06-29"),
                    "commission_rate": 20.0,
                    "amount_total": 1300.0,
                }
            ],
        )
        notice = placement.communication_id
        self.assertRecordValues(
            notice, [{"kind": "agency_notice", "state": "sent", "by_email": True}]
        )
        self.assertEqual(notice.line_ids.move_id, self.inv_old + self.inv_recent)
        self.assertIn("Recover &amp; Co", notice.mail_ids.body_html)
        self.inv_old.invalidate_recordset(["collection_exclusion_reasons"])
        self.assertEqual(
            self.inv_old.collection_exclusion_reasons, "Placed with a collection agency"
        )
        # the dunning run reminds nothing placed
        run = self._run("2026-03-31")
        self.assertFalse(run.communication_ids)
        # recalled: back to dunning
        placement.with_user(self.manager).action_recall()
        self.assertEqual(placement.state, "recalled")
        run = self._run("2026-04-01")
        self.assertEqual(run.communication_ids.partner_id, self.customer)

    def test_one_active_placement_per_invoice(self):
        placement = self._place()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Placement.create(
                {
                    "agency_id": self.agency.id,
                    "partner_id": self.customer.id,
                    "line_ids": [Command.create({"move_id": self.inv_old.id})],
                }
            )
        self.assertEqual(placement.state, "placed")

    def test_agency_file_reads_back(self):
        reminded = self._run("2026-03-31")
        self.assertTrue(reminded.communication_ids)
        placement = self._place()
        action = placement.with_user(self.collector).action_export_csv()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        rows = list(csv.DictReader(io.StringIO(base64.b64decode(attachment.datas).decode())))
        self.assertEqual(len(rows), 2)
        by_invoice = {row["invoice"]: row for row in rows}
        old = by_invoice[self.inv_old.name]
        self.assertEqual(old["customer"], "Slow Payer")
        self.assertEqual(old["vat"], "BE0477472701")
        self.assertEqual(old["email"], "slow.payer@example.com")
        self.assertEqual(old["open_amount"], "1200.00")
        self.assertEqual(old["days_overdue"], "90")
        self.assertEqual(old["due_date"], "2025-12-31")
        self.assertEqual(old["reminders_sent"], "1")
        self.assertEqual(old["last_reminder"], "2026-03-31")
        self.assertEqual(by_invoice[self.inv_recent.name]["days_overdue"], "11")

    def test_agency_file_as_xlsx_matches_the_csv(self):
        import openpyxl  # noqa: PLC0415 - a test-only reader

        placement = self._place()

        def attachment(action):
            return self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))

        csv_rows = list(
            csv.reader(io.StringIO(attachment(placement.action_export_csv()).raw.decode()))
        )
        book = openpyxl.load_workbook(io.BytesIO(attachment(placement.action_export_xlsx()).raw))
        xlsx_rows = [
            ["" if value is None else str(value) for value in row]
            for row in book.active.iter_rows(values_only=True)
        ]
        self.assertEqual(xlsx_rows, csv_rows)

    def test_tiered_commission_by_age_when_placed(self):
        self.agency.tier_ids = [
            Command.create({"min_days": 0, "rate": 10}),
            Command.create({"min_days": 60, "rate": 30}),
        ]
        placement = self._place()
        rates = {line.move_id: line.commission_rate for line in placement.line_ids}
        self.assertEqual(rates[self.inv_old], 30.0)  # 90 days overdue when placed
        self.assertEqual(rates[self.inv_recent], 10.0)  # 11 days

    def _remittance(self, placement, amounts):
        bank = self.company_data["default_journal_bank"]
        lines = {line.move_id: line for line in placement.line_ids}
        return self.env["account.collection.remittance"].create(
            {
                "agency_id": self.agency.id,
                "journal_id": bank.id,
                "date": "2026-03-31",
                "reference": "REM-1",
                "line_ids": [
                    Command.create({"placement_line_id": lines[move].id, "gross": amount})
                    for move, amount in amounts.items()
                ],
            }
        )

    def test_remittance_books_net_commission_and_reconciles(self):
        expense = self.company_data["default_account_expense"]
        self.agency.commission_account_id = expense
        placement = self._place()
        remittance = self._remittance(placement, {self.inv_old: 1000.0, self.inv_recent: 300.0})
        self.assertRecordValues(
            remittance,
            [{"amount_gross": 1300.0, "amount_commission": 260.0, "amount_net": 1040.0}],
        )
        with self.assertRaises(AccessError):
            remittance.with_user(self.collector).action_post()
        remittance.with_user(self.manager).action_post()
        move = remittance.move_id
        self.assertEqual(move.state, "posted")
        bank = self.company_data["default_journal_bank"]
        by_account = {}
        for line in move.line_ids:
            by_account[line.account_id] = by_account.get(line.account_id, 0.0) + line.balance
        self.assertEqual(
            by_account,
            {bank.default_account_id: 1040.0, expense: 260.0, self.receivable: -1300.0},
        )
        self.assertRecordValues(
            self.inv_old + self.inv_recent,
            [
                {"amount_residual": 200.0, "payment_state": "partial"},
                {"amount_residual": 0.0, "payment_state": "paid"},
            ],
        )
        old_line = placement.line_ids.filtered(lambda line: line.move_id == self.inv_old)
        self.assertRecordValues(
            old_line, [{"amount_collected": 1000.0, "amount_commission": 200.0}]
        )
        with self.assertRaises(UserError):  # posted once
            remittance.with_user(self.manager).action_post()
        # the agency's statement: placed, collected, commission, net, recalled
        placement.with_user(self.manager).action_recall()
        rows = (
            self.env["account.collection.agency.statement"]
            .with_user(self.manager)
            .search([("agency_id", "=", self.agency.id)])
        )
        totals = {
            name: sum(rows.mapped(name))
            for name in (
                "amount_placed",
                "amount_collected",
                "amount_commission",
                "amount_net",
                "amount_recalled",
            )
        }
        self.assertEqual(
            totals,
            {
                "amount_placed": 1500.0,
                "amount_collected": 1300.0,
                "amount_commission": 260.0,
                "amount_net": 1040.0,
                "amount_recalled": 200.0,
            },
        )

    def test_direct_payments_earn_commission_when_the_contract_says_so(self):
        placement = self._place()
        self._pay(self.inv_old, 500, "2026-03-31")  # the customer pays the company
        statement = self.env["account.collection.agency.statement"]

        def row():
            return statement.search(
                [("placement_id", "=", placement.id), ("move_id", "=", self.inv_old.id)]
            )

        self.assertRecordValues(row(), [{"amount_direct": 500.0, "amount_direct_commission": 0.0}])
        self.agency.commission_on_direct_payments = True
        self.env.invalidate_all()
        self.assertRecordValues(
            row(), [{"amount_direct": 500.0, "amount_direct_commission": 100.0}]
        )

    def test_remittance_refuses_more_than_owed_or_no_account(self):
        placement = self._place()
        remittance = self._remittance(placement, {self.inv_recent: 500.0})
        with self.assertRaises(UserError):  # no commission account yet
            remittance.with_user(self.manager).action_post()
        self.agency.commission_account_id = self.company_data["default_account_expense"]
        with self.assertRaises(UserError):  # 300 owed
            remittance.with_user(self.manager).action_post()
        self.assertEqual(remittance.state, "draft")
        self.assertFalse(remittance.move_id)

    def test_remittance_in_a_locked_period_posts_at_the_first_open_date(self):
        self.agency.commission_account_id = self.company_data["default_account_expense"]
        placement = self._place()
        remittance = self._remittance(placement, {self.inv_old: 100.0})
        self.company.fiscalyear_lock_date = "2026-03-31"
        remittance.with_user(self.manager).action_post()
        self.assertRecordValues(
            remittance.move_id, [{"state": "posted", "date": fields.Date.to_date("2026-04-01")}]
        )
        self.assertIn("first open date", str(remittance.message_ids[0].body))
        self.assertEqual(self.inv_old.amount_residual, 1100.0)

    def test_recall_to_write_off(self):
        placement = self._place()
        action = placement.with_user(self.manager).action_recall_to_writeoff()
        self.assertEqual(placement.state, "recalled")
        writeoff = self.env["account.collection.writeoff"].browse(action["res_id"])
        self.assertEqual(writeoff.line_ids.move_id, self.inv_old + self.inv_recent)
        self.assertIn("Recalled", writeoff.note)
        self.inv_old.invalidate_recordset(["collection_exclusion_reasons"])
        self.assertEqual(self.inv_old.collection_exclusion_reasons, "Write-off proposed or posted")

    def test_placement_proposed_by_rule_after_the_escalation_review(self):
        self.level_3.escalation_review = True
        self.company.write(
            {"collection_placement_days": 10, "collection_placement_agency_id": self.agency.id}
        )
        cron = self.env.ref("account_collections.ir_cron_collection_placement")
        for day in ("2026-01-10", "2026-01-30", "2026-03-01"):
            self._run(day)  # the final demand (60 days) on 2026-03-01
        placements = self.Placement.search([("partner_id", "=", self.customer.id)])

        def trigger(day):
            with freeze_time(f"{day} 08:00:00"), self.enter_registry_test_mode():
                cron.method_direct_trigger()
            return self.Placement.search([("partner_id", "=", self.customer.id)]) - placements

        self.assertFalse(trigger("2026-03-10"))  # 9 days after: not yet
        proposed = trigger("2026-03-11")
        self.assertRecordValues(proposed, [{"state": "proposed", "agency_id": self.agency.id}])
        # the overdue invoices only: the recent one falls due on 2026-03-20
        self.assertEqual(proposed.line_ids.move_id, self.inv_old)
        self.assertEqual(trigger("2026-03-12"), proposed)  # no second proposal
        proposed.with_user(self.manager).action_cancel()
        self.assertEqual(trigger("2026-03-13"), proposed)  # a refused proposal is not redone

    def test_other_company_sees_nothing(self):
        placement = self._place()
        company_b = self.setup_other_company(name="Placement B")["company"]
        user_b = new_test_user(
            self.env,
            login="placement_b",
            groups="account_collections.group_collections_manager",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        self.assertFalse(self.Placement.with_user(user_b).search([]))
        self.assertFalse(self.env["account.collection.agency"].with_user(user_b).search([]))
        with self.assertRaises(AccessError):
            placement.with_user(user_b).read(["amount_total"])
