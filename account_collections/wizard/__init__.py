from . import res_partner_send_reminder
