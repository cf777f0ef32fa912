from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError


class ResPartnerSendReminder(models.TransientModel):
    """Send a customer's reminder now, after a preview of what will go out."""

    _name = "res.partner.send.reminder"
    _description = "Collections: send a reminder now"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    level_id = fields.Many2one(
        "account.collection.level",
        compute="_compute_preview",
        help="The level the reminder goes at: the next level due today, or the "
        "customer's current level when nothing has moved since the last reminder.",
    )
    resend = fields.Boolean(
        compute="_compute_preview", help="Nothing new is due: this repeats the current level."
    )
    preview = fields.Html(compute="_compute_preview", sanitize=True)

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("partner_id", "company_id")
    def _compute_preview(self):
        for wizard in self:
            decision, run, moves = wizard._get_decision()
            wizard.level_id = decision.level.key if decision and decision.level else False
            wizard.resend = bool(decision and decision.level and not decision.advanced)
            wizard.preview = wizard._render_preview(decision, run, moves)

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    def _get_decision(self):
        """The decision for this customer today, with the run and invoice data."""
        self.ensure_one()
        company = self.company_id
        run = self.env["account.collection.run"].new(
            {
                "company_id": company.id,
                "date": self.env["account.collection.open.item"]._company_today(company),
            }
        )
        customer = self.partner_id.commercial_partner_id
        decisions = run._evaluate([customer.id], include_current=True)
        if customer.id not in decisions:
            return None, run, {}
        return decisions[customer.id][1], run, decisions[customer.id]

    def _render_preview(self, decision, run, data):
        if not decision or not decision.level:
            return Markup("<p>%s</p>") % self.env._(
                "Nothing to remind: this customer has no overdue invoice in dunning."
            )
        policy, decision, move_data = data
        level = self.env["account.collection.level"].browse(decision.level.key)
        customer = self.partner_id.commercial_partner_id
        recipients = self.env["account.collection.communication"]._get_recipients(customer)
        recipient = recipients[customer.id]
        gate = self.env["account.collection.gate"]
        channels = []
        for channel, wanted in (("email", level.send_email), ("letter", level.send_letter)):
            if not wanted:
                continue
            refusal = gate._check(customer, channel, recipients).get(customer.id)
            channels.append(
                escape(channel.title())
                + (Markup(" <b>(%s)</b>") % refusal if refusal else Markup(""))
            )
        currency = self.company_id.currency_id
        rows = Markup("").join(
            Markup(
                "<tr><td>%s</td><td>%s</td>"
                "<td class='text-end'>%s</td><td class='text-end'>%s</td></tr>"
            )
            % (
                move.name,
                move_data[move.id][2],
                move_data[move.id][0],
                currency.format(move_data[move.id][1]),
            )
            for move in self.env["account.move"].browse(decision.listed)
        )
        total = sum(move_data[move_id][1] for move_id in decision.listed)
        return Markup(
            "<p><b>%(level_label)s</b> %(level)s%(resend)s</p>"
            "<p><b>%(to_label)s</b> %(recipient)s</p>"
            "<p><b>%(channels_label)s</b> %(channels)s</p>"
            "<table class='table table-sm'><thead><tr><th>%(invoice)s</th><th>%(due)s</th>"
            "<th class='text-end'>%(days)s</th><th class='text-end'>%(owed)s</th></tr></thead>"
            "<tbody>%(rows)s</tbody></table><p><b>%(total_label)s</b> %(total)s</p>"
        ) % {
            "level_label": self.env._("Level:"),
            "level": level.name,
            "resend": self.env._(" (repeated: nothing new is due)")
            if not decision.advanced
            else "",
            "to_label": self.env._("To:"),
            "recipient": recipient.display_name,
            "channels_label": self.env._("Channels:"),
            "channels": Markup(", ").join(channels) or self.env._("none (activity only)"),
            "invoice": self.env._("Invoice"),
            "due": self.env._("Due"),
            "days": self.env._("Days Overdue"),
            "owed": self.env._("Owed"),
            "rows": rows,
            "total_label": self.env._("Total overdue:"),
            "total": currency.format(total),
        }

    def action_send(self):
        """Create and send the reminder previewed."""
        self.ensure_one()
        decision, run, data = self._get_decision()
        if not decision or not decision.level:
            raise UserError(self.env._("Nothing to remind: no overdue invoice in dunning."))
        customer = self.partner_id.commercial_partner_id
        existing = self.env["account.collection.communication"].search_count(
            [
                ("partner_id", "=", customer.id),
                ("company_id", "=", self.company_id.id),
                ("level_id", "=", decision.level.key),
                ("date", "=", run.date),
                ("state", "!=", "skipped"),
            ]
        )
        if existing:
            raise UserError(
                self.env._("This customer already got its reminder at this level today.")
            )
        communications = self.env["account.collection.communication"]._create_reminders(
            run, customer, {customer.id: data}
        )
        communications.sudo()._deliver()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.collection.communication",
            "res_id": communications.id,
            "views": [(False, "form")],
        }
