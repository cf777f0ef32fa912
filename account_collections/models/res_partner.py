from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


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
    collection_collector_id = fields.Many2one(
        "res.users",
        string="Assigned Collector",
        compute="_compute_collection_collector_id",
        help="The collector, or the salesperson when no collector is set.",
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

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

    def action_collection_place_with_agency(self):
        """Propose placing the customer's overdue invoices with a collection agency."""
        self.ensure_one()
        placement = self.env["account.collection.placement"]._propose(self, self.env.company)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_placement"
        )
        action.update({"res_id": placement.id, "views": [(False, "form")], "view_mode": "form"})
        return action
