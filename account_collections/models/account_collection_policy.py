from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AccountCollectionPolicy(models.Model):
    """A dunning policy: the ordered levels a company reminds customers with."""

    _name = "account.collection.policy"
    _description = "Collections: dunning policy"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    is_default = fields.Boolean(
        string="Default Policy",
        help="Customers without a policy of their own follow the company's default policy.",
    )
    level_ids = fields.One2many("account.collection.level", "policy_id", string="Levels", copy=True)
    level_count = fields.Integer(compute="_compute_level_count")
    note = fields.Text(help="What this policy is for, for the people who choose it.")

    _one_default_per_company = models.UniqueIndex(
        "(company_id) WHERE is_default AND active",
        "A company has one default dunning policy.",
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    @api.model
    def _get_default_policy(self, company):
        """The company's default policy, created from the standard one if missing.

        The standard four-level policy ships as data for the main company; a
        company created later gets a copy of it on first use.
        """
        policy = self.search([("company_id", "=", company.id), ("is_default", "=", True)], limit=1)
        if policy:
            return policy
        template = self.env.ref("account_collections.policy_standard", raise_if_not_found=False)
        if not template:
            return policy
        template = template.sudo()
        levels = template.level_ids
        return (
            self.sudo()
            .create(
                {
                    "name": template.name,
                    "company_id": company.id,
                    "is_default": True,
                    "note": template.note,
                    "level_ids": [
                        fields.Command.create(level.copy_data({"company_id": company.id})[0])
                        for level in levels
                    ],
                }
            )
            .sudo(self.env.su)
        )


class AccountCollectionLevel(models.Model):
    """One step of a dunning policy and what it does when reached."""

    _name = "account.collection.level"
    _description = "Collections: dunning level"
    _order = "policy_id, days, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    policy_id = fields.Many2one(
        "account.collection.policy", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.company_id.currency_id")
    days = fields.Integer(
        string="Days After Due Date",
        required=True,
        help="An invoice reaches this level this many days after its due date. "
        "A negative number sends a courtesy reminder before the due date.",
    )
    min_amount = fields.Monetary(
        string="Minimum Overdue Amount",
        help="The level applies only when the customer's overdue total, in company "
        "currency, is at least this amount.",
    )
    min_days_since_previous = fields.Integer(
        string="Days Since Previous Level",
        default=7,
        help="An invoice reaches this level no sooner than this many days after it "
        "reached the previous one, so the customer has time to react.",
    )
    send_email = fields.Boolean(string="Email", default=True)
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "account.collection.communication")],
        help="The email sent to the customer; the letter is attached to it.",
    )
    email_attach_letter = fields.Boolean(
        string="Attach the Letter",
        default=True,
        help="Attach the letter, as a PDF, to the email.",
    )
    send_letter = fields.Boolean(
        string="Printed Letter",
        help="Prepare a letter to print and post. Letters of a run print as one PDF.",
    )
    letter_title = fields.Char(translate=True, help="The letter's heading.")
    letter_body = fields.Html(
        string="Letter Text",
        translate=True,
        sanitize_style=True,
        help="The level's own words, printed above the list of overdue invoices.",
    )
    create_activity = fields.Boolean(string="Follow-up Activity")
    activity_type_id = fields.Many2one("mail.activity.type")
    activity_responsible = fields.Selection(
        [("collector", "Collector"), ("salesperson", "Salesperson"), ("user", "A Named User")],
        default="collector",
        help="Who gets the activity. The collector is the customer's salesperson when none is set.",
    )
    activity_user_id = fields.Many2one("res.users")
    activity_deadline_days = fields.Integer(string="Activity Deadline (days)", default=3)
    activity_note = fields.Text(translate=True)
    credit_hold = fields.Boolean(
        help="Reaching this level asks for a credit hold on the customer.",
    )
    escalation_review = fields.Boolean(
        help="Reaching this level asks a manager to review the account for escalation.",
    )
    review_required = fields.Boolean(
        string="Awaiting Review",
        help="Reminders at this level wait until an accountant approves them; "
        "otherwise they go automatically.",
    )

    _days_within_bounds = models.Constraint(
        "CHECK (days BETWEEN -365 AND 3650)",
        "A level starts between 365 days before and 3,650 days after the due date.",
    )
    _min_days_since_previous_within_bounds = models.Constraint(
        "CHECK (min_days_since_previous BETWEEN 0 AND 3650)",
        "The waiting days since the previous level are between 0 and 3,650.",
    )
    _days_unique_per_policy = models.UniqueIndex(
        "(policy_id, days)", "Two levels of a policy cannot start on the same day."
    )

    # ------------------------------------------------------------------
    # CONSTRAINT
    # ------------------------------------------------------------------

    @api.constrains("send_email", "mail_template_id", "activity_responsible", "activity_user_id")
    def _check_actions(self):
        for level in self:
            if level.send_email and not level.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "Level %(name)s sends an email: choose its template.", name=level.name
                    )
                )
            if (
                level.create_activity
                and level.activity_responsible == "user"
                and not level.activity_user_id
            ):
                raise ValidationError(
                    self.env._(
                        "Level %(name)s assigns its activity to a named user: choose the user.",
                        name=level.name,
                    )
                )

    @api.constrains("min_amount", "min_days_since_previous", "activity_deadline_days")
    def _check_non_negative(self):
        for level in self:
            if level.min_amount < 0 or level.min_days_since_previous < 0:
                raise ValidationError(
                    self.env._(
                        "Level %(name)s: amounts and waiting days cannot be negative.",
                        name=level.name,
                    )
                )
            if level.activity_deadline_days < 0:
                raise ValidationError(
                    self.env._(
                        "Level %(name)s: the activity deadline cannot be negative.", name=level.name
                    )
                )
