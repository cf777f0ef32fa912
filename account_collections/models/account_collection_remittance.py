from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine import agency as agency_rules
from .account_collection_plan import from_minor, to_minor


class AccountCollectionRemittance(models.Model):
    """What a collection agency paid over for the accounts placed with it.

    Per placed invoice: what the agency collected (gross), its commission
    (by the rate the debt was placed at) and the net it pays. Posting books
    one entry in the bank journal: the net on the bank, the commission as an
    expense, the gross off each customer's receivable, reconciled with the
    invoice by Odoo. Posted entries are never edited.
    """

    _name = "account.collection.remittance"
    _inherit = ["mail.thread", "account.collection.guard.mixin"]
    _description = "Collections: agency remittance"
    _order = "date desc, id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset(
        {"state", "move_id", "amount_gross", "amount_commission", "amount_net"}
    )
    _collection_locked_states = frozenset({"posted"})
    _collection_locked_fields = frozenset(
        {"company_id", "agency_id", "date", "journal_id", "line_ids"}
    )

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    agency_id = fields.Many2one(
        "account.collection.agency", required=True, check_company=True, tracking=True
    )
    date = fields.Date(
        required=True,
        default=lambda self: self.env["account.collection.open.item"]._company_today(
            self.env.company
        ),
        tracking=True,
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Received In",
        required=True,
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash'))]",
    )
    reference = fields.Char(help="The agency's statement or transfer reference.")
    state = fields.Selection(
        [("draft", "Draft"), ("posted", "Posted")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
    )
    line_ids = fields.One2many(
        "account.collection.remittance.line",
        "remittance_id",
        string="Invoices Collected",
        copy=False,
    )
    amount_gross = fields.Monetary(string="Collected", compute="_compute_totals", store=True)
    amount_commission = fields.Monetary(string="Commission", compute="_compute_totals", store=True)
    amount_net = fields.Monetary(string="Net Received", compute="_compute_totals", store=True)
    move_id = fields.Many2one("account.move", string="Entry", readonly=True, copy=False)

    _posted_with_entry = models.Constraint(
        "CHECK (state != 'posted' OR move_id IS NOT NULL)",
        "A posted remittance has its journal entry.",
    )

    # ---- COMPUTE ----

    @api.depends("agency_id", "date", "reference")
    def _compute_name(self):
        for remittance in self:
            remittance.name = " ".join(
                filter(
                    None,
                    [
                        remittance.agency_id.name or "",
                        remittance.reference or "",
                        remittance.date and fields.Date.to_string(remittance.date) or "",
                    ],
                )
            )

    @api.depends("line_ids.gross", "line_ids.commission")
    def _compute_totals(self):
        for remittance in self:
            currency = remittance.currency_id
            gross = sum(remittance.line_ids.mapped("gross"))
            commission = sum(remittance.line_ids.mapped("commission"))
            remittance.amount_gross = currency.round(gross)
            remittance.amount_commission = currency.round(commission)
            remittance.amount_net = currency.round(gross - commission)

    # ---- LOW-LEVEL ----

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(remittance.state == "posted" for remittance in self):
            raise UserError(self.env._("A posted remittance stays on record."))

    # ---- BUSINESS ----

    def _check_collections_manager(self):
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise AccessError(self.env._("Only collections managers post agency remittances."))

    def action_post(self):
        """Book the remittances: one posted entry each, reconciled with the invoices."""
        self._check_collections_manager()
        if any(remittance.state != "draft" for remittance in self):
            raise UserError(self.env._("Only draft remittances can be posted."))
        for remittance in self:
            remittance._check_postable()
        for remittance in self:
            remittance.sudo()._post()
        return True

    def _check_postable(self):
        self.ensure_one()
        currency = self.currency_id
        if not self.line_ids:
            raise UserError(self.env._("A remittance lists at least one collected invoice."))
        if currency.compare_amounts(self.amount_commission, 0) > 0 and not (
            self.agency_id.commission_account_id
        ):
            raise UserError(
                self.env._(
                    "Set the commission expense account of the agency %(agency)s first.",
                    agency=self.agency_id.name,
                )
            )
        if not self.journal_id.default_account_id:
            raise UserError(
                self.env._("The journal %(journal)s has no account.", journal=self.journal_id.name)
            )
        for line in self.line_ids:
            move = line.move_id
            owed = abs(move.amount_residual_signed)
            if currency.compare_amounts(line.gross, 0) <= 0:
                raise UserError(self.env._("Each collected amount is positive."))
            if currency.compare_amounts(line.gross, owed) > 0:
                raise UserError(
                    self.env._(
                        "%(invoice)s owes %(owed)s: the agency cannot have collected "
                        "%(gross)s on it.",
                        invoice=move.display_name,
                        owed=currency.format(owed),
                        gross=currency.format(line.gross),
                    )
                )
            if not 0 <= line.commission <= line.gross:
                raise UserError(
                    self.env._(
                        "The commission on %(invoice)s lies between 0 and what was collected.",
                        invoice=move.display_name,
                    )
                )

    def _post(self):
        self.ensure_one()
        company = self.company_id
        label = self.env._("Agency remittance: %(name)s", name=self.name)
        day, lock_message = self.env["account.collection.writeoff"]._first_open_date(
            company, self.date, self.journal_id, False
        )
        line_vals = [
            Command.create(
                {
                    "name": label,
                    "account_id": self.journal_id.default_account_id.id,
                    "partner_id": self.agency_id.partner_id.id,
                    "balance": self.amount_net,
                }
            )
        ]
        if not self.currency_id.is_zero(self.amount_commission):
            line_vals.append(
                Command.create(
                    {
                        "name": self.env._("Commission: %(name)s", name=self.name),
                        "account_id": self.agency_id.commission_account_id.id,
                        "partner_id": self.agency_id.partner_id.id,
                        "balance": self.amount_commission,
                    }
                )
            )
        receivables = {}
        for line in self.line_ids:
            receivable = line.move_id.line_ids.filtered(
                lambda aml: aml.account_type == "asset_receivable" and not aml.reconciled
            )
            receivables[line] = receivable
            line_vals.append(
                Command.create(
                    {
                        "name": self.env._("%(label)s, %(invoice)s", label=label,
                                           invoice=line.move_id.name),
                        "account_id": receivable[:1].account_id.id,
                        "partner_id": line.move_id.commercial_partner_id.id,
                        "balance": -line.gross,
                    }
                )
            )  # fmt: skip
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "company_id": company.id,
                "journal_id": self.journal_id.id,
                "date": day,
                "ref": label,
                "line_ids": line_vals,
            }
        )
        move._post(soft=False)
        credits = move.line_ids.filtered(lambda aml: aml.account_type == "asset_receivable")
        for line, credit in zip(self.line_ids, credits, strict=True):
            (credit + receivables[line]).reconcile()
        self._collection_write({"state": "posted", "move_id": move.id})
        body = Markup("%s %s") % (self.env._("Posted:"), move._get_html_link())
        if lock_message:
            body += Markup("<br/>") + lock_message
        self.message_post(body=body)

    def action_add_placed_invoices(self):
        """List every invoice placed with the agency and still owed, to fill in."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("Only draft remittances can be changed."))
        lines = self.env["account.collection.placement.line"].search(
            [
                ("placement_id.agency_id", "=", self.agency_id.id),
                ("state", "=", "placed"),
                ("move_id.payment_state", "in", ("not_paid", "partial")),
                ("id", "not in", self.line_ids.placement_line_id.ids),
            ]
        )
        self.write(
            {
                "line_ids": [
                    Command.create({"placement_line_id": line.id, "gross": 0.0}) for line in lines
                ]
            }
        )
        return True

    def action_open_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "views": [(False, "form")],
        }


class AccountCollectionRemittanceLine(models.Model):
    """One placed invoice in an agency remittance: collected, commission, net."""

    _name = "account.collection.remittance.line"
    _inherit = ["account.collection.guard.mixin"]
    _description = "Collections: invoice in an agency remittance"
    _order = "remittance_id, id"
    _check_company_auto = True
    _collection_protected_fields = frozenset({"company_id", "state", "net"})
    _collection_locked_states = frozenset({"posted"})
    _collection_parent_field = "remittance_id"

    remittance_id = fields.Many2one(
        "account.collection.remittance", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="remittance_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="remittance_id.currency_id")
    state = fields.Selection(related="remittance_id.state", store=True)
    placement_line_id = fields.Many2one(
        "account.collection.placement.line",
        string="Placed Invoice",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    move_id = fields.Many2one(related="placement_line_id.move_id", store=True, index=True)
    partner_id = fields.Many2one(related="placement_line_id.placement_id.partner_id", store=True)
    commission_rate = fields.Float(related="placement_line_id.commission_rate")
    gross = fields.Monetary(string="Collected")
    commission = fields.Monetary(
        compute="_compute_commission",
        store=True,
        readonly=False,
        precompute=True,
        help="By the rate the debt was placed at; editable.",
    )
    net = fields.Monetary(compute="_compute_net", store=True)

    @api.depends("gross", "placement_line_id.commission_rate")
    def _compute_commission(self):
        for line in self:
            currency = line.currency_id or line.env.company.currency_id
            placed = line.placement_line_id
            # placements made before the rate was kept per invoice: the contract's
            rate = placed.commission_rate or placed.placement_id.commission_rate
            line.commission = from_minor(
                currency, agency_rules.commission(to_minor(currency, line.gross), rate)
            )

    @api.depends("gross", "commission")
    def _compute_net(self):
        for line in self:
            line.net = (line.currency_id or line.env.company.currency_id).round(
                line.gross - line.commission
            )


class AccountCollectionAgencyStatement(models.Model):
    """Per agency: what was placed with it, collected through its
    remittances, its commission, and what was recalled; one row per placed
    invoice, live (a view over placements and posted remittances)."""

    _name = "account.collection.agency.statement"
    _description = "Collections: agency statement"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "move_id"
    _depends = {
        "account.collection.placement": ["agency_id", "date", "partner_id", "state"],
        "account.collection.placement.line": [
            "amount_residual_company",
            "move_id",
            "placement_id",
        ],
        "account.collection.remittance.line": ["commission", "gross", "placement_line_id"],
        "account.collection.remittance": ["move_id", "state"],
        "account.collection.agency": ["commission_on_direct_payments"],
        "account.partial.reconcile": ["amount", "credit_move_id", "debit_move_id", "max_date"],
    }

    agency_id = fields.Many2one("account.collection.agency", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    placement_id = fields.Many2one("account.collection.placement", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    date = fields.Date(string="Placed On", readonly=True)
    state = fields.Selection([("placed", "Placed"), ("recalled", "Recalled")], readonly=True)
    amount_placed = fields.Monetary(string="Placed", readonly=True, aggregator="sum")
    amount_collected = fields.Monetary(string="Collected", readonly=True, aggregator="sum")
    amount_commission = fields.Monetary(string="Commission", readonly=True, aggregator="sum")
    amount_net = fields.Monetary(string="Net Received", readonly=True, aggregator="sum")
    amount_direct = fields.Monetary(
        string="Paid Directly",
        readonly=True,
        aggregator="sum",
        help="Paid by the customer to the company (bank or cash) since the placement.",
    )
    amount_direct_commission = fields.Monetary(
        string="Commission on Direct Payments",
        readonly=True,
        aggregator="sum",
        help="Owed to the agency on the direct payments, when its contract says so.",
    )
    amount_recalled = fields.Monetary(
        string="Recalled",
        readonly=True,
        aggregator="sum",
        help="What was placed and not collected, for recalled placements.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT line.id, placement.agency_id, placement.company_id,
                   company.currency_id, placement.id AS placement_id, placement.partner_id,
                   line.move_id, placement.date, placement.state,
                   line.amount_residual_company AS amount_placed,
                   COALESCE(collected.gross, 0) AS amount_collected,
                   COALESCE(collected.commission, 0) AS amount_commission,
                   COALESCE(collected.gross, 0) - COALESCE(collected.commission, 0)
                       AS amount_net,
                   COALESCE(direct.amount, 0) AS amount_direct,
                   CASE WHEN agency.commission_on_direct_payments
                        THEN ROUND(COALESCE(direct.amount, 0)
                                   * COALESCE(NULLIF(line.commission_rate, 0),
                                              placement.commission_rate, 0) / 100,
                                   currency.decimal_places)
                        ELSE 0 END AS amount_direct_commission,
                   CASE WHEN placement.state = 'recalled'
                        THEN GREATEST(line.amount_residual_company
                                      - COALESCE(collected.gross, 0)
                                      - COALESCE(direct.amount, 0), 0)
                        ELSE 0 END AS amount_recalled
              FROM account_collection_placement_line line
              JOIN account_collection_placement placement ON placement.id = line.placement_id
              JOIN res_company company ON company.id = placement.company_id
              JOIN res_currency currency ON currency.id = company.currency_id
              JOIN account_collection_agency agency ON agency.id = placement.agency_id
              LEFT JOIN LATERAL (
                   SELECT SUM(partial.amount) AS amount
                     FROM account_move_line debit
                     JOIN account_partial_reconcile partial ON partial.debit_move_id = debit.id
                     JOIN account_move_line credit ON credit.id = partial.credit_move_id
                     JOIN account_move paid_by ON paid_by.id = credit.move_id
                     JOIN account_journal journal ON journal.id = paid_by.journal_id
                    WHERE debit.move_id = line.move_id
                      AND journal.type IN ('bank', 'cash')
                      AND partial.max_date >= placement.date
                      AND NOT EXISTS (SELECT 1 FROM account_collection_remittance remittance
                                       WHERE remittance.move_id = paid_by.id)
              ) direct ON TRUE
              LEFT JOIN LATERAL (
                   SELECT SUM(remitted.gross) AS gross, SUM(remitted.commission) AS commission
                     FROM account_collection_remittance_line remitted
                     JOIN account_collection_remittance remittance
                       ON remittance.id = remitted.remittance_id
                    WHERE remitted.placement_line_id = line.id
                      AND remittance.state = 'posted'
              ) collected ON TRUE
             WHERE placement.state IN ('placed', 'recalled')
            """
        )
