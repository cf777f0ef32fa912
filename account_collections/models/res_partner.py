import datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError


class ResPartner(models.Model):
    _inherit = "res.partner"

    collector_id = fields.Many2one(
        "res.users",
        company_dependent=True,
        domain=[("share", "=", False)],
        help="Who works this customer's overdue invoices in this company. Empty: the salesperson.",
    )
    collection_policy_id = fields.Many2one(
        "account.collection.policy",
        string="Dunning Policy",
        company_dependent=True,
        help="The dunning policy this customer follows in this company. "
        "Empty: the company's default policy.",
    )
    collection_excluded = fields.Boolean(
        string="Excluded from Dunning",
        tracking=True,
        help="No reminders for this customer, in any company.",
    )
    collection_do_not_contact = fields.Boolean(
        string="Do Not Contact",
        tracking=True,
        help="The addon sends this customer nothing: no email, no letter.",
    )
    collection_bankrupt = fields.Boolean(
        string="Bankrupt or Closed",
        tracking=True,
        help="The daily write-off rule proposes everything this customer owes.",
    )
    collection_provision_specific = fields.Boolean(
        string="Specific Provision",
        company_dependent=True,
        help="Provide for this customer at its own rate instead of the aging buckets' rates.",
    )
    collection_provision_rate = fields.Float(
        string="Specific Provision (%)",
        company_dependent=True,
        digits=(5, 2),
        help="The share of what this customer owes provided for at each month-end.",
    )
    collection_provision_amount = fields.Monetary(
        string="Doubtful-Debt Allowance",
        compute="_compute_collection_provision_amount",
        currency_field="collection_currency_id",
        groups="account_collections.group_collections_user",
        help="The allowance of the last posted month-end provision for this customer.",
    )
    collection_level_id = fields.Many2one(
        "account.collection.level",
        string="Dunning Level",
        compute="_compute_collection_level_id",
        groups="account_collections.group_collections_user",
        help="The highest level held by the customer's open invoices in this company.",
    )
    collection_communication_count = fields.Integer(
        compute="_compute_collection_communication_count",
        string="Reminders",
        groups="account_collections.group_collections_user",
    )
    collection_currency_id = fields.Many2one(
        "res.currency", compute="_compute_collection_summary", string="Collections Currency"
    )
    collection_total_due = fields.Monetary(
        string="Receivable Balance",
        compute="_compute_collection_summary",
        currency_field="collection_currency_id",
        help="Net open receivable in this company: invoices minus credit notes and "
        "unapplied payments.",
    )
    collection_total_overdue = fields.Monetary(
        string="Total Overdue",
        compute="_compute_collection_summary",
        currency_field="collection_currency_id",
        help="Past-due amount after applying credit notes and unapplied payments to the "
        "oldest invoices first.",
    )
    collection_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_collection_summary",
        help="Days overdue of the oldest invoice still owed.",
    )
    collection_amount_current = fields.Monetary(
        string="Not Due",
        compute="_compute_collection_summary",
        currency_field="collection_currency_id",
    )
    collection_amount_1_30 = fields.Monetary(
        string="1-30 Days",
        compute="_compute_collection_summary",
        currency_field="collection_currency_id",
    )
    collection_amount_31_60 = fields.Monetary(
        string="31-60 Days",
        compute="_compute_collection_summary",
        currency_field="collection_currency_id",
    )
    collection_amount_61_90 = fields.Monetary(
        string="61-90 Days",
        compute="_compute_collection_summary",
        currency_field="collection_currency_id",
    )
    collection_amount_91_120 = fields.Monetary(
        string="91-120 Days",
        compute="_compute_collection_summary",
        currency_field="collection_currency_id",
    )
    collection_amount_over_120 = fields.Monetary(
        string="Over 120 Days",
        compute="_compute_collection_summary",
        currency_field="collection_currency_id",
    )
    collection_avg_days_to_pay = fields.Float(
        string="Average Days to Pay",
        digits=(16, 1),
        compute="_compute_collection_payment_days",
        help="Over the payments of the last 12 months in this company: days from the invoice "
        "date to the payment, weighted by the amount paid.",
    )
    collection_avg_days_late = fields.Float(
        string="Average Days Late",
        digits=(16, 1),
        compute="_compute_collection_payment_days",
        help="Over the payments of the last 12 months in this company: days paid after the due "
        "date (0 when on time), weighted by the amount paid.",
    )
    collection_collector_id = fields.Many2one(
        "res.users",
        string="Assigned Collector",
        compute="_compute_collection_collector_id",
        help="The collector, or the salesperson when no collector is set.",
    )
    collection_plan_ids = fields.One2many(
        "account.collection.plan",
        "partner_id",
        string="Payment Plans",
        groups="account_collections.group_collections_user",
    )
    collection_plan_count = fields.Integer(
        compute="_compute_collection_plan",
        string="Payment Plan Count",
        groups="account_collections.group_collections_user",
    )
    collection_plan_id = fields.Many2one(
        "account.collection.plan",
        compute="_compute_collection_plan",
        string="Active Payment Plan",
        groups="account_collections.group_collections_user",
        help="The customer's payment plan running in this company.",
    )
    collection_plan_progress = fields.Float(
        compute="_compute_collection_plan",
        string="Plan Progress",
        groups="account_collections.group_collections_user",
        help="Share of the active plan's total paid.",
    )
    collection_hold_ids = fields.One2many(
        "account.collection.hold",
        "partner_id",
        string="Credit Holds",
        groups="account_collections.group_collections_user",
    )
    collection_on_hold = fields.Boolean(
        string="On Credit Hold",
        compute="_compute_collection_hold",
        search="_search_collection_on_hold",
        help="A credit hold is in force for this customer in this company: no new sales on credit.",
    )
    collection_hold_reason = fields.Char(
        string="Credit Hold Reason",
        compute="_compute_collection_hold",
        help="Why the customer is on credit hold in this company.",
    )
    collection_hold_count = fields.Integer(
        compute="_compute_collection_hold",
        string="Credit Hold Count",
        groups="account_collections.group_collections_user",
    )

    # skip tracing: where a customer could be reached stays in its chatter history
    email = fields.Char(tracking=True)
    phone = fields.Char(tracking=True)
    street = fields.Char(tracking=True)
    street2 = fields.Char(tracking=True)
    zip = fields.Char(tracking=True)
    city = fields.Char(tracking=True)
    country_id = fields.Many2one(tracking=True)
    collection_skip_trace = fields.Boolean(
        string="Locate Customer",
        tracking=True,
        help="The customer's contact data is known to be wrong (returned mail, bounced "
        "email, wrong number): find where to reach it.",
    )
    collection_skip_trace_reason = fields.Char(
        string="Why Locate", tracking=True, help="What showed the contact data is wrong."
    )
    collection_contact = fields.Boolean(
        string="Collections Contact",
        help="This contact receives the company's reminders and collections letters, "
        "instead of the invoice address.",
    )
    collection_score = fields.Monetary(
        string="Expected Cash",
        compute="_compute_collection_score",
        currency_field="collection_currency_id",
        groups="account_collections.group_collections_user",
        help="The worklist score: overdue amount to act on times the chance of collecting it.",
    )
    collection_probability = fields.Float(
        string="Chance of Collecting",
        compute="_compute_collection_score",
        groups="account_collections.group_collections_user",
    )
    collection_score_explanation = fields.Html(
        string="Why This Customer Is on the Worklist",
        compute="_compute_collection_score",
        sanitize=False,
        groups="account_collections.group_collections_user",
    )
    collection_call_count = fields.Integer(
        compute="_compute_collection_workspace_counts",
        string="Calls",
        groups="account_collections.group_collections_user",
    )
    collection_promise_count = fields.Integer(
        compute="_compute_collection_workspace_counts",
        string="Promises",
        groups="account_collections.group_collections_user",
    )
    collection_dispute_count = fields.Integer(
        compute="_compute_collection_workspace_counts",
        string="Disputes",
        groups="account_collections.group_collections_user",
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends_context("company")
    def _compute_collection_hold(self):
        # everyone selling to the customer may see whether it is on hold (a narrow read)
        holds = (
            self.env["account.collection.hold"]
            .sudo()
            .search_fetch(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id", "state", "company_id", "reason"],
            )
        )
        counts, reasons = {}, {}
        for hold in holds:
            counts[hold.partner_id.id] = counts.get(hold.partner_id.id, 0) + 1
            if hold.state == "active" and hold.company_id == self.env.company:
                reasons.setdefault(hold.partner_id.id, []).append(hold.reason)
        for partner in self:
            commercial_id = partner.commercial_partner_id.id
            partner.collection_on_hold = commercial_id in reasons
            partner.collection_hold_reason = " ".join(reasons.get(commercial_id, [])) or False
            partner.collection_hold_count = counts.get(commercial_id, 0)

    def _search_collection_on_hold(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        held = (
            self.env["account.collection.hold"]
            .sudo()
            .search_fetch(
                [("state", "=", "active"), ("company_id", "=", self.env.company.id)],
                ["partner_id"],
            )
            .partner_id.ids
        )
        positive = (operator == "in") == (True in value)
        return [("commercial_partner_id", "in" if positive else "not in", held)]

    @api.depends_context("company")
    def _compute_collection_plan(self):
        plans = self.env["account.collection.plan"].search_fetch(
            [("partner_id", "in", self.commercial_partner_id.ids)],
            ["partner_id", "state", "company_id"],
            order="id desc",
        )
        counts = {}
        active = {}
        for plan in plans:
            counts[plan.partner_id] = counts.get(plan.partner_id, 0) + 1
            if plan.state == "active" and plan.company_id == self.env.company:
                active.setdefault(plan.partner_id, plan)
        # one batch for the progress of every running plan
        running = self.env["account.collection.plan"].union(*active.values())
        progress = dict(zip(running, running.mapped("progress"), strict=True))
        for partner in self:
            commercial = partner.commercial_partner_id
            plan = active.get(commercial, self.env["account.collection.plan"])
            partner.collection_plan_count = counts.get(commercial, 0)
            partner.collection_plan_id = plan
            partner.collection_plan_progress = progress.get(plan, 0.0)

    @api.depends_context("company")
    def _compute_collection_score(self):
        company = self.env.company
        worklist = self.env["account.collection.worklist"]
        scores = worklist._get_scores(company, self.filtered("id"))
        for partner in self:
            values = scores.get(partner.commercial_partner_id.id, ({}, None))[0]
            partner.collection_score = values.get("score", 0.0)
            partner.collection_probability = values.get("probability", 0.0)
            partner.collection_score_explanation = worklist._explain(values, company.currency_id)

    @api.depends_context("company")
    def _compute_collection_workspace_counts(self):
        company = self.env.company
        counts = {}
        for model in ("call", "promise", "dispute"):
            counts[model] = dict(
                self.env[f"account.collection.{model}"]._read_group(
                    [
                        ("partner_id", "in", self.commercial_partner_id.ids),
                        ("company_id", "=", company.id),
                    ],
                    ["partner_id"],
                    ["__count"],
                )
            )
        for partner in self:
            commercial = partner.commercial_partner_id
            partner.collection_call_count = counts["call"].get(commercial, 0)
            partner.collection_promise_count = counts["promise"].get(commercial, 0)
            partner.collection_dispute_count = counts["dispute"].get(commercial, 0)

    @api.depends_context("company")
    def _compute_collection_summary(self):
        company = self.env.company
        summaries = self.env["account.collection.open.item"]._get_customer_summaries(
            self.filtered("id"), company
        )
        bucket_fields = self.env["account.collection.overview"]._bucket_field_names()
        for partner in self:
            row = summaries.get((company.id, partner.commercial_partner_id.id), {})
            partner.collection_currency_id = company.currency_id
            partner.collection_total_due = row.get("total_due", 0.0)
            partner.collection_total_overdue = row.get("total_overdue", 0.0)
            partner.collection_days_overdue = row.get("days_overdue", 0)
            for name in bucket_fields:
                partner["collection_" + name] = row.get(name, 0.0)

    @api.depends_context("company")
    def _compute_collection_provision_amount(self):
        company = self.env.company
        last = self.env["account.collection.provision"].search(
            [("company_id", "=", company.id), ("state", "=", "posted")], order="date desc", limit=1
        )
        amounts = (
            dict(
                self.env["account.collection.provision.line"]._read_group(
                    [
                        ("provision_id", "=", last.id),
                        ("partner_id", "in", self.commercial_partner_id.ids),
                    ],
                    ["partner_id"],
                    ["amount:sum"],
                )
            )
            if last
            else {}
        )
        for partner in self:
            partner.collection_provision_amount = amounts.get(partner.commercial_partner_id, 0.0)

    @api.constrains("collection_provision_rate")
    def _check_collection_provision_rate(self):
        for partner in self:
            if not 0 <= partner.collection_provision_rate <= 100:
                raise ValidationError(
                    self.env._("A specific provision rate lies between 0 and 100 percent.")
                )

    @api.depends_context("company")
    def _compute_collection_level_id(self):
        company = self.env.company
        run = self.env["account.collection.run"].new(
            {
                "company_id": company.id,
                "date": self.env["account.collection.open.item"]._company_today(company),
            }
        )
        levels = run._get_current_levels(self.commercial_partner_id.ids)
        for partner in self:
            partner.collection_level_id = levels.get(partner.commercial_partner_id.id, False)

    def _compute_collection_communication_count(self):
        counts = dict(
            self.env["account.collection.communication"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.collection_communication_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends_context("company")
    def _compute_collection_payment_days(self):
        company = self.env.company
        days = self.env["account.collection.kpi.snapshot"]._get_payment_days(
            company, self.commercial_partner_id.ids
        )
        for partner in self:
            to_pay, late = days.get(partner.commercial_partner_id.id, (0.0, 0.0))
            partner.collection_avg_days_to_pay = to_pay
            partner.collection_avg_days_late = late

    @api.depends("collector_id", "user_id")
    @api.depends_context("company")
    def _compute_collection_collector_id(self):
        for partner in self:
            partner.collection_collector_id = partner.collector_id or partner.user_id

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    def action_open_collection_communications(self):
        """The reminders and letters sent to this customer."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_communication"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False}
        return action

    def action_open_collection_plans(self):
        """The customer's payment plans."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_plan"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_create_collection_plan(self):
        """The wizard drawing up a payment plan over the customer's overdue invoices."""
        self.ensure_one()
        return self.env["res.partner.create.plan"]._get_action(
            self.commercial_partner_id, self.env.company
        )

    def action_open_collection_holds(self):
        """The customer's credit holds, in force and past."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_hold"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "search_default_in_force": 0,
        }
        return action

    def action_place_collection_hold(self):
        """Put the customer on hold by hand, with a reason (collections manager)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Put on Credit Hold"),
            "res_model": "account.collection.hold",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_reason_type": "manual",
            },
        }

    def write(self, vals):
        collector_change = "collector_id" in vals or "user_id" in vals
        if collector_change:
            company = self.env.company
            before = {
                partner.id: partner.with_company(company).collection_collector_id.id
                for partner in self
            }
        result = super().write(vals)
        if collector_change:
            self.env["account.collection.collector.history"]._record(company, before, self)
            self.env["account.collection.worklist"]._sync_collectors(
                self.commercial_partner_id, self.env.company
            )
        return result

    def action_log_collection_call(self):
        """Log a call with this customer (a form in a dialog)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a Call"),
            "res_model": "account.collection.call",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_company_id": self.env.company.id,
            },
        }

    def action_open_collection_calls(self):
        """The calls logged with this customer."""
        return self._collection_workspace_action(
            "account_collections.action_account_collection_call"
        )

    def action_open_collection_promises(self):
        """The customer's promises to pay."""
        return self._collection_workspace_action(
            "account_collections.action_account_collection_promise"
        )

    def action_open_collection_disputes(self):
        """The customer's disputes."""
        return self._collection_workspace_action(
            "account_collections.action_account_collection_dispute"
        )

    def _collection_workspace_action(self, xmlid):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_collection_located(self):
        """The customer's contact data is right again: out of the "locate" queue."""
        if not self.env.user.has_group("account_collections.group_collections_user"):
            raise AccessError(self.env._("Only collections users work the locate queue."))
        self.sudo().write({"collection_skip_trace": False, "collection_skip_trace_reason": False})
        return True

    def action_collection_mail_returned(self):
        """The post returned a letter: the address is wrong, locate the customer."""
        if not self.env.user.has_group("account_collections.group_collections_user"):
            raise AccessError(self.env._("Only collections users work the locate queue."))
        for partner in self:
            partner._collection_mark_skip_trace(
                self.env._("Letter returned by the post"),
                partner.with_company(self.env.company).collection_collector_id or self.env.user,
                self.env.company,
            )
        return True

    def action_open_collection_timeline(self):
        """Everything that happened with this customer, newest first."""
        return self._collection_workspace_action(
            "account_collections.action_account_collection_timeline"
        )

    def _message_receive_bounce(self, email, partner):
        """A bounced email puts a customer in the "locate customer" queue."""
        result = super()._message_receive_bounce(email, partner)
        customers = self.commercial_partner_id.filtered(
            lambda p: p.customer_rank and not p.collection_skip_trace
        )
        company = self.env.company
        for customer in customers:
            customer._collection_mark_skip_trace(
                self.env._("Email to %(email)s bounced", email=email),
                customer.with_company(company).collection_collector_id
                or customer.user_id
                or self.env.ref("base.user_root"),
                company,
            )
        return result

    def _collection_mark_skip_trace(self, reason, user, company):
        """Put the customers in the "locate customer" queue, with a skip-trace activity."""
        customers = self.commercial_partner_id.sudo()
        customers.write({"collection_skip_trace": True, "collection_skip_trace_reason": reason})
        today = self.env["account.collection.open.item"]._company_today(company)
        customers.activity_schedule(
            "account_collections.mail_activity_type_skip_trace",
            date_deadline=today + datetime.timedelta(days=1),
            summary=self.env._("Locate the customer: %(reason)s", reason=reason),
            user_id=user.id,
        )

    def _get_collection_policy(self, company):
        """``{partner: policy}`` for the customers in ``self``, in ``company``."""
        default = self.env["account.collection.policy"]._get_default_policy(company)
        partners = self.with_company(company)
        partners.fetch(["collection_policy_id"])  # that field only, one query
        return {partner: partner.collection_policy_id or default for partner in partners}

    def action_open_collection_invoices(self):
        """The customer's open invoices and credit notes in the current company."""
        self.ensure_one()
        return self._get_collection_invoices_action(self.env.company)

    def _get_collection_invoices_action(self, company):
        """Window action listing the customer's open invoices and credit notes."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            ("company_id", "=", company.id),
            ("move_type", "in", ("out_invoice", "out_refund", "out_receipt")),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        action["context"] = {"create": False}
        action["name"] = self.env._(
            "Open invoices of %(name)s", name=self.commercial_partner_id.display_name
        )
        return action

    def action_collection_propose_writeoff(self):
        """Propose writing off the customer's open invoices in the current company."""
        self.ensure_one()
        Writeoff = self.env["account.collection.writeoff"]
        moves = Writeoff._get_proposable_moves(self, self.env.company)
        if not moves:
            raise UserError(
                self.env._(
                    "%(name)s has no open invoice to write off (invoices already in a write-off "
                    "proposal are left out).",
                    name=self.commercial_partner_id.display_name,
                )
            )
        return Writeoff._propose(moves).action_open()

    def action_open_collection_writeoffs(self):
        """The write-offs of this customer."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_writeoff"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_collection_claim(self):
        """Draft a court claim for the customer's overdue invoices in the current company."""
        self.ensure_one()
        return self.env["account.collection.claim"]._draft_for(self).action_open()

    def action_open_collection_claims(self):
        """The court claims against this customer."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_claim"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_collection_return(self):
        """A draft return agreement for this customer in the current company."""
        self.ensure_one()
        return (
            self.env["account.collection.return"]
            .create(
                {"partner_id": self.commercial_partner_id.id, "company_id": self.env.company.id}
            )
            .action_open()
        )

    def action_open_collection_returns(self):
        """The return agreements of this customer."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_return"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_collection_place_with_agency(self):
        """Propose placing the customer's overdue invoices with a collection agency."""
        self.ensure_one()
        placement = self.env["account.collection.placement"]._propose(self, self.env.company)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_placement"
        )
        action.update({"res_id": placement.id, "views": [(False, "form")], "view_mode": "form"})
        return action
