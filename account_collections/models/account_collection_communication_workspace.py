from odoo import fields, models


class AccountCollectionCommunication(models.Model):
    """The collector's workspace sends through the same service (seam 4).

    A payment commitment letter is a communication of kind "promise"; telling
    a customer its dispute is rejected, of kind "dispute_rejected".
    """

    _inherit = "account.collection.communication"

    kind = fields.Selection(
        selection_add=[("promise", "Payment Commitment"), ("dispute_rejected", "Dispute Rejected")],
        ondelete={"promise": "cascade", "dispute_rejected": "cascade"},
    )
    promise_id = fields.Many2one(
        "account.collection.promise", readonly=True, index="btree_not_null", ondelete="set null"
    )
    dispute_id = fields.Many2one(
        "account.collection.dispute", readonly=True, index="btree_not_null", ondelete="set null"
    )
