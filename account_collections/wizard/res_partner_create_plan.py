from markupsafe import Markup, escape

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import plans as engine
from ..models.account_collection_plan import from_minor, to_minor


class ResPartnerCreatePlan(models.TransientModel):
    """Draw up a payment plan over a customer's overdue invoices, with a preview."""

    _name = "res.partner.create.plan"
    _description = "Collections: draw up a payment plan"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_move_ids",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('commercial_partner_id', '=', partner_id), ('company_id', '=', company_id),"
        " ('state', '=', 'posted'), ('move_type', 'in', ('out_invoice', 'out_receipt')),"
        " ('payment_state', 'in', ('not_paid', 'partial'))]",
        help="The overdue invoices not yet in a plan; add or remove invoices as agreed.",
    )
    amount_debt = fields.Monetary(string="Amount Owed", compute="_compute_preview")
    date = fields.Date(
        string="Agreement Date",
        required=True,
        default=lambda self: self.env["account.collection.open.item"]._company_today(
            self.env.company
        ),
    )
    down_payment = fields.Monetary()
    schedule_mode = fields.Selection(
        [("count", "Number of instalments"), ("amount", "Instalment amount")],
        string="Spread By",
        default="count",
        required=True,
    )
    instalment_count = fields.Integer(string="Number of Instalments", default=3)
    instalment_amount = fields.Monetary()
    frequency = fields.Selection(
        [("weekly", "Weekly"), ("biweekly", "Every two weeks"), ("monthly", "Monthly")],
        default="monthly",
        required=True,
    )
    first_date = fields.Date(
        string="First Instalment",
        compute="_compute_first_date",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    charge_type = fields.Selection(
        [("none", "None"), ("interest", "Interest"), ("fee", "Fixed fee")],
        string="Charge",
        default="none",
        required=True,
    )
    interest_rate = fields.Float(string="Interest Rate (%)", digits=(16, 4))
    fee_amount = fields.Monetary(string="Fee")
    grace_days = fields.Integer(
        compute="_compute_grace_days", store=True, readonly=False, precompute=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
    )
    preview = fields.Html(compute="_compute_preview", sanitize=True)
    error = fields.Char(compute="_compute_preview")

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("partner_id", "company_id")
    def _compute_move_ids(self):
        for wizard in self:
            wizard.move_ids = wizard._get_overdue_moves()

    @api.depends("date")
    def _compute_first_date(self):
        for wizard in self:
            wizard.first_date = wizard.date and engine.add_months(wizard.date, 1)

    @api.depends("company_id")
    def _compute_grace_days(self):
        for wizard in self:
            wizard.grace_days = wizard.company_id.collection_plan_grace_days

    @api.depends(
        "move_ids",
        "date",
        "down_payment",
        "schedule_mode",
        "instalment_count",
        "instalment_amount",
        "frequency",
        "first_date",
        "charge_type",
        "interest_rate",
        "fee_amount",
    )
    def _compute_preview(self):
        for wizard in self:
            currency = wizard.currency_id
            debt = to_minor(currency, sum(wizard.move_ids.mapped("amount_residual_signed")))
            wizard.amount_debt = from_minor(currency, debt)
            try:
                charge, instalments = wizard._schedule(debt)
            except engine.PlanError as error:
                wizard.preview = False
                wizard.error = str(error)
                continue
            wizard.error = False
            wizard.preview = wizard._render_preview(debt, charge, instalments)

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    @api.model
    def _get_action(self, partner, company):
        """The wizard's window action for ``partner`` in ``company``."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_res_partner_create_plan"
        )
        action["context"] = {
            "default_partner_id": partner.commercial_partner_id.id,
            "default_company_id": company.id,
            "allowed_company_ids": [company.id],
        }
        return action

    def _get_overdue_moves(self):
        """The customer's overdue invoices (seam 1) that no draft or active plan covers."""
        self.ensure_one()
        if not self.partner_id or not self.company_id:
            return self.env["account.move"]
        open_items = self.env["account.collection.open.item"]
        open_items._flush_open_items()
        today = open_items._company_today(self.company_id)
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT items.move_id
                     FROM (%(items)s) items
                     JOIN account_move move ON move.id = items.move_id
                    WHERE items.amount > 0 AND items.days_overdue > 0
                      AND move.move_type IN ('out_invoice', 'out_receipt')
                      AND NOT EXISTS (
                            SELECT 1 FROM account_collection_plan_move_rel rel
                              JOIN account_collection_plan plan ON plan.id = rel.plan_id
                             WHERE rel.move_id = items.move_id
                               AND plan.state IN ('draft', 'active'))""",
                items=open_items._open_items_sql(
                    {self.company_id.id: today}, [self.partner_id.commercial_partner_id.id]
                ),
            )
        )
        return self.env["account.move"].browse(sorted(move_id for (move_id,) in rows))

    def _schedule(self, debt):
        """``(charge, instalments)`` from the engine; raises ``engine.PlanError``."""
        currency = self.currency_id
        down = to_minor(currency, self.down_payment)
        if not self.first_date:
            raise engine.PlanError(self.env._("set the first instalment's date"))
        if self.charge_type == "interest":
            charge = engine.charge(max(debt - down, 0), rate=self.interest_rate)
        elif self.charge_type == "fee":
            charge = engine.charge(max(debt - down, 0), fee=to_minor(currency, self.fee_amount))
        else:
            charge = 0
        kwargs = (
            {"count": self.instalment_count}
            if self.schedule_mode == "count"
            else {"amount": to_minor(currency, self.instalment_amount)}
        )
        instalments = engine.schedule(
            debt,
            self.first_date,
            self.frequency,
            down_payment=down,
            down_payment_date=min(self.date or self.first_date, self.first_date),
            charge_amount=charge,
            **kwargs,
        )
        return charge, instalments

    def _render_preview(self, debt, charge, instalments):
        currency = self.currency_id
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td class='text-end'>%s</td></tr>")
            % (
                self.env._("Down payment") if i.down_payment else i.sequence,
                fields.Date.to_string(i.due_date),
                currency.format(from_minor(currency, i.amount)),
            )
            for i in instalments
        )
        summary = self.env._(
            "%(debt)s owed + %(charge)s interest / fee = %(total)s in %(count)s payments.",
            debt=currency.format(from_minor(currency, debt)),
            charge=currency.format(from_minor(currency, charge)),
            total=currency.format(from_minor(currency, debt + charge)),
            count=len(instalments),
        )
        return Markup(
            "<p>%s</p><table class='table table-sm'><thead><tr><th>#</th><th>%s</th>"
            "<th class='text-end'>%s</th></tr></thead><tbody>%s</tbody></table>"
        ) % (escape(summary), self.env._("Due Date"), self.env._("Amount"), rows)

    def action_create(self):
        """Create the plan as a draft and open it."""
        self.ensure_one()
        if not self.move_ids:
            raise UserError(self.env._("Select the invoices the plan covers."))
        if self.error:
            raise UserError(
                self.env._("The plan cannot be scheduled: %(error)s.", error=self.error)
            )
        plan = self.env["account.collection.plan"].create(self._prepare_plan_vals())
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.collection.plan",
            "res_id": plan.id,
            "views": [(False, "form")],
        }

    def _prepare_plan_vals(self):
        """Values of the draft plan the wizard creates."""
        return {
            "partner_id": self.partner_id.commercial_partner_id.id,
            "company_id": self.company_id.id,
            "user_id": self.user_id.id,
            "move_ids": [Command.set(self.move_ids.ids)],
            "date": self.date,
            "down_payment": self.down_payment,
            "schedule_mode": self.schedule_mode,
            "instalment_count": self.instalment_count,
            "instalment_amount": self.instalment_amount,
            "frequency": self.frequency,
            "first_date": self.first_date,
            "charge_type": self.charge_type,
            "interest_rate": self.interest_rate,
            "fee_amount": self.fee_amount,
            "grace_days": self.grace_days,
        }
