import datetime
import logging
import time

from markupsafe import Markup, escape

from odoo import Command, api, fields, models, modules, tools
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every
from odoo.tools.osutil import clean_filename

from . import letter_batch

_logger = logging.getLogger(__name__)

#: Fields that may still change once a communication has gone out.
TECHNICAL_FIELDS = frozenset({"write_uid", "write_date"})

#: Fields the letter step fills in after a communication went out: written by
#: the service itself (superuser); clients never set them (guarded, below).
LETTER_STEP_FIELDS = frozenset(
    {
        "letter_state",
        "letter_attempts",
        "letter_error",
        "mail_pending",
        "by_letter",
        "refusal_reason",
        "state",
    }
)

#: Letters rendered per wkhtmltopdf call: one call costs a start-up (about a
#: second) and then a fraction of a second per letter, so bigger chunks are
#: faster, while one chunk must stay far below a worker's time limit.
LETTER_CHUNK = 50

#: Rendering attempts before a letter is given up (the email then goes without).
LETTER_MAX_ATTEMPTS = 3


class _SummaryFormatter:
    """Formats dates and amounts the way a language writes them, as safe HTML.

    Symbols and separators are escaped once, dates formatted once per day:
    a run formats tens of thousands of rows, and what comes out needs no
    further escaping.
    """

    def __init__(self, date_format, decimal_point, thousands_sep):
        self.date_format = date_format
        self.decimal_point = str(escape(decimal_point))
        self.thousands_sep = str(escape(thousands_sep))
        self.currencies = {}
        self.dates = {}

    def date(self, value):
        if value not in self.dates:
            self.dates[value] = str(escape(value.strftime(self.date_format))) if value else ""
        return self.dates[value]

    def add_currencies(self, currencies):
        for currency in currencies:
            if currency.id not in self.currencies:
                self.currencies[currency.id] = (
                    currency.decimal_places,
                    str(escape(currency.symbol or "")),
                    currency.position,
                )

    def amount(self, value, currency):
        self.add_currencies(currency)
        return self.amount_by_id(value, currency.id)

    def amount_by_id(self, value, currency_id):
        places, symbol, position = self.currencies[currency_id]
        number = f"{abs(value):,.{places}f}"
        number = number.translate({ord(","): "\x00", ord("."): self.decimal_point}).replace(
            "\x00", self.thousands_sep
        )
        number = ("-" if round(value, places) < 0 else "") + number
        return (
            f"{symbol}\N{NO-BREAK SPACE}{number}"
            if position == "before"
            else (f"{number}\N{NO-BREAK SPACE}{symbol}")
        )


class AccountCollectionCommunication(models.Model):
    """Seam 4: one record of everything sent to a customer, whatever its kind.

    It keeps what was said: the kind (a reminder at a dunning level, and what
    later features add with ``selection_add`` on ``kind``), the channels, the
    invoices with their open amounts at that moment, the total, the letter and
    the mail. Once sent it cannot be edited or deleted, by anyone.

    Every sender goes through :meth:`_send` (or :meth:`_create_communications`
    then :meth:`_deliver` when a review comes in between). A new kind brings:
    its ``kind`` value, a mail template on this model (when it emails), a QWeb
    template ``account_collections.letter_content_<kind>`` with the letter's
    body (the shared layout prints letterhead, address, title and greeting;
    ``letter_invoice_table`` and ``letter_payment_instructions`` are there to
    reuse), and overrides of :meth:`_get_letter_title` /
    :meth:`_get_letter_log_body` when the defaults do not fit.
    """

    _name = "account.collection.communication"
    _inherit = ["account.collection.guard.mixin"]
    _description = "Collections: communication sent to a customer"
    _order = "date desc, id desc"
    _check_company_auto = True
    # sent, skipped or refused only by the send service and the review buttons
    _collection_protected_fields = LETTER_STEP_FIELDS
    _rec_names_search = ["partner_id.name", "level_id.name"]

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    recipient_id = fields.Many2one(
        "res.partner", readonly=True, help="Who the email and letter are addressed to."
    )
    kind = fields.Selection(
        [("reminder", "Payment Reminder")], required=True, default="reminder", readonly=True
    )
    policy_id = fields.Many2one("account.collection.policy", readonly=True)
    level_id = fields.Many2one("account.collection.level", readonly=True, index=True)
    run_id = fields.Many2one(
        "account.collection.run", readonly=True, index=True, ondelete="set null"
    )
    date = fields.Date(required=True, readonly=True, index=True)
    user_id = fields.Many2one(
        "res.users", string="Author", readonly=True, default=lambda self: self.env.user
    )
    send_email = fields.Boolean(
        string="Email Requested", readonly=True, help="This communication goes out by email."
    )
    mail_template_id = fields.Many2one("mail.template", string="Email Template", readonly=True)
    email_attach_letter = fields.Boolean(
        string="Letter Attached", readonly=True, help="The letter PDF goes with the email."
    )
    send_letter = fields.Boolean(
        string="Letter Requested", readonly=True, help="This communication is printed and posted."
    )
    by_email = fields.Boolean(string="Email", readonly=True)
    by_letter = fields.Boolean(string="Letter", readonly=True)
    state = fields.Selection(
        [
            ("to_review", "Awaiting Review"),
            ("sent", "Sent"),
            ("refused", "Refused"),
            ("skipped", "Skipped"),
        ],
        required=True,
        default="to_review",
        readonly=True,
        index=True,
    )
    refusal_reason = fields.Text(
        readonly=True, help="Why a channel, or the whole communication, was refused."
    )
    failure_reason = fields.Text(
        compute="_compute_mail_state", help="Why the email could not be delivered."
    )
    line_ids = fields.One2many(
        "account.collection.communication.line",
        "communication_id",
        string="Invoices",
        readonly=True,
    )
    amount_total = fields.Monetary(string="Total Overdue", readonly=True)
    amount_credit = fields.Monetary(
        string="Credits Applied",
        readonly=True,
        help="Credit notes and unapplied payments deducted from the listed invoices.",
    )
    credit_hold = fields.Boolean(
        string="Credit Hold Requested", readonly=True, help="The level asks for a credit hold."
    )
    escalation_review = fields.Boolean(
        string="Escalation Review Requested",
        readonly=True,
        help="The level asks a manager to review the account for escalation.",
    )
    message_ids = fields.One2many(
        "mail.message", "collection_communication_id", string="Messages", readonly=True
    )
    mail_ids = fields.One2many(
        "mail.mail", "collection_communication_id", string="Emails", readonly=True
    )
    attachment_id = fields.Many2one(
        "ir.attachment", string="Letter PDF", compute="_compute_attachment_id"
    )
    body_text = fields.Html(
        string="Text", readonly=True, sanitize=True, help="The level's text as sent."
    )
    # Built by _render_summary_html from escaped values only; sanitizing it
    # again would cost a parse per reminder for nothing.
    summary_html = fields.Html(
        string="Invoices Listed",
        readonly=True,
        sanitize=False,
        help="The table of invoices and amounts as the customer received it.",
    )
    letter_state = fields.Selection(
        [
            ("none", "No Letter"),
            ("pending", "To Render"),
            ("rendered", "Rendered"),
            ("failed", "Failed"),
        ],
        string="Letter Status",
        default="none",
        required=True,
        readonly=True,
        help="A scheduled run renders its letters after its reminders are saved; an email "
        "that carries the letter leaves once the letter exists.",
    )
    letter_attempts = fields.Integer(readonly=True, help="Times the letter was tried.")
    letter_error = fields.Text(readonly=True, help="Why the letter could not be rendered.")
    mail_pending = fields.Boolean(
        string="Email Waits for Letter",
        readonly=True,
        help="The email goes out with the letter attached once the letter is rendered.",
    )
    mail_state = fields.Selection(
        [("none", "No Email"), ("queued", "Queued"), ("sent", "Sent"), ("failed", "Failed")],
        string="Email Status",
        compute="_compute_mail_state",
        help="Where the email is in the mail queue.",
    )

    _letter_pending_idx = models.Index("(id) WHERE letter_state = 'pending'")
    _one_reminder_per_level_and_day = models.UniqueIndex(
        "(company_id, partner_id, level_id, date) WHERE kind = 'reminder' AND state != 'skipped'",
        "A customer gets one reminder per level and day.",
    )

    @api.model
    def mail_allowed_qweb_expressions(self):
        """Plain field paths the reminder templates use.

        Templates made only of these render by substitution, without
        compiling QWeb for every customer: the run stays fast at volume.
        """
        return (
            *super().mail_allowed_qweb_expressions(),
            "object.summary_html",
            "object.body_text",
            "object.recipient_id.name",
            "object.company_id.name",
            "object.company_id.email",
            "object.company_id.email_formatted",
            "object.partner_id.lang",
            "object.company_id.phone",
            "object.level_id.name",
        )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("partner_id", "kind", "level_id", "date")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for communication in self:
            communication.display_name = " - ".join(
                part
                for part in (
                    communication.partner_id.display_name,
                    communication.level_id.name or kinds.get(communication.kind),
                    communication.date and fields.Date.to_string(communication.date),
                )
                if part
            )

    def _compute_attachment_id(self):
        by_res_id = self._get_letter_attachments()
        for communication in self:
            communication.attachment_id = by_res_id.get(communication.id, False)

    @api.depends("mail_ids.state", "message_ids", "mail_pending")
    def _compute_mail_state(self):
        for communication in self:
            mails = communication.sudo().mail_ids
            communication.failure_reason = mails[:1].failure_reason or False
            if mails:
                state = mails[0].state
                communication.mail_state = (
                    "failed"
                    if state in ("exception", "cancel")
                    else "queued"
                    if state == "outgoing"
                    else "sent"
                )
            elif communication.mail_pending:
                communication.mail_state = "queued"  # it leaves once its letter exists
            elif communication.by_email and communication.message_ids:
                communication.mail_state = "sent"  # the mail queue deleted the sent email
            else:
                communication.mail_state = "none"

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    def write(self, vals):
        changed = set(vals) - TECHNICAL_FIELDS
        if self.env.su:
            changed -= LETTER_STEP_FIELDS
        if changed:
            for communication in self:
                if communication.state != "to_review":
                    raise UserError(
                        self.env._(
                            "%(name)s went out on %(date)s and stays as it was.",
                            name=communication.display_name,
                            date=communication.date,
                        )
                    )
        return super().write(vals)

    def _collection_check_create(self, vals):
        # only the send service creates communications (no one has the right to): it
        # sets their state as it goes
        return

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        if any(communication.state != "to_review" for communication in self):
            raise UserError(self.env._("Communications that were sent or refused stay on record."))

    # ------------------------------------------------------------------
    # BUSINESS: review
    # ------------------------------------------------------------------

    def action_approve(self):
        """Send the selected reminders that await review."""
        self._check_collections_manager()
        to_send = self.filtered(lambda c: c.state == "to_review")
        to_send.sudo()._deliver()
        return True

    def action_skip(self):
        """Drop the selected reminders that await review: nothing is sent."""
        self._check_collections_manager()
        self.filtered(lambda c: c.state == "to_review").sudo().write({"state": "skipped"})
        return True

    def _check_collections_manager(self):
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise UserError(self.env._("Only collections managers can approve or skip reminders."))

    # ------------------------------------------------------------------
    # BUSINESS: the send service
    # ------------------------------------------------------------------

    @api.model
    def _get_recipients(self, partners):
        """``{partner_id: recipient}``: the customer's invoice contact, or itself."""
        contacts = self.env["res.partner"].search_fetch(
            [
                ("parent_id", "in", partners.ids),
                ("type", "=", "invoice"),
                ("email", "!=", False),
            ],
            ["parent_id"],
            order="id",
        )
        recipients = {partner.id: partner for partner in partners}
        for contact in contacts[::-1]:  # the first invoice contact wins
            recipients[contact.parent_id.id] = contact
        return recipients

    @api.model
    def _send(self, vals_list, lines_list=None):
        """Create communications of any kind and send them now.

        The one entry point for a sender that needs no review: see
        :meth:`_create_communications` for ``vals_list`` and ``lines_list``.
        Returns ``(sent, refused)`` as :meth:`_deliver` does.
        """
        communications = self._create_communications(vals_list, lines_list)
        # the caller decided to send (its own access rules apply); writing the
        # record, the mail and the activities is this service's job
        sent, refused = communications.sudo()._deliver()
        return sent.sudo(self.env.su), refused.sudo(self.env.su)

    @api.model
    def _create_communications(self, vals_list, lines_list=None):
        """Create communications awaiting delivery, with the invoices they list.

        :param vals_list: one dict of field values per communication: at least
            ``company_id``, ``partner_id``, ``kind``, ``date``, the channels
            (``send_email`` with ``mail_template_id``, ``send_letter``,
            ``email_attach_letter``), ``amount_total``; ``recipient_id``
            defaults to the customer's invoice contact.
        :param lines_list: per communication, the invoices it lists: dicts
            with ``move_id``, ``amount_residual`` (invoice currency),
            ``amount_residual_company``, and optionally ``due_date``,
            ``days_overdue``, ``level_id``, ``name``, ``currency_id``. When
            ``summary_html`` is not given it is rendered from these lines.
        """
        lines_list = lines_list or [[] for _vals in vals_list]
        if len(lines_list) != len(vals_list):
            raise ValueError("one list of lines per communication")
        for vals in vals_list:
            if vals.get("send_email") and not vals.get("mail_template_id"):
                raise UserError(
                    self.env._("A communication sent by email needs an email template.")
                )
        partners = self.env["res.partner"].browse({vals["partner_id"] for vals in vals_list})
        recipients = self._get_recipients(partners)
        self._complete_lines([line for lines in lines_list for line in lines])
        companies = self.env["res.company"].browse({vals["company_id"] for vals in vals_list})
        currencies = {company.id: company.currency_id for company in companies}
        vals_list = [
            dict(
                vals,
                state="to_review",
                recipient_id=vals.get("recipient_id") or recipients[vals["partner_id"]].id,
            )
            for vals in vals_list
        ]
        langs = {
            partner.id: partner.lang
            for partner in partners
            | self.env["res.partner"].browse({vals["recipient_id"] for vals in vals_list})
        }
        create_list = []
        for vals, lines in zip(vals_list, lines_list, strict=True):
            if "summary_html" not in vals and lines:
                currency = currencies[vals["company_id"]]
                vals["summary_html"] = self._render_summary_html(
                    langs[vals["recipient_id"]] or langs[vals["partner_id"]],
                    lines,
                    vals.get("amount_credit", 0.0),
                    vals.get("amount_total", 0.0),
                    currency,
                )
            create_list.append(vals)
        # nobody may create communications by hand: only this service does
        communications = self.sudo().create(create_list)
        self._insert_lines(communications, lines_list)
        return communications.sudo(self.env.su)

    @api.model
    def _complete_lines(self, lines):
        """Fill in the invoice number and currency of lines that lack them (one query)."""
        missing = {line["move_id"] for line in lines if "name" not in line}
        if not missing:
            return
        self.env["account.move"].flush_model(["name", "currency_id"])
        rows = self.env.execute_query(
            SQL("SELECT id, name, currency_id FROM account_move WHERE id = ANY(%s)", list(missing))
        )
        moves = {move_id: (name, currency_id) for move_id, name, currency_id in rows}
        for line in lines:
            if "name" not in line:
                line["name"], line["currency_id"] = moves[line["move_id"]]

    @api.model
    def _create_reminders(self, run, partners, decisions):
        """Create one reminder per customer (awaiting delivery), with its invoices.

        :param run: the ``account.collection.run``; an unsaved one for a
            reminder sent by hand (its company and date are used).
        :param partners: the customers to remind.
        :param decisions: ``{partner_id: (policy, Decision, {move_id: (days,
            net, due)})}`` as ``account.collection.run._evaluate`` returns.
        """
        company = run.company_id
        currency = company.currency_id
        move_ids = [move_id for partner in partners for move_id in decisions[partner.id][1].listed]
        self.env["account.move"].flush_model(
            ["name", "currency_id", "amount_residual", "amount_residual_signed"]
        )
        rows = self.env.execute_query(
            SQL(
                """SELECT id, name, currency_id, amount_residual, amount_residual_signed
                     FROM account_move WHERE id = ANY(%s)""",
                move_ids,
            )
        )
        moves = {row[0]: row[1:] for row in rows}
        levels = self.env["account.collection.level"].browse(
            {decisions[partner.id][1].level.key for partner in partners}
        )
        levels.fetch(
            [
                "letter_body",
                "credit_hold",
                "escalation_review",
                "send_email",
                "mail_template_id",
                "email_attach_letter",
                "send_letter",
            ]
        )
        vals_list = []
        lines_list = []
        for partner in partners:
            policy, decision, move_data = decisions[partner.id]
            level = levels.browse(decision.level.key)
            lines = []
            net_total = open_total = 0.0
            for move_id in decision.listed:
                name, currency_id, residual, residual_signed = moves[move_id]
                days, net, due = move_data[move_id]
                net_total += net
                open_total += residual_signed
                lines.append(
                    {
                        "move_id": move_id,
                        "name": name,
                        "currency_id": currency_id,
                        "amount_residual": residual,
                        "amount_residual_company": net,
                        "level_id": decision.invoice_levels.get(move_id),
                        "due_date": due,
                        "days_overdue": days,
                    }
                )
            lines_list.append(lines)
            vals_list.append(
                {
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "kind": "reminder",
                    "policy_id": policy.id,
                    "level_id": level.id,
                    "run_id": run._origin.id or False,
                    "date": run.date,
                    "send_email": level.send_email,
                    "mail_template_id": level.send_email and level.mail_template_id.id,
                    "email_attach_letter": level.send_email and level.email_attach_letter,
                    "send_letter": level.send_letter,
                    "amount_total": currency.round(net_total),
                    "amount_credit": currency.round(open_total - net_total),
                    "credit_hold": level.credit_hold,
                    "escalation_review": level.escalation_review,
                    "body_text": level.letter_body,
                }
            )
        return self._create_communications(vals_list, lines_list)

    @api.model
    def _insert_lines(self, communications, lines_list):
        """Write the invoices each communication lists, in one statement.

        A run lists every overdue invoice of thousands of customers: this
        inserts those rows with one set-based statement instead of creating
        them one record at a time. The rows are immutable afterwards.
        """
        types = {
            "communication_id": "int4",
            "move_id": "int4",
            "level_id": "int4",
            "date": "date",
            "due_date": "date",
            "days_overdue": "int4",
            "amount_residual": "numeric",
            "amount_residual_company": "numeric",
        }
        columns = {name: [] for name in types}
        for communication, lines in zip(communications, lines_list, strict=True):
            for line in lines:
                columns["communication_id"].append(communication.id)
                columns["date"].append(communication.date)
                for name in ("move_id", "amount_residual", "amount_residual_company"):
                    columns[name].append(line[name])
                for name in ("level_id", "due_date", "days_overdue"):
                    columns[name].append(line.get(name))
        if not columns["move_id"]:
            return
        Line = self.env["account.collection.communication.line"]
        self.env.execute_query(
            SQL(
                """INSERT INTO %(table)s (%(names)s) SELECT * FROM unnest(%(arrays)s)""",
                table=SQL.identifier(Line._table),
                names=SQL(", ").join(SQL.identifier(name) for name in columns),
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", values, SQL(types[name])) for name, values in columns.items()
                ),
            )
        )
        Line.invalidate_model()
        communications.invalidate_recordset(["line_ids"])

    @api.model
    def _render_summary_html(self, lang, lines, credit, total, currency):
        """The table of listed invoices, in the customer's language.

        Every value is escaped (``Markup`` formatting): this HTML goes into
        emails as it is. Dates and amounts use the language's formats, applied
        with plain string formatting: a run renders tens of thousands of rows.
        """
        env = self.with_context(lang=lang).env
        formatter = self._get_summary_formatter(env.lang)
        currencies = self.env["res.currency"].browse({line["currency_id"] for line in lines})
        header = Markup(
            "<tr style='border-bottom: 1px solid #ccc; text-align: left;'>"
            "<th>%s</th><th>%s</th><th style='text-align: right;'>%s</th>"
            "<th style='text-align: right;'>%s</th></tr>"
        ) % (env._("Invoice"), env._("Due Date"), env._("Days Overdue"), env._("Open Amount"))
        # escape() each value, then plain formatting: Markup's % costs a
        # round of escaping per argument, and a run formats thousands of rows
        row = (
            "<tr style='border-bottom: 1px solid #eee;'><td>{}</td><td>{}</td>"
            "<td style='text-align: right;'>{}</td><td style='text-align: right;'>{}</td></tr>"
        )
        # the formatter's dates and amounts are safe HTML already
        formatter.add_currencies(currencies)
        rows = Markup(
            "".join(
                row.format(
                    escape(line["name"]),
                    formatter.date(line.get("due_date")),
                    max(line.get("days_overdue") or 0, 0),
                    formatter.amount_by_id(line["amount_residual"], line["currency_id"]),
                )
                for line in lines
            )
        )
        credit_row = (
            Markup("<p>%s %s</p>")
            % (env._("Credits applied:"), Markup(formatter.amount(-credit, currency)))
            if credit
            else Markup("")
        )
        return Markup(
            "<table style='border-collapse: collapse; width: 100%%; margin: 12px 0;'>"
            "%s%s</table>%s<p><strong>%s %s</strong></p>"
        ) % (
            header,
            rows,
            credit_row,
            env._("Total overdue:"),
            Markup(formatter.amount(total, currency)),
        )

    @api.model
    def _get_summary_formatter(self, lang_code):
        """Date and amount formatting of a language, cached for the transaction."""
        cache = self.env.cr.cache.setdefault("account_collections.formatters", {})
        if lang_code not in cache:
            lang = self.env["res.lang"]._get_data(code=lang_code)
            cache[lang_code] = _SummaryFormatter(
                lang.date_format, lang.decimal_point, lang.thousands_sep
            )
        return cache[lang_code]

    def _deliver(self):
        """Send communications awaiting delivery: the one path every send takes.

        Asks the gate per channel, renders the letters, queues the emails
        (they leave from the mail queue once the transaction commits), logs
        the contact on the customer, creates the follow-up activities, then
        marks each communication sent or refused, with the reasons.
        Set-based: the number of queries does not grow with the number of
        communications, PDF rendering aside. Returns ``(sent, refused)``.

        In a batch (context ``collection_defer_letters``, set by the scheduled
        jobs; it only decides *when* letters are made, never whether) the
        letters are not rendered here: the communications are saved with
        their letter to render, and an email that carries the letter waits
        for it. :meth:`_render_pending_letters` makes them after the batch
        commits, many per call.
        """
        if not self:
            return self, self
        if any(communication.state != "to_review" for communication in self):
            raise UserError(self.env._("Only communications awaiting delivery can be sent."))
        gate = self.env["account.collection.gate"]
        recipients = {c.partner_id.id: c.recipient_id or c.partner_id for c in self}
        outcome = {
            c.id: {"email": False, "letter": False, "reasons": [], "letter_state": "none"}
            for c in self
        }
        for channel, wanted in (
            ("email", lambda c: c.send_email),
            ("letter", lambda c: c.send_letter),
        ):
            asking = self.filtered(wanted)
            refused = gate._check(asking.partner_id, channel, recipients)
            for communication in asking:
                reason = refused.get(communication.partner_id.id)
                if channel == "email" and not communication.mail_template_id:
                    reason = self.env._("its email template was deleted")
                if reason:
                    outcome[communication.id]["reasons"].append(
                        self.env._(
                            "%(channel)s: %(reason)s", channel=channel.title(), reason=reason
                        )
                    )
                else:
                    outcome[communication.id][channel] = True
        self._add_hold_paragraph(
            self.filtered(lambda c: outcome[c.id]["email"] or outcome[c.id]["letter"])
        )
        to_render = self.filtered(
            lambda c: outcome[c.id]["letter"] or (outcome[c.id]["email"] and c.email_attach_letter)
        )
        if self.env.context.get("collection_defer_letters"):
            for communication in to_render:
                outcome[communication.id]["letter_state"] = "pending"
        else:
            to_render._render_letters(outcome)
        sent = self.filtered(
            lambda c: (
                outcome[c.id]["email"]
                or outcome[c.id]["letter"]
                or not (c.send_email or c.send_letter)
            )
        )
        refused = self - sent
        # an email that carries a letter still to render waits for it
        waiting = sent.filtered(
            lambda c: (
                outcome[c.id]["email"]
                and outcome[c.id]["letter_state"] == "pending"
                and c.email_attach_letter
            )
        )
        (sent - waiting)._queue_emails(outcome)
        sent.filtered(lambda c: outcome[c.id]["letter_state"] != "pending")._log_letters(outcome)
        sent._create_activities()
        groups = {}
        for communication in self:
            result = outcome[communication.id]
            key = (
                "sent" if communication in sent else "refused",
                result["email"],
                result["letter"],
                "\n".join(result["reasons"]) or False,
                result["letter_state"] if communication in sent else "none",
                communication in waiting,
                result.get("letter_error", False),
            )
            groups.setdefault(key, self.browse())
            groups[key] |= communication
        for key, communications in groups.items():
            state, by_email, by_letter, reasons, letter_state, mail_pending, error = key
            communications.write(
                {
                    "state": state,
                    "by_email": by_email,
                    "by_letter": by_letter,
                    "refusal_reason": reasons,
                    "letter_state": letter_state,
                    "letter_attempts": 1 if letter_state in ("rendered", "failed") else 0,
                    "letter_error": error,
                    "mail_pending": mail_pending,
                }
            )
        self.env["account.collection.move.level"].sudo()._update_from_lines(
            sent.filtered(lambda c: c.kind == "reminder")
        )
        # a level asking for a credit hold puts the customer on hold as it is sent
        self.env["account.collection.hold"]._place_for_reminders(sent)
        if sent.filtered(lambda c: outcome[c.id]["letter_state"] == "pending"):
            self._trigger_letter_jobs()
        return sent, refused

    @api.model
    def _trigger_letter_jobs(self):
        """Wake the letter jobs (two, so that two cron workers can share the letters)."""
        for xmlid in (
            "account_collections.ir_cron_collection_letters",
            "account_collections.ir_cron_collection_letters_2",
        ):
            job = self.env.ref(xmlid, raise_if_not_found=False)
            if job:
                job.sudo()._trigger()

    def _add_hold_paragraph(self, reachable):
        """Reminders that put their customer on hold say so (in the email and the
        letter): the customer gets one message that day, not a reminder and a
        separate hold notice."""
        Hold = self.env["account.collection.hold"]
        for communication in Hold._reminders_telling_the_hold(reachable):
            paragraph = Markup("<p><strong>%s</strong></p>") % Hold._get_reminder_hold_text(
                communication.partner_id
            )
            # the letter prints the level's text, the email the invoice summary
            communication.write(
                {
                    "body_text": (communication.body_text or Markup()) + paragraph,
                    "summary_html": (communication.summary_html or Markup()) + paragraph,
                }
            )

    def _render_letters(self, outcome):
        """Render the letters of ``self`` now (a send by hand): many per call.

        A letter that cannot be rendered (no PDF engine, say) is no silent
        failure: the letter channel is refused with the reason, and the email
        goes without it.
        """
        attachments, errors = self._render_letter_pdfs()
        for communication in self:
            result = outcome[communication.id]
            error = errors.get(communication.id)
            if error:
                result["letter"] = False
                result["letter_state"] = "failed"
                result["letter_error"] = error
                result["reasons"].append(
                    self.env._("Letter: could not be rendered: %(error)s", error=error)
                )
            else:
                result["letter_state"] = "rendered"
        return attachments

    def _render_letter_pdfs(self):
        """Render the letter PDFs of ``self`` and attach them: ``(attachments, errors)``.

        All of ``self`` go through one wkhtmltopdf call, split afterwards
        (:meth:`_render_letters_together`); if that fails, each letter is
        tried alone through Odoo's own report path, so that one bad letter
        does not sink the others. ``errors`` is ``{communication_id: message}``.
        """
        if not self:
            return self.env["ir.attachment"], {}
        report = self.env.ref("account_collections.action_report_collection_letter")
        Report = self.env["ir.actions.report"]
        pdfs, errors = {}, {}
        if self:
            try:
                with self.env.cr.savepoint():
                    pdfs = self._render_letters_together(report)
            except Exception:  # noqa: BLE001 - each letter is tried alone below
                _logger.info("Letters failed together, rendering them one by one", exc_info=True)
        for communication in self.filtered(lambda c: c.id not in pdfs):
            try:
                with self.env.cr.savepoint():
                    pdfs[communication.id] = Report._render_qweb_pdf(report, communication.ids)[0]
            except Exception as error:  # noqa: BLE001 - recorded on the letter, retried later
                _logger.info("Letter %s could not be rendered: %s", communication.id, error)
                errors[communication.id] = str(error) or error.__class__.__name__
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                [
                    {
                        "name": communication._get_report_filename() + ".pdf",
                        "raw": pdfs[communication.id],
                        "mimetype": "application/pdf",
                        "res_model": self._name,
                        "res_id": communication.id,
                        "company_id": communication.company_id.id,
                    }
                    for communication in self
                    if communication.id in pdfs
                ]
            )
        )
        return attachments, errors

    def _render_letters_together(self, report):
        """``{communication_id: pdf}``: the letters of ``self`` from one
        wkhtmltopdf call (see :mod:`.letter_batch`); ``{}`` when they cannot
        be told apart, or in Odoo's test mode (which renders HTML)."""
        Report = self.env["ir.actions.report"].with_context(debug=False)
        if (
            modules.module.current_test or tools.config["test_enable"]
        ) and not self.env.context.get("force_report_rendering"):
            return {}
        if Report.get_wkhtmltopdf_state() not in ("ok", "upgrade"):
            return {}
        html = Report._render_qweb_html(report, self.ids, data={"report_type": "pdf"})[0]
        bodies, html_ids, header, footer, paper_args = (
            report.sudo().with_context(debug=False)._prepare_html(html, report_model=self._name)
        )
        if sorted(filter(None, html_ids)) != sorted(self.ids) or len(html_ids) != len(self):
            return {}
        pdf = Report._run_wkhtmltopdf(
            [
                letter_batch.merge_bodies(
                    bodies, html_ids, fonts=[company.font or "Lato" for company in self.company_id]
                )
            ],
            report_ref=report,
            header=header,
            footer=footer,
            specific_paperformat_args=paper_args,
        )
        return letter_batch.split_pdf(pdf, html_ids)

    def _render_pending_letters(self):
        """Render the letters of ``self`` left to render by a batch, then send
        what waited for them: the emails (letter attached) and the notes of
        letters to print.

        A letter that fails is noted on its communication and stays to render
        (the next pass tries again) until :data:`LETTER_MAX_ATTEMPTS`; then it
        is given up: its email goes without it and the letter channel is
        refused with the reason (the communication is refused when the
        letter was its only channel).
        """
        pending = self.filtered(lambda c: c.letter_state == "pending")
        if not pending:
            return pending
        _attachments, errors = pending._render_letter_pdfs()
        rendered = pending.filtered(lambda c: c.id not in errors)
        rendered.write({"letter_state": "rendered", "letter_error": False})
        failed = pending - rendered
        given_up = self.browse()
        for communication in failed:
            attempts = communication.letter_attempts + 1
            vals = {"letter_attempts": attempts, "letter_error": errors[communication.id]}
            if attempts >= LETTER_MAX_ATTEMPTS:
                given_up |= communication
                reason = self.env._(
                    "Letter: could not be rendered: %(error)s", error=errors[communication.id]
                )
                vals.update(
                    letter_state="failed",
                    by_letter=False,
                    refusal_reason="\n".join(filter(None, [communication.refusal_reason, reason])),
                )
                if not communication.by_email:
                    vals["state"] = "refused"
            communication.write(vals)
        done = rendered | given_up
        outcome = {c.id: {"email": c.by_email, "letter": c.by_letter, "reasons": []} for c in done}
        done.filtered("mail_pending")._queue_emails(outcome)
        done.filtered("mail_pending").write({"mail_pending": False})
        rendered._log_letters(outcome)
        return done

    @api.model
    def _cron_render_letters(self):
        """Scheduled: render the letters batches left to render, a chunk per commit.

        Each chunk (:data:`LETTER_CHUNK` letters, one wkhtmltopdf call) is
        committed as soon as it is done, and Odoo is told what remains, so a
        worker's time limit never meets a long transaction and the next call
        resumes where this one stopped. Several workers share the work: a
        chunk locked by another is skipped.
        """
        cron = self.env["ir.cron"]
        end_time = self.env.context.get("cron_end_time")
        if end_time is not None and time.monotonic() >= end_time:
            # Odoo calls again at least ten times per pickup: past the pickup's
            # time, hand over at once so that no pickup runs long
            cron._commit_progress(remaining=self._count_pending_letters())
            return
        self = self.sudo().with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
        )
        # each letter is tried once per call: a letter that fails waits for the next call
        ids = self._get_pending_letter_ids()
        for chunk in split_every(LETTER_CHUNK, ids):
            letters = (
                self.browse(chunk)
                .try_lock_for_update()
                .filtered(lambda c: c.letter_state == "pending")
            )
            letters._render_pending_letters()
            time_left = cron._commit_progress(len(chunk), remaining=self._count_pending_letters())
            if time_left <= 0:
                break
        if self._count_pending_letters():
            self._trigger_letter_jobs()
            cron._commit_progress()

    @api.model
    def _get_pending_letter_ids(self):
        """Ids of the communications whose letter is still to render, oldest first."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM %s WHERE letter_state = 'pending' ORDER BY id",
                SQL.identifier(self._table),
            )
        )
        return [communication_id for (communication_id,) in rows]

    @api.model
    def _count_pending_letters(self, run=None):
        """Letters still to render (of ``run`` only, when given)."""
        self.flush_model(["letter_state", "run_id"])
        [(count,)] = self.env.execute_query(
            SQL(
                "SELECT COUNT(*) FROM %s WHERE letter_state = 'pending' %s",
                SQL.identifier(self._table),
                SQL("AND run_id = %s", run.id) if run else SQL(),
            )
        )
        return count

    def _get_letter_attachments(self):
        """``{communication_id: attachment}``: the letters rendered, one query."""
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .search_fetch([("res_model", "=", self._name), ("res_id", "in", self.ids)], ["res_id"])
        )
        return {attachment.res_id: attachment for attachment in attachments}

    def _queue_emails(self, outcome):
        """Queue one email per communication on the customer's thread, letter attached."""
        emailing = self.filtered(lambda c: outcome[c.id]["email"])
        if not emailing:
            return self.env["mail.mail"]
        attachment_by_id = emailing._get_letter_attachments()
        vals_list = []
        for template, communications in emailing.grouped(lambda c: c.mail_template_id).items():
            ids = communications.ids
            rendered = {
                name: template._render_field(name, ids, compute_lang=True)
                for name in ("subject", "body_html", "email_from", "reply_to")
            }
            for communication in communications:
                attachment = attachment_by_id.get(communication.id)
                vals_list.append(
                    {
                        "subject": rendered["subject"][communication.id],
                        "body_html": rendered["body_html"][communication.id],
                        "email_from": rendered["email_from"][communication.id]
                        or communication.company_id.email_formatted,
                        "reply_to": rendered["reply_to"][communication.id] or False,
                        "recipient_ids": [Command.link(communication.recipient_id.id)],
                        "model": "res.partner",
                        "res_id": communication.partner_id.id,
                        "record_name": communication.partner_id.display_name,
                        "message_type": "email_outgoing",
                        "author_id": self.env.user.partner_id.id,
                        "attachment_ids": [Command.link(attachment.id)] if attachment else [],
                        "auto_delete": False,
                        "collection_communication_id": communication.id,
                    }
                )
        mails = self.env["mail.mail"].sudo().create(vals_list)
        self._set_note_subtype(mails.mail_message_id)
        return mails

    def _log_letters(self, outcome):
        """A note on the customer's thread for each letter sent without email."""
        letters = self.filtered(lambda c: outcome[c.id]["letter"] and not outcome[c.id]["email"])
        attachment_by_id = letters._get_letter_attachments()
        messages = (
            self.env["mail.message"]
            .sudo()
            .create(
                [
                    {
                        "model": "res.partner",
                        "res_id": communication.partner_id.id,
                        "message_type": "comment",
                        "author_id": self.env.user.partner_id.id,
                        "body": communication._get_letter_log_body(),
                        "attachment_ids": [Command.link(attachment_by_id[communication.id].id)]
                        if communication.id in attachment_by_id
                        else [],
                        "collection_communication_id": communication.id,
                    }
                    for communication in letters
                ]
            )
        )
        self._set_note_subtype(messages)
        return messages

    @api.model
    def _set_note_subtype(self, messages):
        """Mark the messages just created as notes, in one statement.

        Passed to create, the subtype costs a query per message; through
        write, the accounting audit-log check reads every message of the
        database. These messages are ours and brand new: set the column.
        """
        if not messages:
            return
        messages.flush_recordset()
        self.env.execute_query(
            SQL(
                "UPDATE mail_message SET subtype_id = %s WHERE id = ANY(%s)",
                self.env.ref("mail.mt_note").id,
                messages.ids,
            )
        )
        messages.invalidate_recordset(["subtype_id"])

    def _get_letter_log_body(self):
        """The note logged on the customer for a letter sent without email."""
        self.ensure_one()
        if self.kind == "reminder":
            return self.env._(
                "Reminder letter (%(level)s) to print: %(amount)s overdue.",
                level=self.level_id.name,
                amount=self.currency_id.format(self.amount_total),
            )
        return self.env._("Letter to print: %(title)s.", title=self._get_letter_title())

    def _create_activities(self):
        """The follow-up activities the reminders' levels ask for."""
        with_activity = self.filtered(lambda c: c.level_id.create_activity)
        if not with_activity:
            return self.env["mail.activity"]
        model_id = self.env["ir.model"]._get_id("res.partner")
        default_type = self.env.ref("mail.mail_activity_data_todo")
        vals_list = []
        for communication in with_activity:
            level = communication.level_id
            partner = communication.partner_id.with_company(communication.company_id)
            if level.activity_responsible == "salesperson":
                user = partner.user_id
            elif level.activity_responsible == "user":
                user = level.activity_user_id
            else:
                user = partner.collector_id or partner.user_id
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": (level.activity_type_id or default_type).id,
                    "user_id": (user or level.activity_user_id or self.env.user).id,
                    "date_deadline": communication.date
                    + datetime.timedelta(days=level.activity_deadline_days),
                    "summary": self.env._(
                        "%(level)s: follow up %(amount)s overdue",
                        level=level.name,
                        amount=communication.currency_id.format(communication.amount_total),
                    ),
                    "note": level.activity_note or False,
                }
            )
        return self.env["mail.activity"].sudo().create(vals_list)

    # ------------------------------------------------------------------
    # BUSINESS: letters
    # ------------------------------------------------------------------

    def _get_report_values(self):
        """What the letter prints: invoices, totals, texts, payment link."""
        self.ensure_one()
        bank = self.company_id.partner_id.bank_ids[:1]
        return {
            "lines": self.line_ids,
            "total": self.amount_total,
            "credit": self.amount_credit,
            "currency": self.currency_id,
            "title": self._get_letter_title(),
            "total_label": self._get_letter_total_label(),
            "body": self.body_text,
            "bank_account": bank.acc_number or "",
            "payment_urls": self._get_payment_urls(),
            "sender_line": self._get_sender_line(),
        }

    def _get_sender_line(self):
        """The company's return address in one line, shown above the envelope window."""
        self.ensure_one()
        company = self.company_id.sudo()
        town = " ".join(filter(None, [company.zip, company.city]))
        return " \N{MIDDLE DOT} ".join(
            filter(None, [company.name, company.street, town, company.country_id.name])
        )

    def _get_letter_total_label(self):
        """What the total under the letter's invoice table is called."""
        self.ensure_one()
        return self.env._("Total overdue")

    def _get_letter_title(self):
        """The letter's heading: the level's title for a reminder, else the kind."""
        self.ensure_one()
        if self.kind == "reminder":
            return self.level_id.letter_title or self.level_id.name
        return dict(self._fields["kind"]._description_selection(self.env))[self.kind]

    def _get_payment_urls(self):
        """``{move_id: url}``: where the customer can pay each listed invoice.

        Only when online payment is set up (a payment provider is enabled for
        the company): the invoice's portal page, with its access token.
        """
        self.ensure_one()
        if "payment.provider" not in self.env:
            return {}
        providers = (
            self.env["payment.provider"]
            .sudo()
            .search_count(
                [("state", "=", "enabled"), ("company_id", "=", self.company_id.id)], limit=1
            )
        )
        if not providers:
            return {}
        return {
            line.move_id.id: line.move_id.get_base_url() + line.move_id.sudo().get_portal_url()
            for line in self.line_ids
        }

    def _get_report_filename(self):
        """File name of the letter, e.g. ``Payment Reminder - Acme - 2026-03-31``."""
        self.ensure_one()
        return clean_filename(
            self.env._(
                "%(kind)s - %(customer)s - %(date)s",
                kind=dict(self._fields["kind"]._description_selection(self.env))[self.kind],
                customer=self.partner_id.name,
                date=fields.Date.to_string(self.date),
            )
        )


class AccountCollectionCommunicationLine(models.Model):
    """An invoice a communication listed, with what it owed at that moment."""

    _name = "account.collection.communication.line"
    _description = "Collections: invoice listed in a communication"
    # written once by the send service, never changed: the communication
    # carries who and when, and a run inserts tens of thousands of rows
    _log_access = False
    _order = "communication_id, due_date, id"

    communication_id = fields.Many2one(
        "account.collection.communication", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="communication_id.company_id")
    # indexed by _move_date_idx, which leads with move_id
    move_id = fields.Many2one("account.move", string="Invoice", required=True)
    level_id = fields.Many2one(
        "account.collection.level", help="The invoice's own dunning level after this reminder."
    )
    date = fields.Date(related="communication_id.date", store=True)
    state = fields.Selection(related="communication_id.state")
    # a posted invoice's date, currency and total do not change: read from it
    invoice_date = fields.Date(related="move_id.invoice_date")
    currency_id = fields.Many2one(related="move_id.currency_id", string="Invoice Currency")
    amount_total = fields.Monetary(
        related="move_id.amount_total", string="Original Amount", currency_field="currency_id"
    )
    # what the invoice owed when the reminder went out
    due_date = fields.Date()
    days_overdue = fields.Integer()
    company_currency_id = fields.Many2one(related="communication_id.currency_id")
    amount_residual = fields.Monetary(string="Open Amount", currency_field="currency_id")
    amount_residual_company = fields.Monetary(
        string="Open Amount (Company Currency)", currency_field="company_currency_id"
    )

    _move_date_idx = models.Index("(move_id, date DESC, id DESC)")

    def write(self, vals):
        if vals:
            raise UserError(self.env._("The invoices a communication listed cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        if any(line.communication_id.state != "to_review" for line in self):
            raise UserError(self.env._("Communications that were sent or refused stay on record."))


class AccountCollectionMoveLevel(models.Model):
    """The dunning level an invoice last reached: one row per invoice reminded.

    Kept by the send service as reminders go out (the latest reminder sent
    wins; a customer gets at most one reminder a day), so that the evaluation reads one narrow table
    instead of searching the history of every invoice it meets.
    """

    _name = "account.collection.move.level"
    _description = "Collections: dunning level an invoice last reached"
    _log_access = False
    _order = "move_id"

    move_id = fields.Many2one("account.move", required=True, ondelete="cascade", readonly=True)
    level_id = fields.Many2one("account.collection.level", ondelete="set null", readonly=True)
    date = fields.Date(required=True, readonly=True)

    _move_unique = models.UniqueIndex("(move_id)")

    @api.model
    def _update_from_lines(self, communications):
        """Record the levels the invoices of ``communications`` (just sent) reached."""
        if not communications:
            return
        self.env["account.collection.communication.line"].flush_model()
        self.env.execute_query(
            SQL(
                """INSERT INTO %(table)s (move_id, level_id, date)
                   SELECT DISTINCT ON (line.move_id) line.move_id, line.level_id, line.date
                     FROM account_collection_communication_line line
                    WHERE line.communication_id = ANY(%(ids)s)
                    ORDER BY line.move_id, line.date DESC, line.id DESC
                   ON CONFLICT (move_id) DO UPDATE
                      SET level_id = EXCLUDED.level_id, date = EXCLUDED.date
                    WHERE EXCLUDED.date >= %(table)s.date""",
                table=SQL.identifier(self._table),
                ids=communications.ids,
            )
        )
        self.invalidate_model()
