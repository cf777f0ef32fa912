from odoo import api, models

CHANNELS = ("email", "letter")


class AccountCollectionGate(models.AbstractModel):
    """Seam 3: may we contact this customer on this channel now?

    Every outgoing contact asks :meth:`_check`. Rules are small set-based
    methods, run in order; each returns the customers it refuses with a
    reason. Later features add rules by overriding :meth:`_get_gate_rules`.
    """

    _name = "account.collection.gate"
    _description = "Collections: contact gate"

    @api.model
    def _get_gate_rules(self):
        """Ordered ``[(code, method)]``; a method takes (partners, channel,
        recipients) and returns ``{partner_id: reason}``."""
        return [
            ("excluded", self._rule_excluded),
            ("do_not_contact", self._rule_do_not_contact),
            ("no_address", self._rule_no_address),
            ("blacklisted", self._rule_blacklisted),
        ]

    @api.model
    def _check(self, partners, channel, recipients=None):
        """Refusals for contacting ``partners`` on ``channel``.

        :param partners: commercial partners (customers).
        :param channel: ``"email"`` or ``"letter"``.
        :param recipients: ``{partner_id: recipient partner}``: where the
            message goes (the invoice address); the customer by default.
        :return: ``{partner_id: reason}`` for each refused customer; the
            first rule that refuses gives the reason.
        """
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel}")
        recipients = recipients or {}
        recipients = {partner.id: recipients.get(partner.id, partner) for partner in partners}
        refused = {}
        remaining = partners
        for _code, rule in self._get_gate_rules():
            if not remaining:
                break
            refused.update(rule(remaining, channel, recipients))
            remaining = remaining.filtered(lambda partner: partner.id not in refused)
        return refused

    # ------------------------------------------------------------------
    # Rules
    # ------------------------------------------------------------------

    @api.model
    def _rule_excluded(self, partners, channel, recipients):
        return {
            partner.id: self.env._("The customer is excluded from dunning.")
            for partner in partners
            if partner.collection_excluded
        }

    @api.model
    def _rule_do_not_contact(self, partners, channel, recipients):
        return {
            partner.id: self.env._("The customer is marked do-not-contact.")
            for partner in partners
            if partner.collection_do_not_contact
        }

    @api.model
    def _rule_no_address(self, partners, channel, recipients):
        refused = {}
        for partner in partners:
            recipient = recipients[partner.id]
            if channel == "email" and not recipient.email_normalized:
                refused[partner.id] = self.env._(
                    "%(name)s has no valid email address.", name=recipient.display_name
                )
            elif channel == "letter" and not (
                (recipient.street or recipient.street2) and recipient.city and recipient.country_id
            ):
                refused[partner.id] = self.env._(
                    "%(name)s has no complete postal address (street, city, country).",
                    name=recipient.display_name,
                )
        return refused

    @api.model
    def _rule_blacklisted(self, partners, channel, recipients):
        if channel != "email":
            return {}
        emails = {
            recipients[partner.id].email_normalized
            for partner in partners
            if recipients[partner.id].email_normalized
        }
        blacklisted = set(
            self.env["mail.blacklist"]
            .sudo()
            .search_fetch([("email", "in", list(emails))], ["email"])
            .mapped("email")
        )
        return {
            partner.id: self.env._(
                "%(email)s is on the email blacklist.",
                email=recipients[partner.id].email_normalized,
            )
            for partner in partners
            if recipients[partner.id].email_normalized in blacklisted
        }
