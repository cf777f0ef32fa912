from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine.aging import days_overdue
from .account_collection_guard import changes_are_trusted

#: Links from an entry to the collections records it books or belongs to, and the
#: daily checks' marks: set by those records' methods only, never by a client (an
#: entry unlinked from its posted write-off would leave the write-off without it).
COLLECTION_LINK_FIELDS = frozenset(
    {
        "collection_writeoff_id",
        "collection_writeoff_recovery_id",
        "collection_return_id",
        "collection_dispute_ids",
        "collection_promise_ids",
        "collection_plan_ids",
        "collection_claim_ids",
        "collection_cod_flagged",
        "collection_limitation_warned",
    }
)


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_excluded = fields.Boolean(
        string="Excluded from Dunning",
        copy=False,
        tracking=True,
        help="No reminder mentions this invoice; the customer's other invoices are "
        "reminded as usual.",
    )
    collection_disputed = fields.Boolean(
        string="Disputed",
        copy=False,
        tracking=True,
        help="Dunning pauses on this invoice while the customer disputes it.",
    )
    collection_writeoff_id = fields.Many2one(
        "account.collection.writeoff",
        string="Write-off",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The write-off this entry (or credit note) books.",
    )
    collection_writeoff_recovery_id = fields.Many2one(
        "account.collection.writeoff",
        string="Recovery Of",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The write-off whose debt this entry books as recovered.",
    )
    collection_return_id = fields.Many2one(
        "account.collection.return",
        string="Return Agreement",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The return agreement whose credit note or repossession costs this entry books.",
    )
    collection_exclusion_reasons = fields.Char(
        string="Out of Dunning",
        compute="_compute_collection_exclusion_reasons",
        help="Why no reminder mentions this invoice now.",
    )
    collection_level_id = fields.Many2one(
        "account.collection.level",
        string="Dunning Level",
        compute="_compute_collection_level",
        groups="account_collections.group_collections_user",
        help="The last level this invoice reached, from the reminders sent.",
    )
    collection_level_date = fields.Date(
        string="Level Reached On",
        compute="_compute_collection_level",
        groups="account_collections.group_collections_user",
    )
    collection_communication_count = fields.Integer(
        string="Reminders",
        compute="_compute_collection_level",
        groups="account_collections.group_collections_user",
    )
    collection_dispute_ids = fields.Many2many(
        "account.collection.dispute",
        "account_collection_dispute_move_rel",
        "move_id",
        "dispute_id",
        string="Disputes",
        copy=False,
        readonly=True,
        groups="account_collections.group_collections_user",
    )
    collection_promise_ids = fields.Many2many(
        "account.collection.promise",
        "account_collection_promise_move_rel",
        "move_id",
        "promise_id",
        string="Promises to Pay",
        copy=False,
        readonly=True,
        groups="account_collections.group_collections_user",
    )
    collection_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_collection_days_overdue",
        help="Days since the earliest due date still open on this invoice, in the "
        "company's time zone. Each instalment of a payment term counts on its own.",
    )

    # the dunning evaluation anti-joins the few entries out of dunning: find
    # them without reading every entry
    _collection_excluded_idx = models.Index("(id) WHERE collection_excluded IS TRUE")
    _collection_disputed_idx = models.Index("(id) WHERE collection_disputed IS TRUE")

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._collection_check_links(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._collection_check_links(vals)
        return super().write(vals)

    def _collection_check_links(self, vals):
        linked = COLLECTION_LINK_FIELDS & set(vals)
        if linked and not changes_are_trusted(self.env):
            raise AccessError(
                self.env._(
                    "%(fields)s of an entry are set by the collections records themselves.",
                    fields=", ".join(sorted(self._fields[name].string for name in linked)),
                )
            )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("collection_excluded", "collection_disputed", "partner_id")
    def _compute_collection_exclusion_reasons(self):
        reasons = self.env["account.collection.open.item"]._get_exclusion_reasons_by_move(
            self.filtered("id")
        )
        for move in self:
            move.collection_exclusion_reasons = ", ".join(reasons.get(move.id, []))

    def _compute_collection_level(self):
        reached = {
            state.move_id.id: state
            for state in self.env["account.collection.move.level"]
            .sudo()
            .search_fetch([("move_id", "in", self.ids)], ["move_id", "level_id", "date"])
        }
        counts = dict(
            self.env["account.collection.communication.line"]._read_group(
                [("move_id", "in", self.ids), ("communication_id.state", "=", "sent")],
                ["move_id"],
                ["__count"],
            )
        )
        for move in self:
            state = reached.get(move.id)
            move.collection_level_id = state.level_id if state else False
            move.collection_level_date = state.date if state else False
            move.collection_communication_count = counts.get(move, 0)

    def action_open_collection_disputes(self):
        """The disputes of this invoice."""
        self.ensure_one()
        return self._collection_history_action(
            "account_collections.action_account_collection_dispute", self.collection_dispute_ids
        )

    def action_open_collection_promises(self):
        """The promises to pay this invoice."""
        self.ensure_one()
        return self._collection_history_action(
            "account_collections.action_account_collection_promise", self.collection_promise_ids
        )

    def action_collection_dispute(self):
        """Open a dispute on the selected invoices."""
        partner = self.commercial_partner_id
        if len(partner) != 1:
            raise UserError(self.env._("Dispute invoices of one customer at a time."))
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.collection.dispute",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": partner.id,
                "default_company_id": self.company_id[:1].id,
                "default_move_ids": self.ids,
            },
        }

    def _collection_history_action(self, xmlid, records):
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("id", "in", records.ids)]
        action["context"] = {"create": False}
        return action

    def _collection_sync_disputed(self):
        """Set the "Disputed" flag on the invoices an open dispute covers, clear it
        on the others of ``self``: the flag dunning reads follows the disputes."""
        disputed = self.env["account.collection.dispute"]._get_open_dispute_move_ids(self)
        to_set = self.filtered(lambda move: move.id in disputed and not move.collection_disputed)
        to_clear = self.filtered(lambda move: move.id not in disputed and move.collection_disputed)
        to_set.sudo().write({"collection_disputed": True})
        to_clear.sudo().write({"collection_disputed": False})

    def _collection_not_invoices_of(self, customer):
        """The entries of ``self`` that are not posted invoices of ``customer``
        (a commercial partner): what a promise or a dispute may not cover."""
        return self.filtered(
            lambda move: (
                move.commercial_partner_id != customer
                or move.state != "posted"
                or not move.is_sale_document(include_receipts=True)
            )
        )

    def _collection_not_open_invoices_of(self, customer):
        """The entries of ``self`` that are not posted, open customer invoices of
        ``customer`` (a commercial partner): what a write-off, a placement, a claim or
        a return may not cover. A credit note is refused too: it owes nothing."""
        return self._collection_not_invoices_of(customer) | self.filtered(
            lambda move: (
                move.move_type not in ("out_invoice", "out_receipt")
                or move.currency_id.is_zero(move.amount_residual)
            )
        )

    def action_open_collection_communications(self):
        """The reminders that listed this invoice."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_communication"
        )
        action["domain"] = [("line_ids.move_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    @api.depends("line_ids.amount_residual", "line_ids.date_maturity", "state")
    @api.depends_context("company")
    def _compute_collection_days_overdue(self):
        open_items = self.env["account.collection.open.item"]
        today_by_company = {}
        for move in self:
            due_dates = [
                line.date_maturity or line.date
                for line in move.line_ids
                if line.account_type == "asset_receivable"
                and not line.reconciled
                and move.company_currency_id.compare_amounts(line.amount_residual, 0) > 0
            ]
            if move.state != "posted" or not due_dates:
                move.collection_days_overdue = 0
                continue
            company = move.company_id
            if company not in today_by_company:
                today_by_company[company] = open_items._company_today(company)
            move.collection_days_overdue = max(
                0, days_overdue(min(due_dates), today_by_company[company])
            )

    # ------------------------------------------------------------------
    # Payment plans
    # ------------------------------------------------------------------

    collection_plan_ids = fields.Many2many(
        "account.collection.plan",
        "account_collection_plan_move_rel",
        "move_id",
        "plan_id",
        string="Payment Plans",
        copy=False,
        readonly=True,
        groups="account_collections.group_collections_user",
    )
    collection_plan_id = fields.Many2one(
        "account.collection.plan",
        string="Payment Plan",
        compute="_compute_collection_plan",
        groups="account_collections.group_collections_user",
        help="The payment plan covering this invoice: the running one, else the latest.",
    )
    collection_plan_state = fields.Selection(
        lambda self: self.env["account.collection.plan"]._fields["state"].selection,
        compute="_compute_collection_plan",
        string="Plan Status",
        groups="account_collections.group_collections_user",
    )
    collection_plan_progress = fields.Float(
        compute="_compute_collection_plan",
        string="Plan Progress",
        groups="account_collections.group_collections_user",
    )

    @api.depends("collection_plan_ids.state")
    def _compute_collection_plan(self):
        plans = self.collection_plan_ids
        running = plans.filtered(lambda p: p.state == "active")
        progress = dict(zip(running, running.mapped("progress"), strict=True))
        for move in self:
            candidates = move.collection_plan_ids.sorted("id", reverse=True)
            plan = candidates.filtered(lambda p: p.state == "active")[:1] or candidates[:1]
            move.collection_plan_id = plan
            move.collection_plan_state = plan.state
            move.collection_plan_progress = progress.get(plan, 0.0)

    def action_open_collection_plan(self):
        """The payment plan covering this invoice."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.collection.plan",
            "res_id": self.collection_plan_id.id,
            "views": [(False, "form")],
        }

    def action_collection_propose_writeoff(self):
        """Propose writing off the selected invoices: one proposal per customer."""
        writeoffs = self.env["account.collection.writeoff"]._propose(self)
        return writeoffs.action_open()

    # ------------------------------------------------------------------
    # Limitation dates and court claims
    # ------------------------------------------------------------------

    collection_limitation_date = fields.Date(
        string="Limitation Date",
        compute="_compute_collection_limitation_date",
        groups="account_collections.group_collections_user",
        help="The day this invoice becomes statute-barred: the company's limitation period "
        "after its due date or the customer's last payment or promise to pay.",
    )
    collection_cod_flagged = fields.Date(
        string="Cash on Delivery Unpaid Since",
        readonly=True,
        copy=False,
        groups="account_collections.group_collections_user",
        help="The day the cash-on-delivery check found this invoice still unpaid.",
    )
    collection_limitation_warned = fields.Date(
        string="Limitation Warned For",
        readonly=True,
        copy=False,
        groups="account_collections.group_collections_user",
        help="The limitation date the collector was last warned about.",
    )
    collection_claim_ids = fields.Many2many(
        "account.collection.claim",
        "account_collection_claim_move_rel",
        "move_id",
        "claim_id",
        string="Court Claims",
        copy=False,
        readonly=True,
        groups="account_collections.group_collections_user",
    )

    @api.depends("line_ids.amount_residual", "line_ids.date_maturity", "state")
    def _compute_collection_limitation_date(self):
        invoices = self.filtered(
            lambda move: (
                move.state == "posted"
                and move.move_type in ("out_invoice", "out_receipt")
                and move.id
            )
        )
        dates = self.env["account.collection.claim"]._get_limitation_dates(invoices)
        for move in self:
            move.collection_limitation_date = dates.get(move.id) or False

    def action_collection_claim(self):
        """Draft a court claim for the selected invoices: one claim per customer."""
        claims = self.env["account.collection.claim"]
        for customer, moves in self.grouped("commercial_partner_id").items():
            claims |= claims._draft_for(customer, moves)
        return claims.action_open()

    def action_open_collection_claims(self):
        self.ensure_one()
        return self._collection_history_action(
            "account_collections.action_account_collection_claim", self.collection_claim_ids
        )

    def action_collection_return(self):
        """Draft return agreements taking back the selected invoices' goods."""
        Return = self.env["account.collection.return"]
        return Return.create(Return._prepare_from_invoices(self)).action_open()
