import datetime

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

OUTCOMES = [
    ("reached", "Reached"),
    ("no_answer", "No Answer"),
    ("voicemail", "Voicemail"),
    ("wrong_number", "Wrong Number"),
    ("refused", "Refused to Pay"),
    ("promised", "Promised to Pay"),
    ("disputed", "Disputed"),
    ("already_paid", "Says Already Paid"),
    ("bankruptcy", "Claims Bankruptcy"),
]

REASONS = [
    ("cash_flow", "Cash Flow"),
    ("dispute", "Dispute"),
    ("missing_invoice", "Missing Invoice or PO"),
    ("wrong_address", "Wrong Address"),
    ("awaiting_approval", "Awaiting Approval"),
    ("other", "Other"),
]


class AccountCollectionCall(models.Model):
    """A call with a customer about what it owes, and what follows from it.

    The outcome drives the follow-up (:meth:`action_log`): a promise opens
    the promise form, a dispute the dispute form, "says already paid" an
    activity to look for an unapplied payment, a wrong number puts the
    customer in the "locate customer" queue with a skip-trace activity.
    """

    _name = "account.collection.call"
    _inherit = ["account.collection.guard.mixin"]
    _description = "Collections: call with a customer"
    _order = "date desc, id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset({"logged"})

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        domain=[("is_company", "=", True)],
    )
    contact_id = fields.Many2one(
        "res.partner",
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="Who the collector spoke to.",
    )
    phone = fields.Char(related="contact_id.phone", string="Phone")
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        required=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    outcome = fields.Selection(OUTCOMES, required=True)
    reason = fields.Selection(REASONS, string="Reason for Non-Payment")
    notes = fields.Text()
    next_action_date = fields.Date(help="A to-do for the collector on this day.")
    promise_ids = fields.One2many("account.collection.promise", "call_id", string="Promises")
    dispute_ids = fields.One2many("account.collection.dispute", "call_id", string="Disputes")
    logged = fields.Boolean(readonly=True, copy=False)

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("partner_id", "outcome", "date")
    def _compute_display_name(self):
        outcomes = dict(self._fields["outcome"]._description_selection(self.env))
        for call in self:
            call.display_name = " - ".join(
                part
                for part in (
                    call.partner_id.display_name,
                    outcomes.get(call.outcome),
                    call.date and fields.Date.to_string(call.date),
                )
                if part
            )

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("partner_id"):
                partner = self.env["res.partner"].browse(vals["partner_id"])
                vals["partner_id"] = partner.commercial_partner_id.id
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    def action_log(self):
        """Record the call and start what its outcome calls for.

        A promise to pay is recorded with its promise: the call is handed to
        the promise form, prefilled, and is saved with the promise (discarding
        the form leaves neither).

        :return: the promise or dispute form to fill in, or closes the dialog.
        """
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group(
            "account_collections.group_collections_user"
        ):
            raise AccessError(self.env._("Only collections users log calls."))
        if self.logged:
            raise UserError(self.env._("This call is logged already."))
        if self.outcome == "promised" and not self.promise_ids:
            return self._hand_over_to_promise()
        self._log_done()
        if self.outcome == "disputed":
            return self._open_follow_up_form("account.collection.dispute")
        return {"type": "ir.actions.act_window_close"}

    def _log_done(self):
        """Mark the call logged: the customer's history, the activity it
        completes, the follow-ups, the worklist row."""
        self.ensure_one()
        self._collection_write({"logged": True})
        self._log_on_customer()
        self._complete_activity()
        self._create_follow_ups()
        if self.outcome == "wrong_number":
            self.partner_id._collection_mark_skip_trace(
                self.env._("Wrong number (call of %(date)s)", date=self.date.date()),
                self.user_id,
                self.company_id,
            )
        self.env["account.collection.worklist"]._refresh(self.company_id, self.partner_id)

    def _get_call_values(self):
        """The values to create this call again (see :meth:`_hand_over_to_promise`)."""
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "contact_id": self.contact_id.id,
            "user_id": self.user_id.id,
            "date": fields.Datetime.to_string(self.date),
            "outcome": self.outcome,
            "reason": self.reason or False,
            "notes": self.notes or False,
            "next_action_date": self.next_action_date
            and fields.Date.to_string(self.next_action_date),
            "company_id": self.company_id.id,
        }

    def _hand_over_to_promise(self):
        """The promise form, prefilled, that records this call with the promise.

        The unsaved call goes away: the promise creates it again from the form's
        context when it is saved, so a discarded promise leaves no call saying
        "promised to pay" without a promise.
        """
        self.ensure_one()
        if self.create_uid != self.env.user and not self.env.su:
            raise AccessError(self.env._("Only who recorded this call can log it."))
        call_values = self._get_call_values()
        activity_id = self.env.context.get("collection_activity_id")
        partner = self.partner_id
        company = self.company_id
        # the call is saved again with its promise; unlogged, it is only a draft
        # of the user's own (deleting logged calls is for managers)
        self.sudo().unlink()
        promise = self.env["account.collection.promise"]
        moves = promise._get_promisable_moves(partner, company)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Promise to Pay: %(customer)s", customer=partner.display_name),
            "res_model": "account.collection.promise",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": partner.id,
                "default_company_id": company.id,
                "default_user_id": call_values["user_id"],
                "default_move_ids": [Command.set(moves.ids)],
                "collection_call_values": call_values,
                "collection_activity_id": activity_id,
            },
        }

    def _open_follow_up_form(self, model):
        """The promise or dispute form, filled in from the call."""
        return {
            "type": "ir.actions.act_window",
            "res_model": model,
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": self.partner_id.id,
                "default_company_id": self.company_id.id,
                "default_call_id": self.id,
                "default_user_id": self.user_id.id,
            },
        }

    def _log_on_customer(self):
        """A note on the customer's thread, so the call shows in its history."""
        outcomes = dict(self._fields["outcome"]._description_selection(self.env))
        reasons = dict(self._fields["reason"]._description_selection(self.env))
        body = Markup("<p><strong>%s</strong></p>") % self.env._(
            "Call: %(outcome)s", outcome=outcomes[self.outcome]
        )
        if self.reason:
            body += Markup("<p>%s</p>") % self.env._(
                "Reason for non-payment: %(reason)s", reason=reasons[self.reason]
            )
        if self.notes:
            body += Markup("<p>%s</p>") % self.notes
        self.partner_id.sudo().message_post(
            body=body,
            subtype_xmlid="mail.mt_note",
            author_id=self.user_id.partner_id.id,
        )

    def _complete_activity(self):
        """Mark done the follow-up activity the call was logged for, with its outcome."""
        activity_id = self.env.context.get("collection_activity_id")
        if not activity_id:
            return
        activity = self.env["mail.activity"].sudo().browse(activity_id).exists()
        if activity.res_model != "res.partner" or activity.res_id != self.partner_id.id:
            return
        outcomes = dict(self._fields["outcome"]._description_selection(self.env))
        activity.action_feedback(
            feedback=self.env._(
                "Call: %(outcome)s. %(notes)s",
                outcome=outcomes[self.outcome],
                notes=self.notes or "",
            )
        )

    def _create_follow_ups(self):
        """The activities the outcome and the next action date ask for."""
        partner = self.partner_id.sudo()
        today = self.env["account.collection.open.item"]._company_today(self.company_id)
        if self.next_action_date:
            partner.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=self.next_action_date,
                summary=self.env._("Collections: follow up the call of %(date)s", date=today),
                user_id=self.user_id.id,
            )
        if self.outcome == "already_paid":
            partner.activity_schedule(
                "account_collections.mail_activity_type_check_payment",
                date_deadline=today + datetime.timedelta(days=1),
                summary=self.env._("Customer says it paid: look for an unapplied payment"),
                note=self.notes or False,
                user_id=self.user_id.id,
            )
