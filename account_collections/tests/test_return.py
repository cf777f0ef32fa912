from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestReturnAgreement(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Return = cls.env["account.collection.return"]
        cls.tax = cls.company_data["default_tax_sale"]
        cls.tax.amount = 15
        cls.customer = cls._customer("Goods Back Ltd")
        cls.invoice = cls._goods_invoice(cls.customer, "2026-01-15")
        cls.chairs, cls.tables = cls.invoice.invoice_line_ids.sorted("id")
        cls.expense = cls.env["account.account"].create(
            {"name": "Repossession costs", "code": "623500", "account_type": "expense"}
        )
        cls.bank_account = cls.company_data["default_journal_bank"].default_account_id

    @classmethod
    def _goods_invoice(cls, partner, due, company=None, tax=None):
        tax = tax or cls.tax
        env = cls.env
        if company:
            env = env(context=dict(env.context, allowed_company_ids=company.ids))
        invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": "2025-12-16",
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": cls.product_a.id, "name": "Chair", "quantity": 10,
                         "price_unit": 100, "tax_ids": [Command.set(tax.ids)]}
                    ),
                    Command.create(
                        {"product_id": cls.product_b.id, "name": "Table", "quantity": 2,
                         "price_unit": 500, "tax_ids": [Command.set(tax.ids)]}
                    ),
                ],
            }
        )  # fmt: skip
        invoice.action_post()
        return invoice

    def _agreement(self, user=None, invoice=None):
        """A draft from the invoice (as the collector): 4 chairs at 80, no tables."""
        invoice = invoice or self.invoice
        action = invoice.with_user(user or self.collector).action_collection_return()
        agreement = self.Return.with_user(user or self.collector).browse(action["res_id"])
        chairs = agreement.line_ids.filtered(lambda line: line.invoice_line_id.name == "Chair")
        agreement.write(
            {
                "line_ids": [
                    Command.update(chairs.id, {"quantity": 4, "price_unit": 80}),
                    Command.unlink((agreement.line_ids - chairs).id),
                ]
            }
        )
        return agreement

    def _receivable(self, move):
        return move.line_ids.filtered(lambda line: line.account_type == "asset_receivable")

    def test_agreement_to_posted_credit_note_reconciled_with_the_invoice(self):
        self.assertEqual(self.invoice.amount_total, 2300.0)
        action = self.invoice.with_user(self.collector).action_collection_return()
        agreement = self.Return.browse(action["res_id"])
        # from the invoice: everything invoiced, at the invoiced price
        self.assertRecordValues(
            agreement.line_ids.sorted("id"),
            [
                {"invoice_line_id": self.chairs.id, "quantity": 10, "price_unit": 100,
                 "amount": 1000},
                {"invoice_line_id": self.tables.id, "quantity": 2, "price_unit": 500,
                 "amount": 1000},
            ],
        )  # fmt: skip
        agreement = self._agreement()
        self.assertRecordValues(
            agreement,
            [{"partner_id": self.customer.id, "state": "draft", "amount_untaxed": 320.0}],
        )
        agreement.with_user(self.manager).action_agree()
        self.assertRecordValues(
            agreement,
            [{"state": "agreed", "agreed_by_id": self.manager.id, "date": self.today}],
        )
        # agreed, the goods stay as agreed
        with self.assertRaises(UserError):
            agreement.line_ids.with_user(self.collector).write({"quantity": 1})
        agreement.with_user(self.collector).action_receive()
        self.assertRecordValues(agreement, [{"state": "received", "date_received": self.today}])
        refund = agreement.move_ids
        self.assertRecordValues(
            refund,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "partner_id": self.customer.id,
                    "reversed_entry_id": self.invoice.id,
                    "collection_return_id": agreement.id,
                    "invoice_date": self.today,
                    "amount_untaxed": 320.0,
                    "amount_tax": 48.0,
                    "amount_total": 368.0,
                    "payment_state": "paid",
                }
            ],
        )
        self.assertRecordValues(
            refund.invoice_line_ids,
            [{"product_id": self.product_a.id, "quantity": 4, "price_unit": 80,
              "tax_ids": self.tax.ids, "account_id": self.chairs.account_id.id}],
        )  # fmt: skip
        self.assertTrue(self._receivable(refund).reconciled)
        self.assertEqual(
            self._receivable(refund).matched_debit_ids.debit_move_id, self._receivable(self.invoice)
        )
        # the invoice's residual falls by the agreed value, tax included
        self.assertRecordValues(
            self.invoice, [{"amount_residual": 2300.0 - 368.0, "payment_state": "partial"}]
        )
        agreement.with_user(self.collector).action_done()
        self.assertEqual(agreement.state, "done")

    def test_quantities_over_what_remains_are_refused(self):
        agreement = self._agreement()
        with self.assertRaises(ValidationError):
            agreement.line_ids.write({"quantity": 11})
        agreement.with_user(self.manager).action_agree()
        # 4 of 10 chairs are agreed: 6 remain
        second = self._agreement()
        with self.assertRaises(ValidationError):
            second.line_ids.write({"quantity": 7})
        second.line_ids.write({"quantity": 6})
        # a third draft claiming the same chairs cannot be agreed once the second is
        third = self._agreement()
        third.line_ids.write({"quantity": 6})
        second.with_user(self.manager).action_agree()
        with self.assertRaises(ValidationError):
            third.with_user(self.manager).action_agree()
        self.assertEqual(third.state, "draft")
        # everything taken back: nothing left to propose from the invoice
        third.line_ids.unlink()
        third.write(
            {"line_ids": [Command.create({"invoice_line_id": self.tables.id, "quantity": 2})]}
        )
        third.with_user(self.manager).action_agree()
        with self.assertRaises(UserError):
            self.invoice.with_user(self.collector).action_collection_return()
        # cancelling gives the quantities back
        second.with_user(self.manager).action_cancel()
        fourth = self._agreement()
        fourth.line_ids.write({"quantity": 6})

    def test_quantity_and_value_checked_by_the_database(self):
        agreement = self._agreement()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            agreement.line_ids.write({"quantity": 0})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            agreement.line_ids.write({"price_unit": -1})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            agreement.write(
                {
                    "cost_amount": -5,
                    "cost_account_id": self.expense.id,
                    "cost_counterpart_account_id": self.bank_account.id,
                }
            )

    def test_only_posted_invoices_of_the_customer(self):
        other = self._customer("Someone Else")
        foreign = self._goods_invoice(other, "2026-01-15")
        agreement = self.Return.with_user(self.collector).create({"partner_id": self.customer.id})
        with self.assertRaises(ValidationError):
            agreement.write(
                {
                    "line_ids": [
                        Command.create(
                            {"invoice_line_id": foreign.invoice_line_ids[0].id, "quantity": 1}
                        )
                    ]
                }
            )
        draft = foreign.copy()
        with self.assertRaises(ValidationError):
            self.Return.create(
                {
                    "partner_id": other.id,
                    "line_ids": [
                        Command.create({"invoice_line_id": draft.invoice_line_ids[0].id,
                                        "quantity": 1})
                    ],
                }
            )  # fmt: skip
        with self.assertRaises(UserError):
            agreement.with_user(self.manager).action_agree()  # no goods

    def test_collector_proposes_manager_agrees(self):
        agreement = self._agreement()
        with self.assertRaises(AccessError):
            agreement.with_user(self.collector).action_agree()
        with self.assertRaises(UserError):
            agreement.with_user(self.collector).action_receive()  # not agreed yet
        agreement.with_user(self.manager).action_agree()
        with self.assertRaises(AccessError):
            agreement.with_user(self.collector).action_cancel()
        billing = new_test_user(
            self.env, login="ret_billing", groups="account.group_account_invoice"
        )
        with self.assertRaises(AccessError):
            self.Return.with_user(billing).search([])
        with self.assertRaises(AccessError):
            agreement.with_user(billing).action_receive()
        self.assertEqual(agreement.state, "agreed")

    def test_repossession_costs_booked_in_their_own_entry(self):
        agreement = self._agreement()
        with Form(agreement.with_user(self.collector)) as form:
            form.return_type = "repossessed"
            form.cost_amount = 75
            form.cost_account_id = self.expense
            form.cost_counterpart_account_id = self.bank_account
        with self.assertRaises(ValidationError):
            agreement.write({"cost_account_id": False})
        agreement.with_user(self.manager).action_agree()
        agreement.with_user(self.collector).action_receive()
        costs = agreement.move_ids.filtered(lambda move: move.move_type == "entry")
        self.assertRecordValues(costs, [{"state": "posted", "date": self.today}])
        self.assertEqual(
            {line.account_id: line.balance for line in costs.line_ids},
            {self.expense: 75.0, self.bank_account: -75.0},
        )
        self.assertEqual(self.invoice.amount_residual, 2300.0 - 368.0)

    def test_dunning_skips_an_invoice_under_an_agreed_return(self):
        # time stays on 2026-03-31: the reminder run below looks at that day too
        other = self._invoice(self.customer, 100, "2026-01-20")
        agreement = self._agreement()
        agreement.with_user(self.manager).action_agree()
        self.invoice.invalidate_recordset(["collection_exclusion_reasons"])
        self.assertEqual(self.invoice.collection_exclusion_reasons, "Goods agreed to come back")
        self._run("2026-03-31")
        reminder = self._reminders(self.customer)
        self.assertEqual(reminder.line_ids.move_id, other)
        # received: back in dunning for what remains
        agreement.with_user(self.collector).action_receive()
        self.invoice.invalidate_recordset(["collection_exclusion_reasons"])
        self.assertFalse(self.invoice.collection_exclusion_reasons)

    def test_each_company_sees_its_own_returns(self):
        data_b = self.setup_other_company(name="Return Company B")
        company_b = data_b["company"]
        invoice_b = self._goods_invoice(
            self.customer, "2026-01-15", company=company_b, tax=data_b["default_tax_sale"]
        )
        user_b = new_test_user(
            self.env,
            login="ret_user_b",
            groups="account_collections.group_collections_user",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        agreement_a = self._agreement()
        action = invoice_b.with_user(user_b).with_company(company_b).action_collection_return()
        agreement_b = self.Return.browse(action["res_id"])
        self.assertEqual(agreement_b.company_id, company_b)
        self.assertEqual(
            self.Return.with_user(self.collector).search([("partner_id", "=", self.customer.id)]),
            agreement_a,
        )
        with self.assertRaises(AccessError):
            agreement_b.with_user(self.collector).read(["amount_untaxed"])
        # company B's invoice line cannot be taken back under company A's agreement
        with self.assertRaises(UserError):
            agreement_a.write(
                {
                    "line_ids": [
                        Command.create(
                            {"invoice_line_id": invoice_b.invoice_line_ids[0].id, "quantity": 1}
                        )
                    ]
                }
            )
