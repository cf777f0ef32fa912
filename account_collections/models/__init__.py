from . import account_collection_demo
from . import account_collection_open_item
from . import account_collection_overview
from . import account_move
from . import res_partner
