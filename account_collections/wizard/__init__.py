from . import res_partner_send_reminder
from . import res_partner_assign_collector
