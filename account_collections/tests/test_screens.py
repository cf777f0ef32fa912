from lxml import etree

from odoo import fields
from odoo.tests import tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestScreens(DunningCommon):
    """What the reminders list and the analysis screens show a clerk."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.walker = cls._customer("Walker Trading", email="walker@example.com")
        cls.walker.with_company(cls.company).collector_id = cls.collector
        cls._invoice(cls.walker, 1000, "2026-03-01")

    def _arch(self, model, view_type):
        views = self.env[model].with_user(self.collector).get_views([(False, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"])

    def test_reminders_list_says_what_and_whether_the_mail_left(self):
        self._run("2026-03-31")
        reminder = self._reminders(self.walker).with_user(self.collector)
        # the run queued the email; the mail queue has not sent it yet
        self.assertEqual(reminder.mail_state, "queued")
        labels = dict(reminder._fields["mail_state"]._description_selection(self.env))
        self.assertEqual(labels["queued"], "Queued")
        arch = self._arch("account.collection.communication", "list")
        kind = arch.find(".//field[@name='kind']")
        self.assertIsNotNone(kind, "the list shows the kind of document")
        self.assertEqual(kind.get("string"), "Document")
        mail = arch.find(".//field[@name='mail_state']")
        self.assertEqual(mail.get("widget"), "badge")
        self.assertEqual(mail.get("decoration-warning"), "mail_state == 'queued'")
        self.assertEqual(mail.get("string"), "Email")
        self.assertEqual(arch.find(".//field[@name='state']").get("string"), "Status")

    def test_activity_pivot_collectors_against_kinds_of_action_counted(self):
        arch = self._arch("account.collection.activity.report", "pivot")
        rows = [f.get("name") for f in arch.iter("field") if f.get("type") == "row"]
        cols = [f.get("name") for f in arch.iter("field") if f.get("type") == "col"]
        measures = [f.get("name") for f in arch.iter("field") if f.get("type") == "measure"]
        self.assertEqual((rows, cols, measures), (["collector_id"], ["activity"], ["count"]))
        report = self.env["account.collection.activity.report"]
        self.assertEqual(report._fields["count"].string, "Actions")
        # the count per kind of action is what the columns show
        self._run("2026-03-31")
        self.env["account.collection.call"].create(
            {"partner_id": self.walker.id, "outcome": "no_answer", "user_id": self.collector.id}
        )
        groups = report.with_user(self.collector)._read_group(
            [("partner_id", "=", self.walker.id)], ["collector_id", "activity"], ["count:sum"]
        )
        self.assertEqual(
            sorted((collector.login, activity, count) for collector, activity, count in groups),
            [("collector", "call", 1), ("collector", "communication", 1)],
        )

    def test_trends_leave_out_months_without_a_dso(self):
        snapshots = self.env["account.collection.kpi.snapshot"].sudo()
        with_dso, without = snapshots.create(
            [
                {
                    "company_id": self.company.id,
                    "month": fields.Date.to_date(month),
                    "date": fields.Date.to_date(end),
                    "dso": 42.0,
                }
                for month, end in (("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-02-28"))
            ]
        )
        without.flush_recordset()
        self.env.cr.execute(
            "UPDATE account_collection_kpi_snapshot SET dso = NULL WHERE id = %s", [without.id]
        )
        without.invalidate_recordset()
        self.assertEqual(without.dso, 0.0)  # what a graph would draw
        self.assertEqual((with_dso.dso_computed, without.dso_computed), (True, False))
        found = snapshots.search([("dso_computed", "=", True)])
        self.assertIn(with_dso, found)
        self.assertNotIn(without, found)
        self.assertIn(without, snapshots.search([("dso_computed", "=", False)]))
        action = self.env.ref("account_collections.action_account_collection_kpi_snapshot")
        self.assertIn("'search_default_dso_computed': 1", action.context)
        self.assertEqual(self._arch("account.collection.kpi.snapshot", "graph").get("type"), "line")
