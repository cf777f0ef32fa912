from . import res_partner_send_reminder
from . import account_collection_aging_report
from . import res_partner_send_statement
from . import res_partner_create_plan
from . import res_partner_assign_collector
