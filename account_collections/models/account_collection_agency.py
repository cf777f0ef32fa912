from odoo import fields, models


class AccountCollectionAgency(models.Model):
    """A collection agency and the company's placement contract with it."""

    _name = "account.collection.agency"
    _description = "Collections: collection agency contract"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(related="partner_id.name", store=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Agency",
        required=True,
        index=True,
        help="The agency's contact: placement files go to its email address.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    commission_rate = fields.Float(
        string="Commission (%)", digits=(5, 2), help="The agency's share of what it collects."
    )
    commission_on_direct_payments = fields.Boolean(
        help="Payments the customer makes to the company directly while placed still earn "
        "the agency its commission."
    )
    recall_days = fields.Integer(
        string="Recall After (Days)",
        default=180,
        help="A placement not collected after this many days is due for recall.",
    )
    placement_ids = fields.One2many("account.collection.placement", "agency_id")

    _commission_range = models.Constraint(
        "CHECK(commission_rate BETWEEN 0 AND 100)",
        "A commission lies between 0 and 100 percent.",
    )
    _one_contract_per_company = models.UniqueIndex(
        "(company_id, partner_id) WHERE active",
        "An agency has one active contract per company.",
    )
