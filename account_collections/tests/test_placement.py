import base64
import csv
import io

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
