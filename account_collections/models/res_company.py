from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_auto_run = fields.Boolean(
        string="Daily Dunning Run",
        default=True,
        help="Remind overdue customers every day, by the scheduled action.",
    )
    collection_promise_grace_days = fields.Integer(
        string="Promise Grace Days",
        default=3,
        help="Days after a promised date before an unpaid promise counts as broken; "
        "dunning waits until then.",
    )
    collection_dispute_user_id = fields.Many2one(
        "res.users",
        string="Dispute Handler",
        domain=[("share", "=", False)],
        help="Resolves disputes of invoices without a salesperson.",
    )
    collection_worklist_date = fields.Date(
        string="Worklist Built On", readonly=True, help="The day the worklist was last rebuilt."
    )
