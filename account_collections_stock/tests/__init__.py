from . import test_return_picking
