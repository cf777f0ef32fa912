from . import account_collection_return
from . import stock_picking
