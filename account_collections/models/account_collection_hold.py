import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, split_every

from ..engine import holds as engine

_logger = logging.getLogger(__name__)

#: Customers checked per batch by the scheduled check (a few queries each).
BATCH_SIZE = 1000

REASON_TYPES = [
    ("manual", "Placed by hand"),
    ("dunning_level", "Dunning level"),
    ("overdue_amount", "Overdue amount"),
    ("overdue_days", "Days overdue"),
    ("credit_limit", "Over credit limit"),
]


def to_minor(currency, amount):
    return round(currency.round(amount) * 10**currency.decimal_places)


class AccountCollectionHold(models.Model):
    """A credit hold on a customer in one company: why, since when, by whom.

    Placed by hand (collections manager) or by rule (the scheduled check,
    ``engine.holds``); released by hand, or by the check once its cause is
    cleared. Released holds stay as the customer's history. A customer is on
    hold while any of its holds is in force; the customer gets a notice when
    it goes on hold and when it comes off, through the send service.
    """

    _name = "account.collection.hold"
    _inherit = ["mail.thread", "mail.activity.mixin", "account.collection.guard.mixin"]
    _description = "Collections: credit hold"
    _order = "state, date_start desc, id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset(
        {
            "state",
            "reason_type",
            "level_id",
            "date_start",
            "placed_by_id",
            "date_release",
            "released_by_id",
            "release_reason",
        }
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
        domain=[("parent_id", "=", False)],
    )
    state = fields.Selection(
        [("active", "On Hold"), ("released", "Released")],
        default="active",
        required=True,
        index=True,
        tracking=True,
    )
    reason_type = fields.Selection(REASON_TYPES, string="Cause", required=True, default="manual")
    reason = fields.Text(required=True, help="Why the customer is on hold, as told to it.")
    level_id = fields.Many2one("account.collection.level", string="Dunning Level", readonly=True)
    date_start = fields.Date(
        string="On Hold Since",
        required=True,
        readonly=True,
        default=lambda self: self._default_today(),
    )
    placed_by_id = fields.Many2one("res.users", readonly=True, default=lambda self: self.env.user)
    date_release = fields.Date(string="Released On", readonly=True)
    released_by_id = fields.Many2one("res.users", readonly=True)
    release_reason = fields.Text(readonly=True)
    communication_ids = fields.One2many(
        "account.collection.communication", "hold_id", string="Notices", readonly=True
    )
    notice_reminder_id = fields.Many2one(
        "account.collection.communication",
        string="Told in Reminder",
        readonly=True,
        help="The reminder that put the customer on hold and told it so: no separate "
        "notice went out that day.",
    )

    _one_hold_per_cause = models.UniqueIndex(
        "(company_id, partner_id, reason_type) WHERE state = 'active'",
        "A customer is put on hold once per cause: that hold is already in force.",
    )

    # ------------------------------------------------------------------
    # DEFAULTS / COMPUTE
    # ------------------------------------------------------------------

    def _default_today(self):
        return self.env["account.collection.open.item"]._company_today(self.env.company)

    @api.depends("partner_id", "reason_type")
    def _compute_display_name(self):
        labels = dict(self._fields["reason_type"]._description_selection(self.env))
        for hold in self:
            hold.display_name = " - ".join(
                filter(None, [hold.partner_id.display_name, labels.get(hold.reason_type)])
            )

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------

    @api.constrains("partner_id")
    def _check_partner(self):
        if any(hold.partner_id.parent_id for hold in self):
            raise ValidationError(
                self.env._("A credit hold is placed on a company or an individual, not a contact.")
            )

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Place holds; the customers newly on hold get a notice, salespeople a task."""
        if not self.env.su and not self._is_manager():
            raise UserError(self.env._("Only collections managers can put a customer on hold."))
        if not self.env.su and any(vals.get("notice_reminder_id") for vals in vals_list):
            raise UserError(self.env._("Only the dunning run links a hold to its reminder."))
        partner_ids = {vals.get("partner_id") for vals in vals_list}
        companies = {vals.get("company_id") or self.env.company.id for vals in vals_list}
        held_before = self._get_held_keys(companies, partner_ids)
        holds = super().create(vals_list)
        holds._on_placed(held_before)
        return holds

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Credit holds stay on record: release them instead."))

    def _is_manager(self):
        return self.env.user.has_group("account_collections.group_collections_manager")

    @api.model
    def _get_held_keys(self, company_ids, partner_ids):
        """``{(company_id, partner_id)}`` of the given customers on hold now, one query."""
        rows = self.sudo()._read_group(
            [
                ("state", "=", "active"),
                ("company_id", "in", list(company_ids)),
                ("partner_id", "in", [pid for pid in partner_ids if pid]),
            ],
            ["company_id", "partner_id"],
        )
        return {(company.id, partner.id) for company, partner in rows}

    # ------------------------------------------------------------------
    # BUSINESS: by hand
    # ------------------------------------------------------------------

    def action_release(self):
        """Release the holds by hand (collections manager)."""
        if not self._is_manager():
            raise UserError(self.env._("Only collections managers can release a credit hold."))
        active = self.filtered(lambda h: h.state == "active")
        active._release(self.env._("Released by %(user)s.", user=self.env.user.name))
        return True

    # ------------------------------------------------------------------
    # BUSINESS: place and release
    # ------------------------------------------------------------------

    def _release(self, reason):
        """Release these holds; customers no longer on hold get the release notice."""
        if not self:
            return
        self.sudo().write(
            {
                "state": "released",
                "date_release": self._default_today(),
                "released_by_id": self.env.user.id,
                "release_reason": reason,
            }
        )
        for hold in self:
            hold.message_post(body=reason, subtype_xmlid="mail.mt_note")
        still_held = self._get_held_keys(set(self.company_id.ids), set(self.partner_id.ids))
        freed = self.filtered(lambda h: (h.company_id.id, h.partner_id.id) not in still_held)
        # one notice per customer, for the last hold released
        last = {}
        for hold in freed:
            last[hold.company_id.id, hold.partner_id.id] = hold
        freed = self.browse([hold.id for hold in last.values()])
        freed._notify_salespeople(released=True)
        freed._send_notices("hold_release")

    def _on_placed(self, held_before):
        """Tell the salespeople; send the notice to customers who were not on hold yet."""
        for hold in self:
            hold.message_post(
                body=self.env._("Customer put on hold: %(reason)s", reason=hold.reason),
                subtype_xmlid="mail.mt_note",
            )
        first = {}
        for hold in self:
            key = (hold.company_id.id, hold.partner_id.id)
            if key not in held_before:
                first.setdefault(key, hold)
        newly = self.browse([hold.id for hold in first.values()])
        self._notify_salespeople(released=False)
        # a hold placed by a reminder was told in that reminder: one message a day
        newly.filtered(lambda hold: not hold.notice_reminder_id)._send_notices("hold_notice")

    def _notify_salespeople(self, released):
        """A note on the customer and a to-do for its salesperson (else its collector)."""
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id("res.partner")
        activities = []
        for hold in self:
            partner = hold.partner_id.with_company(hold.company_id)
            if released:
                body = self.env._(
                    "%(customer)s is no longer on credit hold in %(company)s.",
                    customer=partner.display_name,
                    company=hold.company_id.name,
                )
            else:
                body = self.env._(
                    "%(customer)s is on credit hold in %(company)s: %(reason)s "
                    "No new sales on credit until it is released.",
                    customer=partner.display_name,
                    company=hold.company_id.name,
                    reason=hold.reason,
                )
            partner.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")
            user = partner.user_id or partner.collection_collector_id
            if user and not released:
                activities.append(
                    {
                        "res_model_id": model_id,
                        "res_id": partner.id,
                        "activity_type_id": activity_type.id,
                        "user_id": user.id,
                        "date_deadline": hold.date_start,
                        "summary": self.env._("Customer on credit hold"),
                        "note": body,
                    }
                )
        return self.env["mail.activity"].sudo().create(activities)

    def _send_notices(self, kind):
        """The hold (or release) notice of each hold, through the send service."""
        if not self:
            return self.env["account.collection.communication"]
        template = self.env.ref(
            f"account_collections.mail_template_{kind}", raise_if_not_found=False
        )
        lines_by_key = self._get_overdue_lines() if kind == "hold_notice" else {}
        vals_list, lines_list = [], []
        for hold in self:
            lines = lines_by_key.get((hold.company_id.id, hold.partner_id.id), [])
            lines_list.append(lines)
            vals_list.append(
                {
                    "company_id": hold.company_id.id,
                    "partner_id": hold.partner_id.id,
                    "kind": kind,
                    "hold_id": hold.id,
                    "date": hold.date_release or hold.date_start,
                    "send_email": bool(template),
                    "mail_template_id": template.id if template else False,
                    "email_attach_letter": True,
                    "send_letter": not template,
                    "credit_hold": kind == "hold_notice",
                    "amount_total": hold.currency_id.round(
                        sum(line["amount_residual_company"] for line in lines)
                    ),
                    "body_text": hold._get_notice_body(kind),
                }
            )
        # the send service writes records nobody edits by hand: it runs as superuser
        sent, refused = (
            self.env["account.collection.communication"].sudo()._send(vals_list, lines_list)
        )
        for communication in refused:
            self.browse(communication.hold_id.id).message_post(
                body=self.env._(
                    "The notice could not be sent: %(reason)s",
                    reason=communication.refusal_reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return (sent | refused).sudo(False)

    def _get_overdue_lines(self):
        """``{(company_id, partner_id): [line dict]}``: the overdue invoices (seam 1)."""
        open_items = self.env["account.collection.open.item"]
        result = {}
        for company, holds in self.grouped("company_id").items():
            open_items._flush_open_items()
            rows = self.env.execute_query(
                SQL(
                    """SELECT items.partner_id, items.move_id, MIN(items.due_date),
                              MAX(items.days_overdue), SUM(items.net_amount),
                              SUM(items.amount_currency)
                         FROM (%(items)s) items
                        WHERE items.amount > 0 AND items.days_overdue > 0
                          AND items.net_amount > 0
                        GROUP BY items.partner_id, items.move_id
                        ORDER BY MIN(items.due_date), items.move_id""",
                    items=open_items._open_items_sql(
                        open_items._as_of_dates(company), holds.partner_id.ids
                    ),
                )
            )
            for partner_id, move_id, due, days, net, amount_currency in rows:
                result.setdefault((company.id, partner_id), []).append(
                    {
                        "move_id": move_id,
                        "due_date": due,
                        "days_overdue": days,
                        "amount_residual": amount_currency,
                        "amount_residual_company": company.currency_id.round(net),
                    }
                )
        return result

    def _get_notice_body(self, kind):
        """What the notice says, in the customer's language; escaped values only."""
        self.ensure_one()
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        if kind == "hold_release":
            text = env._(
                "Your account is no longer on credit hold: orders on credit are open again. "
                "Thank you for settling it."
            )
        else:
            text = env._(
                "Your account has been put on credit hold on %(date)s: %(reason)s "
                "Until the overdue balance below is settled, we cannot accept new orders on "
                "credit.",
                date=fields.Date.to_string(self.date_start),
                reason=self.reason,
            )
        return Markup("<p>%s</p>") % text

    # ------------------------------------------------------------------
    # BUSINESS: the scheduled check (seam 5)
    # ------------------------------------------------------------------

    @api.model
    def _cron_check_holds(self):
        """Place and release rule holds in every company."""
        for company in self._get_companies_to_check():
            if not self.with_company(company)._check_company_holds(company, commit=True):
                return  # out of time: the cron calls again

    @api.model
    def _get_companies_to_check(self):
        """Companies with a hold rule on, a dunning level asking for holds, or a rule hold
        to reconsider."""
        level_companies = [
            company.id
            for [company] in self.env["account.collection.level"]
            .sudo()
            ._read_group([("credit_hold", "=", True)], ["company_id"])
        ]
        held_companies = [
            company.id
            for [company] in self.sudo()._read_group(
                [("state", "=", "active"), ("reason_type", "!=", "manual")], ["company_id"]
            )
        ]
        return self.env["res.company"].search(
            [
                "|",
                "|",
                "|",
                ("collection_hold_overdue_amount", ">", 0),
                ("collection_hold_overdue_days", ">", 0),
                ("account_use_credit_limit", "=", True),
                ("id", "in", level_companies + held_companies),
            ]
        )

    @api.model
    def _check_company_holds(self, company, partner_ids=None, commit=False):
        """Apply the hold rules in ``company`` to its customers (or to ``partner_ids``).

        :return: whether the check finished (False: out of time).
        """
        hold = (
            self.sudo()
            .with_company(company)
            .with_context(
                allowed_company_ids=company.ids,
                mail_create_nosubscribe=True,
                mail_notrack=True,
            )
        )
        candidates = hold._get_candidate_partner_ids(company, partner_ids)
        remaining = len(candidates)
        if commit:
            self.env["ir.cron"]._commit_progress(remaining=remaining)
        for batch in split_every(BATCH_SIZE, candidates):
            hold._check_batch(company, list(batch))
            remaining -= len(batch)
            if (
                commit
                and self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining) <= 0
            ):
                return False
        return True

    @api.model
    def _get_candidate_partner_ids(self, company, partner_ids=None):
        """Customers with something open in the company, or a rule hold to reconsider."""
        open_items = self.env["account.collection.open.item"]
        open_items._flush_open_items()
        self.flush_model(["state", "partner_id", "company_id", "reason_type"])
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id FROM (%(items)s) items WHERE amount > 0
                    UNION
                   SELECT partner_id FROM account_collection_hold
                    WHERE company_id = %(company)s AND state = 'active'
                      AND reason_type != 'manual'
                      AND (%(all)s OR partner_id = ANY(%(ids)s))
                    ORDER BY partner_id""",
                items=open_items._open_items_sql(open_items._as_of_dates(company), partner_ids),
                company=company.id,
                all=partner_ids is None,
                ids=list(partner_ids or []),
            )
        )
        return [partner_id for (partner_id,) in rows]

    @api.model
    def _check_batch(self, company, partner_ids):
        """One batch: lock, evaluate set-based, apply; a failing customer is logged alone."""
        partners = self.env["res.partner"].browse(partner_ids).try_lock_for_update()
        try:
            with self.env.cr.savepoint():
                self._apply_rules(company, partners)
        except Exception:  # noqa: BLE001 - isolate the customer that fails, below
            _logger.info("Hold check batch failed, retrying customer by customer", exc_info=True)
            self.env.invalidate_all()
            for partner in partners:
                try:
                    with self.env.cr.savepoint():
                        self._apply_rules(company, partner)
                except Exception as error:  # noqa: BLE001 - recorded, the check goes on
                    self.env.invalidate_all()
                    _logger.warning("Hold check failed for partner %s: %s", partner.id, error)
                    partner.message_post(
                        body=self.env._(
                            "The credit hold check could not run for this customer: %(error)s",
                            error=str(error) or error.__class__.__name__,
                        ),
                        subtype_xmlid="mail.mt_note",
                    )

    @api.model
    def _apply_rules(self, company, partners):
        """Place the holds the rules want and release those they no longer want."""
        if not partners:
            return
        currency = company.currency_id
        open_items = self.env["account.collection.open.item"]
        summaries = open_items._get_customer_summaries(partners, company)
        run = self.env["account.collection.run"].new(
            {"company_id": company.id, "date": open_items._company_today(company)}
        )
        levels = run._get_current_levels(partners.ids)
        limits = {}
        if company.account_use_credit_limit:
            limits = {
                partner.id: partner.credit_limit
                for partner in partners.with_company(company).sudo()
            }
        thresholds = engine.Thresholds(
            overdue_amount=to_minor(currency, company.collection_hold_overdue_amount),
            overdue_days=company.collection_hold_overdue_days,
            use_credit_limit=company.account_use_credit_limit,
        )
        wanted = {}
        for partner in partners:
            row = summaries.get((company.id, partner.id), {})
            level = levels.get(partner.id)
            position = engine.Position(
                total_due=to_minor(currency, row.get("total_due", 0.0)),
                total_overdue=to_minor(currency, row.get("total_overdue", 0.0)),
                days_overdue=row.get("days_overdue", 0),
                credit_limit=to_minor(currency, limits.get(partner.id, 0.0)),
                level_hold=bool(level and level.credit_hold),
            )
            wanted[partner.id] = engine.hold_reasons(position, thresholds)
        active_holds = self.search(
            [
                ("company_id", "=", company.id),
                ("partner_id", "in", partners.ids),
                ("state", "=", "active"),
                ("reason_type", "!=", "manual"),
            ]
        )
        active = {}
        for hold in active_holds:
            active.setdefault(hold.partner_id.id, set()).add(hold.reason_type)
        place, release = engine.hold_changes(wanted, active)
        if release:
            keys = set(release)
            active_holds.filtered(lambda h: (h.partner_id.id, h.reason_type) in keys)._release(
                self.env._("Released automatically: the cause is cleared.")
            )
        if place:
            self._collection_create(
                [
                    {
                        "company_id": company.id,
                        "partner_id": partner_id,
                        "reason_type": reason,
                        "reason": self._describe(
                            reason,
                            summaries.get((company.id, partner_id), {}),
                            levels,
                            limits,
                            partner_id,
                            company,
                        ),
                        "level_id": levels[partner_id].id if reason == "dunning_level" else False,
                        "placed_by_id": self.env.user.id,
                    }
                    for partner_id, reason in place
                ]
            )

    @api.model
    def _place_for_reminders(self, reminders):
        """Put on hold, at once, the customers of ``reminders`` (sent) whose
        level asks for a credit hold, unless a level hold is active already;
        the daily check would place the same hold, and releases it."""
        # one hold per customer, from its first reminder that asks for one
        first = {}
        for reminder in self._reminders_telling_the_hold(reminders):
            first.setdefault((reminder.company_id.id, reminder.partner_id.id), reminder)
        vals_list = [
            {
                "company_id": reminder.company_id.id,
                "partner_id": reminder.partner_id.id,
                "reason_type": "dunning_level",
                "reason": self._describe(
                    "dunning_level",
                    {},
                    {reminder.partner_id.id: reminder.level_id},
                    {},
                    reminder.partner_id.id,
                    reminder.company_id,
                ),
                "level_id": reminder.level_id.id,
                "placed_by_id": self.env.user.id,
                "notice_reminder_id": reminder.id,
            }
            for reminder in first.values()
        ]
        if not vals_list:
            return self
        return (
            self.sudo()
            .with_context(mail_create_nosubscribe=True, mail_notrack=True)
            .create(vals_list)
        )

    @api.model
    def _reminders_telling_the_hold(self, reminders):
        """The reminders among ``reminders`` that put their customer on hold (their
        level asks for it and no level hold is active yet): they say so themselves,
        instead of a separate hold notice the same day."""
        reminders = reminders.filtered(lambda c: c.kind == "reminder" and c.level_id.credit_hold)
        if not reminders:
            return reminders
        active = self.sudo().search(
            [
                ("partner_id", "in", reminders.partner_id.ids),
                ("company_id", "in", reminders.company_id.ids),
                ("state", "=", "active"),
                ("reason_type", "=", "dunning_level"),
            ]
        )
        held = {(hold.company_id.id, hold.partner_id.id) for hold in active}
        return reminders.filtered(lambda c: (c.company_id.id, c.partner_id.id) not in held)

    @api.model
    def _get_reminder_hold_text(self, partner):
        """The paragraph a reminder adds when it puts the customer on hold, in the
        customer's language (plain text: the caller escapes it)."""
        env = self.with_context(lang=partner.lang or self.env.lang).env
        return env._(
            "Your account is now on credit hold: until the overdue balance below is settled, "
            "we cannot accept new orders on credit."
        )

    @api.model
    def _describe(self, reason, row, levels, limits, partner_id, company):
        """The reason of a rule hold, in words."""
        currency = company.currency_id
        if reason == "dunning_level":
            return self.env._(
                "the dunning level %(level)s was reached.", level=levels[partner_id].name
            )
        if reason == "overdue_amount":
            return self.env._(
                "%(amount)s is overdue, at or above the %(limit)s threshold.",
                amount=currency.format(row.get("total_overdue", 0.0)),
                limit=currency.format(company.collection_hold_overdue_amount),
            )
        if reason == "overdue_days":
            return self.env._(
                "an invoice is %(days)s days overdue (threshold: %(limit)s days).",
                days=row.get("days_overdue", 0),
                limit=company.collection_hold_overdue_days,
            )
        return self.env._(
            "the balance of %(amount)s is over the credit limit of %(limit)s.",
            amount=currency.format(row.get("total_due", 0.0)),
            limit=currency.format(limits.get(partner_id, 0.0)),
        )
