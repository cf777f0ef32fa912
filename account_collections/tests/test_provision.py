from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestProvision(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Account = cls.env["account.account"]
        cls.expense = Account.create(
            {"name": "Doubtful debts expense", "code": "681700", "account_type": "expense"}
        )
        cls.allowance = Account.create(
            {"name": "Allowance for doubtful accounts", "code": "491000",
             "account_type": "asset_current"}
        )  # fmt: skip
        cls.journal = cls.company_data["default_journal_misc"]
        cls.company.write(
            {
                "collection_provision_journal_id": cls.journal.id,
                "collection_provision_expense_account_id": cls.expense.id,
                "collection_provision_allowance_account_id": cls.allowance.id,
                "collection_provision_rate_current": 0,
                "collection_provision_rate_1_30": 1,
                "collection_provision_rate_31_60": 5,
                "collection_provision_rate_61_90": 10,
                "collection_provision_rate_91_120": 25,
                "collection_provision_rate_over_120": 50,
            }
        )
        cls.manager = new_test_user(
            cls.env,
            login="prov_manager",
            groups="account_collections.group_collections_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.alpha = cls._customer("Alpha")
        cls._invoice(cls.alpha, 1000, "2026-03-15")  # 16 days on 31 March
        cls._invoice(cls.alpha, 2000, "2025-10-31")  # 151 days on 31 March, 120 on 28 Feb
        cls.beta = cls._customer("Beta")  # specific: 100 %
        cls.beta.with_company(cls.company).write(
            {"collection_provision_specific": True, "collection_provision_rate": 100}
        )
        cls._invoice(cls.beta, 500, "2026-03-20")
        cls.gamma = cls._customer("Gamma")  # 28 days on 28 Feb, paid in March
        gamma_invoice = cls._invoice(cls.gamma, 800, "2026-01-31")
        cls._pay(gamma_invoice, 800, "2026-03-10")
        cls.Provision = cls.env["account.collection.provision"]

    def _provision(self, date):
        provision = self.Provision.with_user(self.manager).create(
            {"company_id": self.company.id, "date": date}
        )
        provision.action_compute()
        return provision

    def _lines(self, provision):
        return {line.partner_id: line for line in provision.line_ids}

    def test_default_date_is_last_month_end(self):
        self.assertEqual(
            self.Provision.with_user(self.manager).new({}).date,
            fields.Date.to_date("2026-02-28"),
        )

    def test_month_end_as_it_stood_that_day(self):
        provision = self._provision("2026-02-28")
        lines = self._lines(provision)
        # alpha: the March invoice did not exist yet; the old one was 120 days late (25 %)
        # gamma: unpaid then, 28 days (1 %); beta: nothing yet
        self.assertEqual(set(lines), {self.alpha, self.gamma})
        self.assertRecordValues(lines[self.alpha], [{"amount_base": 2000.0, "amount": 500.0}])
        self.assertRecordValues(lines[self.gamma], [{"amount_base": 800.0, "amount": 8.0}])
        self.assertEqual(provision.amount_total, 508.0)

    def test_current_month_with_a_specific_rate(self):
        provision = self._provision("2026-03-31")
        lines = self._lines(provision)
        self.assertEqual(set(lines), {self.alpha, self.beta})
        # 1 % of 1000 + 50 % of 2000
        self.assertRecordValues(lines[self.alpha], [{"amount_base": 3000.0, "amount": 1010.0}])
        self.assertRecordValues(
            lines[self.beta], [{"amount": 500.0, "specific": True, "rate": 100.0}]
        )
        self.assertEqual(provision.amount_total, 1510.0)
        self.assertEqual(provision.amount_base, 3500.0)

    def test_posted_then_reversed_on_the_first_of_next_month(self):
        provision = self._provision("2026-03-31")
        provision.with_user(self.manager).action_approve()
        self.assertEqual(provision.state, "posted")
        move = provision.move_id
        self.assertRecordValues(
            move, [{"state": "posted", "date": self.today, "journal_id": self.journal.id}]
        )
        self.assertRecordValues(
            move.line_ids.sorted("balance"),
            [
                {"account_id": self.allowance.id, "balance": -1510.0},
                {"account_id": self.expense.id, "balance": 1510.0},
            ],
        )
        reversal = provision.reversal_move_id
        self.assertRecordValues(
            reversal,
            [
                {
                    "reversed_entry_id": move.id,
                    "date": fields.Date.to_date("2026-04-01"),
                    "state": "draft",
                    "auto_post": "at_date",
                }
            ],
        )
        with freeze_time("2026-04-01 06:00:00"), self.enter_registry_test_mode():
            self.env.ref("account.ir_cron_auto_post_draft_entry").method_direct_trigger()
        self.assertEqual(reversal.state, "posted")
        balance = sum(
            self.env["account.move.line"]
            .search([("account_id", "=", self.allowance.id), ("parent_state", "=", "posted")])
            .mapped("balance")
        )
        self.assertEqual(balance, 0.0)
        # shown per customer
        self.assertEqual(self.alpha.with_user(self.manager).collection_provision_amount, 1010.0)
        self.assertEqual(self.gamma.with_user(self.manager).collection_provision_amount, 0.0)

    def test_locked_month_posts_at_the_first_open_date(self):
        provision = self._provision("2026-02-28")
        self.company.fiscalyear_lock_date = "2026-02-28"
        provision.with_user(self.manager).action_approve()
        self.assertEqual(provision.move_id.date, fields.Date.to_date("2026-03-01"))
        self.assertEqual(provision.reversal_move_id.date, fields.Date.to_date("2026-03-02"))
        self.assertEqual(provision.reversal_move_id.state, "posted")
        self.assertIn("first open date", provision.message_ids[0].body)

    def test_rights_and_one_per_month(self):
        billing = new_test_user(
            self.env, login="prov_billing", groups="account.group_account_invoice"
        )
        with self.assertRaises(AccessError):
            self.Provision.with_user(billing).search([])
        with self.assertRaises(AccessError):
            self.Provision.with_user(self.collector).create(
                {"company_id": self.company.id, "date": "2026-03-31"}
            )
        provision = self._provision("2026-03-31")
        with self.assertRaises(AccessError):
            provision.with_user(self.collector).action_approve()
        self.assertEqual(provision.with_user(self.collector).amount_total, 1510.0)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Provision.create({"company_id": self.company.id, "date": "2026-03-31"})
        provision.with_user(self.manager).action_reject()
        self.assertTrue(self._provision("2026-03-31"))

    def test_as_of_a_month_end_only(self):
        with self.assertRaises(ValidationError):
            self.Provision.create({"company_id": self.company.id, "date": "2026-03-15"})

    def test_rates_are_percentages(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.company.collection_provision_rate_over_120 = 150
            self.company.flush_recordset()
        with self.assertRaises(ValidationError):
            self.alpha.with_company(self.company).collection_provision_rate = -5

    def test_missing_accounts_stop_the_posting(self):
        provision = self._provision("2026-03-31")
        self.company.collection_provision_allowance_account_id = False
        with self.assertRaises(UserError):
            provision.with_user(self.manager).action_approve()
        self.assertEqual(provision.state, "proposed")
        self.assertFalse(provision.move_id)

    def test_monthly_cron_proposes_once(self):
        self.env["res.company"].search([]).collection_provision_auto = False
        self.company.collection_provision_auto = True
        cron = self.env.ref("account_collections.ir_cron_collection_provision")
        for _run in range(2):
            with freeze_time("2026-04-01 06:00:00"), self.enter_registry_test_mode():
                cron.method_direct_trigger()
        provisions = self.Provision.search([("company_id", "=", self.company.id)])
        self.assertRecordValues(
            provisions, [{"date": self.today, "state": "proposed", "amount_total": 1510.0}]
        )

    def test_other_company_sees_nothing(self):
        company_b = self.setup_other_company(name="Provision B")["company"]
        user_b = new_test_user(
            self.env,
            login="prov_manager_b",
            groups="account_collections.group_collections_manager",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        provision = self._provision("2026-03-31")
        self.assertFalse(self.Provision.with_user(user_b).search([]))
        with self.assertRaises(AccessError):
            provision.with_user(user_b).read(["amount_total"])
        provision_b = self.Provision.with_user(user_b).create(
            {"company_id": company_b.id, "date": "2026-03-31"}
        )
        provision_b.action_compute()
        self.assertFalse(provision_b.line_ids)
