from odoo import api, models
from odoo.tools import SQL

from .account_collection_claim import ACTIVE_STATES as CLAIM_STATES
from .account_collection_writeoff import ACTIVE_STATES as WRITEOFF_STATES


class AccountCollectionOpenItem(models.AbstractModel):
    """Seam 2: the reasons later features add. Invoices in an active payment
    plan, in a proposed or posted write-off, placed with an agency, in a court
    claim (from the letter before action on), or under an agreed return of
    goods not yet received."""

    _inherit = "account.collection.open.item"

    #: Line models whose ``move_id`` and ``state`` the reasons below read.
    ESCALATION_LINE_MODELS = (
        "account.collection.writeoff.line",
        "account.collection.placement.line",
        "account.collection.claim.line",
        "account.collection.return.line",
    )

    @api.model
    def _get_exclusion_reasons(self):
        return [
            *super()._get_exclusion_reasons(),
            (
                "payment_plan",
                self.env._("In an active payment plan"),
                SQL(
                    """EXISTS (SELECT 1 FROM account_collection_plan_move_rel plan_rel
                                 JOIN account_collection_plan plan
                                   ON plan.id = plan_rel.plan_id
                                WHERE plan_rel.move_id = move.id AND plan.state = 'active')"""
                ),
            ),
            (
                "writeoff",
                self.env._("Write-off proposed or posted"),
                SQL(
                    """EXISTS (SELECT 1 FROM account_collection_writeoff_line writeoff_line
                                WHERE writeoff_line.move_id = move.id
                                  AND writeoff_line.state IN %s)""",
                    WRITEOFF_STATES,
                ),
            ),
            (
                "placed",
                self.env._("Placed with a collection agency"),
                SQL(
                    """EXISTS (SELECT 1 FROM account_collection_placement_line placement_line
                                WHERE placement_line.move_id = move.id
                                  AND placement_line.state = %s)""",
                    "placed",
                ),
            ),
            (
                "court_claim",
                self.env._("In a court claim"),
                SQL(
                    """EXISTS (SELECT 1 FROM account_collection_claim_line claim_line
                                WHERE claim_line.move_id = move.id
                                  AND claim_line.state IN %s)""",
                    CLAIM_STATES,
                ),
            ),
            (
                "return",
                self.env._("Goods agreed to come back"),
                SQL(
                    """EXISTS (SELECT 1 FROM account_collection_return_line return_line
                                WHERE return_line.move_id = move.id
                                  AND return_line.state = %s)""",
                    "agreed",
                ),
            ),
        ]

    @api.model
    def _flush_escalation_lines(self):
        self.env["account.collection.plan"].flush_model(["state", "move_ids"])
        for model_name in self.ESCALATION_LINE_MODELS:
            self.env[model_name].flush_model(["move_id", "state"])

    @api.model
    def _flush_open_items(self):
        result = super()._flush_open_items()
        self._flush_escalation_lines()
        return result

    @api.model
    def _get_exclusion_reasons_by_move(self, moves):
        self._flush_escalation_lines()
        return super()._get_exclusion_reasons_by_move(moves)
