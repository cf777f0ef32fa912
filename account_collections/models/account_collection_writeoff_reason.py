from odoo import fields, models


class AccountCollectionWriteoffReason(models.Model):
    """Why a debt is written off, and how each company books it.

    The reasons ship as data (uncollectible, bankruptcy, small balance,
    settlement, statute-barred); the scheduled rule finds them by ``code``.
    The posting method is a company setting: a journal entry to the bad-debt
    account, or a credit note for companies that recover output tax that way.
    """

    _name = "account.collection.writeoff.reason"
    _description = "Collections: write-off reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    code = fields.Selection(
        [
            ("uncollectible", "Uncollectible"),
            ("bankruptcy", "Bankruptcy"),
            ("small_balance", "Small Balance"),
            ("settlement", "Settlement"),
            ("statute_barred", "Statute-Barred"),
        ],
        required=True,
        help="What the scheduled rule and the reports recognise this reason by.",
    )
    method = fields.Selection(
        [("entry", "Journal Entry"), ("credit_note", "Credit Note")],
        string="Posting Method",
        company_dependent=True,
        default="entry",
        help="Journal Entry: the open amount moves from the receivable to the bad-debt "
        "expense account. Credit Note: a credit note to the bad-debt account reverses the "
        "invoice with its taxes (only for invoices still fully open). Per company.",
    )

    _code_unique = models.UniqueIndex("(code) WHERE active", "One active reason per code.")
