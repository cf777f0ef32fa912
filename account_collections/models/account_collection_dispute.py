import datetime

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

#: Days the responsible user gets to resolve a dispute.
RESOLVE_DAYS = 7


class AccountCollectionDispute(models.Model):
    """A customer disputes one or more invoices, for a reason and an amount.

    While it is open its invoices carry the "Disputed" flag
    (``account.move.collection_disputed``), the one dunning reads (seam 2,
    reason "disputed"): reminders skip them. The invoice's salesperson (or the
    company's dispute handler) gets an activity to resolve it. It ends by a
    credit note (linked), a rejection (dunning resumes and the customer is
    told, through the send service), or a settlement.
    """

    _name = "account.collection.dispute"
    _inherit = ["mail.thread", "mail.activity.mixin", "account.collection.guard.mixin"]
    _description = "Collections: disputed invoices"
    _order = "date desc, id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset({"state", "resolved_date"})

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
        domain=[("is_company", "=", True)],
    )
    call_id = fields.Many2one("account.collection.call", index="btree_not_null")
    move_ids = fields.Many2many(
        "account.move",
        "account_collection_dispute_move_rel",
        "dispute_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), ('state', '=', 'posted'),"
        " ('move_type', 'in', ('out_invoice', 'out_receipt'))]",
    )
    date = fields.Date(
        required=True,
        default=lambda self: self.env["account.collection.open.item"]._company_today(
            self.env.company
        ),
    )
    reason = fields.Selection(
        [
            ("price", "Wrong Price"),
            ("quantity", "Wrong Quantity"),
            ("quality", "Quality or Damage"),
            ("not_received", "Goods or Service Not Received"),
            ("missing_po", "Missing Purchase Order"),
            ("duplicate", "Duplicate Invoice"),
            ("other", "Other"),
        ],
        required=True,
        tracking=True,
    )
    amount = fields.Monetary(
        string="Disputed Amount",
        compute="_compute_amount",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        tracking=True,
    )
    description = fields.Text()
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        domain=[("share", "=", False)],
        help="Who resolves the dispute: the invoice's salesperson, else the company's "
        "dispute handler.",
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("credit_note", "Credit Note"),
            ("rejected", "Rejected"),
            ("settled", "Settled"),
        ],
        default="open",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    credit_note_id = fields.Many2one(
        "account.move",
        check_company=True,
        tracking=True,
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_refund'),"
        " ('state', '=', 'posted')]",
    )
    resolution_note = fields.Text()
    resolved_date = fields.Date(readonly=True)
    communication_ids = fields.One2many(
        "account.collection.communication", "dispute_id", string="Messages Sent", readonly=True
    )

    _amount_positive = models.Constraint(
        "CHECK (amount > 0)", "The disputed amount must be positive."
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("move_ids")
    def _compute_amount(self):
        for dispute in self:
            dispute.amount = dispute.currency_id.round(
                sum(dispute.move_ids.mapped("amount_residual_signed"))
            )

    @api.depends("move_ids", "company_id")
    def _compute_user_id(self):
        for dispute in self:
            dispute.user_id = (
                dispute.move_ids.invoice_user_id[:1]
                or dispute.company_id.collection_dispute_user_id
                or dispute.user_id
                or self.env.user
            )

    @api.depends("partner_id", "date", "reason")
    def _compute_display_name(self):
        reasons = dict(self._fields["reason"]._description_selection(self.env))
        for dispute in self:
            dispute.display_name = self.env._(
                "Dispute %(customer)s (%(reason)s)",
                customer=dispute.partner_id.display_name or "",
                reason=reasons.get(dispute.reason, ""),
            )

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------

    @api.constrains("move_ids", "partner_id", "credit_note_id")
    def _check_moves(self):
        for dispute in self:
            customer = dispute.partner_id.commercial_partner_id
            wrong = dispute.move_ids._collection_not_invoices_of(customer)
            if wrong:
                raise ValidationError(
                    self.env._(
                        "A dispute covers posted invoices of its customer only: %(moves)s.",
                        moves=", ".join(wrong.mapped("display_name")),
                    )
                )
            note = dispute.credit_note_id
            if note and (note.commercial_partner_id != customer or note.move_type != "out_refund"):
                raise ValidationError(
                    self.env._(
                        "The credit note must be one of %(customer)s's credit notes.",
                        customer=customer.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._check_collections_user()
        for vals in vals_list:
            if vals.get("partner_id"):
                partner = self.env["res.partner"].browse(vals["partner_id"])
                vals["partner_id"] = partner.commercial_partner_id.id
        disputes = super().create(vals_list)
        disputes.move_ids._collection_sync_disputed()
        disputes._schedule_resolution()
        disputes._log_on_customers(self.env._("Dispute opened"))
        disputes._refresh_worklist()
        return disputes

    def write(self, vals):
        if set(vals) & {"move_ids", "partner_id", "company_id"} and any(
            dispute.state != "open" for dispute in self
        ):
            raise UserError(self.env._("A resolved dispute keeps its invoices."))
        old_moves = self.move_ids
        result = super().write(vals)
        if "move_ids" in vals:
            (old_moves | self.move_ids)._collection_sync_disputed()
        return result

    def unlink(self):
        moves = self.move_ids
        result = super().unlink()
        # a deleted dispute no longer holds its invoices out of dunning
        moves._collection_sync_disputed()
        return result

    @api.model
    def _check_collections_user(self):
        if not self.env.su and not self.env.user.has_group(
            "account_collections.group_collections_user"
        ):
            raise AccessError(self.env._("Only collections users open and resolve disputes."))

    # ------------------------------------------------------------------
    # BUSINESS: resolution
    # ------------------------------------------------------------------

    def action_resolve_credit_note(self):
        """Resolved by the linked credit note: the invoices net against it."""
        for dispute in self:
            if not dispute.credit_note_id:
                raise UserError(self.env._("Choose the credit note that resolves the dispute."))
            if dispute.credit_note_id.state != "posted":
                raise UserError(self.env._("The credit note must be posted."))
        return self._resolve("credit_note")

    def action_reject(self):
        """The dispute is rejected: dunning resumes and the customer is told."""
        self._resolve("rejected")
        self._send_rejections()
        return True

    def action_settle(self):
        """Settled otherwise (agreed with the customer): dunning resumes."""
        return self._resolve("settled")

    def _resolve(self, state):
        self._check_collections_user()
        if any(dispute.state != "open" for dispute in self):
            raise UserError(self.env._("Only open disputes can be resolved."))
        today = self.env["account.collection.open.item"]._company_today(self.company_id[:1])
        self._collection_write({"state": state, "resolved_date": today})
        self.move_ids._collection_sync_disputed()
        states = dict(self._fields["state"]._description_selection(self.env))
        self.sudo().activity_feedback(
            ["account_collections.mail_activity_type_dispute"],
            feedback=self.env._("Resolved: %(state)s", state=states[state]),
            only_automated=False,
        )
        for dispute in self:
            dispute._log_on_customers(
                self.env._("Dispute resolved: %(state)s", state=states[state])
            )
        self._refresh_worklist()
        return True

    def _send_rejections(self):
        """Tell each customer its dispute is rejected, by the send service."""
        template = self.env.ref("account_collections.mail_template_dispute_rejected")
        open_items = self.env["account.collection.open.item"]
        vals_list = []
        lines_list = []
        for dispute in self:
            today = open_items._company_today(dispute.company_id)
            lines = [
                {
                    "move_id": move.id,
                    "amount_residual": move.amount_residual,
                    "amount_residual_company": move.amount_residual_signed,
                    "due_date": move.invoice_date_due,
                    "days_overdue": (today - move.invoice_date_due).days
                    if move.invoice_date_due
                    else 0,
                }
                for move in dispute.move_ids
            ]
            lines_list.append(lines)
            lang = dispute.partner_id.lang or self.env.lang
            vals_list.append(
                {
                    "company_id": dispute.company_id.id,
                    "partner_id": dispute.partner_id.id,
                    "kind": "dispute_rejected",
                    "dispute_id": dispute.id,
                    "date": today,
                    "send_email": True,
                    "mail_template_id": template.id,
                    "email_attach_letter": False,
                    "send_letter": False,
                    "amount_total": dispute.currency_id.round(
                        sum(line["amount_residual_company"] for line in lines)
                    ),
                    "body_text": dispute.with_context(lang=lang)._get_rejection_text(),
                }
            )
        return self.env["account.collection.communication"].sudo()._send(vals_list, lines_list)

    def _get_rejection_text(self):
        """The paragraph telling the customer the dispute is rejected."""
        self.ensure_one()
        text = Markup("<p>%s</p>") % self.env._(
            "We have reviewed your dispute of the invoices below and found them correct. "
            "Please pay the amount still owed."
        )
        if self.resolution_note:
            text += Markup("<p>%s</p>") % self.resolution_note
        return text

    # ------------------------------------------------------------------
    # BUSINESS: helpers
    # ------------------------------------------------------------------

    def _schedule_resolution(self):
        """An activity for the responsible user of each dispute, to resolve it."""
        open_items = self.env["account.collection.open.item"]
        for dispute in self:
            today = open_items._company_today(dispute.company_id)
            dispute.sudo().activity_schedule(
                "account_collections.mail_activity_type_dispute",
                date_deadline=today + datetime.timedelta(days=RESOLVE_DAYS),
                summary=self.env._(
                    "Resolve the dispute of %(customer)s: %(amount)s",
                    customer=dispute.partner_id.display_name,
                    amount=dispute.currency_id.format(dispute.amount),
                ),
                note=dispute.description or False,
                user_id=dispute.user_id.id,
            )

    def _log_on_customers(self, title):
        """A note on the customer and the invoices, so the dispute shows in their history."""
        for dispute in self:
            body = Markup("<p><strong>%s</strong></p><p>%s: %s</p>") % (
                title,
                dispute.display_name,
                dispute.currency_id.format(dispute.amount),
            )
            dispute.partner_id.sudo().message_post(
                body=body, subtype_xmlid="mail.mt_note", author_id=self.env.user.partner_id.id
            )
            for move in dispute.move_ids.sudo():
                move.message_post(
                    body=body, subtype_xmlid="mail.mt_note", author_id=self.env.user.partner_id.id
                )

    def _refresh_worklist(self):
        """Rescore the customers of ``self`` on their companies' worklists."""
        for company, disputes in self.grouped("company_id").items():
            self.env["account.collection.worklist"]._refresh(company, disputes.partner_id)

    @api.model
    def _get_open_dispute_move_ids(self, moves):
        """The ids of ``moves`` that an open dispute covers (one query)."""
        self.flush_model(["state", "move_ids"])
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT rel.move_id FROM account_collection_dispute_move_rel rel
                     JOIN account_collection_dispute dispute ON dispute.id = rel.dispute_id
                    WHERE dispute.state = 'open' AND rel.move_id = ANY(%s)""",
                moves.ids,
            )
        )
        return {move_id for (move_id,) in rows}
