"""19.0.1.2.0: promises made before this version get the day they were recorded
as the day they were made (the column was filled with the upgrade day)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "UPDATE account_collection_promise SET made_date = create_date::date"
        " WHERE create_date IS NOT NULL"
    )
