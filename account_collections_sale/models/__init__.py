from . import account_collection_hold
from . import sale_order
