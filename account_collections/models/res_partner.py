import datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError


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
    collection_collector_id = fields.Many2one(
        "res.users",
        string="Assigned Collector",
        compute="_compute_collection_collector_id",
        help="The collector, or the salesperson when no collector is set.",
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

    def write(self, vals):
        result = super().write(vals)
        if "collector_id" in vals or "user_id" in vals:
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
