from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_auto_run = fields.Boolean(
        string="Daily Dunning Run",
        default=True,
        help="Remind overdue customers every day, by the scheduled action.",
    )
