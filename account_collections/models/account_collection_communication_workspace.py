from odoo import api, fields, models


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

    @api.model
    def _get_recipients(self, partners):
        """A child contact marked as the collections contact, with an email,
        receives the customer's letters and emails before its invoice contact."""
        recipients = super()._get_recipients(partners)
        contacts = self.env["res.partner"].search_fetch(
            [
                ("parent_id", "in", partners.ids),
                ("collection_contact", "=", True),
                ("email", "!=", False),
            ],
            ["parent_id"],
            order="id",
        )
        for contact in contacts[::-1]:  # the first collections contact wins
            recipients[contact.parent_id.id] = contact
        return recipients
