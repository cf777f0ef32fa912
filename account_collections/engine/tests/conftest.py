"""Make the framework-free package importable as ``engine`` without Odoo.

Importing it as ``account_collections.engine`` would run the addon's
``__init__`` and so import Odoo; these tests must run without it.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
