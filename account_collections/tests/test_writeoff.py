from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import CollectionsCommon


class WriteoffCommon(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bad_debt = cls.env["account.account"].create(
            {"name": "Bad debts", "code": "655100", "account_type": "expense"}
        )
        cls.misc_journal = cls.company_data["default_journal_misc"]
        cls.company.write(
            {
                "collection_writeoff_journal_id": cls.misc_journal.id,
                "collection_writeoff_account_id": cls.bad_debt.id,
                "collection_writeoff_approval_limit": 1000,
            }
        )
        cls.manager = new_test_user(
            cls.env,
            login="wo_manager",
            groups="account_collections.group_collections_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.accountant = new_test_user(
            cls.env,
            login="wo_accountant",
            groups="account.group_account_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.Writeoff = cls.env["account.collection.writeoff"]
        cls.reason_uncollectible = cls.env.ref("account_collections.writeoff_reason_uncollectible")

    def _propose(self, moves, user=None):
        return self.Writeoff.with_user(user or self.collector)._propose(moves)

    @staticmethod
    def _receivable_lines(move):
        return move.line_ids.filtered(lambda line: line.account_type == "asset_receivable")


@tagged("post_install", "-at_install")
class TestWriteoffProposal(WriteoffCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Gone Away Ltd")
        cls.inv_old = cls._invoice(cls.customer, 300, "2025-06-30")
        cls.inv_partial = cls._invoice(cls.customer, 500, "2025-09-30")
        cls._pay(cls.inv_partial, 200, "2025-10-15")
        cls.inv_paid = cls._invoice(cls.customer, 100, "2025-09-30")
        cls._pay(cls.inv_paid, 100, "2025-10-15")

    def test_propose_from_the_customer_lists_open_invoices(self):
        action = self.customer.with_user(self.collector).action_collection_propose_writeoff()
        writeoff = self.Writeoff.browse(action["res_id"])
        self.assertRecordValues(
            writeoff,
            [
                {
                    "partner_id": self.customer.id,
                    "state": "proposed",
                    "origin": "manual",
                    "reason_id": self.reason_uncollectible.id,
                    "method": "entry",
                    "amount_total": 600.0,
                    "date": self.today,
                }
            ],
        )
        self.assertRecordValues(
            writeoff.line_ids,
            [
                {"move_id": self.inv_old.id, "amount_residual": 300.0},
                {"move_id": self.inv_partial.id, "amount_residual": 300.0},
            ],
        )
        # nothing left to propose: the invoices are held by the proposal
        with self.assertRaises(UserError):
            self.customer.with_user(self.collector).action_collection_propose_writeoff()

    def test_propose_from_the_invoice_list_one_proposal_per_customer(self):
        other = self._customer("Other Ltd")
        inv_other = self._invoice(other, 80, "2025-12-31")
        action = (
            (self.inv_old + inv_other)
            .with_user(self.collector)
            .action_collection_propose_writeoff()
        )
        writeoffs = self.Writeoff.search(action["domain"])
        self.assertEqual(writeoffs.partner_id, self.customer + other)
        self.assertEqual(writeoffs.line_ids.move_id, self.inv_old + inv_other)
        # a paid invoice, or one already proposed, cannot be proposed
        with self.assertRaises(UserError):
            self._propose(self.inv_paid)
        with self.assertRaises(UserError):
            self._propose(self.inv_old)

    def test_one_active_proposal_per_invoice_in_the_database(self):
        writeoff = self._propose(self.inv_old)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Writeoff.create(
                {
                    "partner_id": self.customer.id,
                    "line_ids": [Command.create({"move_id": self.inv_old.id})],
                }
            )
        # once rejected, the invoice may be proposed again
        writeoff.with_user(self.manager).action_reject()
        self.assertEqual(self._propose(self.inv_old).line_ids.move_id, self.inv_old)

    def test_proposed_invoice_leaves_dunning(self):
        open_items = self.env["account.collection.open.item"]
        writeoff = self._propose(self.inv_old)
        self.inv_old.invalidate_recordset(["collection_exclusion_reasons"])
        self.assertEqual(self.inv_old.collection_exclusion_reasons, "Write-off proposed or posted")
        self.assertFalse(self.inv_partial.collection_exclusion_reasons)
        open_items._flush_open_items()
        rows = self.env.execute_query(
            open_items._open_items_sql(
                open_items._as_of_dates(self.company), [self.customer.id], skip_excluded=True
            )
        )
        self.assertNotIn(self.inv_old.id, [row[1] for row in rows])
        self.assertIn(self.inv_partial.id, [row[1] for row in rows])
        # rejected: back in dunning
        writeoff.with_user(self.manager).action_reject()
        self.inv_old.invalidate_recordset(["collection_exclusion_reasons"])
        self.assertFalse(self.inv_old.collection_exclusion_reasons)

    def test_communication_history_is_linked(self):
        communication = self.env["account.collection.communication"]._create_communications(
            [
                {
                    "company_id": self.company.id,
                    "partner_id": self.customer.id,
                    "kind": "reminder",
                    "date": self.today,
                    "amount_total": 300.0,
                }
            ],
            [
                [
                    {
                        "move_id": self.inv_old.id,
                        "amount_residual": 300.0,
                        "amount_residual_company": 300.0,
                    }
                ]
            ],
        )
        writeoff = self._propose(self.inv_old + self.inv_partial)
        self.assertEqual(writeoff.communication_ids, communication)
        self.assertEqual(writeoff.communication_count, 1)

    def test_collector_cannot_approve_nor_invoicing_user_read(self):
        writeoff = self._propose(self.inv_old)
        with self.assertRaises(AccessError):
            writeoff.with_user(self.collector).action_approve()
        with self.assertRaises(AccessError):
            writeoff.with_user(self.collector).action_reject()
        self.assertEqual(writeoff.state, "proposed")
        self.assertFalse(writeoff.move_ids)
        billing = new_test_user(
            self.env, login="wo_billing", groups="account.group_account_invoice"
        )
        with self.assertRaises(AccessError):
            self.Writeoff.with_user(billing).search([])

    def test_manager_approves_entry_reconciled_with_the_invoices(self):
        writeoff = self._propose(self.inv_old + self.inv_partial)
        writeoff.with_user(self.manager).action_approve()
        self.assertRecordValues(writeoff, [{"state": "posted", "approved_by_id": self.manager.id}])
        move = writeoff.move_ids
        self.assertRecordValues(
            move,
            [
                {
                    "move_type": "entry",
                    "state": "posted",
                    "journal_id": self.misc_journal.id,
                    "date": self.today,
                    "collection_writeoff_id": writeoff.id,
                }
            ],
        )
        self.assertRecordValues(
            move.line_ids.sorted("balance"),
            [
                {"account_id": self.receivable.id, "balance": -300.0, "reconciled": True},
                {"account_id": self.receivable.id, "balance": -300.0, "reconciled": True},
                {"account_id": self.bad_debt.id, "balance": 600.0, "reconciled": False},
            ],
        )
        self.assertRecordValues(
            self.inv_old + self.inv_partial,
            [
                {"amount_residual": 0.0, "payment_state": "paid"},
                {"amount_residual": 0.0, "payment_state": "paid"},
            ],
        )
        # a posted write-off is not edited, nor its invoices
        with self.assertRaises(UserError):
            writeoff.with_user(self.manager).write({"reason_id": self.reason_uncollectible.id})
        with self.assertRaises(UserError):
            writeoff.line_ids[0].with_user(self.manager).unlink()
        writeoff.with_user(self.manager).note = "Customer dissolved on 2026-03-01."

    def test_payment_since_the_proposal_is_taken_into_account(self):
        writeoff = self._propose(self.inv_old)
        self._pay(self.inv_old, 50, "2026-03-20")
        writeoff.with_user(self.manager).action_approve()
        self.assertEqual(writeoff.amount_total, 250.0)
        self.assertEqual(writeoff.move_ids.amount_total, 250.0)
        self.assertTrue(self.inv_old.currency_id.is_zero(self.inv_old.amount_residual))

    def test_above_the_limit_an_accounting_manager_approves_too(self):
        big = self._invoice(self.customer, 1500, "2025-05-31")
        writeoff = self._propose(big)
        self.assertTrue(writeoff.needs_accounting_approval)
        writeoff.with_user(self.manager).action_approve()
        self.assertRecordValues(writeoff, [{"state": "waiting", "approved_by_id": self.manager.id}])
        self.assertFalse(writeoff.move_ids)
        # once approved, the collector changes nothing but the posting date
        with self.assertRaises(UserError):
            writeoff.with_user(self.collector).write({"line_ids": [Command.clear()]})
        with self.assertRaises(AccessError):
            writeoff.with_user(self.manager).action_approve()
        writeoff.with_user(self.accountant).action_approve()
        self.assertRecordValues(
            writeoff,
            [
                {
                    "state": "posted",
                    "approved_by_id": self.manager.id,
                    "accounting_approved_by_id": self.accountant.id,
                }
            ],
        )
        self.assertEqual(big.payment_state, "paid")

    def test_an_accounting_manager_gives_both_approvals(self):
        big = self._invoice(self.customer, 1500, "2025-05-31")
        writeoff = self._propose(big)
        writeoff.with_user(self.accountant).action_approve()
        self.assertRecordValues(
            writeoff,
            [
                {
                    "state": "posted",
                    "approved_by_id": self.accountant.id,
                    "accounting_approved_by_id": self.accountant.id,
                }
            ],
        )

    def test_below_the_limit_no_accounting_approval(self):
        writeoff = self._propose(self.inv_old)
        self.assertFalse(writeoff.needs_accounting_approval)
        self.company.collection_writeoff_approval_limit = 0
        big = self._invoice(self.customer, 5000, "2025-05-31")
        self.assertFalse(self._propose(big).needs_accounting_approval)

    def test_missing_configuration_stops_the_posting(self):
        writeoff = self._propose(self.inv_old)
        self.company.collection_writeoff_journal_id = False
        with self.assertRaises(UserError):
            writeoff.with_user(self.manager).action_approve()
        self.assertEqual(writeoff.state, "proposed")
        self.assertEqual(self.inv_old.payment_state, "not_paid")

    def test_reverse_reopens_the_invoices(self):
        writeoff = self._propose(self.inv_old)
        writeoff.with_user(self.manager).action_approve()
        self.assertEqual(self.inv_old.payment_state, "paid")
        with self.assertRaises(AccessError):
            writeoff.with_user(self.collector).action_reverse()
        writeoff.with_user(self.manager).action_reverse()
        self.assertEqual(writeoff.state, "reversed")
        reversal = writeoff.move_ids.reversal_move_ids
        self.assertRecordValues(
            reversal, [{"state": "posted", "amount_total": 300.0, "date": self.today}]
        )
        self.assertRecordValues(
            self.inv_old, [{"amount_residual": 300.0, "payment_state": "not_paid"}]
        )
        self.assertTrue(all(self._receivable_lines(writeoff.move_ids).mapped("reconciled")))
        # the invoice may be proposed again, and is back in dunning
        self.inv_old.invalidate_recordset(["collection_exclusion_reasons"])
        self.assertFalse(self.inv_old.collection_exclusion_reasons)
        self.assertEqual(self._propose(self.inv_old).amount_total, 300.0)

    def test_recovery_after_write_off(self):
        income = self.env["account.account"].create(
            {"name": "Bad debts recovered", "code": "758100", "account_type": "income_other"}
        )
        self.company.collection_writeoff_recovery_account_id = income
        writeoff = self._propose(self.inv_old)
        writeoff.with_user(self.manager).action_approve()
        with self.assertRaises(UserError):  # nothing received yet
            writeoff.with_user(self.manager).action_book_recovery()
        bank = self.company_data["default_journal_bank"]
        receipt = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": bank.id,
                "date": "2026-03-30",
                "line_ids": [
                    Command.create(
                        {"account_id": bank.default_account_id.id, "debit": 500,
                         "partner_id": self.customer.id}
                    ),
                    Command.create(
                        {"account_id": self.receivable.id, "credit": 500,
                         "partner_id": self.customer.id}
                    ),
                ],
            }
        )  # fmt: skip
        receipt.action_post()
        with self.assertRaises(AccessError):
            writeoff.with_user(self.collector).action_book_recovery()
        writeoff.with_user(self.manager).action_book_recovery()
        recovery = writeoff.recovery_move_ids
        self.assertRecordValues(
            recovery.line_ids.sorted("balance"),
            [
                {"account_id": income.id, "balance": -300.0, "reconciled": False},
                {"account_id": self.receivable.id, "balance": 300.0, "reconciled": True},
            ],
        )
        self.assertEqual(writeoff.amount_recovered, 300.0)
        # only what was written off is recovered: 200 of the receipt stays unapplied
        received = receipt.line_ids.filtered(lambda line: line.account_id == self.receivable)
        self.assertEqual(received.amount_residual, -200.0)
        with self.assertRaises(UserError):  # all recovered
            writeoff.with_user(self.manager).action_book_recovery()
        # the written-off invoice stays paid, the write-off posted
        self.assertEqual(self.inv_old.payment_state, "paid")
        self.assertEqual(writeoff.state, "posted")

    def test_recovery_can_reverse_the_bad_debt_expense(self):
        self.company.collection_writeoff_recovery_method = "reversal"
        writeoff = self._propose(self.inv_old)
        writeoff.with_user(self.manager).action_approve()
        self._pay_unapplied(120.0)
        writeoff.with_user(self.manager).action_book_recovery()
        self.assertRecordValues(
            writeoff.recovery_move_ids.line_ids.sorted("balance"),
            [
                {"account_id": self.company.collection_writeoff_account_id.id, "balance": -120.0},
                {"account_id": self.receivable.id, "balance": 120.0},
            ],
        )
        # what the write-off charged to the expense account is 120 less now
        expense = self.env["account.move.line"].search(
            [
                ("account_id", "=", self.company.collection_writeoff_account_id.id),
                ("partner_id", "=", self.customer.id),
                ("parent_state", "=", "posted"),
            ]
        )
        self.assertAlmostEqual(sum(expense.mapped("balance")), writeoff.amount_total - 120.0)

    def _pay_unapplied(self, amount):
        """A receipt from the customer, left unapplied on its receivable."""
        bank = self.company_data["default_journal_bank"]
        receipt = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": bank.id,
                "date": "2026-03-30",
                "line_ids": [
                    Command.create(
                        {"account_id": bank.default_account_id.id, "debit": amount,
                         "partner_id": self.customer.id}
                    ),
                    Command.create(
                        {"account_id": self.receivable.id, "credit": amount,
                         "partner_id": self.customer.id}
                    ),
                ],
            }
        )  # fmt: skip
        receipt.action_post()
        return receipt

    def test_lock_date_posts_at_the_first_open_date(self):
        writeoff = self._propose(self.inv_old)
        writeoff.accounting_date = "2026-02-15"
        self.company.fiscalyear_lock_date = "2026-02-28"
        writeoff.with_user(self.manager).action_approve()
        self.assertEqual(writeoff.move_ids.date, fields.Date.to_date("2026-03-01"))
        self.assertIn("first open date", writeoff.message_ids[0].body)
        self.assertEqual(self.inv_old.payment_state, "paid")

    def test_credit_note_method(self):
        tax = self.company_data["default_tax_sale"]
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": "2025-06-30",
                "invoice_date_due": "2025-06-30",
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Goods", "price_unit": 1000, "tax_ids": [Command.set(tax.ids)]}
                    )
                ],
            }
        )
        invoice.action_post()
        self.reason_uncollectible.with_company(self.company).method = "credit_note"
        writeoff = self._propose(invoice)
        self.assertEqual(writeoff.method, "credit_note")
        writeoff.with_user(self.accountant).action_approve()
        refund = writeoff.move_ids
        self.assertRecordValues(
            refund,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "reversed_entry_id": invoice.id,
                    "amount_total": invoice.amount_total,
                    "amount_tax": invoice.amount_tax,
                    "date": self.today,
                }
            ],
        )
        self.assertTrue(invoice.amount_tax)
        self.assertEqual(refund.invoice_line_ids.account_id, self.bad_debt)
        self.assertEqual(refund.invoice_line_ids.tax_ids, tax)
        self.assertRecordValues(invoice, [{"amount_residual": 0.0, "payment_state": "reversed"}])

    def test_credit_note_method_refuses_partly_paid_invoices(self):
        self.reason_uncollectible.with_company(self.company).method = "credit_note"
        writeoff = self._propose(self.inv_partial)
        with self.assertRaises(UserError):
            writeoff.with_user(self.manager).action_approve()
        self.assertEqual(writeoff.state, "proposed")
        self.assertFalse(
            self.env["account.move"].search([("reversed_entry_id", "=", self.inv_partial.id)])
        )


@tagged("post_install", "-at_install")
class TestWriteoffForeignCurrency(WriteoffCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2025-01-01", 2.0), ("2026-03-01", 2.5)])
        cls.customer = cls._customer("Euro Debtor")
        cls.invoice = cls._invoice(cls.customer, 1000, "2025-06-30", currency_id=cls.eur.id)

    def test_written_off_in_its_currency_exchange_difference_by_odoo(self):
        self.assertEqual(self.invoice.amount_residual_signed, 500.0)
        writeoff = self._propose(self.invoice)
        self.assertEqual(writeoff.line_ids.amount_residual, 1000.0)
        self.assertEqual(writeoff.amount_total, 500.0)
        writeoff.with_user(self.manager).action_approve()
        move = writeoff.move_ids
        self.assertRecordValues(
            move.line_ids.sorted("balance"),
            [
                {
                    "account_id": self.receivable.id,
                    "currency_id": self.eur.id,
                    "amount_currency": -1000.0,
                    "balance": -400.0,
                },
                {
                    "account_id": self.bad_debt.id,
                    "currency_id": self.eur.id,
                    "amount_currency": 1000.0,
                    "balance": 400.0,
                },
            ],
        )
        self.assertRecordValues(self.invoice, [{"amount_residual": 0.0, "payment_state": "paid"}])
        line = self._receivable_lines(self.invoice)
        self.assertTrue(line.full_reconcile_id)
        # Odoo books the 100 difference between the booked and the current rate
        exchange = line.matched_credit_ids.exchange_move_id
        self.assertEqual(len(exchange), 1)
        self.assertEqual(exchange.amount_total_signed, 100.0)

    def test_credit_note_in_its_currency_reconciled_by_odoo(self):
        self.reason_uncollectible.with_company(self.company).method = "credit_note"
        writeoff = self._propose(self.invoice)
        writeoff.with_user(self.manager).action_approve()
        refund = writeoff.move_ids
        self.assertRecordValues(
            refund,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "currency_id": self.eur.id,
                    "amount_total": 1000.0,
                    "reversed_entry_id": self.invoice.id,
                }
            ],
        )
        self.assertAlmostEqual(sum(refund.line_ids.mapped("balance")), 0.0)
        self.assertRecordValues(self.invoice, [{"amount_residual": 0.0}])
        self.assertTrue(self._receivable_lines(self.invoice).full_reconcile_id)


@tagged("post_install", "-at_install")
class TestWriteoffRule(WriteoffCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "collection_writeoff_auto_propose": True,
                "collection_writeoff_days": 180,
                "collection_writeoff_small_balance": 50,
                "collection_writeoff_auto_approve_limit": 20,
            }
        )
        cls.env["res.company"].search(
            [("id", "!=", cls.company.id)]
        ).collection_writeoff_auto_propose = False
        cls.old = cls._customer("Old Debts")
        cls.old_inv = cls._invoice(cls.old, 700, "2025-08-31")  # 212 days
        cls.old_recent = cls._invoice(cls.old, 900, "2026-02-28")
        cls.tiny = cls._customer("Tiny Balance")
        cls.tiny_inv = cls._invoice(cls.tiny, 15, "2026-03-01")
        cls.small = cls._customer("Small Balance")
        cls.small_inv = cls._invoice(cls.small, 40, "2026-03-01")
        cls.bankrupt = cls._customer("Closed Shop", collection_bankrupt=True)
        cls.bankrupt_inv = cls._invoice(cls.bankrupt, 2000, "2026-04-30")
        cls.fine = cls._customer("Good Payer")
        cls._invoice(cls.fine, 800, "2026-03-15")
        cls.disputed = cls._customer("Disputing Co")
        cls._invoice(cls.disputed, 900, "2025-01-31", collection_disputed=True)
        cls.customers = cls.old + cls.tiny + cls.small + cls.bankrupt + cls.fine + cls.disputed
        cls.cron = cls.env.ref("account_collections.ir_cron_collection_writeoff")

    def _trigger(self):
        with freeze_time("2026-03-31 08:00:00"), self.enter_registry_test_mode():
            self.cron.method_direct_trigger()

    def _writeoffs(self):
        return self.Writeoff.search([("partner_id", "in", self.customers.ids)])

    def test_rule_proposes_by_each_criterion_and_reruns_propose_nothing_twice(self):
        self._trigger()
        writeoffs = self._writeoffs()
        by_partner = {writeoff.partner_id: writeoff for writeoff in writeoffs}
        self.assertEqual(set(by_partner), {self.old, self.tiny, self.small, self.bankrupt})
        ref = self.env.ref
        self.assertRecordValues(
            by_partner[self.old],
            [
                {
                    "origin": "rule",
                    "state": "proposed",
                    "reason_id": ref("account_collections.writeoff_reason_uncollectible").id,
                    "amount_total": 700.0,
                }
            ],
        )
        self.assertEqual(by_partner[self.old].line_ids.move_id, self.old_inv)
        self.assertRecordValues(
            by_partner[self.tiny],
            [
                {
                    "state": "posted",
                    "auto_approved": True,
                    "reason_id": ref("account_collections.writeoff_reason_small_balance").id,
                }
            ],
        )
        self.assertEqual(self.tiny_inv.payment_state, "paid")
        self.assertRecordValues(
            by_partner[self.small],
            [
                {
                    "state": "proposed",
                    "auto_approved": False,
                    "reason_id": ref("account_collections.writeoff_reason_small_balance").id,
                }
            ],
        )
        self.assertRecordValues(
            by_partner[self.bankrupt],
            [
                {
                    "state": "proposed",
                    "reason_id": ref("account_collections.writeoff_reason_bankruptcy").id,
                    "amount_total": 2000.0,
                }
            ],
        )
        self._trigger()
        self.assertEqual(self._writeoffs(), writeoffs)

    def test_rule_off_proposes_nothing(self):
        self.company.collection_writeoff_auto_propose = False
        self._trigger()
        self.assertFalse(self._writeoffs())


@tagged("post_install", "-at_install")
class TestWriteoffMultiCompany(WriteoffCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.customer = cls._customer("Shared Debtor")
        cls.inv_a = cls._invoice(cls.customer, 100, "2025-06-30")
        cls.inv_b = cls._invoice(cls.customer, 200, "2025-06-30", company=cls.company_b)
        cls.user_b = new_test_user(
            cls.env,
            login="wo_manager_b",
            groups="account_collections.group_collections_manager",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )

    def test_each_company_sees_and_proposes_its_own(self):
        writeoff_a = self._propose(self.inv_a)
        self.assertEqual(writeoff_a.company_id, self.company)
        writeoff_b = (
            self.Writeoff.with_user(self.user_b)
            .with_company(self.company_b)
            ._propose(self.inv_b.with_user(self.user_b))
        )
        self.assertEqual(writeoff_b.company_id, self.company_b)
        self.assertEqual(
            self.Writeoff.with_user(self.collector).search([("partner_id", "=", self.customer.id)]),
            writeoff_a,
        )
        with self.assertRaises(AccessError):
            writeoff_b.with_user(self.collector).read(["amount_total"])
        # company B's user, from the customer's form, gets company B's invoice only
        action = (
            self.customer.with_user(self.user_b)
            .with_company(self.company_b)
            .action_collection_propose_writeoff
        )
        with self.assertRaises(UserError):
            action()  # already proposed
        # an invoice of another company cannot be put into a proposal
        with self.assertRaises(UserError):
            writeoff_a.write({"line_ids": [Command.create({"move_id": self.inv_b.id})]})


@tagged("post_install", "-at_install")
class TestWriteoffAgainstAllowance(WriteoffCommon):
    """A customer provided for: the write-off charges the allowance first."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Account = cls.env["account.account"]
        cls.provision_expense = Account.create(
            {"name": "Doubtful debts expense", "code": "681700", "account_type": "expense"}
        )
        cls.allowance = Account.create(
            {"name": "Allowance for doubtful accounts", "code": "491000",
             "account_type": "asset_current"}
        )  # fmt: skip
        cls.company.write(
            {
                "collection_provision_journal_id": cls.misc_journal.id,
                "collection_provision_expense_account_id": cls.provision_expense.id,
                "collection_provision_allowance_account_id": cls.allowance.id,
            }
        )
        cls.customer = cls._customer("Doubtful Ltd")
        cls.customer.with_company(cls.company).write(
            {"collection_provision_specific": True, "collection_provision_rate": 40}
        )
        cls.invoice = cls._invoice(cls.customer, 500, "2025-12-31")
        cls.other = cls._customer("Unprovided Ltd")
        cls.other_invoice = cls._invoice(cls.other, 200, "2025-12-31")

    def _post_provision(self):
        provision = (
            self.env["account.collection.provision"]
            .with_user(self.manager)
            .create({"company_id": self.company.id, "date": "2026-03-31"})
        )
        provision.action_compute()
        provision.action_approve()
        self.assertEqual(provision.state, "posted")
        return provision

    def _lines_by_account(self, move):
        return {
            line.account_id: line.balance
            for line in move.line_ids.filtered(lambda line: line.account_type != "asset_receivable")
        }

    def test_allowance_up_to_the_provision_expense_for_the_rest(self):
        self._post_provision()  # 40 % of 500: 200 provided
        writeoff = self._propose(self.invoice)
        writeoff.with_user(self.manager).action_approve()
        move = writeoff.move_ids
        self.assertRecordValues(move, [{"state": "posted", "date": self.today}])
        self.assertEqual(
            self._lines_by_account(move), {self.allowance: 200.0, self.bad_debt: 300.0}
        )
        self.assertRecordValues(
            self._receivable_lines(move), [{"balance": -500.0, "reconciled": True}]
        )
        self.assertRecordValues(self.invoice, [{"amount_residual": 0.0, "payment_state": "paid"}])
        # reversing the write-off gives the allowance back: written off again, same split
        writeoff.with_user(self.manager).action_reverse()
        again = self._propose(self.invoice)
        again.with_user(self.manager).action_approve()
        self.assertEqual(
            self._lines_by_account(again.move_ids), {self.allowance: 200.0, self.bad_debt: 300.0}
        )

    def test_without_a_standing_provision_all_to_expense(self):
        provision = self._post_provision()
        # another customer: no provision line of its own
        writeoff = self._propose(self.other_invoice)
        writeoff.with_user(self.manager).action_approve()
        self.assertEqual(self._lines_by_account(writeoff.move_ids), {self.bad_debt: 200.0})
        # after the provision's reversal date, the allowance no longer stands
        self.assertEqual(provision.reversal_move_id.date, fields.Date.to_date("2026-04-01"))
        with freeze_time("2026-04-02"):
            late = self._propose(self.invoice)
            late.with_user(self.manager).action_approve()
            self.assertEqual(self._lines_by_account(late.move_ids), {self.bad_debt: 500.0})

    def test_foreign_currency_allowance_in_company_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0), ("2026-03-01", 2.5)])
        customer = self._customer("Euro Doubtful")
        customer.with_company(self.company).write(
            {"collection_provision_specific": True, "collection_provision_rate": 25}
        )
        invoice = self._invoice(customer, 1000, "2025-06-30", currency_id=eur.id)
        provision = self._post_provision()
        provided = provision.line_ids.filtered(lambda line: line.partner_id == customer).amount
        self.assertEqual(provided, 125.0)  # 25 % of the 500 booked
        writeoff = self._propose(invoice)
        writeoff.with_user(self.manager).action_approve()
        self.assertRecordValues(
            writeoff.move_ids.line_ids.sorted("balance"),
            [
                {"account_id": self.receivable.id, "currency_id": eur.id,
                 "amount_currency": -1000.0, "balance": -400.0},
                {"account_id": self.allowance.id, "currency_id": self.currency.id,
                 "amount_currency": 125.0, "balance": 125.0},
                {"account_id": self.bad_debt.id, "currency_id": eur.id,
                 "amount_currency": 687.5, "balance": 275.0},
            ],
        )  # fmt: skip
        self.assertRecordValues(invoice, [{"amount_residual": 0.0, "payment_state": "paid"}])
