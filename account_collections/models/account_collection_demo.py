import datetime

from odoo import Command, api, fields, models

from ..engine import kpi


class AccountCollectionDemo(models.AbstractModel):
    """Builds the demo ledger (called from demo data only).

    Demo invoices must age relative to the day the database is created, which
    static XML dates cannot express; the data file names customers and
    amounts, this turns them into posted invoices, payments and credit notes.
    """

    _name = "account.collection.demo"
    _description = "Collections: demo ledger builder"

    @api.model
    def _create_demo_ledger(self, company_id, specs):
        """Create posted invoices, payments and credit notes for demo customers.

        :param company_id: the company to book in.
        :param specs: ``[(partner_id, [item, ...]), ...]`` where an item is a
            dict: ``days`` overdue (negative: due in that many days),
            ``amount``, optional ``paid`` (a partial payment), ``currency``
            (ISO code of a foreign currency), ``kind`` ``"refund"`` (an open
            credit note) or ``"payment"`` (an unapplied payment).
        """
        company = self.env["res.company"].browse(company_id)
        env = (
            self.with_company(company)
            .with_context(
                allowed_company_ids=company.ids, mail_create_nolog=True, tracking_disable=True
            )
            .env
        )
        today = fields.Date.context_today(self)
        journal_bank = env["account.journal"].search(
            [*env["account.journal"]._check_company_domain(company), ("type", "=", "bank")], limit=1
        )
        for partner_id, items in specs:
            partner = env["res.partner"].browse(partner_id)
            receivable = partner.property_account_receivable_id
            for item in items:
                due = today - datetime.timedelta(days=item["days"])
                kind = item.get("kind", "invoice")
                if kind == "payment":
                    self._demo_payment(env, journal_bank, partner, receivable, item["amount"], due)
                    continue
                currency = env["res.currency"].search(
                    [("name", "=", item.get("currency", ""))], limit=1
                )
                move = env["account.move"].create(
                    {
                        "move_type": "out_refund" if kind == "refund" else "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": min(due, today)
                        - datetime.timedelta(days=30 if kind != "refund" else 0),
                        "invoice_date_due": due,
                        "invoice_payment_term_id": False,
                        "currency_id": (currency or company.currency_id).id,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": item.get("label", "Consulting services"),
                                    "quantity": 1,
                                    "price_unit": item["amount"],
                                    "tax_ids": [],
                                }
                            )
                        ],
                    }
                )
                move.action_post()
                if item.get("paid"):
                    payment_line = self._demo_payment(
                        env,
                        journal_bank,
                        partner,
                        receivable,
                        item["paid"],
                        min(today, due + datetime.timedelta(days=5)),
                    )
                    invoice_line = move.line_ids.filtered(
                        lambda line, account=receivable: line.account_id == account
                    )
                    (invoice_line + payment_line).reconcile()

    @api.model
    def _create_demo_plan(self, partner_id, values):
        """An active payment plan over the customer's overdue invoices.

        :param values: terms for the plan wizard (``instalment_count``,
            ``down_payment``, ...); the first instalment falls a month from today.
        """
        partner = self.env["res.partner"].browse(partner_id)
        wizard = self.env["res.partner.create.plan"].create(
            {"partner_id": partner.id, "company_id": self.env.company.id, **values}
        )
        plan = self.env["account.collection.plan"].create(wizard._prepare_plan_vals())
        plan.action_activate()
        return plan

    @api.model
    def _check_demo_holds(self, company_id):
        """Apply the credit hold rules now, as the daily check would."""
        company = self.env["res.company"].browse(company_id)
        self.env["account.collection.hold"]._check_company_holds(company)

    @api.model
    def _demo_payment(self, env, journal, partner, receivable, amount, date):
        """A received payment booked to the bank; returns its receivable line."""
        move = env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "date": date,
                "ref": env._("Customer payment"),
                "line_ids": [
                    Command.create(
                        {
                            "account_id": journal.default_account_id.id,
                            "partner_id": partner.id,
                            "debit": amount,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": receivable.id,
                            "partner_id": partner.id,
                            "credit": amount,
                        }
                    ),
                ],
            }
        )
        move.action_post()
        return move.line_ids.filtered(lambda line: line.account_id == receivable)

    @api.model
    def _setup_demo_escalation(self, company_id, writeoff_partner_id, agency_partner_id):
        """Write-off, provision and agency settings for the demo, and a proposal to approve.

        :param writeoff_partner_id: a demo customer whose open invoices are
            proposed for write-off, ready for a manager to approve.
        :param agency_partner_id: the demo collection agency.
        """
        company = self.env["res.company"].browse(company_id)
        env = self.with_company(company).with_context(allowed_company_ids=company.ids).env
        Account = env["account.account"]
        accounts = {}
        for code, name, account_type in (
            ("655100", "Bad Debts", "expense"),
            ("681700", "Doubtful Debts Expense", "expense"),
            ("491000", "Allowance for Doubtful Accounts", "asset_current"),
            ("622200", "Collection Agency Commissions", "expense"),
            ("627100", "Legal Costs", "expense"),
            ("758100", "Bad Debts Recovered", "income_other"),
        ):
            accounts[code] = Account.search(
                [*Account._check_company_domain(company), ("code", "=", code)], limit=1
            ) or Account.create({"code": code, "name": name, "account_type": account_type})
        journal = env["account.journal"].search(
            [*env["account.journal"]._check_company_domain(company), ("type", "=", "general")],
            limit=1,
        )
        bank = env["account.journal"].search(
            [*env["account.journal"]._check_company_domain(company), ("type", "=", "bank")],
            limit=1,
        )
        company.write(
            {
                "collection_writeoff_recovery_account_id": accounts["758100"].id,
                "collection_claim_cost_account_id": accounts["627100"].id,
                "collection_claim_cost_journal_id": bank.id,
                "collection_claim_interest_rate": 8.0,
                "collection_writeoff_journal_id": journal.id,
                "collection_writeoff_account_id": accounts["655100"].id,
                "collection_writeoff_approval_limit": 5000.0,
                "collection_writeoff_days": 300,
                "collection_writeoff_small_balance": 50.0,
                "collection_writeoff_auto_approve_limit": 20.0,
                "collection_provision_journal_id": journal.id,
                "collection_provision_expense_account_id": accounts["681700"].id,
                "collection_provision_allowance_account_id": accounts["491000"].id,
                "collection_provision_rate_1_30": 1.0,
                "collection_provision_rate_31_60": 5.0,
                "collection_provision_rate_61_90": 10.0,
                "collection_provision_rate_91_120": 25.0,
                "collection_provision_rate_over_120": 50.0,
            }
        )
        agency = env["account.collection.agency"].create(
            {
                "partner_id": agency_partner_id,
                "company_id": company.id,
                "commission_rate": 15.0,
                "recall_days": 120,
                "commission_account_id": accounts["622200"].id,
                "tier_ids": [
                    Command.create({"min_days": 180, "rate": 25.0}),
                    Command.create({"min_days": 365, "rate": 33.0}),
                ],
            }
        )
        company.collection_placement_agency_id = agency
        Writeoff = env["account.collection.writeoff"]
        partner = env["res.partner"].browse(writeoff_partner_id)
        moves = Writeoff._get_proposable_moves(partner, company)
        if moves:
            Writeoff._propose(
                moves, note="The customer closed its business; our letters come back unopened."
            )

    @api.model
    def _take_demo_snapshots(self, company_id):
        """The last twelve months of trends of the demo company (demo data only)."""
        company = self.env["res.company"].browse(company_id)
        snapshots = self.env["account.collection.kpi.snapshot"].with_company(company)
        today = self.env["account.collection.open.item"]._company_today(company)
        snapshots._take_snapshots(company, kpi.last_closed_months(today, 12), replace=True)

    @api.model
    def _create_demo_workspace(self, company_id, promised, disputed, wrong_number, collector_id):
        """Calls, a promise to pay and a dispute on demo customers (demo data only).

        :param promised: the customer who promised to pay its open invoices in a week.
        :param disputed: the customer disputing its oldest open invoice.
        :param wrong_number: the customer whose number turned out wrong.
        :param collector_id: the user who made the calls.
        """
        company = self.env["res.company"].browse(company_id)
        env = self.with_company(company).with_context(allowed_company_ids=company.ids).env
        today = env["account.collection.open.item"]._company_today(company)
        Call = env["account.collection.call"]

        def open_invoices(partner_id):
            return env["account.move"].search(
                [
                    ("commercial_partner_id", "=", partner_id),
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ],
                order="invoice_date_due",
            )

        calls = Call.create(
            [
                {
                    "partner_id": promised,
                    "user_id": collector_id,
                    "outcome": "promised",
                    "reason": "cash_flow",
                    "notes": env._("Waiting for a customer of theirs to pay; will pay next week."),
                },
                {
                    "partner_id": disputed,
                    "user_id": collector_id,
                    "outcome": "disputed",
                    "reason": "dispute",
                    "notes": env._("Says half of the delivery arrived damaged."),
                },
                {
                    "partner_id": wrong_number,
                    "user_id": collector_id,
                    "outcome": "wrong_number",
                },
            ]
        )
        # the promise logs the call it was made in
        env["account.collection.promise"].create(
            {
                "partner_id": promised,
                "user_id": collector_id,
                "call_id": calls[0].id,
                "move_ids": [Command.set(open_invoices(promised).ids)],
                "date": today + datetime.timedelta(days=7),
            }
        )
        for call in calls[1:]:
            call.action_log()
        invoice = open_invoices(disputed)[:1]
        env["account.collection.dispute"].create(
            {
                "partner_id": disputed,
                "call_id": calls[1].id,
                "move_ids": [Command.set(invoice.ids)],
                "reason": "quality",
                "amount": invoice.company_currency_id.round(invoice.amount_residual_signed / 2),
                "description": env._("Half of the delivery arrived damaged."),
            }
        )
