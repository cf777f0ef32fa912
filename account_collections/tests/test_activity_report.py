from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.account_collections.models.account_collection_activity_report import ID_FACTOR

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestActivityReport(DunningCommon):
    """Reminders of one dunning run, counted by level, channel and outcome."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.walker = cls._customer("Walker Trading")
        cls.walker.with_company(cls.company).collector_id = cls.collector
        cls._invoice(cls.walker, 1000, "2026-03-01")  # 30 days: first reminder all the same
        cls.quiet = cls._customer("Quiet Ltd", collection_do_not_contact=True)
        cls._invoice(cls.quiet, 200, "2026-03-15")  # 16 days: first reminder, refused
        cls.mailer = cls._customer("Mailer Inc")
        cls._invoice(cls.mailer, 300, "2026-03-20")  # 11 days: first reminder

    def _report(self, user=None):
        model = self.env["account.collection.activity.report"]
        return model.with_user(user) if user else model

    def test_calls_are_activities_too(self):
        self.env["account.collection.call"].create(
            {"partner_id": self.walker.id, "outcome": "no_answer", "user_id": self.collector.id}
        )
        rows = self._report(self.collector).search([("partner_id", "=", self.walker.id)])
        call = rows.filtered(lambda row: row.activity == "call")
        self.assertEqual(len(call), 1)
        self.assertEqual(
            (call.state, call.user_id, call.collector_id),
            ("no_answer", self.collector, self.collector),
        )
        groups = self._report(self.collector)._read_group(
            [("partner_id", "=", self.walker.id)], ["activity"], ["count:sum"]
        )
        self.assertIn(("call", 1), [(activity, count) for activity, count in groups])

    def test_reminders_by_level_channel_and_outcome(self):
        run = self._run("2026-03-31")
        self.assertEqual(len(run.communication_ids), 3)
        report = self._report(self.collector)
        rows = report.search([("partner_id", "in", (self.walker + self.quiet + self.mailer).ids)])
        by_partner = {row.partner_id: row for row in rows}
        self.assertRecordValues(
            by_partner[self.mailer] + by_partner[self.quiet] + by_partner[self.walker],
            [
                {
                    "level_id": self.level_1.id,
                    "channel": "email",
                    "state": "sent",
                    "amount": 300.0,
                    "activity": "communication",
                    "kind": "reminder",
                    "collector_id": False,
                },
                {
                    "level_id": self.level_1.id,
                    "channel": "none",
                    "state": "refused",
                    "amount": 200.0,
                    "activity": "communication",
                    "kind": "reminder",
                    "collector_id": False,
                },
                {
                    "level_id": self.level_1.id,  # one level at a time
                    "channel": "email",
                    "state": "sent",
                    "amount": 1000.0,
                    "activity": "communication",
                    "kind": "reminder",
                    "collector_id": self.collector.id,
                },
            ],
        )
        self.assertEqual(by_partner[self.walker].user_id, self.manager)
        self.assertFalse(by_partner[self.walker].automatic)
        self.assertTrue(rows.filtered(lambda row: row.state == "refused").reason)
        groups = report._read_group(
            [], ["level_id", "state"], ["count:sum", "amount:sum"], order="level_id, state"
        )
        self.assertEqual(
            [(level.name, state, count, amount) for level, state, count, amount in groups],
            [
                ("First reminder", "refused", 1, 200.0),
                ("First reminder", "sent", 2, 1300.0),
            ],
        )
        mine = report.search([("collector_id", "=", self.collector.id)])
        self.assertEqual(mine.partner_id, self.walker)

    def test_cash_collected_after_contact(self):
        early = self._customer("Early Payer")
        early.with_company(self.company).collector_id = self.collector
        early_invoice = self._invoice(early, 500, "2026-03-01")
        self._pay(early_invoice, 100, "2026-03-10")  # before any contact: not counted
        walker_invoice = self.env["account.move"].search(
            [("partner_id", "=", self.walker.id), ("move_type", "=", "out_invoice")]
        )
        self._run("2026-03-31")  # reminds Walker (30 days overdue) and Early Payer
        self._pay(walker_invoice, 400, "2026-04-02")
        self._pay(early_invoice, 150, "2026-04-20")
        credit_note = self._invoice(self.walker, 50, "2026-04-03", move_type="out_refund")
        (credit_note + walker_invoice).line_ids.filtered(
            lambda line: line.account_id == self.receivable and not line.reconciled
        ).reconcile()  # a credit note is not cash
        rows = self._report(self.collector).search([("activity", "=", "cash")])
        self.assertEqual(
            sorted((row.partner_id.name, str(row.date), row.amount) for row in rows),
            [("Early Payer", "2026-04-20", 150.0), ("Walker Trading", "2026-04-02", 400.0)],
        )
        self.assertEqual(rows.collector_id, self.collector)
        [[total]] = self._report(self.collector)._read_group(
            [("activity", "=", "cash"), ("collector_id", "=", self.collector.id)],
            aggregates=["amount:sum"],
        )
        self.assertEqual(total, 550.0)

    def test_rights_and_companies(self):
        self._run("2026-03-31")
        company_b = self.setup_other_company(name="Company B")["company"]
        self.manager.company_ids |= company_b
        self._make_policy(company_b)
        other = self._customer("Other Co")
        self._invoice(other, 500, "2026-03-01", company=company_b)
        self._run("2026-03-31", company=company_b)
        self.assertEqual(
            self._report().sudo().search([("partner_id", "=", other.id)]).company_id, company_b
        )
        self.assertFalse(self._report(self.collector).search([("partner_id", "=", other.id)]))
        billing = new_test_user(
            self.env,
            login="activity_billing",
            groups="account.group_account_invoice",
            company_ids=[Command.set(self.company.ids)],
        )
        with self.assertRaises(AccessError):
            self._report(billing).search([])
        menu = self.env.ref("account_collections.menu_account_collection_activity_report")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.collector)._visible_menu_ids())

    def test_a_feature_adds_a_branch(self):
        """Another kind of action is one more SELECT of the same columns."""
        self._run("2026-03-31")
        model = self.env["account.collection.activity.report"]
        original = type(model)._get_activity_branches

        def with_copy(report):
            # a stand-in for a later feature's branch (calls, promises...)
            branches = original(report)
            shifted = SQL(
                "SELECT id + %s AS id, activity, kind, company_id, date, partner_id, user_id,"
                " level_id, channel, state, reason, automatic, amount, count FROM (%s) copy",
                ID_FACTOR,
                branches[0],
            )
            return [*branches, shifted]

        before = model.search_count([])
        with patch.object(type(model), "_get_activity_branches", with_copy):
            self.assertEqual(model.search_count([]), 2 * before)
        self.assertEqual(before, 3)
