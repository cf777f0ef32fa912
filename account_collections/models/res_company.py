from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_auto_run = fields.Boolean(
        string="Daily Dunning Run",
        default=True,
        help="Remind overdue customers every day, by the scheduled action.",
    )
    collection_plan_approval_amount = fields.Monetary(
        string="Plan Approval Above",
        currency_field="currency_id",
        help="A payment plan whose total is above this amount is activated by a collections "
        "manager. 0: every plan can be activated by a collections user.",
    )
    collection_plan_grace_days = fields.Integer(
        string="Plan Grace Days",
        default=5,
        help="Default days an instalment may be late before the plan breaks.",
    )
    collection_hold_overdue_amount = fields.Monetary(
        string="Hold Above Overdue Amount",
        currency_field="currency_id",
        help="A customer whose overdue total reaches this amount goes on credit hold. "
        "0: no such rule.",
    )
    collection_hold_overdue_days = fields.Integer(
        string="Hold After Days Overdue",
        help="A customer with an invoice this many days overdue goes on credit hold. "
        "0: no such rule.",
    )
