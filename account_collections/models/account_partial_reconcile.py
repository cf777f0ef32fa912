import logging

from odoo import api, models

_logger = logging.getLogger(__name__)

PRECOMMIT_KEY = "account_collections.hold_partners"


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._collection_recheck_holds_on_commit()
        return partials

    def _collection_recheck_holds_on_commit(self):
        """A payment may clear a credit hold's cause: recheck the customers' rule holds
        once the reconciliation is complete (before commit), not in its middle."""
        partners = (self.debit_move_id | self.credit_move_id).partner_id.commercial_partner_id
        if not partners:
            return
        data = self.env.cr.precommit.data
        if PRECOMMIT_KEY not in data:
            data[PRECOMMIT_KEY] = set()
            self.env.cr.precommit.add(self._collection_recheck_holds)
        data[PRECOMMIT_KEY].update(partners.ids)

    @api.model
    def _collection_recheck_holds(self):
        partner_ids = self.env.cr.precommit.data.pop(PRECOMMIT_KEY, set())
        holds = (
            self.env["account.collection.hold"]
            .sudo()
            .search_fetch(
                [
                    ("state", "=", "active"),
                    ("reason_type", "!=", "manual"),
                    ("partner_id", "in", list(partner_ids)),
                ],
                ["company_id", "partner_id"],
            )
        )
        for company, company_holds in holds.grouped("company_id").items():
            try:
                with self.env.cr.savepoint():
                    self.env["account.collection.hold"]._check_company_holds(
                        company, company_holds.partner_id.ids
                    )
            except Exception:  # noqa: BLE001 - a payment never fails for a hold notice
                _logger.exception("Credit hold recheck after payment failed")
