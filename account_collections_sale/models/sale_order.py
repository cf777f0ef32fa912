from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.account_collections.models.account_collection_guard import changes_are_trusted

#: Set only by "Confirm Despite Hold", after it checked the user is a collections manager.
OVERRIDE_FIELDS = frozenset({"collection_hold_override_by_id", "collection_hold_override_date"})


class SaleOrder(models.Model):
    _inherit = "sale.order"

    collection_on_hold = fields.Boolean(
        string="Customer on Credit Hold",
        compute="_compute_collection_hold",
        help="The customer is on credit hold in the order's company: confirming the order "
        "needs a collections manager's override.",
    )
    collection_hold_reason = fields.Char(
        string="Credit Hold Reason", compute="_compute_collection_hold"
    )
    collection_hold_override_by_id = fields.Many2one(
        "res.users",
        string="Hold Overridden By",
        readonly=True,
        copy=False,
        help="The collections manager who confirmed the order despite the credit hold.",
    )
    collection_hold_override_date = fields.Datetime(
        string="Hold Overridden On", readonly=True, copy=False
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("partner_id", "company_id")
    def _compute_collection_hold(self):
        # salespeople may not read holds: a narrow read of what they need to know
        holds = (
            self.env["account.collection.hold"]
            .sudo()
            .search_fetch(
                [
                    ("state", "=", "active"),
                    ("partner_id", "in", self.partner_id.commercial_partner_id.ids),
                    ("company_id", "in", self.company_id.ids),
                ],
                ["partner_id", "company_id", "reason"],
            )
        )
        reasons = {}
        for hold in holds:
            reasons.setdefault((hold.company_id.id, hold.partner_id.id), []).append(hold.reason)
        for order in self:
            key = (order.company_id.id, order.partner_id.commercial_partner_id.id)
            order.collection_on_hold = key in reasons
            order.collection_hold_reason = " ".join(reasons.get(key, [])) or False

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_override_fields(vals)
        orders = self
        if not changes_are_trusted(self.env):
            # the client's context may not default what its values may not set
            keys = {f"default_{name}" for name in OVERRIDE_FIELDS}
            context = {key: value for key, value in self.env.context.items() if key not in keys}
            orders = self.with_env(self.env(context=context))
        return super(SaleOrder, orders).create(vals_list)

    def write(self, vals):
        self._check_override_fields(vals)
        return super().write(vals)

    def _check_override_fields(self, vals):
        if OVERRIDE_FIELDS & set(vals) and not changes_are_trusted(self.env):
            raise AccessError(
                self.env._(
                    "A credit hold is overridden only by a collections manager, with "
                    '"Confirm Despite Hold".'
                )
            )

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    def _confirmation_error_message(self):
        """A customer on credit hold blocks the confirmation, and the salesperson is told
        why and who can override it."""
        message = super()._confirmation_error_message()
        if message or not self.collection_on_hold or self.collection_hold_override_by_id:
            return message
        return self.env._(
            "%(customer)s is on credit hold: %(reason)s The order cannot be confirmed until "
            "the hold is released, unless a collections manager confirms it with "
            '"Confirm Despite Hold".',
            customer=self.partner_id.commercial_partner_id.display_name,
            reason=self.collection_hold_reason,
        )

    def action_confirm_despite_hold(self):
        """Confirm orders of customers on hold: a collections manager's override, recorded."""
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise UserError(
                self.env._("Only a collections manager can confirm an order despite a credit hold.")
            )
        held = self.filtered("collection_on_hold")
        # the override is the collections manager's to record, whoever owns the order
        held.sudo().write(
            {
                "collection_hold_override_by_id": self.env.user.id,
                "collection_hold_override_date": fields.Datetime.now(),
            }
        )
        for order in held:
            order.message_post(
                body=self.env._(
                    "Confirmed despite the customer's credit hold (%(reason)s) by %(user)s.",
                    reason=order.collection_hold_reason,
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return self.action_confirm()
