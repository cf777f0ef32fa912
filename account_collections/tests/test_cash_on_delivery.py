from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestCashOnDelivery(DunningCommon):
    """Cash-on-delivery invoices still unpaid go first, with one activity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cod_term = cls.env["account.payment.term"].create(
            {
                "name": "Cash on delivery",
                "collection_cash_on_delivery": True,
                "line_ids": [Command.create({"value": "percent", "value_amount": 100})],
            }
        )
        cls.company.collection_cod_days = 3
        cls.big = cls._customer("Big Late Payer", collector_id=cls.collector.id)
        cls._invoice(cls.big, 9000, "2026-02-28")
        cls.cod = cls._customer("Delivery Customer", collector_id=cls.collector.id)
        cls.cod_invoice = cls._cod_invoice(cls.cod, 100, "2026-03-27")
        cls.activity_type = cls.env.ref("account_collections.mail_activity_type_cash_on_delivery")
        cls.cron = cls.env.ref("account_collections.ir_cron_collection_cash_on_delivery")

    @classmethod
    def _cod_invoice(cls, partner, amount, day, company=None):
        env = cls.env
        if company:
            env = env(context=dict(env.context, allowed_company_ids=company.ids))
        move = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": day,
                "invoice_payment_term_id": cls.cod_term.id,
                "invoice_line_ids": [
                    Command.create({"name": "Goods", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        return move

    def _trigger(self, day):
        with freeze_time(f"{day} 08:00:00"), self.enter_registry_test_mode():
            self.cron.method_direct_trigger()

    def _activities(self):
        return self.env["mail.activity"].search(
            [("res_model", "=", "account.move"), ("activity_type_id", "=", self.activity_type.id)]
        )

    def _rows(self):
        return self.env["account.collection.worklist"].search([])

    def test_not_before_the_cash_on_delivery_days(self):
        self._trigger("2026-03-29")  # 2 days after the invoice, 3 needed
        self.assertFalse(self._activities())
        self.assertFalse(self.cod_invoice.collection_cod_flagged)

    def test_unpaid_after_the_days_one_activity_and_first_on_the_worklist(self):
        self.env["account.collection.worklist"]._refresh(self.company)  # the nightly rebuild
        self._trigger("2026-03-31")  # 4 days after the invoice
        activity = self._activities()
        self.assertRecordValues(
            activity,
            [
                {
                    "res_id": self.cod_invoice.id,
                    "user_id": self.collector.id,
                    "summary": "Cash on delivery unpaid",
                }
            ],
        )
        self.assertEqual(str(self.cod_invoice.collection_cod_flagged), "2026-03-31")
        rows = self._rows()
        # first although the other customer owes 90 times more
        self.assertEqual(rows[:2].partner_id.ids, [self.cod.id, self.big.id])
        self.assertEqual(rows[0].cash_on_delivery_count, 1)
        self.assertIn("cash-on-delivery", rows[0].explanation)
        # the next days, nothing new
        self._trigger("2026-04-01")
        self.assertEqual(self._activities(), activity)
        # the nightly rebuild keeps it first
        self.env["account.collection.worklist"]._refresh(self.company)
        self.assertEqual(self._rows()[0].partner_id, self.cod)

    def test_a_paid_invoice_is_left_alone(self):
        self._pay(self.cod_invoice, 100, "2026-03-28")
        self._trigger("2026-03-31")
        self.assertFalse(self._activities())
        self.env["account.collection.worklist"]._refresh(self.company)
        self.assertNotIn(self.cod, self._rows().partner_id)

    def test_an_ordinary_term_is_not_cash_on_delivery(self):
        self.cod_term.collection_cash_on_delivery = False
        self._trigger("2026-03-31")
        self.assertFalse(self._activities())

    def test_each_company_its_own_days(self):
        company_b = self.setup_other_company(name="COD B")["company"]
        company_b.collection_cod_days = 10
        customer_b = self._customer("Delivery B")
        invoice_b = self._cod_invoice(customer_b, 50, "2026-03-27", company=company_b)
        self._trigger("2026-03-31")
        self.assertEqual(self._activities().mapped("res_id"), self.cod_invoice.ids)
        self.assertFalse(invoice_b.collection_cod_flagged)
        user_b = new_test_user(
            self.env,
            login="cod_b",
            groups="account_collections.group_collections_user",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        self.assertFalse(
            self.env["account.collection.worklist"]
            .with_user(user_b)
            .search([("partner_id", "=", self.cod.id)])
        )
