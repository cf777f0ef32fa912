{
    "name": "Collections - Sales",
    "summary": "Sales orders of customers on credit hold need a collections manager's override",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "account_collections developers",
    "website": "https://github.com/account-collections/account_collections",
    "license": "LGPL-3",
    "depends": ["account_collections", "sale"],
    "data": [
        "views/sale_order_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
