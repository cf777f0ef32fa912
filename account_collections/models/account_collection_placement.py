import csv
import io
from collections import defaultdict
from datetime import timedelta

import xlsxwriter
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

#: States in which a placement holds its invoices: out of dunning, no other placement.
ACTIVE_STATES = ("proposed", "placed")

#: Columns of the file sent to the agency, in order.
EXPORT_COLUMNS = (
    "customer",
    "vat",
    "street",
    "zip",
    "city",
    "country",
    "email",
    "phone",
    "invoice",
    "invoice_date",
    "due_date",
    "days_overdue",
    "currency",
    "open_amount",
    "reminders_sent",
    "last_reminder",
)


class AccountCollectionPlacement(models.Model):
    """A customer's overdue invoices placed with a collection agency.

    Proposed by hand, placed on a collections manager's approval: the
    invoices and their open amounts are recorded at that moment, the customer
    gets a placement notice through the send service (seams 3 and 4) and the
    invoices leave dunning (seam 2) until the placement is recalled.
    """

    _name = "account.collection.placement"
    _inherit = ["mail.thread", "mail.activity.mixin", "account.collection.guard.mixin"]
    _description = "Collections: placement with a collection agency"
    _order = "date desc, id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset(
        {"state", "date", "commission_rate", "communication_id"}
    )
    _collection_locked_states = frozenset({"placed", "recalled", "cancelled"})
    _collection_locked_fields = frozenset({"agency_id", "partner_id", "company_id", "line_ids"})

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    agency_id = fields.Many2one(
        "account.collection.agency",
        required=True,
        check_company=True,
        tracking=True,
        default=lambda self: self.env["account.collection.agency"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        ),
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True
    )
    date = fields.Date(string="Placed On", readonly=True, copy=False)
    recall_date = fields.Date(
        compute="_compute_recall_date",
        store=True,
        help="Due for recall on this day, by the agency's contract, if not collected.",
    )
    commission_rate = fields.Float(
        string="Commission (%)",
        digits=(5, 2),
        readonly=True,
        help="The agency's commission when placed.",
    )
    state = fields.Selection(
        [
            ("proposed", "Proposed"),
            ("placed", "Placed"),
            ("recalled", "Recalled"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="proposed",
        readonly=True,
        index=True,
        tracking=True,
    )
    line_ids = fields.One2many(
        "account.collection.placement.line", "placement_id", string="Invoices", copy=False
    )
    amount_total = fields.Monetary(
        string="Amount Placed", compute="_compute_amount_total", store=True
    )
    communication_id = fields.Many2one(
        "account.collection.communication", string="Placement Notice", readonly=True, copy=False
    )
    note = fields.Text()

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("partner_id", "agency_id")
    def _compute_name(self):
        for placement in self:
            placement.name = self.env._(
                "%(customer)s with %(agency)s",
                customer=placement.partner_id.name or "",
                agency=placement.agency_id.name or "",
            )

    @api.depends("date", "agency_id.recall_days")
    def _compute_recall_date(self):
        for placement in self:
            placement.recall_date = placement.date and placement.date + timedelta(
                days=placement.agency_id.recall_days
            )

    @api.depends("line_ids.amount_residual_company")
    def _compute_amount_total(self):
        for placement in self:
            placement.amount_total = placement.currency_id.round(
                sum(placement.line_ids.mapped("amount_residual_company"))
            )

    # ------------------------------------------------------------------
    # BUSINESS: proposing
    # ------------------------------------------------------------------

    @api.model
    def _get_placeable_moves(self, partners, company):
        """The customers' overdue invoices (seam 1) not placed nor being placed."""
        open_items = self.env["account.collection.open.item"]
        open_items._flush_open_items()
        self.env["account.collection.placement.line"].flush_model(["move_id", "state"])
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT items.move_id
                     FROM (%s) items
                     JOIN account_move move ON move.id = items.move_id
                    WHERE items.amount > 0 AND items.days_overdue > 0
                      AND move.move_type IN ('out_invoice', 'out_receipt')
                      AND NOT EXISTS (SELECT 1 FROM account_collection_placement_line pl
                                       WHERE pl.move_id = items.move_id AND pl.state IN %s)
                    ORDER BY items.move_id""",
                open_items._open_items_sql(
                    open_items._as_of_dates(company),
                    partners.commercial_partner_id.ids,
                    skip_excluded=True,
                ),
                ACTIVE_STATES,
            )
        )
        return self.env["account.move"].browse([move_id for (move_id,) in rows])

    @api.model
    def _propose(self, partner, company, agency=None):
        """A placement proposal of the customer's overdue invoices."""
        agency = agency or self.env["account.collection.agency"].search(
            [("company_id", "=", company.id)], limit=1
        )
        if not agency:
            raise UserError(
                self.env._("Set up a collection agency first (Configuration > Collections).")
            )
        moves = self._get_placeable_moves(partner, company)
        if not moves:
            raise UserError(
                self.env._(
                    "%(name)s has no overdue invoice to place (disputed, excluded, written-off "
                    "or already placed invoices are left out).",
                    name=partner.commercial_partner_id.display_name,
                )
            )
        return self.create(
            {
                "company_id": company.id,
                "agency_id": agency.id,
                "partner_id": partner.commercial_partner_id.id,
                "line_ids": [Command.create({"move_id": move.id}) for move in moves],
            }
        )

    @api.model
    def _cron_propose_placements(self):
        """Daily: propose placements by each company's rule (seam 5)."""
        companies = self.env["res.company"].search(
            [("collection_placement_days", ">", 0), ("collection_placement_agency_id", "!=", False)]
        )
        cron = self.env["ir.cron"]
        for company in companies:
            self.sudo().with_company(company)._propose_by_rule(company)
            if cron._commit_progress(1) <= 0:
                return

    @api.model
    def _propose_by_rule(self, company):
        """Propose placing the customers reminded at an escalation level the
        company's days ago, still owing and with no placement made since;
        set-based: three queries whatever the number of customers."""
        open_items = self.env["account.collection.open.item"]
        today = open_items._company_today(company)
        self.env["account.collection.communication"].flush_model(
            ["partner_id", "company_id", "kind", "state", "date", "level_id"]
        )
        self.flush_model(["partner_id", "company_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT communication.partner_id
                     FROM account_collection_communication communication
                     JOIN account_collection_level level ON level.id = communication.level_id
                    WHERE communication.company_id = %(company)s
                      AND communication.kind = 'reminder' AND communication.state = 'sent'
                      AND level.escalation_review
                      AND communication.date <= %(limit)s
                      AND NOT EXISTS (
                          SELECT 1 FROM account_collection_placement placement
                           WHERE placement.partner_id = communication.partner_id
                             AND placement.company_id = %(company)s
                             AND placement.create_date::date >= communication.date)
                    GROUP BY communication.partner_id""",
                company=company.id,
                limit=today - timedelta(days=company.collection_placement_days),
            )
        )
        partners = self.env["res.partner"].browse([partner_id for (partner_id,) in rows])
        if not partners:
            return self
        moves = self._get_placeable_moves(partners, company)
        agency = company.collection_placement_agency_id
        vals_list = [
            {
                "company_id": company.id,
                "agency_id": agency.id,
                "partner_id": customer.id,
                "note": self.env._("Proposed by the daily rule after the escalation review."),
                "line_ids": [Command.create({"move_id": move.id}) for move in invoices],
            }
            for customer, invoices in moves.grouped("commercial_partner_id").items()
        ]
        return self.with_context(mail_create_nosubscribe=True).create(vals_list)

    # ------------------------------------------------------------------
    # BUSINESS: placing and recalling
    # ------------------------------------------------------------------

    def _check_collections_manager(self):
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise AccessError(self.env._("Only collections managers place or recall accounts."))

    def action_place(self):
        """Place: record the open amounts now, notify the customer, stop dunning."""
        self._check_collections_manager()
        if any(placement.state != "proposed" for placement in self):
            raise UserError(self.env._("Only proposed placements can be placed."))
        if not all(self.mapped("line_ids")):
            raise UserError(self.env._("A placement lists at least one invoice."))
        open_items = self.env["account.collection.open.item"]
        paid = self.line_ids.move_id.filtered(lambda m: m.currency_id.is_zero(m.amount_residual))
        if paid:
            raise UserError(
                self.env._(
                    "Paid since the proposal, remove them first: %(moves)s.",
                    moves=", ".join(paid.mapped("display_name")),
                )
            )
        for placement in self:
            today = open_items._company_today(placement.company_id)
            for line in placement.line_ids:
                days = (today - line.due_date).days if line.due_date else 0
                line._collection_write(
                    {
                        "amount_residual": line.move_id.amount_residual,
                        "amount_residual_company": abs(line.move_id.amount_residual_signed),
                        "placed_days_overdue": days,
                        "commission_rate": placement.agency_id._get_commission_rate(days),
                    }
                )
            placement._collection_write(
                {
                    "state": "placed",
                    "date": today,
                    "commission_rate": placement.agency_id.commission_rate,
                }
            )
        self._log_transition(self.env._("Placed"))
        self._send_notices()
        return True

    def _send_notices(self):
        """The placement notice to each customer, through the one send service."""
        template = self.env.ref(
            "account_collections.mail_template_agency_notice", raise_if_not_found=False
        )
        vals_list = []
        lines_list = []
        today = {}
        for placement in self:
            company = placement.company_id
            if company not in today:
                today[company] = self.env["account.collection.open.item"]._company_today(company)
            vals_list.append(
                {
                    "company_id": company.id,
                    "partner_id": placement.partner_id.id,
                    "kind": "agency_notice",
                    "date": placement.date,
                    "send_email": bool(template),
                    "mail_template_id": template.id if template else False,
                    "amount_total": placement.amount_total,
                    "body_text": placement._get_notice_text(),
                }
            )
            lines_list.append(
                [
                    {
                        "move_id": line.move_id.id,
                        "amount_residual": line.amount_residual,
                        "amount_residual_company": line.amount_residual_company,
                        "due_date": line.due_date,
                        "days_overdue": (today[company] - line.due_date).days
                        if line.due_date
                        else 0,
                    }
                    for line in placement.line_ids
                ]
            )
        communications = self.env["account.collection.communication"]._create_communications(
            vals_list, lines_list
        )
        for placement, communication in zip(self, communications, strict=True):
            placement._collection_write({"communication_id": communication.id})
        communications.sudo()._deliver()

    def _get_notice_text(self):
        self.ensure_one()
        agency = self.agency_id.partner_id
        return Markup("<p>%s</p>") % self.env._(
            "Your account has been placed with %(agency)s for collection. Please pay the "
            "invoices below to them, or contact them at %(contact)s.",
            agency=agency.name,
            contact=agency.email or agency.phone or "",
        )

    def action_recall(self):
        """Recall: the invoices go back to dunning."""
        self._check_collections_manager()
        if any(placement.state != "placed" for placement in self):
            raise UserError(self.env._("Only placed accounts can be recalled."))
        self._collection_write({"state": "recalled"})
        self._log_transition(self.env._("Recalled"))
        return True

    def action_recall_to_writeoff(self):
        """Recall, and propose writing off what the placed invoices still owe."""
        self._check_collections_manager()
        if any(placement.state != "placed" for placement in self):
            raise UserError(self.env._("Only placed accounts can be recalled."))
        self._collection_write({"state": "recalled"})
        self._log_transition(self.env._("Recalled to a write-off proposal"))
        self.env["account.collection.placement.line"].flush_model(["state"])
        moves = self.line_ids.move_id.filtered(
            lambda move: not move.currency_id.is_zero(move.amount_residual)
        )
        if not moves:
            return True
        note = self.env._(
            "Recalled from %(agencies)s uncollected.",
            agencies=", ".join(self.agency_id.mapped("name")),
        )
        return self.env["account.collection.writeoff"]._propose(moves, note=note).action_open()

    def action_cancel(self):
        self._check_collections_manager()
        if any(placement.state != "proposed" for placement in self):
            raise UserError(self.env._("Only proposals can be cancelled."))
        self._collection_write({"state": "cancelled"})
        self._log_transition(self.env._("Cancelled"))
        return True

    # ------------------------------------------------------------------
    # BUSINESS: the agency file
    # ------------------------------------------------------------------

    def _get_export_rows(self):
        """One dict per placed invoice, keyed by ``EXPORT_COLUMNS``."""
        lines = self.line_ids
        history = defaultdict(lambda: [0, None])
        for move, count, last in self.env["account.collection.communication.line"]._read_group(
            [("move_id", "in", lines.move_id.ids), ("communication_id.state", "=", "sent"),
             ("communication_id.kind", "=", "reminder")],
            ["move_id"],
            ["__count", "date:max"],
        ):  # fmt: skip
            history[move.id] = [count, last]
        rows = []
        for placement in self:
            customer = placement.partner_id
            as_of = placement.date or self.env["account.collection.open.item"]._company_today(
                placement.company_id
            )
            for line in placement.line_ids:
                move = line.move_id
                count, last = history[move.id]
                rows.append(
                    {
                        "customer": customer.name,
                        "vat": customer.vat or "",
                        "street": customer.street or "",
                        "zip": customer.zip or "",
                        "city": customer.city or "",
                        "country": customer.country_id.code or "",
                        "email": customer.email or "",
                        "phone": customer.phone or "",
                        "invoice": move.name,
                        "invoice_date": fields.Date.to_string(move.invoice_date),
                        "due_date": fields.Date.to_string(line.due_date),
                        "days_overdue": (as_of - line.due_date).days if line.due_date else 0,
                        "currency": line.move_currency_id.name,
                        "open_amount": "%.*f"
                        % (line.move_currency_id.decimal_places, line.amount_residual),
                        "reminders_sent": count,
                        "last_reminder": fields.Date.to_string(last) if last else "",
                    }
                )
        return rows

    def action_export_xlsx(self):
        """The agency file as an XLSX workbook: the same rows as the CSV."""
        if not self:
            raise UserError(self.env._("Select the placements to export."))
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = workbook.add_worksheet(self.env._("Placements"))
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, EXPORT_COLUMNS, bold)
        for row, values in enumerate(self._get_export_rows(), start=1):
            sheet.write_row(row, 0, [values[column] for column in EXPORT_COLUMNS])
        sheet.set_column(0, len(EXPORT_COLUMNS), 16)
        workbook.close()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Placements %(date)s.xlsx",
                    date=fields.Date.to_string(fields.Date.context_today(self)),
                ),
                "raw": buffer.getvalue(),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "res_model": self._name,
                "res_id": self[:1].id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

    def action_export_csv(self):
        """The file for the agency: customer, contacts, invoices, amounts, history."""
        if not self:
            raise UserError(self.env._("Select the placements to export."))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(self._get_export_rows())
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Placements %(date)s.csv",
                    date=fields.Date.to_string(fields.Date.context_today(self)),
                ),
                "raw": buffer.getvalue().encode(),
                "mimetype": "text/csv",
                "res_model": self._name,
                "res_id": self[:1].id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }


class AccountCollectionPlacementLine(models.Model):
    """An invoice placed with an agency and its open amount when placed."""

    _name = "account.collection.placement.line"
    _inherit = ["account.collection.guard.mixin"]
    _description = "Collections: invoice placed with an agency"
    _order = "placement_id, due_date, id"
    _check_company_auto = True
    _collection_protected_fields = frozenset(
        {
            "company_id",
            "state",
            "due_date",
            "amount_residual",
            "amount_residual_company",
            "placed_days_overdue",
            "commission_rate",
            "amount_collected",
            "amount_commission",
        }
    )
    _collection_locked_states = frozenset({"placed", "recalled", "cancelled"})
    _collection_parent_field = "placement_id"

    placement_id = fields.Many2one(
        "account.collection.placement", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="placement_id.company_id", store=True, index=True)
    state = fields.Selection(related="placement_id.state", store=True)
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        check_company=True,
        ondelete="restrict",
    )
    move_currency_id = fields.Many2one(related="move_id.currency_id", string="Invoice Currency")
    company_currency_id = fields.Many2one(related="company_id.currency_id")
    due_date = fields.Date(compute="_compute_amounts", store=True, precompute=True)
    amount_residual = fields.Monetary(
        string="Open Amount",
        currency_field="move_currency_id",
        compute="_compute_amounts",
        store=True,
        precompute=True,
    )
    amount_residual_company = fields.Monetary(
        string="Open Amount (Company Currency)",
        currency_field="company_currency_id",
        compute="_compute_amounts",
        store=True,
        precompute=True,
    )

    placed_days_overdue = fields.Integer(string="Days Overdue When Placed", readonly=True)
    commission_rate = fields.Float(
        string="Commission (%)",
        digits=(5, 2),
        readonly=True,
        help="The agency's rate for this debt, by its age when placed.",
    )
    remittance_line_ids = fields.One2many(
        "account.collection.remittance.line", "placement_line_id", readonly=True
    )
    amount_collected = fields.Monetary(
        string="Collected by the Agency",
        currency_field="company_currency_id",
        compute="_compute_collected",
        store=True,
    )
    amount_commission = fields.Monetary(
        string="Commission",
        currency_field="company_currency_id",
        compute="_compute_collected",
        store=True,
    )

    _one_active_placement_per_invoice = models.UniqueIndex(
        "(move_id) WHERE state IN ('proposed', 'placed')",
        "An invoice is placed with one agency at a time.",
    )

    @api.constrains("move_id", "placement_id")
    def _check_customer(self):
        for line in self:
            customer = line.placement_id.partner_id.commercial_partner_id
            if line.move_id._collection_not_open_invoices_of(customer):
                raise ValidationError(
                    self.env._(
                        "%(move)s is not a posted, open invoice of %(customer)s: only those "
                        "can be placed.",
                        move=line.move_id.display_name,
                        customer=customer.display_name,
                    )
                )

    @api.depends("remittance_line_ids.gross", "remittance_line_ids.commission",
                 "remittance_line_ids.state")  # fmt: skip
    def _compute_collected(self):
        for line in self:
            posted = line.remittance_line_ids.filtered(lambda r: r.state == "posted")
            line.amount_collected = sum(posted.mapped("gross"))
            line.amount_commission = sum(posted.mapped("commission"))

    @api.depends("move_id")
    def _compute_amounts(self):
        for line in self:
            move = line.move_id
            line.due_date = move.invoice_date_due
            line.amount_residual = move.amount_residual
            line.amount_residual_company = abs(move.amount_residual_signed)
