from odoo import fields, models


class AccountCollectionCommunication(models.Model):
    """Seam 4: payment plan agreements and credit hold notices are kinds of
    communication, linked to the plan or hold they are about."""

    _inherit = "account.collection.communication"

    kind = fields.Selection(
        selection_add=[
            ("plan_agreement", "Payment Plan Agreement"),
            ("hold_notice", "Credit Hold Notice"),
            ("hold_release", "Credit Hold Release"),
        ],
        ondelete={
            "plan_agreement": "cascade",
            "hold_notice": "cascade",
            "hold_release": "cascade",
        },
    )
    plan_id = fields.Many2one(
        "account.collection.plan", string="Payment Plan", readonly=True, index="btree_not_null"
    )
    hold_id = fields.Many2one(
        "account.collection.hold", string="Credit Hold", readonly=True, index="btree_not_null"
    )
