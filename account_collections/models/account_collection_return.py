from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import float_compare

from .account_collection_guard import changes_are_trusted

#: States in which a return line holds its invoice line's quantity.
HOLDING_STATES = ("agreed", "received", "done")

#: What an agreement is made of: fixed once agreed (note stays open).
LOCKED_FIELDS = frozenset(
    {
        "partner_id",
        "company_id",
        "return_type",
        "line_ids",
        "cost_amount",
        "cost_account_id",
        "cost_counterpart_account_id",
        "cost_journal_id",
        "state",
        "date",
        "agreed_by_id",
        "date_received",
    }
)


class AccountCollectionReturn(models.Model):
    """Goods a customer gives back (or the company takes back) against its debt.

    Proposed by a collector, agreed by a collections manager (invoice lines,
    quantities, condition and agreed value), then marked received: a credit
    note for the agreed value, with the invoice's taxes, is posted and
    reconciled with each invoice; repossession costs get their own entry.
    While agreed and not yet received, its invoices are out of dunning.
    """

    _name = "account.collection.return"
    _inherit = ["mail.thread", "mail.activity.mixin", "account.collection.guard.mixin"]
    _description = "Collections: return agreement"
    _order = "date desc, id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset({"state", "agreed_by_id", "date_received", "move_ids"})

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
    date = fields.Date(
        string="Agreed On",
        required=True,
        default=lambda self: self.env["account.collection.open.item"]._company_today(
            self.env.company
        ),
    )
    return_type = fields.Selection(
        [("returned", "Returned by the Customer"), ("repossessed", "Repossessed")],
        string="Type",
        required=True,
        default="returned",
        tracking=True,
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("agreed", "Agreed"),
            ("received", "Received"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="draft",
        readonly=True,
        index=True,
        tracking=True,
    )
    line_ids = fields.One2many(
        "account.collection.return.line", "return_id", string="Goods", copy=True
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id", store=True)
    amount_untaxed = fields.Monetary(
        string="Agreed Value",
        compute="_compute_amount_untaxed",
        store=True,
        tracking=True,
        help="The agreed value of the goods, before the invoices' taxes.",
    )
    cost_amount = fields.Monetary(
        string="Repossession Costs",
        currency_field="company_currency_id",
        tracking=True,
        help="What taking the goods back cost the company, booked as an expense on receipt.",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    cost_account_id = fields.Many2one(
        "account.account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="The expense account the repossession costs are booked to.",
    )
    cost_counterpart_account_id = fields.Many2one(
        "account.account",
        string="Costs Paid From",
        check_company=True,
        domain="[('account_type', 'not in', ('asset_receivable', 'liability_payable'))]",
        help="Where the costs were paid from or are owed on (a bank, an accrual).",
    )
    cost_journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        compute="_compute_cost_journal_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    date_received = fields.Date(string="Received On", readonly=True, copy=False)
    agreed_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    move_ids = fields.One2many(
        "account.move", "collection_return_id", string="Entries", readonly=True
    )
    move_count = fields.Integer(compute="_compute_move_count", string="Entry Count")
    note = fields.Html(help="What was agreed with the customer, the goods' condition in words.")

    _cost_amount_positive = models.Constraint(
        "CHECK(cost_amount IS NULL OR cost_amount >= 0)",
        "Repossession costs cannot be negative.",
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("line_ids.currency_id", "company_id")
    def _compute_currency_id(self):
        for agreement in self:
            agreement.currency_id = (
                agreement.line_ids.currency_id[:1] or agreement.company_id.currency_id
            )

    @api.depends("line_ids.amount")
    def _compute_amount_untaxed(self):
        for agreement in self:
            agreement.amount_untaxed = sum(agreement.line_ids.mapped("amount"))

    @api.depends("company_id")
    def _compute_cost_journal_id(self):
        Journal = self.env["account.journal"]
        journals = {
            company: Journal.search(
                [*Journal._check_company_domain(company), ("type", "=", "general")], limit=1
            )
            for company in self.company_id
        }
        for agreement in self:
            if agreement.cost_journal_id.company_id != agreement.company_id:
                agreement.cost_journal_id = journals.get(agreement.company_id, Journal)

    def _compute_move_count(self):
        for agreement in self:
            agreement.move_count = len(agreement.move_ids)

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------

    @api.constrains("state")
    def _check_posted_entries(self):
        """Received means credited: no received or closed return without its credit note."""
        for agreement in self.filtered(lambda a: a.state in ("received", "done")):
            if not agreement.move_ids.filtered(lambda move: move.state == "posted"):
                raise ValidationError(
                    self.env._(
                        "%(name)s cannot be received without its posted credit note.",
                        name=agreement.name,
                    )
                )

    @api.constrains("line_ids")
    def _check_currency(self):
        for agreement in self:
            if len(agreement.line_ids.currency_id) > 1:
                raise ValidationError(
                    self.env._(
                        "%(name)s mixes invoices in several currencies; make one agreement "
                        "per currency.",
                        name=agreement.name,
                    )
                )

    @api.constrains("cost_amount", "cost_account_id", "cost_counterpart_account_id")
    def _check_cost_accounts(self):
        for agreement in self:
            if agreement.cost_amount and not (
                agreement.cost_account_id and agreement.cost_counterpart_account_id
            ):
                raise ValidationError(
                    self.env._(
                        "%(name)s: repossession costs need a cost account and the account "
                        "they were paid from.",
                        name=agreement.name,
                    )
                )

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = (
                    sequence.with_company(company).next_by_code("account.collection.return") or "/"
                )
        return super().create(vals_list)

    def write(self, vals):
        if set(vals) & LOCKED_FIELDS:
            self._check_draft()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_draft(self):
        if any(agreement.state not in ("draft", "cancelled") for agreement in self):
            raise UserError(
                self.env._("Agreed or received returns stay on record; cancel them instead.")
            )

    def _write_internal(self, vals):
        return self._collection_write(vals)

    def _check_draft(self):
        """Goods of an agreed return stay as agreed."""
        if changes_are_trusted(self.env):
            return
        fixed = self.filtered(lambda agreement: agreement.state != "draft")
        if fixed:
            raise UserError(
                self.env._(
                    "%(names)s is no longer a draft: it stays as agreed.",
                    names=", ".join(fixed.mapped("name")),
                )
            )

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    @api.model
    def _prepare_from_invoices(self, invoices):
        """Values of a draft agreement per customer taking back every product
        line of ``invoices`` still returnable, at its invoiced unit price."""
        invoices = invoices.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted"
        )
        if not invoices:
            raise UserError(self.env._("Select posted customer invoices."))
        lines = invoices.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        remaining = self.env["account.collection.return.line"]._remaining_quantities(lines)
        digits = self.env["decimal.precision"].precision_get("Product Unit")
        vals_list = []
        for (partner, company), moves in invoices.grouped(
            lambda move: (move.commercial_partner_id, move.company_id)
        ).items():
            line_cmds = [
                Command.create(
                    {
                        "invoice_line_id": line.id,
                        "quantity": remaining[line.id],
                        "price_unit": line.price_unit * (1 - (line.discount or 0.0) / 100),
                    }
                )
                for line in lines.filtered(lambda line, m=moves: line.move_id in m)
                if float_compare(remaining[line.id], 0, precision_digits=digits) > 0
            ]
            if not line_cmds:
                raise UserError(
                    self.env._(
                        "Everything invoiced on %(moves)s has already been taken back.",
                        moves=", ".join(moves.mapped("name")),
                    )
                )
            vals_list.append(
                {"partner_id": partner.id, "company_id": company.id, "line_ids": line_cmds}
            )
        return vals_list

    def action_open(self):
        """The agreement(s) in a form or a list."""
        action = {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "name": self.env._("Return Agreements"),
        }
        if len(self) == 1:
            action.update(res_id=self.id, views=[(False, "form")])
        else:
            action.update(domain=[("id", "in", self.ids)], views=[(False, "list"), (False, "form")])
        return action

    def _check_collections_manager(self):
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise AccessError(self.env._("Only collections managers can agree or cancel returns."))

    def _check_state(self, states, message):
        if any(agreement.state not in states for agreement in self):
            raise UserError(message)

    def action_agree(self):
        """Agree the return with the customer (collections manager)."""
        self._check_collections_manager()
        self._check_state(("draft",), self.env._("Only draft returns can be agreed."))
        for agreement in self:
            if not agreement.line_ids:
                raise UserError(
                    self.env._("%(name)s lists no goods to take back.", name=agreement.name)
                )
        OpenItem = self.env["account.collection.open.item"]
        for company, agreements in self.grouped("company_id").items():
            agreements._write_internal(
                {
                    "state": "agreed",
                    "agreed_by_id": self.env.uid,
                    "date": OpenItem._company_today(company),
                }
            )
        # the quantities held by other agreements may have moved since the draft
        self.line_ids._check_quantity()
        return True

    def action_cancel(self):
        """Cancel an agreement not yet received: its invoices go back to dunning."""
        self._check_state(
            ("draft", "agreed"), self.env._("Only draft or agreed returns can be cancelled.")
        )
        if self.filtered(lambda agreement: agreement.state == "agreed"):
            self._check_collections_manager()
        self._write_internal({"state": "cancelled"})
        return True

    def action_reset_draft(self):
        """Back to draft from cancelled."""
        self._check_state(("cancelled",), self.env._("Only cancelled returns go back to draft."))
        self._write_internal({"state": "draft", "agreed_by_id": False})
        return True

    def action_receive(self):
        """The goods came back: post the credit notes and the repossession costs.

        One credit note per invoice, for the agreed value with the invoice
        lines' taxes, posted and reconciled with the invoice; the costs, if
        any, in their own entry. Rights were checked here; the posting runs
        with sudo so that a collector needs no invoicing rights.
        """
        if not self.env.user.has_group("account_collections.group_collections_user"):
            raise AccessError(self.env._("Only collections users can mark returns received."))
        self._check_state(("agreed",), self.env._("Only agreed returns can be received."))
        self.check_access("write")
        self.sudo()._post_receipt()
        return True

    def action_done(self):
        """Close a received return."""
        self._check_state(("received",), self.env._("Only received returns can be closed."))
        self._write_internal({"state": "done"})
        return True

    def _receipt_day(self):
        return self.env["account.collection.open.item"]._company_today(self.company_id)

    def _post_receipt(self):
        Writeoff = self.env["account.collection.writeoff"]
        for agreement in self:
            day = agreement._receipt_day()
            invoices = agreement.line_ids.move_id
            refund_vals = []
            messages = []
            for invoice in invoices.sorted("id"):
                date, message = Writeoff._first_open_date(
                    agreement.company_id, day, invoice.journal_id, has_tax=True
                )
                messages.append(message)
                refund_vals.append(agreement._prepare_refund_vals(invoice, date))
            refunds = self.env["account.move"].create(refund_vals)
            refunds._post(soft=False)
            for refund in refunds:
                open_lines = (refund.line_ids + refund.reversed_entry_id.line_ids).filtered(
                    lambda line: line.account_type == "asset_receivable" and not line.reconciled
                )
                for account_lines in open_lines.grouped("account_id").values():
                    account_lines.reconcile()
            moves = refunds
            if not agreement.company_currency_id.is_zero(agreement.cost_amount):
                cost_move = self.env["account.move"].create(agreement._prepare_cost_vals(day))
                cost_move._post(soft=False)
                moves |= cost_move
            agreement._write_internal({"state": "received", "date_received": day})
            body = Markup("%s %s") % (
                self.env._("Received; posted:"),
                Markup(", ").join(move._get_html_link() for move in moves),
            )
            for message in dict.fromkeys(filter(None, messages)):
                body += Markup("<br/>") + message
            agreement.message_post(body=body)

    def _prepare_refund_vals(self, invoice, date):
        """A credit note of ``invoice`` for this agreement's lines on it."""
        self.ensure_one()
        label = self.env._("Return %(name)s", name=self.name)
        return {
            "move_type": "out_refund",
            "company_id": self.company_id.id,
            "journal_id": invoice.journal_id.id,
            "partner_id": invoice.partner_id.id,
            "currency_id": invoice.currency_id.id,
            "fiscal_position_id": invoice.fiscal_position_id.id,
            "invoice_date": date,
            "date": date,
            "ref": f"{label} ({invoice.name})",
            "reversed_entry_id": invoice.id,
            "invoice_payment_term_id": False,
            "collection_return_id": self.id,
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": line.invoice_line_id.name,
                        "product_id": line.product_id.id,
                        "product_uom_id": line.invoice_line_id.product_uom_id.id,
                        "account_id": line.invoice_line_id.account_id.id,
                        "analytic_distribution": line.invoice_line_id.analytic_distribution,
                        "quantity": line.quantity,
                        "price_unit": line.price_unit,
                        "tax_ids": [Command.set(line.invoice_line_id.tax_ids.ids)],
                    }
                )
                for line in self.line_ids.filtered(lambda line: line.move_id == invoice)
            ],
        }

    def _prepare_cost_vals(self, day):
        """The repossession costs: expense against where they were paid from."""
        self.ensure_one()
        journal = self.cost_journal_id
        if not journal:
            raise UserError(
                self.env._(
                    "%(name)s: choose the journal of the repossession costs.", name=self.name
                )
            )
        date, _message = self.env["account.collection.writeoff"]._first_open_date(
            self.company_id, day, journal, has_tax=False
        )
        label = self.env._("Repossession costs %(name)s", name=self.name)
        return {
            "move_type": "entry",
            "company_id": self.company_id.id,
            "journal_id": journal.id,
            "date": date,
            "ref": label,
            "partner_id": self.partner_id.id,
            "collection_return_id": self.id,
            "line_ids": [
                Command.create(
                    {
                        "name": label,
                        "account_id": self.cost_account_id.id,
                        "partner_id": self.partner_id.id,
                        "balance": self.cost_amount,
                    }
                ),
                Command.create(
                    {
                        "name": label,
                        "account_id": self.cost_counterpart_account_id.id,
                        "balance": -self.cost_amount,
                    }
                ),
            ],
        }

    def action_open_moves(self):
        """The credit notes and cost entries of this return."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "name": self.env._("Entries of %(name)s", name=self.name),
            "domain": [("id", "in", self.move_ids.ids)],
            "views": [(False, "list"), (False, "form")],
        }


class AccountCollectionReturnLine(models.Model):
    """An invoice line's goods coming back: quantity, condition, agreed value."""

    _name = "account.collection.return.line"
    _description = "Collections: returned goods"
    _order = "return_id, id"
    _check_company_auto = True

    return_id = fields.Many2one(
        "account.collection.return", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="return_id.company_id", store=True, index=True)
    state = fields.Selection(related="return_id.state", store=True)
    invoice_line_id = fields.Many2one(
        "account.move.line",
        required=True,
        index=True,
        check_company=True,
        domain="[('move_id.move_type', '=', 'out_invoice'), ('move_id.state', '=', 'posted'), "
        "('display_type', '=', 'product'), ('company_id', '=', company_id)]",
    )
    move_id = fields.Many2one(
        related="invoice_line_id.move_id", string="Invoice", store=True, index=True
    )
    product_id = fields.Many2one(related="invoice_line_id.product_id")
    currency_id = fields.Many2one(related="invoice_line_id.currency_id", store=True)
    quantity_invoiced = fields.Float(
        related="invoice_line_id.quantity", string="Invoiced", digits="Product Unit"
    )
    quantity = fields.Float(string="Quantity Returned", digits="Product Unit", required=True)
    price_unit = fields.Float(
        string="Agreed Unit Value",
        digits="Product Price",
        compute="_compute_price_unit",
        store=True,
        readonly=False,
        precompute=True,
        help="Before tax, as the invoice line's price; the invoice's taxes are added on "
        "the credit note.",
    )
    condition = fields.Selection(
        [("new", "As New"), ("used", "Used"), ("damaged", "Damaged")],
        required=True,
        default="used",
    )
    amount = fields.Monetary(string="Agreed Value", compute="_compute_amount", store=True)

    _quantity_positive = models.Constraint(
        "CHECK(quantity > 0)", "The quantity returned must be positive."
    )
    _price_unit_positive = models.Constraint(
        "CHECK(price_unit >= 0)", "The agreed value cannot be negative."
    )

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.return_id._check_draft()
        return lines

    def write(self, vals):
        self.return_id._check_draft()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_agreed(self):
        self.return_id.filtered(lambda agreement: agreement.state != "cancelled")._check_draft()

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("invoice_line_id")
    def _compute_price_unit(self):
        for line in self:
            invoiced = line.invoice_line_id
            line.price_unit = invoiced.price_unit * (1 - (invoiced.discount or 0.0) / 100)

    @api.depends("quantity", "price_unit", "currency_id")
    def _compute_amount(self):
        for line in self:
            amount = line.quantity * line.price_unit
            line.amount = line.currency_id.round(amount) if line.currency_id else amount

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------

    @api.constrains("invoice_line_id", "return_id")
    def _check_invoice(self):
        for line in self:
            invoice = line.invoice_line_id.move_id
            agreement = line.return_id
            if (
                invoice.move_type != "out_invoice"
                or invoice.state != "posted"
                or invoice.currency_id.is_zero(invoice.amount_residual)
                or line.invoice_line_id.display_type != "product"
            ):
                raise ValidationError(
                    self.env._(
                        "%(invoice)s: only product lines of posted, open customer invoices can "
                        "be taken back.",
                        invoice=invoice.display_name,
                    )
                )
            if (
                invoice.commercial_partner_id != agreement.partner_id.commercial_partner_id
                or invoice.company_id != agreement.company_id
            ):
                raise ValidationError(
                    self.env._(
                        "%(invoice)s is not an invoice of %(customer)s in %(company)s.",
                        invoice=invoice.display_name,
                        customer=agreement.partner_id.display_name,
                        company=agreement.company_id.name,
                    )
                )

    @api.constrains("quantity", "invoice_line_id")
    def _check_quantity(self):
        """No more comes back than was invoiced, counting other agreed returns."""
        lines = self.invoice_line_id
        remaining = self._remaining_quantities(lines, self.return_id)
        digits = self.env["decimal.precision"].precision_get("Product Unit")
        for line in self:
            invoiced = line.invoice_line_id
            if float_compare(remaining[invoiced.id], 0, precision_digits=digits) < 0:
                left = remaining[invoiced.id] + sum(
                    self.filtered(lambda other, i=invoiced: other.invoice_line_id == i).mapped(
                        "quantity"
                    )
                )
                raise ValidationError(
                    self.env._(
                        "%(invoice)s, %(line)s: at most %(left)s can still come back "
                        "(%(invoiced)s invoiced).",
                        invoice=invoiced.move_id.display_name,
                        line=invoiced.name or invoiced.product_id.display_name,
                        left=max(left, 0),
                        invoiced=invoiced.quantity,
                    )
                )

    @api.model
    def _remaining_quantities(self, invoice_lines, agreements=None):
        """``{invoice line id: quantity invoiced less what returns hold}``.

        Held: lines of agreed, received or done returns, and every line of
        ``agreements`` whatever their state.
        """
        self.flush_model(["quantity", "invoice_line_id", "state", "return_id"])
        holding = Domain("state", "in", HOLDING_STATES)
        if agreements:
            holding |= Domain("return_id", "in", agreements.ids)
        held = dict(
            self.sudo()._read_group(
                Domain("invoice_line_id", "in", invoice_lines.ids) & holding,
                ["invoice_line_id"],
                ["quantity:sum"],
            )
        )
        return {line.id: line.quantity - held.get(line, 0.0) for line in invoice_lines}
