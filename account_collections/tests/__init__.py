from . import test_overview
from . import test_multicompany
from . import test_security
from . import test_performance
from . import test_aging_report
from . import test_kpi_snapshot
from . import test_activity_report
from . import test_statement
