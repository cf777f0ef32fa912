{
    "name": "Collections - Inventory",
    "summary": "Return agreements of Collections create the return picking; its validation "
    "marks the goods received",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "account_collections developers",
    "website": "https://github.com/account-collections/account_collections",
    "license": "LGPL-3",
    "depends": ["account_collections", "stock"],
    "data": [
        "views/account_collection_return_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
