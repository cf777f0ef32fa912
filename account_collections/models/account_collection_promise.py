import datetime
import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare, split_every

_logger = logging.getLogger(__name__)

#: Promises checked per batch by the scheduled check.
BATCH_SIZE = 500


class AccountCollectionPromise(models.Model):
    """A customer's promise to pay an amount by a date for some invoices.

    While it is open, dunning leaves the promised invoices alone (seam 2,
    reason "promised"). From its date on, the daily check (seam 5) marks it
    kept once payments on the invoices cover the amount; when the grace days
    have passed without that, partly kept or broken: dunning resumes, the
    collector gets an activity, and a broken promise lowers the customer's
    worklist score.
    """

    _name = "account.collection.promise"
    _inherit = ["mail.thread", "account.collection.guard.mixin"]
    _description = "Collections: promise to pay"
    _order = "date desc, id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset(
        {"state", "made_date", "amount_open", "amount_paid", "checked_date"}
    )
    _collection_locked_states = frozenset({"kept", "partial", "broken", "cancelled"})
    _collection_locked_fields = frozenset(
        {"amount", "date", "grace_days", "move_ids", "partner_id", "company_id"}
    )

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
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        required=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
    )
    call_id = fields.Many2one("account.collection.call", index="btree_not_null")
    move_ids = fields.Many2many(
        "account.move",
        "account_collection_promise_move_rel",
        "promise_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), ('state', '=', 'posted'),"
        " ('move_type', 'in', ('out_invoice', 'out_receipt')),"
        " ('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    made_date = fields.Date(
        string="Made On",
        readonly=True,
        copy=False,
        default=lambda self: self.env["account.collection.open.item"]._company_today(
            self.env.company
        ),
        help="The day the customer promised: an acknowledgement of the debt that restarts "
        "its limitation period.",
    )
    date = fields.Date(string="Promised Date", required=True, tracking=True)
    amount = fields.Monetary(
        compute="_compute_amount",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        tracking=True,
        help="What the customer promised to pay; by default all the invoices still owe.",
    )
    amount_open = fields.Monetary(
        string="Owed When Promised",
        readonly=True,
        help="What the invoices still owed when the promise was made: payments are "
        "measured from there.",
    )
    amount_paid = fields.Monetary(readonly=True, help="Paid on the invoices since the promise.")
    grace_days = fields.Integer(
        compute="_compute_grace_days",
        store=True,
        readonly=False,
        precompute=True,
        help="Days after the promised date before the promise counts as broken.",
    )
    pause_until = fields.Date(
        compute="_compute_pause_until",
        store=True,
        help="Dunning leaves the invoices alone until this day, unless the promise is kept.",
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("kept", "Kept"),
            ("partial", "Partly Kept"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    checked_date = fields.Date(readonly=True, help="When the check settled the promise.")
    communication_ids = fields.One2many(
        "account.collection.communication", "promise_id", string="Letters", readonly=True
    )

    _amount_positive = models.Constraint(
        "CHECK (amount > 0)", "A promise to pay is for a positive amount."
    )
    _grace_days_positive = models.Constraint(
        "CHECK (grace_days >= 0)", "Grace days cannot be negative."
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("move_ids")
    def _compute_amount(self):
        for promise in self:
            promise.amount = promise.currency_id.round(
                sum(promise.move_ids.mapped("amount_residual_signed"))
            )

    @api.depends("company_id")
    def _compute_grace_days(self):
        for promise in self:
            promise.grace_days = promise.company_id.collection_promise_grace_days

    @api.depends("date", "grace_days")
    def _compute_pause_until(self):
        for promise in self:
            promise.pause_until = promise.date and promise.date + datetime.timedelta(
                days=promise.grace_days
            )

    @api.depends("partner_id", "amount", "date")
    def _compute_display_name(self):
        for promise in self:
            promise.display_name = self.env._(
                "%(customer)s: %(amount)s by %(date)s",
                customer=promise.partner_id.display_name or "",
                amount=promise.currency_id.format(promise.amount or 0.0),
                date=promise.date and fields.Date.to_string(promise.date),
            )

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------

    @api.constrains("move_ids", "partner_id", "amount")
    def _check_moves(self):
        for promise in self:
            customer = promise.partner_id.commercial_partner_id
            wrong = promise.move_ids._collection_not_invoices_of(customer)
            if wrong:
                raise ValidationError(
                    self.env._(
                        "A promise covers posted invoices of its customer only: %(moves)s.",
                        moves=", ".join(wrong.mapped("display_name")),
                    )
                )
            owed = sum(promise.move_ids.mapped("amount_residual_signed"))
            if promise.state == "open" and (
                float_compare(promise.amount, owed, precision_rounding=promise.currency_id.rounding)
                > 0
            ):
                raise ValidationError(
                    self.env._(
                        "%(customer)s cannot promise %(amount)s: the invoices owe %(owed)s.",
                        customer=customer.display_name,
                        amount=promise.currency_id.format(promise.amount),
                        owed=promise.currency_id.format(owed),
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
        self._create_handed_over_call(vals_list)
        promises = super().create(vals_list)
        open_items = self.env["account.collection.open.item"]
        for promise in promises:
            today = open_items._company_today(promise.company_id)
            if promise.date < today:
                raise ValidationError(self.env._("A promise to pay is for today or later."))
            promise._collection_write(
                {"amount_open": sum(promise.move_ids.mapped("amount_residual_signed"))}
            )
        promises._log_on_customers(self.env._("Promise to pay"))
        # the call the promise was made in is logged with it
        for call in promises.call_id.filtered(lambda call: not call.logged):
            call._log_done()
        promises._refresh_worklist()
        return promises

    @api.model
    def _create_handed_over_call(self, vals_list):
        """Create the call a "promised to pay" call handed over to the promise
        form (``collection_call_values`` in the context, see
        ``account.collection.call._hand_over_to_promise``): it is saved only
        with its promise. The values are the user's own, created with the
        user's rights, for the promise's customer."""
        call_values = self.env.context.get("collection_call_values")
        if not call_values or len(vals_list) != 1 or vals_list[0].get("call_id"):
            return
        vals = vals_list[0]
        call = (
            self.env["account.collection.call"]
            .with_context(collection_call_values=None)
            .create(
                {
                    **call_values,
                    "partner_id": vals.get("partner_id") or call_values.get("partner_id"),
                    "outcome": "promised",
                }
            )
        )
        vals["call_id"] = call.id

    def write(self, vals):
        if set(vals) & {"move_ids", "partner_id", "company_id"} and any(
            promise.state != "open" for promise in self
        ):
            raise UserError(self.env._("A settled promise keeps its invoices."))
        return super().write(vals)

    @api.model
    def _get_promisable_moves(self, partner, company):
        """The overdue invoices of ``partner`` in ``company`` that dunning may act
        on (seams 1 and 2: not disputed, not already promised...), oldest first:
        what a promise made on the phone covers by default."""
        open_items = self.env["account.collection.open.item"]
        open_items._flush_open_items()
        rows = self.env.execute_query(
            SQL(
                """SELECT items.move_id
                     FROM (%s) items
                     JOIN account_move move ON move.id = items.move_id
                    WHERE items.net_amount > 0 AND items.days_overdue > 0
                      AND move.move_type IN ('out_invoice', 'out_receipt')
                    GROUP BY items.move_id
                    ORDER BY MIN(items.due_date), items.move_id""",
                open_items._open_items_sql(
                    open_items._as_of_dates(company),
                    partner.commercial_partner_id.ids,
                    skip_excluded=True,
                ),
            )
        )
        return self.env["account.move"].browse([move_id for (move_id,) in rows])

    @api.model
    def _check_collections_user(self):
        if not self.env.su and not self.env.user.has_group(
            "account_collections.group_collections_user"
        ):
            raise AccessError(self.env._("Only collections users record promises to pay."))

    # ------------------------------------------------------------------
    # BUSINESS: actions
    # ------------------------------------------------------------------

    def action_cancel(self):
        """Withdraw open promises: dunning resumes on their invoices."""
        self._check_collections_user()
        if any(promise.state != "open" for promise in self):
            raise UserError(self.env._("Only open promises can be cancelled."))
        self._collection_write({"state": "cancelled"})
        self._refresh_worklist()
        return True

    def action_send_letter(self):
        """Send the payment commitment letter (PDF, by email) through the send service."""
        self._check_collections_user()
        _sent, refused = self._send_letters()
        if refused:
            # the refusal stays on record with its reason: show it, do not roll it back
            return {
                "type": "ir.actions.act_window",
                "res_model": refused._name,
                "res_id": refused[0].id,
                "views": [(False, "form")],
                "target": "new",
            }
        return True

    def _send_letters(self):
        """Payment commitment letters of ``self`` as communications of kind "promise"."""
        template = self.env.ref("account_collections.mail_template_promise")
        open_items = self.env["account.collection.open.item"]
        vals_list = []
        lines_list = []
        for promise in self:
            if promise.state != "open":
                raise UserError(self.env._("Only open promises get a commitment letter."))
            today = open_items._company_today(promise.company_id)
            lines = []
            for move in promise.move_ids:
                due = move.invoice_date_due or move.invoice_date
                lines.append(
                    {
                        "move_id": move.id,
                        "amount_residual": move.amount_residual,
                        "amount_residual_company": move.amount_residual_signed,
                        "due_date": due,
                        "days_overdue": (today - due).days if due else 0,
                    }
                )
            lines_list.append(lines)
            lang = promise.partner_id.lang or self.env.lang
            vals_list.append(
                {
                    "company_id": promise.company_id.id,
                    "partner_id": promise.partner_id.id,
                    "kind": "promise",
                    "promise_id": promise.id,
                    "date": today,
                    "send_email": True,
                    "mail_template_id": template.id,
                    "email_attach_letter": True,
                    "send_letter": False,
                    "amount_total": promise.currency_id.round(
                        sum(line["amount_residual_company"] for line in lines)
                    ),
                    "body_text": promise.with_context(lang=lang)._get_commitment_text(),
                }
            )
        return self.env["account.collection.communication"].sudo()._send(vals_list, lines_list)

    def _get_commitment_text(self):
        """The letter's paragraph confirming the promise, in the context's language."""
        self.ensure_one()
        lang = self.env["res.lang"]._get_data(code=self.env.lang)
        return Markup("<p>%s</p>") % self.env._(
            "As agreed with you, you will pay %(amount)s by %(date)s for the invoices "
            "below. We will not send you reminders for them until then. Thank you for "
            "your commitment.",
            amount=self.currency_id.format(self.amount),
            date=self.date.strftime(lang.date_format),
        )

    # ------------------------------------------------------------------
    # BUSINESS: the daily check (seam 5)
    # ------------------------------------------------------------------

    @api.model
    def _cron_check_promises(self):
        """Settle the open promises whose date has come, in every company."""
        open_items = self.env["account.collection.open.item"]
        companies = self.env["res.company"].browse(
            company.id for [company] in self._read_group([("state", "=", "open")], ["company_id"])
        )
        for company in companies:
            today = open_items._company_today(company)
            promises = self.search(
                [("company_id", "=", company.id), ("state", "=", "open"), ("date", "<=", today)]
            )
            remaining = len(promises)
            self.env["ir.cron"]._commit_progress(remaining=remaining)
            for batch in split_every(BATCH_SIZE, promises.ids, self.browse):
                batch._check_promises(today)
                remaining -= len(batch)
                if self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining) <= 0:
                    return

    def _check_promises(self, today):
        """Mark the promises kept, partly kept or broken as of ``today``.

        Locks what it settles (another worker's promises are left to it); the
        batch runs in a savepoint, and when it fails, one promise at a time so
        that the failing one is noted and the others go through. Settled
        promises are not looked at again: a rerun changes nothing.
        """
        locked = self.filtered(lambda p: p.state == "open" and p.date <= today)
        locked = locked.try_lock_for_update()
        if not locked:
            return
        try:
            with self.env.cr.savepoint():
                locked._settle(today)
        except Exception:  # noqa: BLE001 - isolate the failing promise, below
            _logger.info("Promise check failed, retrying one by one", exc_info=True)
            self.env.invalidate_all()
            for promise in locked:
                try:
                    with self.env.cr.savepoint():
                        promise._settle(today)
                except Exception as error:  # noqa: BLE001 - recorded, the check goes on
                    self.env.invalidate_all()
                    _logger.warning("Promise %s could not be checked: %s", promise.id, error)
                    promise.message_post(
                        body=self.env._(
                            "The promise check could not settle this promise: %(error)s",
                            error=str(error) or error.__class__.__name__,
                        ),
                        subtype_xmlid="mail.mt_note",
                    )

    def _settle(self, today):
        """Compare what was paid with what was promised, in batch."""
        outcome = {}
        paid_by_id = {}
        for promise in self:
            currency = promise.currency_id
            owed_now = sum(promise.move_ids.mapped("amount_residual_signed"))
            paid = currency.round(max(promise.amount_open - owed_now, 0.0))
            paid_by_id[promise.id] = paid
            if float_compare(paid, promise.amount, precision_rounding=currency.rounding) >= 0:
                outcome[promise.id] = "kept"
            elif today > promise.pause_until:
                outcome[promise.id] = "partial" if not currency.is_zero(paid) else "broken"
        settled = self.filtered(lambda p: p.id in outcome)
        for (state, paid), promises in settled.grouped(
            lambda p: (outcome[p.id], paid_by_id[p.id])
        ).items():
            promises._collection_write({"state": state, "amount_paid": paid, "checked_date": today})
        failed = settled.filtered(lambda p: p.state in ("partial", "broken"))
        failed._create_broken_activities(today)
        if settled:
            settled._refresh_worklist()
        return settled

    def _create_broken_activities(self, today):
        """An activity for the collector of each promise not kept: dunning resumes."""
        if not self:
            return self.env["mail.activity"]
        activity_type = self.env.ref("account_collections.mail_activity_type_broken_promise")
        model_id = self.env["ir.model"]._get_id("res.partner")
        states = dict(self._fields["state"]._description_selection(self.env))
        return (
            self.env["mail.activity"]
            .sudo()
            .create(
                [
                    {
                        "res_model_id": model_id,
                        "res_id": promise.partner_id.id,
                        "activity_type_id": activity_type.id,
                        "user_id": promise.user_id.id,
                        "date_deadline": today,
                        "summary": self.env._(
                            "Promise %(state)s: %(paid)s paid of %(amount)s promised by %(date)s",
                            state=states[promise.state].lower(),
                            paid=promise.currency_id.format(promise.amount_paid),
                            amount=promise.currency_id.format(promise.amount),
                            date=fields.Date.to_string(promise.date),
                        ),
                    }
                    for promise in self
                ]
            )
        )

    # ------------------------------------------------------------------
    # BUSINESS: helpers
    # ------------------------------------------------------------------

    def _log_on_customers(self, title):
        """A note on each customer, so the promise shows in its history."""
        for promise in self:
            promise.partner_id.sudo().message_post(
                body=Markup("<p><strong>%s</strong></p><p>%s</p>") % (title, promise.display_name),
                subtype_xmlid="mail.mt_note",
                author_id=self.env.user.partner_id.id,
            )

    def _refresh_worklist(self):
        """Rescore the customers of ``self`` on their companies' worklists."""
        for company, promises in self.grouped("company_id").items():
            self.env["account.collection.worklist"]._refresh(company, promises.partner_id)
