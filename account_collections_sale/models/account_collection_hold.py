from odoo import models


class AccountCollectionHold(models.Model):
    _inherit = "account.collection.hold"

    def _notify_salespeople(self, released):
        """The leader of the salesperson's sales team gets the to-do too."""
        activities = super()._notify_salespeople(released)
        if released:
            return activities
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id("res.partner")
        vals_list = []
        for hold in self:
            partner = hold.partner_id.with_company(hold.company_id)
            leader = partner.user_id.sudo().sale_team_id.user_id.sudo(False)
            if not leader or leader == (partner.user_id or partner.collection_collector_id):
                continue
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": activity_type.id,
                    "user_id": leader.id,
                    "date_deadline": hold.date_start,
                    "summary": self.env._("Customer on credit hold"),
                    "note": self.env._(
                        "%(customer)s of your team is on credit hold: %(reason)s",
                        customer=partner.display_name,
                        reason=hold.reason,
                    ),
                }
            )
        return activities | self.env["mail.activity"].sudo().create(vals_list)
