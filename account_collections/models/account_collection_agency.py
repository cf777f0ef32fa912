from odoo import fields, models

from ..engine import agency as agency_rules


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
    tier_ids = fields.One2many(
        "account.collection.agency.tier",
        "agency_id",
        string="Commission by Age",
        help="Optional: the rate by the debt's days overdue when placed; the flat rate "
        "applies below the first tier.",
    )
    commission_account_id = fields.Many2one(
        "account.account",
        string="Commission Expense Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_other'))]",
        help="The agency's commission on remittances is booked to this account.",
    )

    _commission_range = models.Constraint(
        "CHECK(commission_rate BETWEEN 0 AND 100)",
        "A commission lies between 0 and 100 percent.",
    )
    _one_contract_per_company = models.UniqueIndex(
        "(company_id, partner_id) WHERE active",
        "An agency has one active contract per company.",
    )

    def _get_commission_rate(self, days_overdue):
        """The commission rate of a debt ``days_overdue`` old when placed."""
        self.ensure_one()
        tiers = [agency_rules.Tier(tier.min_days, tier.rate) for tier in self.tier_ids]
        return agency_rules.commission_rate(days_overdue, tiers, self.commission_rate)


class AccountCollectionAgencyTier(models.Model):
    """A commission tier of an agency contract, by the debt's age when placed."""

    _name = "account.collection.agency.tier"
    _description = "Collections: agency commission tier"
    _order = "agency_id, min_days"
    _check_company_auto = True

    agency_id = fields.Many2one(
        "account.collection.agency", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="agency_id.company_id", store=True, index=True)
    min_days = fields.Integer(string="From Days Overdue", required=True)
    rate = fields.Float(string="Commission (%)", digits=(5, 2), required=True)

    _rate_range = models.Constraint(
        "CHECK(rate BETWEEN 0 AND 100 AND min_days >= 0)",
        "A tier starts at 0 days or later and its commission lies between 0 and 100 percent.",
    )
    _one_rate_per_age = models.UniqueIndex(
        "(agency_id, min_days)", "An agency has one tier per starting age."
    )
