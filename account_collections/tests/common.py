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
        # dunning has run before: runs climb level by level (the catch-up of a
        # company's first run has its own tests)
        cls.env["res.company"].search([]).collection_dunning_started = True
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
    def _invoice(
        cls,
        partner,
        amount,
        due,
        invoice_date=None,
        move_type="out_invoice",
        company=None,
        **values,
    ):
        """A posted invoice (or credit note) of ``amount`` without tax, due on ``due``."""
        due = fields.Date.to_date(due)
        env = cls.env
        if company:
            env = env(context=dict(env.context, allowed_company_ids=company.ids))
        move = env["account.move"].create(
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

    @classmethod
    def _bulk_customers(cls, count, amount=lambda i: 10):
        """``count`` customers with one posted invoice each, due 2026-02-14."""
        partners = cls.env["res.partner"].create(
            [{"name": f"Bulk {i}", "email": f"bulk{i}@example.com"} for i in range(count)]
        )
        moves = cls.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": "2026-01-15",
                    "invoice_date_due": "2026-02-14",
                    "invoice_line_ids": [
                        Command.create({"name": "Service", "price_unit": amount(i), "tax_ids": []})
                    ],
                }
                for i, partner in enumerate(partners)
            ]
        )
        moves.action_post()
        return partners

    @staticmethod
    def days(n):
        return datetime.timedelta(days=n)


class DunningCommon(CollectionsCommon):
    """A three-level policy as the test company's default, and a run helper."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="dunning_manager",
            groups="account_collections.group_collections_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.policy = cls._make_policy(cls.company)
        cls.level_1, cls.level_2, cls.level_3 = cls.policy.level_ids.sorted("days")

    @classmethod
    def _make_policy(cls, company, **level_3_values):
        ref = cls.env.ref
        return cls.env["account.collection.policy"].create(
            {
                "name": "Test policy",
                "company_id": company.id,
                "is_default": True,
                "level_ids": [
                    Command.create(
                        {
                            "name": "First reminder",
                            "days": 10,
                            "min_days_since_previous": 0,
                            "mail_template_id": ref(
                                "account_collections.mail_template_reminder_1"
                            ).id,
                            "email_attach_letter": False,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Second reminder",
                            "days": 30,
                            "min_days_since_previous": 14,
                            "mail_template_id": ref(
                                "account_collections.mail_template_reminder_2"
                            ).id,
                            "send_letter": True,
                            "create_activity": True,
                            "activity_type_id": ref("mail.mail_activity_data_call").id,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Final demand",
                            "days": 60,
                            "min_days_since_previous": 14,
                            "min_amount": 500,
                            "mail_template_id": ref(
                                "account_collections.mail_template_final_demand"
                            ).id,
                            "email_attach_letter": False,
                            "credit_hold": True,
                            **level_3_values,
                        }
                    ),
                ],
            }
        )

    @classmethod
    def _customer(cls, name, **values):
        values.setdefault("email", f"{name.lower().replace(' ', '.')}@example.com")
        values.setdefault("street", "1 Main Street")
        values.setdefault("city", "Springfield")
        values.setdefault("country_id", cls.env.ref("base.us").id)
        return super()._customer(name, **values)

    def _run(self, day, company=None, **context):
        """Run dunning as of ``day`` (time frozen to it), as a manager."""
        company = company or self.company
        with freeze_time(day):
            run = (
                self.env["account.collection.run"]
                .with_user(self.manager)
                .with_context(allowed_company_ids=company.ids, **context)
                .create({"company_id": company.id, "date": day})
            )
            run.action_run()
        return run

    def _reminders(self, partner):
        return self.env["account.collection.communication"].search(
            [("partner_id", "=", partner.id)], order="date, id"
        )
