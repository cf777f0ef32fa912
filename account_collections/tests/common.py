import datetime

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

#: Every collections test runs on this day; nothing depends on the real date.
TODAY = "2026-03-31"


@freeze_time(TODAY)
class CollectionsCommon(AccountTestInvoicingCommon):
    """Builds its own ledger on a fresh company (no demo data), time frozen."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.to_date(TODAY)
        cls.company = cls.env.company
        cls.currency = cls.company_data["currency"]
        cls.receivable = cls.company_data["default_account_receivable"]
        cls.collector = new_test_user(
            cls.env,
            login="collector",
            name="Carla Collector",
            groups="account_collections.group_collections_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    @classmethod
    def _customer(cls, name, **values):
        return cls.env["res.partner"].create({"name": name, "is_company": True, **values})

    @classmethod
    def _invoice(cls, partner, amount, due, invoice_date=None, move_type="out_invoice", **values):
        """A posted invoice (or credit note) of ``amount`` without tax, due on ``due``."""
        due = fields.Date.to_date(due)
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": fields.Date.to_date(invoice_date) or due,
                "invoice_date_due": due,
                "invoice_payment_term_id": False,
                "invoice_line_ids": [
                    Command.create({"name": "Service", "price_unit": amount, "tax_ids": []})
                ],
                **values,
            }
        )
        move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, amount, date):
        return cls._register_payment(invoice, amount=amount, payment_date=fields.Date.to_date(date))

    @staticmethod
    def days(n):
        return datetime.timedelta(days=n)
