from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestControls(CollectionsCommon):
    """The database and the models refuse what no button would do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Controlled Customer")
        cls.invoice = cls._invoice(cls.customer, 500, "2026-02-01")
        agency_partner = cls.env["res.partner"].create({"name": "Agency", "is_company": True})
        cls.agency = cls.env["account.collection.agency"].create({"partner_id": agency_partner.id})

    def test_a_context_key_is_no_permission(self):
        writeoff = self.env["account.collection.writeoff"]._propose(self.invoice)
        as_collector = writeoff.with_user(self.collector)
        for key in ("collection_writeoff_internal", "collection_internal"):
            with self.subTest(key=key), self.assertRaises(AccessError):
                as_collector.with_context(**{key: True}).write({"state": "posted"})
        self.assertEqual(writeoff.state, "proposed")

    def test_a_context_default_is_no_permission(self):
        plan = (
            self.env["account.collection.plan"]
            .with_user(self.collector)
            .with_context(default_state="active", default_approved_by_id=self.collector.id)
            .create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.invoice.ids)],
                    "first_date": "2026-04-30",
                }
            )
        )
        self.assertRecordValues(plan, [{"state": "draft", "approved_by_id": False}])
        # a value equal to the field's own default is no change
        same = (
            self.env["account.collection.hold"]
            .with_user(self.env.user)
            .create({"partner_id": self.customer.id, "reason": "Own", "state": "active"})
        )
        self.assertEqual(same.placed_by_id, self.env.user)

    def test_the_models_own_methods_may(self):
        writeoff = self.env["account.collection.writeoff"]._propose(self.invoice)
        writeoff.with_user(self.collector)._collection_write({"note": "<p>Checked</p>"})
        with self.assertRaises(AccessError):
            writeoff.with_user(self.collector).write({"auto_approved": True})
        writeoff.with_user(self.collector)._collection_write({"auto_approved": True})
        self.assertTrue(writeoff.auto_approved)

    def test_lines_of_an_approved_writeoff_stay(self):
        writeoff = self.env["account.collection.writeoff"]._propose(self.invoice)
        writeoff._collection_write({"state": "waiting"})
        line = writeoff.line_ids.with_user(self.collector)
        with self.assertRaisesRegex(UserError, "its lines stay as they are"):
            line.unlink()
        with self.assertRaisesRegex(UserError, "its lines stay as they are"):
            line.write({"move_id": self.invoice.id})
        # nor does a line of another proposal move into it
        other = self.env["account.collection.writeoff"]._propose(
            self._invoice(self.customer, 60, "2026-02-02")
        )
        with self.assertRaisesRegex(UserError, "its lines stay as they are"):
            other.line_ids.with_user(self.collector).write({"writeoff_id": writeoff.id})

    def test_level_days_within_bounds(self):
        policy = self.env["account.collection.policy"].create(
            {"name": "Bounds", "company_id": self.company.id}
        )
        for days in (-366, 3651, 2147483647, -100000):
            with (
                self.subTest(days=days),
                mute_logger("odoo.sql_db"),
                self.assertRaises(IntegrityError),
                self.env.cr.savepoint(),
            ):
                self.env["account.collection.level"].create(
                    {"name": "Bad", "policy_id": policy.id, "days": days, "send_email": False}
                )
        for days in (-365, 0, 3650):
            self.env["account.collection.level"].create(
                {"name": f"Fine {days}", "policy_id": policy.id, "days": days, "send_email": False}
            )

    def test_posted_provision_and_remittance_have_their_entry(self):
        provision = self.env["account.collection.provision"].create(
            {"company_id": self.company.id, "date": "2026-02-28"}
        )
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            provision._collection_write({"state": "posted"})
            provision.flush_recordset()
        remittance = self.env["account.collection.remittance"].create(
            {
                "agency_id": self.agency.id,
                "journal_id": self.company_data["default_journal_bank"].id,
            }
        )
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            remittance._collection_write({"state": "posted"})
            remittance.flush_recordset()

    def test_received_return_has_its_credit_note(self):
        agreement = self.env["account.collection.return"].create({"partner_id": self.customer.id})
        with self.assertRaisesRegex(ValidationError, "without its posted credit note"):
            agreement._collection_write({"state": "received"})

    def test_only_open_customer_invoices(self):
        paid = self._invoice(self.customer, 100, "2026-02-01")
        self._pay(paid, 100, "2026-02-10")
        refund = self._invoice(self.customer, 50, "2026-02-01", move_type="out_refund")
        other = self._invoice(self._customer("Someone Else"), 80, "2026-02-01")
        for move in (paid, refund, other):
            for model in ("account.collection.writeoff", "account.collection.placement"):
                vals = {"agency_id": self.agency.id} if "placement" in model else {}
                with self.subTest(model=model, move=move.name), self.assertRaises(ValidationError):
                    self.env[model].with_user(self.collector).create(
                        {
                            "partner_id": self.customer.id,
                            "line_ids": [Command.create({"move_id": move.id})],
                            **vals,
                        }
                    )

    def test_a_claims_interest_and_decision_stay_once_filed_and_decided(self):
        claim = self.env["account.collection.claim"]._draft_for(self.customer, self.invoice)
        claim.write({"court": "County Court", "amount_interest": 12.0})
        manager = self.env.user
        claim.with_user(manager).action_file()
        with self.assertRaisesRegex(UserError, "fixed once filed"):
            claim.with_user(self.collector).write({"amount_interest": 999.0})
        claim.write({"outcome": "won", "judgment_amount": 600.0, "judgment_date": "2026-03-20"})
        claim.with_user(manager).action_decide()
        with self.assertRaisesRegex(UserError, "fixed once filed or decided"):
            claim.with_user(self.collector).write({"judgment_amount": 1.0})
        self.assertRecordValues(claim, [{"amount_interest": 12.0, "judgment_amount": 600.0}])
