import base64
import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date, split_every
from odoo.tools.osutil import clean_filename
from odoo.tools.pdf import merge_pdf

from ..engine import claims as claim_rules
from .account_collection_plan import from_minor, to_minor

_logger = logging.getLogger(__name__)

#: States in which a claim holds its invoices out of dunning (seam 2).
ACTIVE_STATES = ("notice", "filed", "decided")
#: States from which the interest is fixed (at the filing date) and the decision is.
FILED_STATES = frozenset({"filed", "decided", "closed"})
DECIDED_STATES = frozenset({"decided", "closed"})

#: Invoices checked per batch by the daily limitation check.
LIMITATION_BATCH_SIZE = 1000


class AccountCollectionClaim(models.Model):
    """A small-claims court case against a customer.

    Drafted from the customer's overdue invoices; a letter before action
    (the final notice, with a payment deadline) goes through the send
    service (seams 3 and 4); then the claim is filed with the court, heard
    and decided. From the letter on, its invoices are out of dunning
    (seam 2). Court fees and legal costs are booked as an expense; the claim
    packet prints the whole file as one PDF.
    """

    _name = "account.collection.claim"
    _inherit = ["mail.thread", "mail.activity.mixin", "account.collection.guard.mixin"]
    _description = "Collections: small-claims court case"
    _order = "id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset(
        {"state", "notice_date", "deadline_date", "cost_move_ids", "communication_id"}
    )
    _collection_locked_states = frozenset({"notice", "filed", "decided", "closed", "cancelled"})
    _collection_locked_fields = frozenset({"partner_id", "company_id", "line_ids"})
    #: Per field, the states from which it is fixed: the interest at the filing date,
    #: the court's decision once recorded.
    _claim_fixed_from = {
        "filing_date": FILED_STATES,
        "amount_interest": FILED_STATES,
        "outcome": DECIDED_STATES,
        "judgment_amount": DECIDED_STATES,
        "judgment_date": DECIDED_STATES,
    }

    name = fields.Char(compute="_compute_name", store=True)
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
        domain="[('parent_id', '=', False)]",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        domain=[("share", "=", False)],
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("notice", "Letter Before Action Sent"),
            ("filed", "Filed"),
            ("decided", "Decided"),
            ("closed", "Closed"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="draft",
        readonly=True,
        index=True,
        tracking=True,
    )
    line_ids = fields.One2many(
        "account.collection.claim.line", "claim_id", string="Invoices", copy=False
    )
    move_ids = fields.Many2many(
        "account.move",
        "account_collection_claim_move_rel",
        "claim_id",
        "move_id",
        string="Claimed Invoices",
        compute="_compute_move_ids",
        store=True,
    )
    court = fields.Char(tracking=True)
    reference = fields.Char(string="Claim Reference", tracking=True, copy=False)
    notice_date = fields.Date(string="Letter Sent On", readonly=True, copy=False)
    deadline_date = fields.Date(
        string="Payment Deadline",
        readonly=True,
        copy=False,
        help="The deadline the letter before action gave.",
    )
    filing_date = fields.Date(tracking=True, copy=False)
    hearing_date = fields.Date(tracking=True, copy=False)
    amount_principal = fields.Monetary(
        string="Principal", compute="_compute_amount_principal", store=True
    )
    amount_interest = fields.Monetary(
        string="Interest",
        compute="_compute_amount_interest",
        store=True,
        readonly=False,
        precompute=True,
        help="Simple interest at the company's claim rate from each invoice's due date to "
        "the filing date (today until filed).",
    )
    amount_fees = fields.Monetary(string="Court Fees", tracking=True)
    amount_claim = fields.Monetary(
        string="Amount Claimed", compute="_compute_amount_claim", store=True
    )
    outcome = fields.Selection(
        [
            ("won", "Judgment for Us"),
            ("partial", "Partly Won"),
            ("lost", "Lost"),
            ("settled", "Settled"),
            ("withdrawn", "Withdrawn"),
        ],
        tracking=True,
        copy=False,
    )
    judgment_amount = fields.Monetary(tracking=True, copy=False)
    judgment_date = fields.Date(tracking=True, copy=False)
    cost_amount = fields.Monetary(
        string="Costs to Book", help="Court fees and legal costs paid, booked as an expense."
    )
    cost_move_ids = fields.Many2many(
        "account.move",
        "account_collection_claim_cost_move_rel",
        "claim_id",
        "move_id",
        string="Cost Entries",
        readonly=True,
        copy=False,
    )
    amount_costs_booked = fields.Monetary(
        string="Costs Booked", compute="_compute_amount_costs_booked"
    )
    communication_id = fields.Many2one(
        "account.collection.communication",
        string="Letter Before Action",
        readonly=True,
        copy=False,
    )
    note = fields.Html()

    _amounts_not_negative = models.Constraint(
        "CHECK(COALESCE(amount_fees, 0) >= 0 AND COALESCE(amount_interest, 0) >= 0"
        " AND COALESCE(judgment_amount, 0) >= 0 AND COALESCE(cost_amount, 0) >= 0)",
        "Fees, interest, judgment amount and costs cannot be negative.",
    )

    # ---- COMPUTE ----

    @api.depends("partner_id", "reference")
    def _compute_name(self):
        for claim in self:
            claim.name = self.env._(
                "Claim against %(customer)s%(reference)s",
                customer=claim.partner_id.name or "",
                reference=f" ({claim.reference})" if claim.reference else "",
            )

    @api.depends("line_ids.move_id")
    def _compute_move_ids(self):
        for claim in self:
            claim.move_ids = [Command.set(claim.line_ids.move_id.ids)]

    @api.depends("line_ids.amount_residual_company")
    def _compute_amount_principal(self):
        for claim in self:
            claim.amount_principal = claim.currency_id.round(
                sum(claim.line_ids.mapped("amount_residual_company"))
            )

    @api.depends(
        "line_ids.amount_residual_company", "line_ids.due_date", "filing_date", "company_id"
    )
    def _compute_amount_interest(self):
        open_items = self.env["account.collection.open.item"]
        for claim in self:
            rate = claim.company_id.collection_claim_interest_rate
            currency = claim.currency_id
            if not rate or not currency:
                # no interest charged by the company: keep what was entered by hand
                claim.amount_interest = claim.amount_interest or 0.0
                continue
            end = claim.filing_date or open_items._company_today(claim.company_id)
            claim.amount_interest = from_minor(
                currency,
                sum(
                    claim_rules.simple_interest(
                        to_minor(currency, line.amount_residual_company), rate, line.due_date, end
                    )
                    for line in claim.line_ids
                    if line.due_date
                ),
            )

    @api.depends("amount_principal", "amount_interest", "amount_fees")
    def _compute_amount_claim(self):
        for claim in self:
            claim.amount_claim = claim.currency_id.round(
                claim.amount_principal + claim.amount_interest + claim.amount_fees
            )

    @api.depends("cost_move_ids")
    def _compute_amount_costs_booked(self):
        for claim in self:
            claim.amount_costs_booked = sum(claim.cost_move_ids.mapped("amount_total"))

    # ---- CONSTRAINT ----

    @api.constrains("line_ids", "state")
    def _check_one_active_claim_per_invoice(self):
        active = self.filtered(lambda claim: claim.state in ("draft", *ACTIVE_STATES))
        if not active:
            return
        rows = self.env.execute_query(
            SQL(
                """SELECT move.name FROM account_collection_claim_line line
                     JOIN account_collection_claim claim ON claim.id = line.claim_id
                     JOIN account_move move ON move.id = line.move_id
                    WHERE claim.state IN ('draft', 'notice', 'filed', 'decided')
                      AND line.move_id IN (SELECT move_id FROM account_collection_claim_line
                                            WHERE claim_id = ANY(%s))
                    GROUP BY move.name HAVING COUNT(DISTINCT claim.id) > 1""",
                active.ids,
            )
        )
        if rows:
            raise ValidationError(
                self.env._(
                    "These invoices are already in another claim: %(moves)s.",
                    moves=", ".join(name for (name,) in rows),
                )
            )

    # ---- LOW-LEVEL ----

    def _collection_check_write(self, vals):
        result = super()._collection_check_write(vals)
        for name in set(vals) & set(self._claim_fixed_from):
            fixed = self.filtered(lambda claim, n=name: claim.state in self._claim_fixed_from[n])
            if fixed:
                raise UserError(
                    self.env._(
                        "%(claims)s: %(field)s is fixed once filed or decided.",
                        claims=", ".join(fixed.mapped("display_name")),
                        field=self._fields[name].string,
                    )
                )
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(claim.state not in ("draft", "cancelled") for claim in self):
            raise UserError(self.env._("Only draft or cancelled claims can be deleted."))

    # ---- BUSINESS: drafting ----

    @api.model
    def _prepare_lines(self, moves):
        """Line values for ``moves``: what each still owes, in company and
        invoice currency, and its oldest open due date."""
        lines = []
        for move in moves:
            due = [
                line.date_maturity or line.date
                for line in move.line_ids
                if line.account_type == "asset_receivable" and not line.reconciled
            ]
            lines.append(
                Command.create(
                    {
                        "move_id": move.id,
                        "amount_residual": move.amount_residual,
                        "amount_residual_company": abs(move.amount_residual_signed),
                        "due_date": min(due) if due else move.invoice_date_due,
                    }
                )
            )
        return lines

    @api.model
    def _draft_for(self, partner, moves=None):
        """A draft claim against ``partner`` (a commercial partner) for
        ``moves``, by default every overdue invoice of the customer that is not
        out of dunning already."""
        company = self.env.company
        customer = partner.commercial_partner_id
        if moves is None:
            items = self.env["account.collection.open.item"]
            items._flush_open_items()
            rows = self.env.execute_query(
                SQL(
                    """SELECT DISTINCT items.move_id FROM (%s) items
                        JOIN account_move move ON move.id = items.move_id
                       WHERE items.days_overdue > 0 AND items.net_amount > 0
                         AND move.move_type IN ('out_invoice', 'out_receipt')""",
                    items._open_items_sql(
                        items._as_of_dates(company), partner_ids=customer.ids, skip_excluded=True
                    ),
                )
            )
            moves = self.env["account.move"].browse(sorted(move_id for (move_id,) in rows))
        wrong = moves._collection_not_invoices_of(customer) | moves.filtered(
            lambda move: (
                move.move_type == "out_refund" or move.currency_id.is_zero(move.amount_residual)
            )
        )
        if wrong:
            raise UserError(
                self.env._(
                    "Only posted, unpaid invoices of %(customer)s can be claimed: %(moves)s.",
                    customer=customer.display_name,
                    moves=", ".join(wrong.mapped("display_name")),
                )
            )
        if not moves:
            raise UserError(
                self.env._(
                    "%(customer)s has no overdue invoice to claim.", customer=customer.display_name
                )
            )
        return self.create(
            {
                "company_id": company.id,
                "partner_id": customer.id,
                "line_ids": self._prepare_lines(moves),
            }
        )

    def action_open(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.action_account_collection_claim"
        )
        if len(self) == 1:
            action.update({"res_id": self.id, "views": [(False, "form")]})
        else:
            action["domain"] = [("id", "in", self.ids)]
        return action

    # ---- BUSINESS: the claim's life ----

    def _check_collections_manager(self):
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise AccessError(
                self.env._("Only collections managers file, decide or cancel court claims.")
            )

    def _check_state(self, states, action):
        wrong = self.filtered(lambda claim: claim.state not in states)
        if wrong:
            raise UserError(
                self.env._(
                    "%(action)s is not possible for %(claims)s in their current state.",
                    action=action,
                    claims=", ".join(wrong.mapped("display_name")),
                )
            )

    def _refresh_lines(self):
        """Bring each line to its invoice's open amount now; refuse paid ones."""
        paid = self.line_ids.move_id.filtered(lambda m: m.currency_id.is_zero(m.amount_residual))
        if paid:
            raise UserError(
                self.env._(
                    "Paid since the claim was drafted, remove them first: %(moves)s.",
                    moves=", ".join(paid.mapped("display_name")),
                )
            )
        for line in self.line_ids:
            line._collection_write(
                {
                    "amount_residual": line.move_id.amount_residual,
                    "amount_residual_company": abs(line.move_id.amount_residual_signed),
                }
            )

    def action_send_notice(self):
        """Send the letter before action: the final notice with a payment deadline."""
        self._check_state(("draft",), self.env._("Sending the letter before action"))
        if not all(self.mapped("line_ids")):
            raise UserError(self.env._("A claim lists at least one invoice."))
        self._refresh_lines()
        open_items = self.env["account.collection.open.item"]
        for claim in self:
            today = open_items._company_today(claim.company_id)
            claim._collection_write(
                {
                    "state": "notice",
                    "notice_date": today,
                    "deadline_date": fields.Date.add(
                        today, days=claim.company_id.collection_claim_notice_days
                    ),
                }
            )
        self._send_notices()
        return True

    def _send_notices(self):
        template = self.env.ref(
            "account_collections.mail_template_letter_before_action", raise_if_not_found=False
        )
        vals_list = []
        lines_list = []
        for claim in self:
            vals_list.append(
                {
                    "company_id": claim.company_id.id,
                    "partner_id": claim.partner_id.id,
                    "kind": "letter_before_action",
                    "claim_id": claim.id,
                    "date": claim.notice_date,
                    "send_email": bool(template),
                    "mail_template_id": template.id if template else False,
                    "send_letter": True,
                    "amount_total": claim.amount_principal,
                    "body_text": claim._get_notice_text(),
                }
            )
            lines_list.append(
                [
                    {
                        "move_id": line.move_id.id,
                        "amount_residual": line.amount_residual,
                        "amount_residual_company": line.amount_residual_company,
                        "due_date": line.due_date,
                        "days_overdue": (claim.notice_date - line.due_date).days
                        if line.due_date
                        else 0,
                    }
                    for line in claim.line_ids
                ]
            )
        communications = self.env["account.collection.communication"]._create_communications(
            vals_list, lines_list
        )
        for claim, communication in zip(self, communications, strict=True):
            claim._collection_write({"communication_id": communication.id})
        _sent, refused = communications.sudo()._deliver()
        # a letter the gate refused (no address, do-not-contact...) was not sent: the
        # claim stays a draft, and says why
        for claim in self.filtered(lambda claim: claim.communication_id in refused):
            claim._collection_write(
                {"state": "draft", "notice_date": False, "deadline_date": False}
            )
            claim.message_post(
                body=self.env._(
                    "The letter before action was not sent: %(reason)s",
                    reason=claim.communication_id.sudo().refusal_reason or "",
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _get_notice_text(self):
        self.ensure_one()
        return Markup("<p>%s</p><p>%s</p>") % (
            self.env._(
                "Despite our reminders, the invoices below remain unpaid. Unless we receive "
                "payment of %(amount)s by %(deadline)s, we will start court proceedings to "
                "recover the debt without further notice.",
                amount=self.env["ir.qweb.field.monetary"].value_to_html(
                    self.amount_principal, {"display_currency": self.currency_id}
                ),
                deadline=format_date(self.env, self.deadline_date),
            ),
            self.env._(
                "Court proceedings may add interest, court fees and costs to the amount you "
                "owe. If you dispute this debt or cannot pay it in full, contact us before "
                "that date."
            ),
        )

    def action_file(self):
        """Filed with the court: the interest is fixed at the filing date."""
        self._check_collections_manager()
        self._check_state(("draft", "notice"), self.env._("Filing"))
        missing = self.filtered(lambda claim: not claim.court)
        if missing:
            raise UserError(
                self.env._(
                    "Name the court of %(claims)s before filing.",
                    claims=", ".join(missing.mapped("display_name")),
                )
            )
        self._refresh_lines()
        open_items = self.env["account.collection.open.item"]
        for claim in self:
            claim._collection_write(
                {
                    "state": "filed",
                    "filing_date": claim.filing_date or open_items._company_today(claim.company_id),
                }
            )
        return True

    def action_decide(self):
        """Record the court's decision (outcome, judgment amount and date)."""
        self._check_collections_manager()
        self._check_state(("filed",), self.env._("Recording the decision"))
        undecided = self.filtered(lambda claim: not claim.outcome or not claim.judgment_date)
        if undecided:
            raise UserError(
                self.env._(
                    "Set the outcome and the judgment date of %(claims)s first.",
                    claims=", ".join(undecided.mapped("display_name")),
                )
            )
        self._collection_write({"state": "decided"})
        return True

    def action_close(self):
        self._check_collections_manager()
        self._check_state(ACTIVE_STATES, self.env._("Closing"))
        self._collection_write({"state": "closed"})
        return True

    def action_cancel(self):
        self._check_collections_manager()
        self._check_state(("draft", "notice", "filed"), self.env._("Cancelling"))
        self._collection_write({"state": "cancelled"})
        return True

    # ---- BUSINESS: costs ----

    def action_book_costs(self):
        """Book ``cost_amount`` as a legal-costs expense paid from the
        company's costs journal; one posted entry per claim, at the first open
        date when today is locked."""
        self._check_collections_manager()
        self._check_state(("notice", "filed", "decided"), self.env._("Booking costs"))
        writeoffs = self.env["account.collection.writeoff"]
        open_items = self.env["account.collection.open.item"]
        vals_list = []
        claims = self.filtered(lambda claim: claim.cost_amount > 0)
        if not claims:
            raise UserError(self.env._("Enter the costs to book first."))
        messages = {}
        for claim in claims:
            company = claim.company_id
            account = company.collection_claim_cost_account_id
            journal = company.collection_claim_cost_journal_id
            if not account or not journal or not journal.default_account_id:
                raise UserError(
                    self.env._(
                        "Set the legal costs account and the journal they are paid from of "
                        "%(company)s in the settings (Collections) first.",
                        company=company.name,
                    )
                )
            day, messages[claim] = writeoffs._first_open_date(
                company, open_items._company_today(company), journal, False
            )
            amount = claim.currency_id.round(claim.cost_amount)
            label = self.env._("Legal costs: %(claim)s", claim=claim.display_name)
            vals_list.append(
                {
                    "move_type": "entry",
                    "company_id": company.id,
                    "journal_id": journal.id,
                    "date": day,
                    "ref": label,
                    "line_ids": [
                        Command.create(
                            {
                                "name": label,
                                "account_id": account.id,
                                "partner_id": claim.partner_id.id,
                                "debit": amount,
                                "credit": 0.0,
                            }
                        ),
                        Command.create(
                            {
                                "name": label,
                                "account_id": journal.default_account_id.id,
                                "partner_id": claim.partner_id.id,
                                "debit": 0.0,
                                "credit": amount,
                            }
                        ),
                    ],
                }
            )
        moves = self.env["account.move"].sudo().create(vals_list)
        moves.action_post()
        for claim, move in zip(claims, moves, strict=True):
            claim._collection_write({"cost_move_ids": [Command.link(move.id)], "cost_amount": 0.0})
            body = self.env._(
                "Legal costs of %(amount)s booked: %(move)s.",
                amount=claim.currency_id.format(move.amount_total),
                move=move.name,
            )
            if messages[claim]:
                body = f"{body} {messages[claim]}"
            claim.message_post(body=body, subtype_xmlid="mail.mt_note")
        return True

    def action_open_cost_moves(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cost Entries"),
            "res_model": "account.move",
            "domain": [("id", "in", self.cost_move_ids.ids)],
            "views": [(False, "list"), (False, "form")],
        }

    # ---- BUSINESS: the claim packet ----

    def _get_packet_values(self):
        """What the claim packet prints besides the invoice copies: the
        statement of account, the communications, calls, promises and
        disputes of the customer in this company, oldest first."""
        self.ensure_one()
        domain = [("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id)]
        first = min(self.line_ids.move_id.mapped("invoice_date") or [fields.Date.today()])
        end = self.filing_date or self.env["account.collection.open.item"]._company_today(
            self.company_id
        )
        statement = (
            self.env["account.collection.communication"]
            .new(
                {
                    "company_id": self.company_id.id,
                    "partner_id": self.partner_id.id,
                    "kind": "statement",
                    "period_start": first,
                    "period_end": end,
                }
            )
            ._get_statement_values()
        )
        return {
            "statement": statement,
            "period_start": first,
            "period_end": end,
            "communications": self.env["account.collection.communication"].search(
                domain, order="date, id"
            ),
            "calls": self.env["account.collection.call"].search(domain, order="date, id"),
            "promises": self.env["account.collection.promise"].search(domain, order="id"),
            "disputes": self.env["account.collection.dispute"].search(domain, order="id"),
        }

    def _render_packet(self):
        """The claim packet as one PDF: the file (claim, statement, contact
        history) then a copy of each claimed invoice, each rendered on its own
        and merged."""
        self.ensure_one()
        reports = self.env["ir.actions.report"].sudo()
        parts = [
            reports._render_qweb_pdf(
                "account_collections.action_report_collection_claim_packet", self.ids
            )[0]
        ]
        for move in self.line_ids.move_id.sorted(lambda m: (m.invoice_date or m.date, m.id)):
            parts.append(reports._render_qweb_pdf("account.account_invoices", move.ids)[0])
        return merge_pdf(parts)

    def _get_report_filename(self, title=None):
        """File name of the claim's PDF, e.g. ``Claim file - Claim against Acme A-S``:
        characters a file name cannot hold (a "/" in a customer's name) become "-"."""
        self.ensure_one()
        return clean_filename(
            self.env._(
                "%(title)s - %(claim)s",
                title=title or self.env._("Claim file"),
                claim=self.display_name,
            ),
            replacement="-",
        )

    def action_print_packet(self):
        """Render the claim packet, keep it attached to the claim, download it."""
        self.ensure_one()
        if not self.line_ids:
            raise UserError(self.env._("A claim lists at least one invoice."))
        pdf = self._render_packet()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self._get_report_filename(self.env._("Claim packet")) + ".pdf",
                "type": "binary",
                "datas": base64.b64encode(pdf),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/pdf",
            }
        )
        self.message_post(
            body=self.env._("Claim packet printed."),
            attachment_ids=attachment.ids,
            subtype_xmlid="mail.mt_note",
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    # ---- BUSINESS: limitation dates (seam 5) ----

    @api.model
    def _limitation_starts_sql(self, invoices):
        """Per invoice of ``invoices`` (an SQL query with a ``move_id``
        column): the oldest open due date, the last payment (a partial
        reconciliation with anything but a credit note) and the last promise
        to pay made. The limitation period runs from the latest of them."""
        return SQL(
            """
            SELECT invoices.move_id,
                   (SELECT MIN(COALESCE(aml.date_maturity, aml.date))
                      FROM account_move_line aml
                     WHERE aml.move_id = invoices.move_id AND aml.display_type = 'payment_term'
                       AND NOT aml.reconciled),
                   (SELECT MAX(partial.max_date)
                      FROM account_move_line aml
                      JOIN account_partial_reconcile partial ON partial.debit_move_id = aml.id
                      JOIN account_move_line credit ON credit.id = partial.credit_move_id
                      JOIN account_move paid_by ON paid_by.id = credit.move_id
                     WHERE aml.move_id = invoices.move_id AND aml.display_type = 'payment_term'
                       AND paid_by.move_type != 'out_refund'),
                   (SELECT MAX(promise.made_date)
                      FROM account_collection_promise_move_rel rel
                      JOIN account_collection_promise promise ON promise.id = rel.promise_id
                     WHERE rel.move_id = invoices.move_id)
              FROM (%s) invoices
            """,
            invoices,
        )

    @api.model
    def _get_limitation_dates(self, moves):
        """``{move_id: date or None}``: the day each invoice becomes statute-barred."""
        if not moves:
            return {}
        self.env["account.move.line"].flush_model(
            ["move_id", "display_type", "date_maturity", "date", "reconciled"]
        )
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.collection.promise"].flush_model(["move_ids", "made_date"])
        years = {move.id: move.company_id.collection_limitation_years for move in moves}
        result = dict.fromkeys(moves.ids)
        for move_id, due, paid, promised in self.env.execute_query(
            self._limitation_starts_sql(SQL("SELECT unnest(%s::int[]) AS move_id", moves.ids))
        ):
            if due:
                result[move_id] = claim_rules.limitation_date(due, [paid, promised], years[move_id])
        return result

    @api.model
    def _limitation_candidates(self, company):
        """``[(move_id, partner_id, limitation date)]``: open invoices of the
        company whose limitation date is passed or within the warning days,
        found in one query over the open items (seam 1). Invoices out of
        dunning still run out of time and are included, except those already
        before a court (a filed claim stops the clock)."""
        years = company.collection_limitation_years
        if years <= 0:
            return []
        open_items = self.env["account.collection.open.item"]
        open_items._flush_open_items()
        self.env["account.collection.promise"].flush_model(["move_ids", "made_date"])
        self.env["account.collection.claim.line"].flush_model(["move_id", "state"])
        today = open_items._company_today(company)
        # a coarse filter in SQL (no limitation date can be near before a due date this
        # old); the exact rule is the engine's
        horizon = claim_rules.add_years(
            fields.Date.add(today, days=company.collection_limitation_warning_days + 1), -years
        )
        owed = SQL(
            """SELECT items.move_id, MIN(items.partner_id) AS partner_id
                 FROM (%s) items
                 JOIN account_move move ON move.id = items.move_id
                WHERE items.net_amount > 0 AND move.move_type IN ('out_invoice', 'out_receipt')
                  AND NOT EXISTS (SELECT FROM account_collection_claim_line line
                                   WHERE line.move_id = items.move_id
                                     AND line.state IN ('filed', 'decided'))
                GROUP BY items.move_id
               HAVING MIN(items.due_date) <= %s""",
            open_items._open_items_sql(open_items._as_of_dates(company)),
            horizon,
        )
        rows = self.env.execute_query(
            SQL(
                """WITH owed AS (%s)
                   SELECT owed.partner_id, starts.*
                     FROM owed JOIN (%s) starts ON starts.move_id = owed.move_id""",
                owed,
                self._limitation_starts_sql(SQL("SELECT move_id FROM owed")),
            )
        )
        result = []
        for partner_id, move_id, due, paid, promised in rows:
            if not due:
                continue
            limit = claim_rules.limitation_date(due, [paid, promised], years)
            status = claim_rules.limitation_status(
                limit, today, company.collection_limitation_warning_days
            )
            if status:
                result.append((move_id, partner_id, limit))
        return result

    @api.model
    def _cron_warn_limitation(self):
        """Daily: warn the collector of each invoice whose limitation date is
        near or passed, once per limitation date (a later payment or promise
        moves the date and warns again when the new one nears)."""
        companies = self.env["res.company"].search([("collection_limitation_years", ">", 0)])
        cron = self.env["ir.cron"]
        for company in companies:
            candidates = self.with_company(company)._limitation_candidates(company)
            moves = self.env["account.move"].browse([move_id for move_id, _p, _l in candidates])
            warned = dict(zip(moves.ids, moves.mapped("collection_limitation_warned"), strict=True))
            todo = [row for row in candidates if warned.get(row[0]) != row[2]]
            remaining = len(todo)
            for batch in split_every(LIMITATION_BATCH_SIZE, todo):
                with self.env.cr.savepoint():
                    self.with_company(company)._warn_limitation(company, batch)
                remaining -= len(batch)
                if cron._commit_progress(len(batch), remaining=remaining) <= 0:
                    return

    @api.model
    def _warn_limitation(self, company, rows):
        """One activity per invoice of ``rows`` ``[(move_id, partner_id,
        limitation date)]`` for the customer's collector, and the date
        warned about kept on the invoice."""
        activity_type = self.env.ref(
            "account_collections.mail_activity_type_limitation", raise_if_not_found=False
        )
        moves = self.env["account.move"].browse([move_id for move_id, _p, _l in rows])
        partners = self.env["res.partner"].browse({partner_id for _m, partner_id, _l in rows})
        collectors = {
            partner.id: partner.with_company(company).collection_collector_id
            for partner in partners
        }
        today = self.env["account.collection.open.item"]._company_today(company)
        model_id = self.env["ir.model"]._get_id("account.move")
        names = dict(zip(moves.ids, moves.mapped("name"), strict=True))
        vals_list = []
        by_date = defaultdict(list)
        for move_id, partner_id, limit in rows:
            by_date[limit].append(move_id)
            passed = limit <= today
            summary = (
                self.env._("Statute-barred since %(date)s", date=format_date(self.env, limit))
                if passed
                else self.env._("Statute-barred on %(date)s", date=format_date(self.env, limit))
            )
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": move_id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": summary,
                    "note": self.env._(
                        "%(invoice)s can no longer be enforced in court after %(date)s: "
                        "claim it, obtain an acknowledgement, or propose a write-off.",
                        invoice=names[move_id],
                        date=format_date(self.env, limit),
                    ),
                    "user_id": (collectors.get(partner_id) or self.env.user).id,
                    "date_deadline": min(limit, fields.Date.add(today, days=7))
                    if not passed
                    else today,
                }
            )
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            vals_list
        )
        for limit, move_ids in by_date.items():
            self.env["account.move"].browse(move_ids).sudo().write(
                {"collection_limitation_warned": limit}
            )


class AccountCollectionClaimLine(models.Model):
    """An invoice in a court claim, with what it owed when claimed."""

    _name = "account.collection.claim.line"
    _inherit = ["account.collection.guard.mixin"]
    _description = "Collections: invoice in a court claim"
    _order = "due_date, id"
    _collection_protected_fields = frozenset({"company_id", "state"})
    _collection_locked_states = frozenset({"notice", "filed", "decided", "closed", "cancelled"})
    _collection_parent_field = "claim_id"
    _log_access = False

    claim_id = fields.Many2one(
        "account.collection.claim", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="claim_id.company_id", store=True, index=True)
    state = fields.Selection(related="claim_id.state", store=True)
    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, index=True, ondelete="restrict"
    )
    move_currency_id = fields.Many2one(related="move_id.currency_id", string="Invoice Currency")
    company_currency_id = fields.Many2one(related="company_id.currency_id")
    due_date = fields.Date()
    amount_residual = fields.Monetary(
        string="Open (Invoice Currency)", currency_field="move_currency_id"
    )
    amount_residual_company = fields.Monetary(string="Open", currency_field="company_currency_id")

    @api.constrains("move_id", "claim_id")
    def _check_customer(self):
        for line in self:
            wrong = line.move_id._collection_not_open_invoices_of(line.claim_id.partner_id)
            if wrong or line.move_id.company_id != line.claim_id.company_id:
                raise ValidationError(
                    self.env._(
                        "%(move)s is not an open invoice of %(customer)s in this company.",
                        move=line.move_id.display_name,
                        customer=line.claim_id.partner_id.display_name,
                    )
                )
