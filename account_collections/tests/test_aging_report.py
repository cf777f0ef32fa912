import io

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.account_collections.engine.aging import bucket_index

from .common import CollectionsCommon

AS_OF = "2026-02-28"


@tagged("post_install", "-at_install")
class TestAgingReport(CollectionsCommon):
    """The aging report as of 2026-02-28 on a ledger that moved on afterwards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2025-01-01", 2.0), ("2026-03-01", 2.5)])
        cls.salesman = new_test_user(cls.env, login="salesman", groups="base.group_user")
        cls.acme = cls._customer("Acme Retail", user_id=cls.salesman.id)
        cls.beta = cls._customer("Beta Stores")
        # 1000 due 2026-01-10: 300 paid before the as-of date, 200 after: 700 open
        cls.inv_1 = cls._invoice(cls.acme, 1000, "2026-01-10", invoice_date="2025-12-11")
        cls._pay(cls.inv_1, 300, "2026-02-10")
        cls._pay(cls.inv_1, 200, "2026-03-10")
        # not yet due on the as-of date
        cls.inv_2 = cls._invoice(cls.acme, 500, "2026-03-15", invoice_date="2026-02-13")
        cls.refund = cls._invoice(cls.acme, 120, "2026-02-20", move_type="out_refund")
        # booked after the as-of date: not in the report
        cls.inv_later = cls._invoice(cls.acme, 800, "2026-04-04", invoice_date="2026-03-05")
        # a payment received, not applied to any invoice
        cls.unapplied = cls._unapplied_payment(cls.beta, 250, "2026-02-25")
        # 1000 EUR at 2 EUR per USD: 500 booked; 400 EUR paid before, the rest after
        cls.inv_eur = cls._invoice(
            cls.beta, 1000, "2026-01-01", invoice_date="2025-12-01", currency_id=cls.eur.id
        )
        cls._pay_currency(cls.inv_eur, 400, "2026-02-15")
        cls._pay_currency(cls.inv_eur, 600, "2026-03-20")

    @classmethod
    def _pay_currency(cls, invoice, amount, date):
        return cls._register_payment(
            invoice,
            amount=amount,
            currency_id=invoice.currency_id.id,
            payment_date=fields.Date.to_date(date),
        )

    @classmethod
    def _unapplied_payment(cls, partner, amount, date, company=None):
        company = company or cls.company
        bank = cls.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1
        )
        move = cls.env["account.move"].create(
            {
                "move_type": "entry",
                "date": date,
                "journal_id": bank.id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": bank.default_account_id.id,
                            "debit": amount,
                            "name": "Received",
                        }
                    ),
                    Command.create(
                        {
                            "account_id": cls.receivable.id,
                            "partner_id": partner.id,
                            "credit": amount,
                            "name": "Received",
                        }
                    ),
                ],
            }
        )
        move.action_post()
        return move

    def _report(self, user=None, **values):
        model = self.env["account.collection.aging.report"]
        if user:
            model = model.with_user(user)
        return model.create({"date": AS_OF, **values})

    def _lines(self, report):
        report._compute_lines()
        return report.line_ids

    def _by_move(self, lines):
        return {line.move_id: line for line in lines}

    # ------------------------------------------------------------------

    def test_open_items_as_of_a_past_date(self):
        report = self._report(user=self.collector)
        lines = self._by_move(self._lines(report))
        self.assertEqual(
            set(lines), {self.inv_1, self.inv_2, self.refund, self.unapplied, self.inv_eur}
        )
        self.assertRecordValues(
            lines[self.inv_1],
            [{"partner_id": self.acme.id, "amount": 700.0, "days": 49, "bucket": "2"}],
        )
        self.assertRecordValues(lines[self.inv_2], [{"amount": 500.0, "days": -15, "bucket": "0"}])
        self.assertRecordValues(lines[self.refund], [{"amount": -120.0, "days": 8, "bucket": "1"}])
        self.assertRecordValues(
            lines[self.unapplied],
            [{"partner_id": self.beta.id, "amount": -250.0, "days": 3, "bucket": "1"}],
        )
        # the foreign-currency invoice: open amount in EUR and at the booked rate
        self.assertRecordValues(
            lines[self.inv_eur],
            [
                {
                    "amount": 300.0,
                    "amount_currency": 600.0,
                    "item_currency_id": self.eur.id,
                    "currency_id": self.currency.id,
                    "bucket": "2",
                }
            ],
        )
        # each amount sits in its bucket column only
        line = lines[self.inv_1]
        self.assertEqual(
            [line[f"amount_bucket_{i}"] for i in range(6)], [0.0, 0.0, 700.0, 0.0, 0.0, 0.0]
        )
        # the report's author reads it (nobody else does)
        totals = (
            self.env["account.collection.aging.report.line"]
            .with_user(self.collector)
            ._read_group(
                [("report_id", "=", report.id)],
                [],
                ["amount:sum"] + [f"amount_bucket_{i}:sum" for i in range(6)],
            )[0]
        )
        self.assertEqual(list(totals), [1130.0, 500.0, -370.0, 1000.0, 0.0, 0.0, 0.0])

    def test_today_the_paid_invoices_are_gone(self):
        report = self._report(date=self.today)
        lines = self._by_move(self._lines(report))
        self.assertNotIn(self.inv_eur, lines)
        self.assertEqual(lines[self.inv_1].amount, 500.0)
        self.assertIn(self.inv_later, lines)

    def test_aged_by_invoice_date(self):
        report = self._report(aged_by="invoice_date")
        lines = self._by_move(self._lines(report))
        self.assertRecordValues(
            lines[self.inv_1] + lines[self.inv_2] + lines[self.unapplied] + lines[self.inv_eur],
            [
                {"days": 79, "bucket": "3"},
                {"days": 15, "bucket": "1"},
                {"days": 3, "bucket": "1"},  # no invoice date: from its date
                {"days": 89, "bucket": "3"},
            ],
        )

    def test_buckets_per_company_at_their_boundaries(self):
        self.company.collection_aging_limits = "15, 45"
        edge = self._customer("Edge Case")
        moves = {
            days: self._invoice(edge, 10 + days, fields.Date.to_date(AS_OF) - self.days(days))
            for days in (0, 1, 15, 16, 45, 46)
        }
        report = self._report(partner_ids=[Command.set(edge.ids)])
        lines = self._by_move(self._lines(report))
        self.assertEqual(
            {days: lines[move].bucket for days, move in moves.items()},
            {0: "0", 1: "1", 15: "1", 16: "2", 45: "2", 46: "3"},
        )
        self.assertEqual(report._get_labels(), ["Not Due", "1-15", "16-45", "Over 45"])
        # the SQL puts every line where the engine's rule does
        buckets = self.company._get_collection_aging_buckets()
        for line in lines.values():
            self.assertEqual(int(line.bucket), bucket_index(line.days, buckets))
        # the list's column titles follow the company's buckets
        titles = self.env["account.collection.aging.report.line"].fields_get(
            ["amount_bucket_1", "amount_bucket_3"], ["string"]
        )
        self.assertEqual(titles["amount_bucket_1"]["string"], "1-15")
        self.assertEqual(titles["amount_bucket_3"]["string"], "Over 45")
        selection = dict(
            self.env["account.collection.aging.report.line"]
            ._fields["bucket"]
            ._description_selection(self.env)
        )
        self.assertEqual(selection["2"], "16-45")
        # the action hides the columns the company does not use
        action = report.action_view()
        self.assertEqual(action["context"]["collection_aging_bucket_count"], 4)

    def test_invalid_bucket_limits_are_refused(self):
        for limits in ("30,abc", "60,30", "0", "1,2,3,4,5,6,7,8,9"):
            with self.assertRaises(ValidationError, msg=limits):
                self.company.collection_aging_limits = limits

    def test_filters(self):
        self.beta.with_company(self.company).collector_id = self.collector
        lines = self._lines(self._report(collector_ids=[Command.set(self.collector.ids)]))
        self.assertEqual(lines.partner_id, self.beta)
        lines = self._lines(self._report(salesperson_ids=[Command.set(self.salesman.ids)]))
        self.assertEqual(lines.partner_id, self.acme)
        lines = self._lines(self._report(currency_ids=[Command.set(self.eur.ids)]))
        self.assertEqual(lines.move_id, self.inv_eur)
        contact = self.env["res.partner"].create({"name": "Bob", "parent_id": self.acme.id})
        lines = self._lines(self._report(partner_ids=[Command.set(contact.ids)]))
        self.assertEqual(lines.partner_id, self.acme)

    def test_draft_entries_only_when_asked(self):
        draft = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.acme.id,
                "invoice_date": "2026-02-01",
                "invoice_date_due": "2026-02-01",
                "invoice_line_ids": [
                    Command.create({"name": "Draft", "price_unit": 42, "tax_ids": []})
                ],
            }
        )
        self.assertNotIn(draft, self._lines(self._report()).move_id)
        lines = self._by_move(self._lines(self._report(posted_only=False)))
        self.assertEqual(lines[draft].amount, 42.0)

    def test_wizard_form_and_drill_down(self):
        with Form(self.env["account.collection.aging.report"].with_user(self.collector)) as form:
            form.date = fields.Date.to_date(AS_OF)
            form.aged_by = "due_date"
        report = form.record
        action = report.action_view()
        # on screen: one row per customer, summing its items
        self.assertEqual(action["res_model"], "account.collection.aging.report.customer")
        customers = self.env[action["res_model"]].with_user(self.collector).search(action["domain"])
        report._compute_lines()
        lines = report.line_ids
        self.assertEqual(customers.partner_id, lines.partner_id)
        for customer in customers:
            items = lines.filtered(lambda line, c=customer: line.partner_id == c.partner_id)
            self.assertAlmostEqual(customer.amount, sum(items.mapped("amount")))
            self.assertEqual(customer.item_count, len(items))
            for name in customer._bucket_amount_fields():
                self.assertAlmostEqual(customer[name], sum(items.mapped(name)), msg=name)
        self.assertAlmostEqual(
            sum(customers.mapped("amount")), report._get_report_values()["total"]
        )
        # drill-down: the customer's items only, computed then
        expected = lines.filtered(lambda line: line.partner_id == self.acme).move_id
        acme = customers.filtered(lambda customer: customer.partner_id == self.acme)
        drill = acme.action_open_items()
        self.assertEqual(drill["res_model"], "account.collection.aging.report.line")
        acme_lines = self.env[drill["res_model"]].with_user(self.collector).search(drill["domain"])
        self.assertEqual(acme_lines.partner_id, self.acme)
        self.assertEqual(acme_lines.move_id, expected)
        self.assertEqual(len(acme_lines), acme.item_count)
        line = acme_lines.filtered(lambda line: line.move_id == self.inv_1)
        self.assertEqual(line.action_open_move()["res_id"], self.inv_1.id)
        # computing again replaces the rows rather than adding to them
        report.action_view()
        self.assertEqual(
            self.env[action["res_model"]].search_count(action["domain"]), len(customers)
        )

    def test_as_of_today_reads_the_residuals_and_leaves_out_later_entries(self):
        """With nothing reconciled after the date, the report reads the
        current residuals, and still leaves out entries dated later."""
        later = self._invoice(self.acme, 77, "2026-04-30", invoice_date="2026-04-02")
        today = self._report(date="2026-03-31")
        today_lines = self._lines(today)
        self.assertNotIn(later, today_lines.move_id)
        # the same as the historical computation, line for line
        open_items = self.env["account.collection.open.item"]
        rows = self.env.execute_query(
            SQL(
                "SELECT move_id, amount FROM (%s) items ORDER BY move_id, amount",
                open_items._open_items_sql(
                    open_items._as_of_dates(self.company, today.date), historical=True
                ),
            )
        )
        self.assertEqual(
            sorted((line.move_id.id, line.amount) for line in today_lines),
            [(move_id, float(amount)) for move_id, amount in rows],
        )
        # a date before the last reconciliation takes the historical path: the
        # payments of March are ignored on 2026-02-28
        past = self._lines(self._report())
        self.assertNotEqual(sum(past.mapped("amount")), sum(today_lines.mapped("amount")))

    def test_pdf(self):
        report = self._report(user=self.collector)
        report._compute_lines()
        action = self.env.ref("account_collections.action_report_collection_aging")
        self.assertEqual(action.paperformat_id.orientation, "Landscape")
        html, _type = (
            self.env["ir.actions.report"]
            .with_user(self.collector)
            ._render_qweb_html(action.report_name, report.ids)
        )
        html = html.decode()
        self.assertIn("Aged Receivables", html)
        self.assertIn("Acme Retail", html)
        self.assertIn("Beta Stores", html)
        self.assertIn("31-60", html)
        self.assertIn("1,130.00", html)  # the grand total
        self.assertIn("1,080.00", html)  # Acme's total
        self.assertIn("370.00", html)  # the 1-30 column's total: credits
        self.assertIn(self.company.name, html)  # the letterhead
        self.assertEqual(report.action_print_pdf()["report_name"], action.report_name)

    def test_xlsx_agrees_with_the_screen(self):
        openpyxl = self._openpyxl()
        report = self._report(user=self.collector)
        action = report.action_export_xlsx()
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        workbook = openpyxl.load_workbook(io.BytesIO(attachment.raw))
        sheet = workbook["Aging"]
        rows = [row for row in sheet.iter_rows(values_only=True) if row[0]]
        header = next(row for row in rows if row[0] == "Customer")
        self.assertEqual(
            list(header),
            ["Customer", "Not Due", "1-30", "31-60", "61-90", "91-120", "Over 120", "Total"],
        )
        by_name = {row[0]: list(row[1:]) for row in rows}
        self.assertEqual(by_name["Acme Retail"], [500, -120, 700, 0, 0, 0, 1080])
        self.assertEqual(by_name["Beta Stores"], [0, -250, 300, 0, 0, 0, 50])
        screen = (
            self.env["account.collection.aging.report.line"]
            .with_user(self.collector)
            ._read_group(
                [("report_id", "=", report.id)],
                [],
                [f"amount_bucket_{i}:sum" for i in range(6)] + ["amount:sum"],
            )[0]
        )
        self.assertEqual(by_name["Total"], list(screen))
        items = list(workbook["Open Items"].iter_rows(values_only=True))
        self.assertEqual(len(items), 6)  # header and five items
        eur_row = next(row for row in items if row[2] == self.inv_eur.name)
        self.assertEqual(eur_row[7:], (300, "EUR", 600))

    def _openpyxl(self):
        try:
            import openpyxl  # noqa: PLC0415 - optional, only to read the workbook back
        except ImportError:
            self.skipTest("openpyxl is not installed")
        return openpyxl

    def test_query_count_does_not_grow_with_customers(self):
        report = self._report(user=self.collector)

        def count():
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            report.action_view()
            report._compute_lines()
            report._get_report_values()
            report._render_xlsx()
            return self.cr.sql_log_count - start

        count()  # warm the caches
        before = count()
        self._bulk_customers(30)
        self.assertEqual(count(), before)
        self.assertEqual(len(report.line_ids), 35)

    def test_rights(self):
        invoicing_user = new_test_user(
            self.env, login="billing_only", groups="account.group_account_invoice"
        )
        with self.assertRaises(AccessError):
            self._report(user=invoicing_user)
        report = self._report(user=self.collector)
        report._compute_lines()
        other = new_test_user(
            self.env,
            login="collector_2",
            groups="account_collections.group_collections_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        # another collector sees neither the report nor its lines
        self.assertFalse(
            self.env["account.collection.aging.report.line"]
            .with_user(other)
            .search([("report_id", "=", report.id)])
        )
        with self.assertRaises(AccessError):
            report.with_user(other).action_view()
        menu = self.env.ref("account_collections.menu_account_collection_aging_report")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.collector)._visible_menu_ids())
        self.assertNotIn(
            menu.id, self.env["ir.ui.menu"].with_user(invoicing_user)._visible_menu_ids()
        )


@tagged("post_install", "-at_install")
class TestAgingReportMultiCompany(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.shared = cls._customer("Shared Customer")
        cls._invoice(cls.shared, 100, "2026-03-01")
        cls._invoice(cls.shared, 700, "2026-01-01", company=cls.company_b)

    def _report(self, user, companies):
        return (
            self.env["account.collection.aging.report"]
            .with_user(user)
            .with_context(allowed_company_ids=companies.ids)
            .create({"date": "2026-03-31", "company_ids": [Command.set(companies.ids)]})
        )

    def test_each_company_sees_its_own(self):
        report = self._report(self.collector, self.company)
        report._compute_lines()
        self.assertEqual(report.line_ids.company_id, self.company)
        self.assertEqual(sum(report.line_ids.mapped("amount")), 100.0)

    def test_a_company_not_allowed_is_refused(self):
        with self.assertRaises(UserError):
            report = self._report(self.collector, self.company)
            report.company_ids = self.company_b
            report._compute_lines()

    def test_both_companies_for_a_user_of_both(self):
        self.collector.company_ids = self.company + self.company_b
        report = self._report(self.collector, self.company + self.company_b)
        report._compute_lines()
        self.assertEqual(sorted(report.line_ids.mapped("amount")), [100.0, 700.0])
        # different buckets cannot share columns
        self.company_b.collection_aging_limits = "30,60"
        with self.assertRaises(UserError):
            report._compute_lines()
