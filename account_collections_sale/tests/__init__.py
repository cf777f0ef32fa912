from . import test_sale_hold
from . import test_rpc_sale_hold
