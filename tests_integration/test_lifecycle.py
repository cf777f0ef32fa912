"""Uninstall and reinstall account_collections on a copy of the test database.

Plain pytest (no pytest-odoo): Odoo is driven through its command line. ``./dev test``
sets the environment this test needs; without it the test is skipped:

* ``COLLECTIONS_TEST_DB``: a database where account_collections is installed;
* ``COLLECTIONS_ODOO_CONF``: an Odoo config file for the server holding it;
* ``COLLECTIONS_PYTHON`` (optional): the interpreter that has Odoo.
"""

import configparser
import os
import secrets
import subprocess
import sys

import psycopg2
import pytest

ADDON = "account_collections"
SOURCE_DB = os.environ.get("COLLECTIONS_TEST_DB")
ODOO_CONF = os.environ.get("COLLECTIONS_ODOO_CONF")
PYTHON = os.environ.get("COLLECTIONS_PYTHON") or sys.executable
TIMEOUT = 1800

pytestmark = pytest.mark.skipif(
    not (SOURCE_DB and ODOO_CONF),
    reason="needs COLLECTIONS_TEST_DB and COLLECTIONS_ODOO_CONF (set by ./dev test)",
)

UNINSTALL_SCRIPT = f"""
module = env["ir.module.module"].search([("name", "=", "{ADDON}")])
module.button_immediate_uninstall()
env.cr.commit()
"""


def odoo(*args, stdin=None):
    """Run the Odoo launcher with the test config; fail the test on a non-zero exit."""
    cmd = [PYTHON, "-m", "odoo", *args]
    result = subprocess.run(
        cmd, input=stdin, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(cmd)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result


def connect(dbname):
    """Open a psycopg2 connection using the db_* options of the Odoo config file."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ODOO_CONF)
    options = parser["options"] if parser.has_section("options") else {}
    names = {"db_host": "host", "db_port": "port", "db_user": "user", "db_password": "password"}
    kwargs = {
        arg: options[key]
        for key, arg in names.items()
        if options.get(key) not in (None, "", "False", "None")
    }
    return psycopg2.connect(dbname=dbname, **kwargs)


def query(dbname, sql, params=()):
    """Return all rows of one query, on a fresh connection."""
    conn = connect(dbname)
    try:
        with conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()
    finally:
        conn.close()


def module_state(dbname):
    """State of the addon in ir_module_module."""
    rows = query(dbname, "SELECT state FROM ir_module_module WHERE name = %s", [ADDON])
    return rows[0][0] if rows else None


def collection_models(dbname):
    """Names of the addon's models registered in ir_model."""
    rows = query(dbname, "SELECT model FROM ir_model WHERE model LIKE 'account.collection%%'")
    return sorted(model for (model,) in rows)


@pytest.fixture
def database_copy():
    """A filestore-aware copy of the test database, dropped afterwards."""
    name = f"{SOURCE_DB}_copy_{secrets.token_hex(3)}"
    odoo("db", "-c", ODOO_CONF, "duplicate", SOURCE_DB, name)
    try:
        yield name
    finally:
        subprocess.run(
            [PYTHON, "-m", "odoo", "db", "-c", ODOO_CONF, "drop", name],
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )


def test_uninstall_then_reinstall(database_copy):
    """The addon uninstalls cleanly (no models left behind) and installs again."""
    db = database_copy
    assert module_state(db) == "installed"
    assert "account.collection.overview" in collection_models(db)

    odoo("shell", "-c", ODOO_CONF, "-d", db, "--no-http", stdin=UNINSTALL_SCRIPT)
    assert module_state(db) == "uninstalled"
    assert collection_models(db) == []

    odoo("-c", ODOO_CONF, "-d", db, "-i", ADDON, "--stop-after-init", "--no-http")
    assert module_state(db) == "installed"
    assert "account.collection.overview" in collection_models(db)
