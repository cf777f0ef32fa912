"""Credit limit change requests, reviewed by a collections manager."""

from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountCollectionCreditLimitRequest(models.Model):
    """A request to change a customer's credit limit in one company.

    Anyone selling or collecting may ask, with a justification; a collections
    manager approves (the limit is applied to the customer) or refuses. The
    requests stay as the history of the customer's limit.
    """

    _name = "account.collection.credit.limit.request"
    _inherit = ["mail.thread", "mail.activity.mixin", "account.collection.guard.mixin"]
    _description = "Collections: credit limit change request"
    _order = "create_date desc, id desc"
    _check_company_auto = True
    _collection_protected_fields = frozenset(
        {"state", "current_limit", "requested_by_id", "reviewed_by_id", "review_date"}
    )

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        check_company=True,
        domain="[('parent_id', '=', False)]",
        tracking=True,
    )
    current_limit = fields.Monetary(
        readonly=True, help="The customer's credit limit when the request was made."
    )
    requested_limit = fields.Monetary(required=True, tracking=True)
    justification = fields.Text(required=True)
    requested_by_id = fields.Many2one(
        "res.users", readonly=True, default=lambda self: self.env.user
    )
    state = fields.Selection(
        [
            ("to_approve", "To Approve"),
            ("approved", "Approved"),
            ("refused", "Refused"),
        ],
        default="to_approve",
        required=True,
        readonly=True,
        tracking=True,
    )
    reviewed_by_id = fields.Many2one("res.users", readonly=True)
    review_date = fields.Datetime(readonly=True)
    review_note = fields.Text(help="Why the request was approved or refused.")

    _positive_limit = models.Constraint(
        "CHECK (requested_limit >= 0)", "A credit limit cannot be negative."
    )

    @api.depends("partner_id", "requested_limit")
    def _compute_display_name(self):
        for request in self:
            request.display_name = self.env._(
                "%(customer)s: credit limit %(amount)s",
                customer=request.partner_id.display_name or "",
                amount=request.currency_id.format(request.requested_limit or 0.0),
            )

    @api.model_create_multi
    def create(self, vals_list):
        requests = super().create(vals_list)
        for request in requests:
            partner = request.partner_id.with_company(request.company_id).sudo()
            request._collection_write({"current_limit": partner.credit_limit})
        managers = self.env.ref("account_collections.group_collections_manager").sudo().all_user_ids
        for request in requests:
            user = managers.filtered(lambda u, r=request: r.company_id in u.company_ids)[:1]
            if user:
                request.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=user.id,
                    summary=self.env._("Review the credit limit request"),
                )
        return requests

    def write(self, vals):
        if {"partner_id", "requested_limit", "justification"} & set(vals) and any(
            request.state != "to_approve" for request in self
        ):
            raise UserError(self.env._("A reviewed request cannot be changed."))
        return super().write(vals)

    def _check_reviewer(self):
        if not self.env.user.has_group("account_collections.group_collections_manager"):
            raise UserError(self.env._("Only collections managers review credit limit requests."))
        if any(request.state != "to_approve" for request in self):
            raise UserError(self.env._("This request was reviewed already."))

    def action_approve(self):
        """Apply the requested limits to the customers."""
        self._check_reviewer()
        for request in self:
            partner = request.partner_id.with_company(request.company_id).sudo()
            partner.write({"credit_limit": request.requested_limit})
            partner.message_post(
                body=self.env._(
                    "Credit limit changed from %(old)s to %(new)s (request by %(user)s).",
                    old=request.currency_id.format(request.current_limit),
                    new=request.currency_id.format(request.requested_limit),
                    user=request.requested_by_id.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        self._close("approved")
        return True

    def action_refuse(self):
        self._check_reviewer()
        self._close("refused")
        return True

    def _close(self, state):
        self._collection_write(
            {
                "state": state,
                "reviewed_by_id": self.env.user.id,
                "review_date": fields.Datetime.now(),
            }
        )
        self.activity_unlink(["mail.mail_activity_data_todo"])
