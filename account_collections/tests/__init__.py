from . import test_overview
from . import test_multicompany
from . import test_security
from . import test_performance
from . import test_writeoff
from . import test_provision
from . import test_placement
