from odoo import fields, models


class AccountPaymentTerm(models.Model):
    _inherit = "account.payment.term"

    collection_cash_on_delivery = fields.Boolean(
        string="Cash on Delivery",
        help="Invoices under this term are paid on delivery: still unpaid the company's "
        "cash-on-delivery days after their invoice date, they go to the top of the "
        "collectors' worklist with a follow-up activity.",
    )
