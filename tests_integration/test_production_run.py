"""The day's dunning on the production path, as Odoo runs it in production.

Plain pytest (no pytest-odoo), like ``test_lifecycle.py``: the benchmark's
phase p (``bench/collections_bench.py --production-only``) copies the test
database, writes a small synthetic ledger, starts a real Odoo server with
workers and Odoo's default limits (``--workers 2 --max-cron-threads 1``,
``limit_time_real`` 120 s), lets the scheduled action run the day's dunning
with the shipped policy (every level emails the letter), and reports what
happened. Skipped without the environment ``./dev test`` sets.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE_DB = os.environ.get("COLLECTIONS_TEST_DB")
ODOO_CONF = os.environ.get("COLLECTIONS_ODOO_CONF")
PYTHON = os.environ.get("COLLECTIONS_PYTHON") or sys.executable
BENCH = Path(__file__).resolve().parent.parent / "bench" / "collections_bench.py"
CUSTOMERS = 200

pytestmark = pytest.mark.skipif(
    not (SOURCE_DB and ODOO_CONF),
    reason="needs COLLECTIONS_TEST_DB and COLLECTIONS_ODOO_CONF (set by ./dev test)",
)


@pytest.mark.skipif(not shutil.which("wkhtmltopdf"), reason="needs wkhtmltopdf for the letters")
def free_port():
    """A TCP port nothing listens on now, for the test's own server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_scheduled_run_with_letters_under_default_limits(tmp_path):
    figures_file = tmp_path / "production.json"
    command = [
        PYTHON, str(BENCH), "-c", ODOO_CONF, "-d", f"bench_ci_{secrets.token_hex(4)}",
        "--template", SOURCE_DB, "--customers", str(CUSTOMERS), "--lines", str(CUSTOMERS * 5),
        "--production-only", "--production-timeout", "900", "--json", str(figures_file),
        "--http-port", str(free_port()),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    output = f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    assert result.returncode == 0, output
    figures = json.loads(figures_file.read_text())
    # the run finished through the scheduled action, nothing killed, lost or doubled
    assert figures["run_state"] == "done", output
    assert figures["killed"] == 0, figures["killed_lines"]
    assert figures["duplicates"] == 0, output
    assert figures["customers_evaluated"] >= CUSTOMERS * 0.9, output
    assert figures["customers_reminded"] == figures["customers_evaluated"], output
    assert figures["sent"] == figures["reminders"], output
    # every letter rendered, small, and each email left with its letter
    assert figures["letters_pending"] == 0 and figures["letters_failed"] == 0, output
    assert figures["letters_rendered"] == figures["sent"] == figures["pdf_count"], output
    assert figures["emails_waiting_for_letter"] == 0, output
    assert figures["emails_queued"] == figures["emails_with_letter"] == figures["sent"], output
    assert figures["pdf_max_bytes"] < 100_000, output
