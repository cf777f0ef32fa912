"""pytest settings for the Odoo tests of the addons (``./dev test``).

The role matrix is an ``HttpCase``: it calls ``/xmlrpc/2/object`` as real users, so
pytest-odoo must start Odoo's HTTP server (on a free port of 127.0.0.1), as
``--odoo-http`` asks; without it pytest-odoo skips every ``HttpCase``.
"""


def pytest_configure(config):
    if hasattr(config.option, "odoo_http"):
        config.option.odoo_http = True
