"""Framework-free collections logic.

Nothing in this package imports Odoo: it takes plain data (dates, Decimals,
tuples) and returns plain data, so it is tested with plain pytest and reused by
the Odoo models, which fetch in batch, call these functions and write back.
"""
