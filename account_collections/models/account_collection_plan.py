import logging

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, split_every

from ..engine import plans as engine

_logger = logging.getLogger(__name__)

#: Plans checked per batch by the scheduled check (one query each).
BATCH_SIZE = 500

#: Fields that make the schedule: changing one in draft recomputes it.
SCHEDULE_FIELDS = frozenset(
    {
        "move_ids",
        "down_payment",
        "schedule_mode",
        "instalment_count",
        "instalment_amount",
        "frequency",
        "first_date",
        "date",
        "charge_type",
        "interest_rate",
        "fee_amount",
    }
)


def to_minor(currency, amount):
    """An amount as an integer number of the currency's smallest unit."""
    return round(currency.round(amount) * 10**currency.decimal_places)


def from_minor(currency, minor):
    return currency.round(minor / 10**currency.decimal_places)


class AccountCollectionPlan(models.Model):
    """A payment plan: a customer's overdue invoices paid in instalments.

    The schedule comes from the pure ``engine.plans``. While the plan is
    active its invoices are out of dunning (seam 2). What the customer paid
    is what the plan's invoices no longer owe; it settles the instalments in
    date order. A scheduled check completes paid plans and breaks the plans
    with an instalment late past the grace days: dunning then resumes.
    """

    _name = "account.collection.plan"
    _inherit = ["mail.thread", "mail.activity.mixin", "account.collection.guard.mixin"]
    _description = "Collections: payment plan"
    _order = "date desc, id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset(
        {
            "state",
            "approved_by_id",
            "approved_date",
            "charge_move_id",
            "amount_debt",
            "amount_charge",
            "amount_total",
            "end_date",
            "end_reason",
            "line_ids",
        }
    )
    _collection_locked_states = frozenset({"active", "completed", "broken", "cancelled"})
    _collection_locked_fields = SCHEDULE_FIELDS | {"partner_id", "company_id", "grace_days"}

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain=[("parent_id", "=", False)],
    )
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        tracking=True,
        help="Who follows the plan: notified when it breaks.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("completed", "Completed"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        index=True,
        tracking=True,
        copy=False,
    )
    date = fields.Date(
        string="Agreement Date",
        required=True,
        default=lambda self: self._default_date(),
        help="The down payment is due on this day.",
    )
    move_ids = fields.Many2many(
        "account.move",
        "account_collection_plan_move_rel",
        "plan_id",
        "move_id",
        string="Invoices",
        check_company=True,
        copy=False,
        domain="[('commercial_partner_id', '=', partner_id), ('state', '=', 'posted'),"
        " ('move_type', 'in', ('out_invoice', 'out_receipt')),"
        " ('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    charge_move_id = fields.Many2one(
        "account.move",
        string="Charge Invoice",
        readonly=True,
        copy=False,
        check_company=True,
        help="The invoice of the plan's interest or fee, part of the plan.",
    )
    amount_debt = fields.Monetary(
        string="Amount Owed",
        readonly=True,
        help="What the plan's invoices owed when the plan was drawn up or activated.",
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
    first_date = fields.Date(string="First Instalment", required=True)
    charge_type = fields.Selection(
        [("none", "None"), ("interest", "Interest"), ("fee", "Fixed fee")],
        string="Charge",
        default="none",
        required=True,
        help="Charged on a new invoice when the plan is activated; posted invoices are "
        "never changed.",
    )
    interest_rate = fields.Float(
        string="Interest Rate (%)",
        digits=(16, 4),
        help="Flat rate on the amount spread over the instalments (after the down payment).",
    )
    fee_amount = fields.Monetary(string="Fee")
    amount_charge = fields.Monetary(string="Interest / Fee", readonly=True)
    amount_total = fields.Monetary(string="Plan Total", readonly=True)
    grace_days = fields.Integer(
        default=lambda self: self.env.company.collection_plan_grace_days,
        help="An instalment still unpaid this many days after its due date breaks the plan.",
    )
    line_ids = fields.One2many(
        "account.collection.plan.line", "plan_id", string="Instalments", readonly=True
    )
    amount_paid = fields.Monetary(compute="_compute_progress", string="Paid")
    amount_remaining = fields.Monetary(compute="_compute_progress", string="Remaining")
    progress = fields.Float(compute="_compute_progress", help="Share of the plan total paid.")
    next_due_date = fields.Date(compute="_compute_progress")
    next_due_amount = fields.Monetary(compute="_compute_progress")
    approval_required = fields.Boolean(
        compute="_compute_approval_required",
        help="The plan total is above the company's approval amount: a collections manager "
        "activates it.",
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    approved_date = fields.Datetime(readonly=True, copy=False)
    end_date = fields.Date(
        readonly=True, copy=False, help="When the plan was completed, broken or cancelled."
    )
    end_reason = fields.Text(readonly=True, copy=False)
    note = fields.Text(help="What was agreed, for the next person reading the plan.")
    communication_ids = fields.One2many(
        "account.collection.communication", "plan_id", string="Agreements Sent", readonly=True
    )

    _positive_amounts = models.Constraint(
        "CHECK (down_payment >= 0 AND instalment_amount >= 0 AND fee_amount >= 0"
        " AND interest_rate >= 0 AND grace_days >= 0 AND instalment_count >= 0)",
        "Amounts, rates, counts and grace days of a payment plan cannot be negative.",
    )

    # ------------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------------

    def _default_date(self):
        return self.env["account.collection.open.item"]._company_today(self.env.company)

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    def _compute_progress(self):
        statuses = self._get_instalment_statuses()
        paid_by_plan = self._origin._get_paid_minor()
        for plan in self:
            currency = plan.currency_id
            paid = paid_by_plan.get(plan._origin.id, 0)
            plan.amount_paid = from_minor(currency, paid)
            plan.amount_remaining = currency.round(plan.amount_total - plan.amount_paid)
            plan.progress = (
                100.0 * plan.amount_paid / plan.amount_total if plan.amount_total else 0.0
            )
            upcoming = [statuses[line.id] for line in plan.line_ids if statuses.get(line.id, False)]
            upcoming = [status for status in upcoming if status.open > 0]
            first = upcoming[0] if upcoming else None
            plan.next_due_date = first.instalment.due_date if first else False
            plan.next_due_amount = from_minor(currency, first.open) if first else 0.0

    @api.depends("amount_total", "company_id.collection_plan_approval_amount")
    def _compute_approval_required(self):
        for plan in self:
            threshold = plan.company_id.collection_plan_approval_amount
            plan.approval_required = bool(threshold) and (
                plan.currency_id.compare_amounts(plan.amount_total, threshold) > 0
            )

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------

    @api.constrains("move_ids", "partner_id", "state")
    def _check_moves(self):
        open_plans = self.filtered(lambda p: p.state in ("draft", "active"))
        if not open_plans:
            return
        for plan in open_plans:
            if not plan.move_ids:
                raise ValidationError(self.env._("A payment plan covers at least one invoice."))
            foreign = plan.move_ids.filtered(
                lambda m, plan=plan: (
                    m.commercial_partner_id != plan.partner_id
                    or m.move_type not in ("out_invoice", "out_receipt")
                    or m.state != "posted"
                )
            )
            if foreign:
                raise ValidationError(
                    self.env._(
                        "%(plan)s may only cover posted invoices of %(customer)s: %(invoices)s.",
                        plan=plan.name,
                        customer=plan.partner_id.display_name,
                        invoices=", ".join(foreign.mapped("display_name")),
                    )
                )
        others = self.search(
            [
                ("id", "not in", open_plans.ids),
                ("state", "in", ("draft", "active")),
                ("move_ids", "in", open_plans.move_ids.ids),
            ]
        )
        if others:
            shared = others.move_ids & open_plans.move_ids
            raise ValidationError(
                self.env._(
                    "These invoices are already in another draft or active payment plan "
                    "(%(plans)s): %(invoices)s.",
                    plans=", ".join(others.mapped("name")),
                    invoices=", ".join(shared.mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                sequence = self.env["ir.sequence"]
                vals["name"] = sequence.next_by_code("account.collection.plan") or "/"
        plans = super().create(vals_list)
        plans._compute_schedule()
        return plans

    def write(self, vals):
        if SCHEDULE_FIELDS & set(vals) and any(plan.state != "draft" for plan in self):
            raise UserError(self.env._("The terms of a plan can only change while it is a draft."))
        result = super().write(vals)
        if SCHEDULE_FIELDS & set(vals):
            self._compute_schedule()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(plan.state not in ("draft", "cancelled") for plan in self):
            raise UserError(self.env._("Only draft or cancelled payment plans can be deleted."))

    # ------------------------------------------------------------------
    # BUSINESS: schedule and payments
    # ------------------------------------------------------------------

    def _get_open_amounts(self):
        """``{plan_id: open amount}`` of each plan's invoices, company currency, one query."""
        ids = [plan_id for plan_id in self.ids if plan_id]
        if not ids:
            return {}
        self.env["account.move"].flush_model(["amount_residual_signed"])
        self.flush_model(["move_ids"])
        rows = self.env.execute_query(
            SQL(
                """SELECT rel.plan_id, COALESCE(SUM(move.amount_residual_signed), 0)
                     FROM account_collection_plan_move_rel rel
                     JOIN account_move move ON move.id = rel.move_id
                    WHERE rel.plan_id = ANY(%s)
                    GROUP BY rel.plan_id""",
                ids,
            )
        )
        return dict(rows)

    def _get_paid_minor(self):
        """``{plan_id: paid}`` in the smallest unit: the plan total less what is still open."""
        open_amounts = self._get_open_amounts()
        return {
            plan.id: max(
                to_minor(plan.currency_id, plan.amount_total)
                - to_minor(plan.currency_id, open_amounts.get(plan.id, 0.0)),
                0,
            )
            for plan in self
            if plan.id and plan.state != "draft"
        }

    def _engine_instalments(self):
        self.ensure_one()
        currency = self.currency_id
        return [
            engine.Instalment(
                line.sequence, line.due_date, to_minor(currency, line.amount), line.down_payment
            )
            for line in self.line_ids
        ]

    def _get_instalment_statuses(self, as_of=None):
        """``{line_id: engine.InstalmentStatus}``: payments matched in date order."""
        plans = self.filtered(lambda p: p._origin.id)
        paid = self._origin._get_paid_minor()
        open_items = self.env["account.collection.open.item"]
        result = {}
        for plan in plans:
            day = as_of or open_items._company_today(plan.company_id)
            statuses = engine.match_payments(
                plan._engine_instalments(), paid.get(plan._origin.id, 0), day
            )
            by_key = {
                (status.instalment.sequence, status.instalment.due_date): status
                for status in statuses
            }
            for line in plan.line_ids:
                result[line.id] = by_key[line.sequence, line.due_date]
        return result

    def _schedule_params(self):
        """The engine's arguments for this plan, in the smallest unit; checks them."""
        self.ensure_one()
        currency = self.currency_id
        debt = to_minor(currency, sum(self.move_ids.mapped("amount_residual_signed")))
        down = to_minor(currency, self.down_payment)
        if self.charge_type == "interest":
            charge = engine.charge(debt - down, rate=self.interest_rate)
        elif self.charge_type == "fee":
            charge = engine.charge(debt - down, fee=to_minor(currency, self.fee_amount))
        else:
            charge = 0
        kwargs = (
            {"count": self.instalment_count}
            if self.schedule_mode == "count"
            else {"amount": to_minor(currency, self.instalment_amount)}
        )
        return (
            debt,
            charge,
            {
                "total": debt,
                "first_date": self.first_date,
                "frequency": self.frequency,
                "down_payment": down,
                "down_payment_date": min(self.date, self.first_date),
                "charge_amount": charge,
                **kwargs,
            },
        )

    def _compute_schedule(self):
        """(Re)build the instalments of draft plans from their terms."""
        line_model = self.env["account.collection.plan.line"]
        for plan in self.filtered(lambda p: p.state == "draft"):
            currency = plan.currency_id
            debt, charge, params = plan._schedule_params()
            try:
                instalments = engine.schedule(**params)
            except engine.PlanError as error:
                raise ValidationError(
                    self.env._(
                        "The payment plan %(plan)s cannot be scheduled: %(error)s.",
                        plan=plan.name,
                        error=error,
                    )
                ) from error
            plan.line_ids._collection_unlink()
            line_model._collection_create(
                [
                    {
                        "plan_id": plan.id,
                        "sequence": instalment.sequence,
                        "down_payment": instalment.down_payment,
                        "due_date": instalment.due_date,
                        "amount": from_minor(currency, instalment.amount),
                    }
                    for instalment in instalments
                ]
            )
            plan._collection_write(
                {
                    "amount_debt": from_minor(currency, debt),
                    "amount_charge": from_minor(currency, charge),
                    "amount_total": from_minor(currency, debt + charge),
                }
            )

    # ------------------------------------------------------------------
    # BUSINESS: actions
    # ------------------------------------------------------------------

    def _is_manager(self):
        return self.env.user.has_group("account_collections.group_collections_manager")

    def action_activate(self):
        """Put the plan in force: approval, charge invoice, invoices out of dunning."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("Only a draft plan can be activated."))
            plan._compute_schedule()  # payments may have come in since the draft
            if plan.approval_required and not plan._is_manager():
                raise UserError(
                    self.env._(
                        "%(plan)s totals %(amount)s, above %(limit)s: a collections manager "
                        "must approve it.",
                        plan=plan.name,
                        amount=plan.currency_id.format(plan.amount_total),
                        limit=plan.currency_id.format(
                            plan.company_id.collection_plan_approval_amount
                        ),
                    )
                )
        for plan in self:
            vals = {"state": "active"}
            if plan.approval_required:
                vals.update(approved_by_id=self.env.user.id, approved_date=fields.Datetime.now())
            if plan.currency_id.compare_amounts(plan.amount_charge, 0) > 0:
                charge_move = plan._create_charge_invoice()
                vals.update(charge_move_id=charge_move.id, move_ids=[Command.link(charge_move.id)])
            # the terms are set: write them without recomputing the schedule
            plan._collection_write(vals)
            plan._check_moves()
            plan.message_post(
                body=self.env._(
                    "Payment plan activated by %(user)s: %(total)s in %(count)s instalments; "
                    "its invoices are out of dunning while it runs.",
                    user=self.env.user.name,
                    total=plan.currency_id.format(plan.amount_total),
                    count=len(plan.line_ids),
                ),
                subtype_xmlid="mail.mt_note",
            )
        self.activity_unlink(["mail.mail_activity_data_todo"])
        self._send_agreements()
        return True

    def action_send_agreement(self):
        """Send the agreement (letter and email) again, e.g. after a new address."""
        if any(plan.state != "active" for plan in self):
            raise UserError(self.env._("Only an active plan's agreement can be sent."))
        self._send_agreements()
        return True

    def action_open_agreements(self):
        """The agreements sent for this plan."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_communication"
        )
        action["domain"] = [("plan_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def _send_agreements(self):
        """The agreement of each plan through the send service (seam 4): the email with
        the letter attached, gated, queued and recorded; a refusal is noted on the plan."""
        if not self:
            return self.env["account.collection.communication"]
        template = self.env.ref(
            "account_collections.mail_template_plan_agreement", raise_if_not_found=False
        )
        open_by_move = {}
        rows = (
            self.env.execute_query(
                SQL(
                    """SELECT id, amount_residual, amount_residual_signed
                     FROM account_move WHERE id = ANY(%s)""",
                    self.move_ids.ids,
                )
            )
            if self.move_ids
            else []
        )
        for move_id, residual, residual_signed in rows:
            open_by_move[move_id] = (residual, residual_signed)
        vals_list, lines_list = [], []
        for plan in self:
            lines = [
                {
                    "move_id": move.id,
                    "amount_residual": open_by_move[move.id][0],
                    "amount_residual_company": open_by_move[move.id][1],
                    "due_date": move.invoice_date_due,
                }
                for move in plan.move_ids.sorted(lambda m: (m.invoice_date_due, m.id))
            ]
            lines_list.append(lines)
            vals_list.append(
                {
                    "company_id": plan.company_id.id,
                    "partner_id": plan.partner_id.id,
                    "kind": "plan_agreement",
                    "plan_id": plan.id,
                    "date": self._default_date(),
                    "send_email": bool(template),
                    "mail_template_id": template.id if template else False,
                    "email_attach_letter": True,
                    "send_letter": not template,
                    "amount_total": plan.currency_id.round(
                        sum(line["amount_residual_company"] for line in lines)
                    ),
                    "body_text": plan._get_agreement_body(),
                }
            )
        self.env["account.move"].flush_model(["amount_residual", "amount_residual_signed"])
        # the send service writes records nobody edits by hand: it runs as superuser,
        # the author stays the current user
        communications = self.env["account.collection.communication"].sudo()
        sent, refused = communications._send(vals_list, lines_list)
        sent, refused = sent.sudo(False), refused.sudo(False)
        for communication in refused:
            self.browse(communication.plan_id.id).message_post(
                body=self.env._(
                    "The plan agreement could not be sent: %(reason)s",
                    reason=communication.refusal_reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return sent | refused

    def _get_agreement_body(self):
        """The agreed terms and schedule, as the agreement letter and email state them.

        Built from escaped values only: it is stored on the communication as sent.
        """
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang
        plan = self.with_context(lang=lang)
        env = plan.env
        currency = self.currency_id
        lang_data = env["res.lang"]._get_data(code=lang) if lang else None
        date_format = lang_data.date_format if lang_data else "%Y-%m-%d"
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td style='text-align: right;'>%s</td></tr>")
            % (
                env._("Down payment") if line.down_payment else str(line.sequence),
                line.due_date.strftime(date_format),
                currency.format(line.amount),
            )
            for line in self.line_ids
        )
        terms = env._(
            "As agreed on %(date)s, you will pay the %(debt)s owed on the invoices below in "
            "%(count)s payments, totalling %(total)s, on the dates set out here.",
            date=self.date.strftime(date_format),
            debt=currency.format(self.amount_debt),
            count=len(self.line_ids),
            total=currency.format(self.amount_total),
        )
        charge = (
            env._(
                "This includes %(charge)s of interest or fees, invoiced separately.",
                charge=currency.format(self.amount_charge),
            )
            if self.amount_charge
            else ""
        )
        grace = env._(
            "While you keep to this schedule we will send no reminder for these invoices. If a "
            "payment is more than %(days)s days late, the plan ends and the full balance is due.",
            days=self.grace_days,
        )
        return Markup(
            "<p>%s %s</p><table style='border-collapse: collapse; margin: 8px 0;'>"
            "<tr style='border-bottom: 1px solid #ccc; text-align: left;'><th>#</th><th>%s</th>"
            "<th style='text-align: right;'>%s</th></tr>%s</table><p>%s</p>"
        ) % (terms, charge, env._("Due Date"), env._("Amount"), rows, grace)

    def action_request_approval(self):
        """Ask the company's collections managers to approve the plan."""
        for plan in self:
            for approver in plan._get_approvers()[:5]:
                plan.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=approver.id,
                    summary=self.env._("Approve payment plan %(plan)s", plan=plan.name),
                )
        return True

    def _get_approvers(self):
        """The collections managers of the plan's company (read as superuser: the
        requester may not read the other users' companies)."""
        self.ensure_one()
        managers = self.env.ref("account_collections.group_collections_manager").sudo().all_user_ids
        return managers.filtered(
            lambda user: self.company_id in user.company_ids and not user.share
        ).sudo(False)

    def action_cancel(self):
        """Drop the plan: its invoices go back to dunning. A charge invoice stays posted."""
        for plan in self:
            if plan.state not in ("draft", "active"):
                raise UserError(self.env._("Only draft or active plans can be cancelled."))
            if plan.state == "active" and not plan._is_manager():
                raise UserError(self.env._("Only a collections manager can cancel an active plan."))
        self._collection_write(
            {
                "state": "cancelled",
                "end_date": self._default_date(),
                "end_reason": self.env._("Cancelled by %(user)s.", user=self.env.user.name),
            }
        )
        return True

    def action_check(self):
        """Check the plan now: complete it if paid, break it if an instalment is late."""
        self._check_plans()
        return True

    def _create_charge_invoice(self):
        """A new invoice for the plan's interest or fee, posted, due with the last instalment."""
        self.ensure_one()
        label = (
            self.env._("Interest on payment plan %(plan)s", plan=self.name)
            if self.charge_type == "interest"
            else self.env._("Fee for payment plan %(plan)s", plan=self.name)
        )
        move = (
            self.env["account.move"]
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                    "invoice_date": self.date,
                    "invoice_date_due": max(self.line_ids.mapped("due_date")),
                    "invoice_payment_term_id": False,
                    "invoice_origin": self.name,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": label, "price_unit": self.amount_charge, "tax_ids": []}
                        )
                    ],
                }
            )
        )
        move.action_post()
        return move

    # ------------------------------------------------------------------
    # BUSINESS: the scheduled check (seam 5)
    # ------------------------------------------------------------------

    @api.model
    def _cron_check_plans(self):
        """Complete the paid plans and break the plans with a late instalment."""
        plan_ids = self.search([("state", "=", "active")], order="id").ids
        remaining = len(plan_ids)
        self.env["ir.cron"]._commit_progress(remaining=remaining)
        for batch in split_every(BATCH_SIZE, plan_ids):
            plans = self.browse(batch).try_lock_for_update()
            plans._check_plans()
            remaining -= len(batch)
            if self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining) <= 0:
                return

    def _check_plans(self):
        """Check the batch; a plan that fails is noted on it and the others go on."""
        active = self.filtered(lambda p: p.state == "active")
        try:
            with self.env.cr.savepoint():
                active._apply_outcomes()
        except Exception:  # noqa: BLE001 - isolate the plan that fails, below
            _logger.info("Plan check failed, retrying plan by plan", exc_info=True)
            self.env.invalidate_all()
            for plan in active:
                try:
                    with self.env.cr.savepoint():
                        plan._apply_outcomes()
                except Exception as error:  # noqa: BLE001 - recorded, the check goes on
                    self.env.invalidate_all()
                    _logger.warning("Payment plan %s could not be checked: %s", plan.id, error)
                    plan.message_post(
                        body=self.env._(
                            "The payment plan check failed: %(error)s",
                            error=str(error) or error.__class__.__name__,
                        ),
                        subtype_xmlid="mail.mt_note",
                    )

    def _apply_outcomes(self):
        """Compute each plan's outcome with the engine and carry it out, set-based."""
        paid = self._get_paid_minor()
        open_items = self.env["account.collection.open.item"]
        completed = self.browse()
        broken = {}
        for plan in self:
            today = open_items._company_today(plan.company_id)
            outcome, late = engine.plan_outcome(
                plan._engine_instalments(), paid.get(plan.id, 0), today, plan.grace_days
            )
            if outcome == "completed":
                completed |= plan
            elif outcome == "broken":
                broken[plan] = (today, late)
        if completed:
            completed._mark_completed()
        if broken:
            self._mark_broken(broken)

    def _mark_completed(self):
        open_items = self.env["account.collection.open.item"]
        for plan in self:
            plan._collection_write(
                {
                    "state": "completed",
                    "end_date": open_items._company_today(plan.company_id),
                    "end_reason": self.env._("Every instalment was paid."),
                }
            )
            plan.message_post(
                body=self.env._("Payment plan completed: every instalment was paid."),
                subtype_xmlid="mail.mt_note",
            )

    @api.model
    def _mark_broken(self, broken):
        """Break the plans; dunning resumes on their invoices; the collector is told.

        :param broken: ``{plan: (day, engine.InstalmentStatus of the late instalment)}``.
        """
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        for plan, (day, late) in broken.items():
            currency = plan.currency_id
            reason = self.env._(
                "Instalment %(number)s of %(amount)s due on %(due)s is %(days)s days late "
                "(grace: %(grace)s days); %(open)s of it is unpaid.",
                number=late.instalment.sequence,
                amount=currency.format(from_minor(currency, late.instalment.amount)),
                due=fields.Date.to_string(late.instalment.due_date),
                days=late.days_late,
                grace=plan.grace_days,
                open=currency.format(from_minor(currency, late.open)),
            )
            plan._collection_write({"state": "broken", "end_date": day, "end_reason": reason})
            plan.message_post(
                body=self.env._(
                    "Payment plan broken: %(reason)s Dunning resumes on its invoices.",
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
            partner = plan.partner_id.with_company(plan.company_id)
            user = plan.user_id or partner.collection_collector_id
            plan.activity_schedule(
                activity_type_id=activity_type.id,
                date_deadline=day,
                user_id=(user or self.env.user).id,
                summary=self.env._("Payment plan %(plan)s broken", plan=plan.name),
                note=reason,
            )


class AccountCollectionPlanLine(models.Model):
    """One instalment of a payment plan, with what is paid of it."""

    _name = "account.collection.plan.line"
    _inherit = ["account.collection.guard.mixin"]
    _description = "Collections: payment plan instalment"
    _order = "plan_id, due_date, sequence, id"
    # the instalments follow the plan's terms: only the plan (re)builds them
    _collection_protected_fields = frozenset(
        {"sequence", "down_payment", "due_date", "amount", "company_id"}
    )
    _collection_locked_states = frozenset({"draft", "active", "completed", "broken", "cancelled"})
    _collection_parent_field = "plan_id"

    plan_id = fields.Many2one(
        "account.collection.plan", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    sequence = fields.Integer(string="#", readonly=True)
    down_payment = fields.Boolean(readonly=True)
    due_date = fields.Date(required=True, readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    amount_paid = fields.Monetary(compute="_compute_payment", string="Paid")
    amount_open = fields.Monetary(compute="_compute_payment", string="Open")
    days_late = fields.Integer(compute="_compute_payment")
    payment_state = fields.Selection(
        [("open", "Open"), ("partial", "Partly Paid"), ("late", "Late"), ("paid", "Paid")],
        compute="_compute_payment",
        string="Status",
    )

    def _compute_payment(self):
        statuses = self.plan_id._get_instalment_statuses()
        for line in self:
            status = statuses.get(line.id)
            if status is None:
                line.amount_paid = 0.0
                line.amount_open = line.amount
                line.days_late = 0
                line.payment_state = "open"
                continue
            currency = line.currency_id
            line.amount_paid = from_minor(currency, status.paid)
            line.amount_open = from_minor(currency, status.open)
            line.days_late = status.days_late
            line.payment_state = status.state
