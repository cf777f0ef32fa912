from odoo import fields, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    collection_communication_id = fields.Many2one(
        "account.collection.communication",
        string="Collections Communication",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        help="The reminder this message (email or letter note) belongs to.",
    )
