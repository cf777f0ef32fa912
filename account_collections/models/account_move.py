from odoo import api, fields, models

from ..engine.aging import days_overdue


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_collection_days_overdue",
        help="Days since the earliest due date still open on this invoice, in the "
        "company's time zone. Each instalment of a payment term counts on its own.",
    )

    # ------------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------------

    @api.depends("line_ids.amount_residual", "line_ids.date_maturity", "state")
    @api.depends_context("company")
    def _compute_collection_days_overdue(self):
        open_items = self.env["account.collection.open.item"]
        today_by_company = {}
        for move in self:
            due_dates = [
                line.date_maturity or line.date
                for line in move.line_ids
                if line.account_type == "asset_receivable"
                and not line.reconciled
                and move.company_currency_id.compare_amounts(line.amount_residual, 0) > 0
            ]
            if move.state != "posted" or not due_dates:
                move.collection_days_overdue = 0
                continue
            company = move.company_id
            if company not in today_by_company:
                today_by_company[company] = open_items._company_today(company)
            move.collection_days_overdue = max(
                0, days_overdue(min(due_dates), today_by_company[company])
            )
