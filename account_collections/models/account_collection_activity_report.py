from odoo import api, fields, models
from odoo.tools import SQL

#: Row ids combine the source row and the branch: ``id * BRANCH_SLOTS + branch``, in
#: 31 bits for source ids below 2**26, so that XML-RPC (32-bit integers) carries them.
BRANCH_SLOTS = 32
#: A branch added by an extension that needs no compact ids may add this offset instead.
ID_FACTOR = 10**10


class AccountCollectionActivityReport(models.Model):
    """What collections did, per collector and period: one row per action.

    A read-only view over the records each feature keeps. Today it has one
    branch, the communications (reminders by level, channel and outcome,
    refusals with their reason); features that record other actions (calls,
    promises, plans, holds...) add a branch by overriding
    :meth:`_get_activity_branches` with the same columns.
    """

    _name = "account.collection.activity.report"
    _description = "Collections: activity report"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "partner_id"
    _depends = {
        "account.collection.communication": [
            "amount_total",
            "by_email",
            "by_letter",
            "company_id",
            "date",
            "kind",
            "level_id",
            "partner_id",
            "refusal_reason",
            "run_id",
            "state",
            "user_id",
        ],
        "account.collection.run": ["trigger"],
        "account.collection.call": ["company_id", "date", "outcome", "partner_id", "user_id"],
        "account.collection.promise": ["amount", "company_id", "partner_id", "state", "user_id"],
        "account.collection.dispute": ["amount", "company_id", "date", "partner_id", "state"],
        "account.collection.plan": ["amount_total", "company_id", "date", "partner_id", "state"],
        "account.collection.hold": ["company_id", "date_start", "partner_id", "state"],
        "account.collection.writeoff": [
            "amount_total",
            "company_id",
            "date",
            "partner_id",
            "state",
        ],
        "account.collection.placement": [
            "amount_total",
            "company_id",
            "date",
            "partner_id",
            "state",
        ],
        "account.collection.communication.line": ["communication_id", "days_overdue", "move_id"],
        "account.partial.reconcile": [
            "amount",
            "company_id",
            "credit_move_id",
            "debit_move_id",
            "max_date",
        ],
        "account.collection.collector.history": [
            "collector_id",
            "company_id",
            "date_from",
            "partner_id",
        ],
        "res.partner": ["collector_id", "user_id"],
        "res.company": ["currency_id"],
    }

    activity = fields.Selection(
        [
            ("communication", "Communication"),
            ("call", "Call"),
            ("promise", "Promise to Pay"),
            ("dispute", "Dispute"),
            ("plan", "Payment Plan"),
            ("hold", "Credit Hold"),
            ("writeoff", "Write-off"),
            ("placement", "Agency Placement"),
            ("cash", "Cash Collected"),
        ],
        readonly=True,
        help="What kind of action the row records. Cash collected: a payment on an "
        "invoice that was overdue when a communication listed it, received after that "
        "contact.",
    )
    kind = fields.Selection(
        selection="_selection_kind",
        readonly=True,
        help="For a communication, what was sent.",
    )
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date = fields.Date(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    collector_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="The customer's collector on the day of the action (its salesperson when none "
        "was set).",
    )
    user_id = fields.Many2one("res.users", string="Author", readonly=True)
    level_id = fields.Many2one("account.collection.level", string="Dunning Level", readonly=True)
    channel = fields.Selection(
        [
            ("email", "Email"),
            ("letter", "Letter"),
            ("email_letter", "Email and Letter"),
            ("none", "None"),
        ],
        readonly=True,
    )
    state = fields.Selection(
        selection="_selection_state",
        string="Outcome",
        readonly=True,
        help="A communication's outcome, a call's outcome, or the state of the promise, "
        "dispute, plan, hold, write-off or placement.",
    )
    reason = fields.Char(readonly=True, help="Why a communication was refused.")
    automatic = fields.Boolean(readonly=True, help="Done by the scheduled run.")
    amount = fields.Monetary(
        readonly=True, aggregator="sum", help="The amount the action was about."
    )
    count = fields.Integer(string="Actions", readonly=True, aggregator="sum")

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    #: (activity, model) of the branches built from a model's ``state`` field.
    STATE_SOURCES = (
        ("communication", "account.collection.communication", "state"),
        ("call", "account.collection.call", "outcome"),
        ("promise", "account.collection.promise", "state"),
        ("dispute", "account.collection.dispute", "state"),
        ("plan", "account.collection.plan", "state"),
        ("hold", "account.collection.hold", "state"),
        ("writeoff", "account.collection.writeoff", "state"),
        ("placement", "account.collection.placement", "state"),
    )

    @api.model
    def _selection_state(self):
        """Every outcome and state the branches can show, once each."""
        values = {}
        for _activity, model, field in self.STATE_SOURCES:
            for key, label in self.env[model]._fields[field]._description_selection(self.env):
                values.setdefault(key, label)
        return list(values.items())

    @api.model
    def _selection_kind(self):
        return (
            self.env["account.collection.communication"]
            ._fields["kind"]
            ._description_selection(self.env)
        )

    @property
    def _table_query(self):
        branches = self._get_activity_branches()
        return SQL(
            """
            SELECT branch.*, company.currency_id, %(collector)s AS collector_id
              FROM (%(branches)s) branch
              JOIN res_company company ON company.id = branch.company_id
              JOIN res_partner partner ON partner.id = branch.partner_id
            """,
            branches=SQL(" UNION ALL ").join(branches),
            collector=self.env["account.collection.collector.history"]._collector_sql(
                SQL("partner"), SQL("branch.company_id"), SQL("branch.date")
            ),
        )

    @api.model
    def _get_activity_branches(self):
        """The SELECTs whose rows make the report, one per kind of action.

        Extension hook. Each SELECT yields, in this order: id (unique across
        branches: ``source id * BRANCH_SLOTS + branch number``), activity, kind,
        company_id, date, partner_id (the commercial partner), user_id,
        level_id, channel, state, reason, automatic, amount, count.
        """
        return [
            SQL(
                """
                SELECT communication.id * %(factor)s + 1 AS id,
                       'communication'::varchar AS activity,
                       communication.kind::varchar AS kind,
                       communication.company_id, communication.date,
                       communication.partner_id, communication.user_id,
                       communication.level_id,
                       (CASE WHEN communication.by_email AND communication.by_letter
                                 THEN 'email_letter'
                             WHEN communication.by_email THEN 'email'
                             WHEN communication.by_letter THEN 'letter'
                             ELSE 'none' END)::varchar AS channel,
                       communication.state::varchar AS state,
                       communication.refusal_reason::varchar AS reason,
                       COALESCE(run.trigger = 'cron', FALSE) AS automatic,
                       communication.amount_total AS amount,
                       1 AS count
                  FROM account_collection_communication communication
                  LEFT JOIN account_collection_run run ON run.id = communication.run_id
                """,
                factor=BRANCH_SLOTS,
            ),
            *(
                SQL(
                    """
                    SELECT source.id * %(factor)s + %(number)s AS id,
                           %(activity)s::varchar AS activity, NULL::varchar AS kind,
                           source.company_id, %(date)s AS date, source.partner_id,
                           %(user)s AS user_id, NULL::int AS level_id,
                           NULL::varchar AS channel, source.%(state)s::varchar AS state,
                           NULL::varchar AS reason, FALSE AS automatic,
                           %(amount)s AS amount, 1 AS count
                      FROM %(table)s source
                    """,
                    factor=BRANCH_SLOTS,
                    number=number,
                    activity=activity,
                    date=SQL(date),
                    state=SQL.identifier(state),
                    user=SQL(user),
                    amount=SQL(amount),
                    table=SQL.identifier(self.env[model]._table),
                )
                for number, (activity, model, state, date, user, amount) in enumerate(
                    (
                        (
                            "call",
                            "account.collection.call",
                            "outcome",
                            "source.date::date",
                            "source.user_id",
                            "0::numeric",
                        ),
                        (
                            "promise",
                            "account.collection.promise",
                            "state",
                            "source.create_date::date",
                            "source.user_id",
                            "source.amount",
                        ),
                        (
                            "dispute",
                            "account.collection.dispute",
                            "state",
                            "source.date",
                            "source.create_uid",
                            "source.amount",
                        ),
                        (
                            "plan",
                            "account.collection.plan",
                            "state",
                            "COALESCE(source.date, source.create_date::date)",
                            "source.user_id",
                            "source.amount_total",
                        ),
                        (
                            "hold",
                            "account.collection.hold",
                            "state",
                            "source.date_start",
                            "source.create_uid",
                            "0::numeric",
                        ),
                        (
                            "writeoff",
                            "account.collection.writeoff",
                            "state",
                            "COALESCE(source.date, source.create_date::date)",
                            "source.create_uid",
                            "source.amount_total",
                        ),
                        (
                            "placement",
                            "account.collection.placement",
                            "state",
                            "COALESCE(source.date, source.create_date::date)",
                            "source.create_uid",
                            "source.amount_total",
                        ),
                    ),
                    start=2,
                )
            ),
            self._cash_collected_branch(),
        ]

    @api.model
    def _cash_collected_branch(self):
        """Cash collected after contact: each payment (a partial reconciliation
        with an entry of a bank or cash journal) of an invoice that a sent
        communication listed as overdue on or before the payment's date; its
        amount in company currency, on the payment's date."""
        return SQL(
            """
            SELECT partial.id * %(factor)s + 20 AS id,
                   'cash'::varchar AS activity, NULL::varchar AS kind,
                   partial.company_id, partial.max_date AS date,
                   invoice.commercial_partner_id AS partner_id, NULL::int AS user_id,
                   NULL::int AS level_id, NULL::varchar AS channel, NULL::varchar AS state,
                   NULL::varchar AS reason, FALSE AS automatic,
                   partial.amount AS amount, 1 AS count
              FROM account_partial_reconcile partial
              JOIN account_move_line debit ON debit.id = partial.debit_move_id
              JOIN account_move invoice ON invoice.id = debit.move_id
              JOIN account_move_line credit ON credit.id = partial.credit_move_id
              JOIN account_move paid_by ON paid_by.id = credit.move_id
              JOIN account_journal journal ON journal.id = paid_by.journal_id
             WHERE invoice.move_type IN ('out_invoice', 'out_receipt')
               AND journal.type IN ('bank', 'cash', 'credit')
               AND EXISTS (
                   SELECT 1 FROM account_collection_communication_line line
                     JOIN account_collection_communication communication
                       ON communication.id = line.communication_id
                    WHERE line.move_id = invoice.id AND line.days_overdue > 0
                      AND communication.state = 'sent'
                      AND communication.date <= partial.max_date)
            """,
            factor=BRANCH_SLOTS,
        )
