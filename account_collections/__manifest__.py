{
    "name": "Collections",
    "summary": "Receivables overview, aging and credit collection for customers",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "account_collections developers",
    "website": "https://github.com/account-collections/account_collections",
    "license": "LGPL-3",
    "depends": ["account", "mail"],
    "data": [
        "security/account_collections_security.xml",
        "security/ir.model.access.csv",
        "views/account_collection_overview_views.xml",
        "views/res_partner_views.xml",
        "views/account_move_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/account_collections_demo.xml",
    ],
    "installable": True,
    "application": False,
}
