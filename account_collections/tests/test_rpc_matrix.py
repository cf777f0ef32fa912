"""Who may do what, proven over the external API as real users with passwords.

Each role calls ``/xmlrpc/2/object`` as a client would: the controls are the
models', not the buttons'. The tables below are the expected matrix (README,
"Segregation of duties"); the test also fails when a model of the addon, a
field that records a state, an approval, an override or a posting, or a public
button method has no row, so nothing new can be forgotten.
"""

import inspect
import re
import xmlrpc.client

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import CollectionsCommon

MODULE = "account_collections"

INVOICING = "invoicing"  # Invoicing user, no collections group
COLLECTOR = "collector"  # Collections user
MANAGER = "manager"  # Collections manager
ACCOUNTANT = "accountant"  # Accounting manager (implies collections manager)
PORTAL = "portal"  # Portal user
OTHER = "other_manager"  # Collections manager of another company only
ROLES = (INVOICING, COLLECTOR, MANAGER, ACCOUNTANT, PORTAL, OTHER)

NOBODY = frozenset()
MANAGERS = frozenset({MANAGER, ACCOUNTANT})
USERS = MANAGERS | {COLLECTOR}
INTERNAL = USERS | {INVOICING}
# the manager of another company has the same rights, in its own company only: on a
# record of company A it is refused by the company rules
ANY_MANAGER = MANAGERS | {OTHER}
ANY_USER = USERS | {OTHER}
ANY_INTERNAL = INTERNAL | {OTHER}
EVERYONE = ANY_INTERNAL | {PORTAL}

# ---------------------------------------------------------------------------
# The matrix
# ---------------------------------------------------------------------------

#: model: (read, create, write, unlink) -- the roles allowed by the access rights, on
#: the model as a whole (a user of another company then sees none of company A's
#: records: see COMPANY_WALLS). Transient models: each user's own wizards.
MODELS = {
    "account.collection.overview": (ANY_USER, NOBODY, NOBODY, NOBODY),
    "account.collection.policy": (ANY_INTERNAL, ANY_MANAGER, ANY_MANAGER, ANY_MANAGER),
    "account.collection.level": (ANY_INTERNAL, ANY_MANAGER, ANY_MANAGER, ANY_MANAGER),
    "account.collection.communication": (ANY_USER, NOBODY, ANY_MANAGER, NOBODY),
    "account.collection.communication.line": (ANY_USER, NOBODY, NOBODY, NOBODY),
    "account.collection.move.level": (ANY_USER, NOBODY, NOBODY, NOBODY),
    "account.collection.run": (ANY_USER, ANY_MANAGER, ANY_MANAGER, NOBODY),
    "account.collection.run.customer": (ANY_MANAGER, NOBODY, NOBODY, NOBODY),
    "account.collection.aging.report": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.aging.report.line": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.aging.report.customer": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.kpi.snapshot": (ANY_USER, NOBODY, NOBODY, NOBODY),
    "account.collection.activity.report": (ANY_USER, NOBODY, NOBODY, NOBODY),
    "account.collection.plan": (ANY_INTERNAL, ANY_USER, ANY_USER, ANY_MANAGER),
    "account.collection.plan.line": (ANY_INTERNAL, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.hold": (ANY_INTERNAL, ANY_MANAGER, ANY_MANAGER, NOBODY),
    "account.collection.credit.limit.request": (
        ANY_INTERNAL,
        ANY_INTERNAL,
        ANY_INTERNAL,
        NOBODY,
    ),
    "account.collection.writeoff": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.writeoff.line": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.writeoff.reason": (ANY_USER, ANY_MANAGER, ANY_MANAGER, ANY_MANAGER),
    "account.collection.provision": (ANY_USER, ANY_MANAGER, ANY_MANAGER, ANY_MANAGER),
    "account.collection.provision.line": (ANY_USER, ANY_MANAGER, ANY_MANAGER, ANY_MANAGER),
    "account.collection.agency": (ANY_USER, ANY_MANAGER, ANY_MANAGER, ANY_MANAGER),
    "account.collection.agency.tier": (ANY_USER, ANY_MANAGER, ANY_MANAGER, ANY_MANAGER),
    "account.collection.agency.statement": (ANY_USER, NOBODY, NOBODY, NOBODY),
    "account.collection.placement": (ANY_USER, ANY_USER, ANY_USER, ANY_MANAGER),
    "account.collection.placement.line": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.remittance": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.remittance.line": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.worklist": (ANY_USER, NOBODY, NOBODY, NOBODY),
    "account.collection.call": (ANY_USER, ANY_USER, ANY_USER, ANY_MANAGER),
    "account.collection.promise": (ANY_INTERNAL, ANY_USER, ANY_USER, ANY_MANAGER),
    "account.collection.dispute": (ANY_INTERNAL, ANY_USER, ANY_USER, ANY_MANAGER),
    "account.collection.timeline": (ANY_USER, NOBODY, NOBODY, NOBODY),
    "account.collection.claim": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.claim.line": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.return": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.return.line": (ANY_USER, ANY_USER, ANY_USER, ANY_USER),
    "account.collection.collector.history": (ANY_USER, NOBODY, NOBODY, NOBODY),
    "res.partner.send.reminder": (ANY_USER, ANY_USER, ANY_USER, NOBODY),
    "res.partner.send.statement": (ANY_USER, ANY_USER, ANY_USER, NOBODY),
    "res.partner.create.plan": (ANY_USER, ANY_USER, ANY_USER, NOBODY),
    "res.partner.assign.collector": (ANY_MANAGER, ANY_MANAGER, ANY_MANAGER, NOBODY),
    # Odoo's models the addon extends: their rights are Odoo's (None: not asserted
    # here); their fields and buttons from the addon have rows below
    "account.move": (EVERYONE, None, None, None),
    "account.partial.reconcile": (ANY_INTERNAL, None, None, None),
    "account.payment.term": (EVERYONE, None, None, None),
    "mail.message": (EVERYONE, None, None, None),
    "res.company": (EVERYONE, None, None, None),
    "res.config.settings": (None, None, None, None),
    "res.partner": (EVERYONE, None, None, None),
}

#: Abstract models of the addon: no table, nothing to read; listed so that none is
#: forgotten (their public methods, if any, are in BUTTONS).
ABSTRACT = {
    "account.collection.aging.bucket.mixin",
    "account.collection.demo",
    "account.collection.gate",
    "account.collection.guard.mixin",
    "account.collection.open.item",
    "account.collection.summary",
}

#: (model, field): set only by the model's own methods. Refused to every role, over
#: ``create`` and ``write``, whatever the context.
PROTECTED = {
    ("account.collection.writeoff", "state"),
    ("account.collection.writeoff", "approved_by_id"),
    ("account.collection.writeoff", "accounting_approved_by_id"),
    ("account.collection.writeoff", "approved_date"),
    ("account.collection.writeoff", "auto_approved"),
    ("account.collection.writeoff", "move_ids"),
    ("account.collection.writeoff", "recovery_move_ids"),
    ("account.collection.writeoff.line", "state"),
    ("account.collection.writeoff.line", "company_id"),
    ("account.collection.writeoff.line", "due_date"),
    ("account.collection.writeoff.line", "amount_residual"),
    ("account.collection.writeoff.line", "amount_residual_company"),
    ("account.collection.plan", "state"),
    ("account.collection.plan", "approved_by_id"),
    ("account.collection.plan", "approved_date"),
    ("account.collection.plan", "charge_move_id"),
    ("account.collection.plan", "amount_debt"),
    ("account.collection.plan", "amount_charge"),
    ("account.collection.plan", "amount_total"),
    ("account.collection.plan", "end_date"),
    ("account.collection.plan", "end_reason"),
    ("account.collection.plan", "line_ids"),
    ("account.collection.plan.line", "sequence"),
    ("account.collection.plan.line", "down_payment"),
    ("account.collection.plan.line", "due_date"),
    ("account.collection.plan.line", "amount"),
    ("account.collection.plan.line", "company_id"),
    ("account.collection.hold", "state"),
    ("account.collection.hold", "reason_type"),
    ("account.collection.hold", "level_id"),
    ("account.collection.hold", "date_start"),
    ("account.collection.hold", "placed_by_id"),
    ("account.collection.hold", "date_release"),
    ("account.collection.hold", "released_by_id"),
    ("account.collection.hold", "release_reason"),
    ("account.collection.placement", "state"),
    ("account.collection.placement", "date"),
    ("account.collection.placement", "commission_rate"),
    ("account.collection.placement", "communication_id"),
    ("account.collection.placement.line", "company_id"),
    ("account.collection.placement.line", "state"),
    ("account.collection.placement.line", "due_date"),
    ("account.collection.placement.line", "amount_residual"),
    ("account.collection.placement.line", "amount_residual_company"),
    ("account.collection.placement.line", "placed_days_overdue"),
    ("account.collection.placement.line", "commission_rate"),
    ("account.collection.placement.line", "amount_collected"),
    ("account.collection.placement.line", "amount_commission"),
    ("account.collection.claim", "state"),
    ("account.collection.claim", "notice_date"),
    ("account.collection.claim", "deadline_date"),
    ("account.collection.claim", "cost_move_ids"),
    ("account.collection.claim", "communication_id"),
    ("account.collection.claim.line", "company_id"),
    ("account.collection.claim.line", "state"),
    ("account.collection.return", "state"),
    ("account.collection.return", "agreed_by_id"),
    ("account.collection.return", "date_received"),
    ("account.collection.return", "move_ids"),
    ("account.collection.provision", "state"),
    ("account.collection.provision", "approved_by_id"),
    ("account.collection.provision", "move_id"),
    ("account.collection.provision", "reversal_move_id"),
    ("account.collection.provision", "line_ids"),
    ("account.collection.provision", "amount_base"),
    ("account.collection.provision", "amount_total"),
    ("account.collection.provision.line", "company_id"),
    ("account.collection.provision.line", "date"),
    ("account.collection.provision.line", "state"),
    ("account.collection.remittance", "state"),
    ("account.collection.remittance", "move_id"),
    ("account.collection.remittance", "amount_gross"),
    ("account.collection.remittance", "amount_commission"),
    ("account.collection.remittance", "amount_net"),
    ("account.collection.remittance.line", "company_id"),
    ("account.collection.remittance.line", "state"),
    ("account.collection.remittance.line", "net"),
    ("account.collection.credit.limit.request", "state"),
    ("account.collection.credit.limit.request", "current_limit"),
    ("account.collection.credit.limit.request", "requested_by_id"),
    ("account.collection.credit.limit.request", "reviewed_by_id"),
    ("account.collection.credit.limit.request", "review_date"),
    ("account.collection.dispute", "state"),
    ("account.collection.dispute", "resolved_date"),
    ("account.collection.promise", "state"),
    ("account.collection.promise", "made_date"),
    ("account.collection.promise", "amount_open"),
    ("account.collection.promise", "amount_paid"),
    ("account.collection.promise", "checked_date"),
    ("account.collection.call", "logged"),
    ("account.collection.communication", "state"),
    ("account.collection.communication", "by_letter"),
    ("account.collection.communication", "letter_state"),
    ("account.collection.communication", "letter_attempts"),
    ("account.collection.communication", "letter_error"),
    ("account.collection.communication", "mail_pending"),
    ("account.collection.run", "state"),
    ("account.collection.run", "evaluated"),
    ("account.collection.run", "customer_count"),
    ("account.collection.run", "error_count"),
    ("account.collection.run", "error_log"),
    ("account.collection.communication", "refusal_reason"),
}

#: (model, field): looks like a state, an approver or a posting but is not one a client
#: could set: why.
NOT_PROTECTED = {
    ("account.collection.run", "state"): "runs are written by managers only, by the run",
    ("account.collection.communication.line", "state"): "related, not stored",
    ("account.collection.move.level", "move_id"): "no one may write it (read-only access)",
    ("account.collection.activity.report", "state"): "a read-only report",
    ("account.collection.agency.statement", "state"): "a read-only report",
    ("account.collection.agency.statement", "move_id"): "a read-only report",
    ("account.collection.remittance.line", "move_id"): "related to the placed invoice",
    ("account.collection.communication.line", "move_id"): "no one may write the lines",
    ("account.collection.claim.line", "move_id"): "the invoice, checked at creation",
    ("account.collection.writeoff.line", "move_id"): "the invoice, checked at creation",
    ("account.collection.placement.line", "move_id"): "the invoice, checked at creation",
    ("account.collection.return.line", "move_id"): "related to the invoice line",
    ("account.collection.return.line", "state"): "related to the agreement's state",
    ("account.collection.plan", "move_ids"): "the invoices: fixed once active",
    ("account.collection.promise", "move_ids"): "the invoices: fixed once settled",
    ("account.collection.dispute", "move_ids"): "the invoices: fixed once resolved",
    ("account.collection.claim", "move_ids"): "computed from the lines",
    ("account.collection.timeline", "status"): "a read-only report",
    ("account.collection.communication", "move_id"): "the letter's entry, read-only access",
    ("account.collection.placement", "move_id"): "not a field of this model",
    ("account.collection.dispute", "credit_note_id"): "checked posted by its button",
    ("account.collection.aging.report.line", "move_id"): "each user's own report",
    ("account.collection.aging.report", "posted_only"): "a filter of the user's own report",
    ("res.partner.create.plan", "move_ids"): "the wizard's invoices; the plan checks them",
    ("account.collection.plan", "approval_required"): "computed, not stored",
    ("account.collection.writeoff", "needs_accounting_approval"): "computed, not stored",
    ("res.company", "collection_plan_approval_amount"): "company settings: administrators",
    ("res.company", "collection_writeoff_approval_limit"): "company settings: administrators",
    ("res.company", "collection_writeoff_auto_approve_limit"): "company settings: administrators",
    ("res.config.settings", "collection_plan_approval_amount"): "settings: administrators",
    ("res.config.settings", "collection_writeoff_approval_limit"): "settings: administrators",
    ("res.config.settings", "collection_writeoff_auto_approve_limit"): "settings: administrators",
}

#: (model, button): the roles that may press it; each is checked over RPC on a record
#: of company A where a fixture exists (FIXTURES), the others by the rows' coverage.
BUTTONS = {
    ("account.collection.writeoff", "action_approve"): MANAGERS,
    ("account.collection.writeoff", "action_reject"): MANAGERS,
    ("account.collection.writeoff", "action_reverse"): MANAGERS,
    ("account.collection.writeoff", "action_book_recovery"): MANAGERS,
    ("account.collection.writeoff", "action_open"): USERS,
    ("account.collection.writeoff", "action_open_moves"): USERS,
    ("account.collection.writeoff", "action_open_communications"): USERS,
    ("account.collection.plan", "action_activate"): USERS,  # above the limit: managers
    ("account.collection.plan", "action_cancel"): USERS,  # an active plan: managers
    ("account.collection.plan", "action_send_agreement"): USERS,
    ("account.collection.plan", "action_open_agreements"): USERS,
    ("account.collection.plan", "action_request_approval"): USERS,
    ("account.collection.plan", "action_check"): USERS,
    ("account.collection.hold", "action_release"): MANAGERS,
    ("account.collection.placement", "action_place"): MANAGERS,
    ("account.collection.placement", "action_recall"): MANAGERS,
    ("account.collection.placement", "action_recall_to_writeoff"): MANAGERS,
    ("account.collection.placement", "action_cancel"): MANAGERS,
    ("account.collection.placement", "action_export_xlsx"): USERS,
    ("account.collection.placement", "action_export_csv"): USERS,
    ("account.collection.claim", "action_open"): USERS,
    ("account.collection.claim", "action_send_notice"): USERS,
    ("account.collection.claim", "action_file"): MANAGERS,
    ("account.collection.claim", "action_decide"): MANAGERS,
    ("account.collection.claim", "action_close"): MANAGERS,
    ("account.collection.claim", "action_cancel"): MANAGERS,
    ("account.collection.claim", "action_book_costs"): MANAGERS,
    ("account.collection.claim", "action_open_cost_moves"): USERS,
    ("account.collection.claim", "action_print_packet"): USERS,
    ("account.collection.communication", "action_approve"): MANAGERS,
    ("account.collection.communication", "action_skip"): MANAGERS,
    ("account.collection.credit.limit.request", "action_approve"): MANAGERS,
    ("account.collection.credit.limit.request", "action_refuse"): MANAGERS,
    ("account.collection.dispute", "action_resolve_credit_note"): USERS,
    ("account.collection.dispute", "action_reject"): USERS,
    ("account.collection.dispute", "action_settle"): USERS,
    ("account.collection.promise", "action_cancel"): USERS,
    ("account.collection.promise", "action_send_letter"): USERS,
    ("account.collection.provision", "action_compute"): MANAGERS,
    ("account.collection.provision", "action_approve"): MANAGERS,
    ("account.collection.provision", "action_reject"): MANAGERS,
    ("account.collection.remittance", "action_post"): MANAGERS,
    ("account.collection.remittance", "action_add_placed_invoices"): USERS,
    ("account.collection.remittance", "action_open_move"): USERS,
    ("account.collection.return", "action_open"): USERS,
    ("account.collection.return", "action_agree"): MANAGERS,
    ("account.collection.return", "action_cancel"): USERS,  # an agreed return: managers
    ("account.collection.return", "action_reset_draft"): USERS,
    ("account.collection.return", "action_receive"): USERS,
    ("account.collection.return", "action_done"): USERS,
    ("account.collection.return", "action_open_moves"): USERS,
    ("account.collection.run", "action_run"): MANAGERS,
    ("account.collection.run", "action_open_review"): USERS,
    ("account.collection.run", "action_print_letters"): USERS,
    ("account.collection.call", "action_log"): USERS,
    ("account.collection.kpi.snapshot", "action_backfill"): MANAGERS,
    ("account.collection.overview", "action_open_customer"): USERS,
    ("account.collection.overview", "action_open_invoices"): USERS,
    ("account.collection.overview", "action_create_plan"): USERS,
    ("account.collection.timeline", "action_open_record"): USERS,
    ("account.collection.worklist", "action_open_worklist"): USERS,
    ("account.collection.worklist", "action_refresh"): USERS,
    ("account.collection.worklist", "action_open_customer"): USERS,
    ("account.collection.worklist", "action_log_call"): USERS,
    ("account.collection.worklist", "action_complete_activity"): USERS,
    ("account.collection.worklist", "action_propose_writeoff"): USERS,
    ("account.collection.worklist", "action_court_claim"): USERS,
    ("account.collection.worklist", "action_assign_collector"): MANAGERS,
    ("account.collection.aging.report", "action_view"): USERS,
    ("account.collection.aging.report", "action_print_pdf"): USERS,
    ("account.collection.aging.report", "action_export_xlsx"): USERS,
    ("account.collection.aging.report.line", "action_open_move"): USERS,
    ("account.collection.aging.report.customer", "action_open_items"): USERS,
    ("res.partner.assign.collector", "action_assign"): MANAGERS,
    ("res.partner.create.plan", "action_create"): USERS,
    ("res.partner.send.reminder", "action_send"): USERS,
    ("res.partner.send.statement", "action_send"): USERS,
    ("account.move", "action_open_collection_disputes"): USERS,
    ("account.move", "action_open_collection_promises"): USERS,
    ("account.move", "action_collection_dispute"): USERS,
    ("account.move", "action_open_collection_communications"): USERS,
    ("account.move", "action_open_collection_plan"): USERS,
    ("account.move", "action_collection_propose_writeoff"): USERS,
    ("account.move", "action_collection_claim"): USERS,
    ("account.move", "action_open_collection_claims"): USERS,
    ("account.move", "action_collection_return"): USERS,
    ("res.partner", "action_open_collection_communications"): USERS,
    ("res.partner", "action_open_collection_plans"): USERS,
    ("res.partner", "action_create_collection_plan"): USERS,
    ("res.partner", "action_open_collection_holds"): INTERNAL,
    # opens the hold form; the hold itself is created by managers only
    ("res.partner", "action_place_collection_hold"): ANY_INTERNAL,
    ("res.partner", "action_log_collection_call"): USERS,
    ("res.partner", "action_open_collection_calls"): USERS,
    ("res.partner", "action_open_collection_promises"): USERS,
    ("res.partner", "action_open_collection_disputes"): USERS,
    ("res.partner", "action_collection_located"): USERS,
    ("res.partner", "action_collection_mail_returned"): USERS,
    ("res.partner", "action_open_collection_timeline"): USERS,
    ("res.partner", "action_open_collection_invoices"): USERS,
    ("res.partner", "action_collection_propose_writeoff"): USERS,
    ("res.partner", "action_open_collection_writeoffs"): USERS,
    ("res.partner", "action_collection_claim"): USERS,
    ("res.partner", "action_open_collection_claims"): USERS,
    ("res.partner", "action_collection_return"): USERS,
    ("res.partner", "action_open_collection_returns"): USERS,
    ("res.partner", "action_collection_place_with_agency"): USERS,
}

#: Buttons whose refusals are pressed over RPC here, on which fixture, and the role
#: that may then press it successfully on the same record (None: refusals only).
PRESSED = {
    ("account.collection.writeoff", "action_approve"): ("writeoff", MANAGER),
    ("account.collection.writeoff", "action_reject"): ("writeoff_2", MANAGER),
    ("account.collection.plan", "action_activate"): ("plan_big", MANAGER),
    ("account.collection.plan", "action_cancel"): ("plan_active", MANAGER),
    ("account.collection.hold", "action_release"): ("hold", MANAGER),
    ("account.collection.placement", "action_place"): ("placement", MANAGER),
    ("account.collection.claim", "action_file"): ("claim", None),
    ("account.collection.claim", "action_cancel"): ("claim", MANAGER),
    ("account.collection.credit.limit.request", "action_approve"): ("credit_request", None),
    ("account.collection.credit.limit.request", "action_refuse"): ("credit_request", MANAGER),
    ("account.collection.kpi.snapshot", "action_backfill"): ("nothing", None),
    ("account.collection.placement", "action_cancel"): ("placement_2", MANAGER),
    ("account.collection.dispute", "action_settle"): ("dispute", COLLECTOR),
    ("account.collection.promise", "action_cancel"): ("promise", COLLECTOR),
    ("account.collection.provision", "action_reject"): ("provision", MANAGER),
    ("account.collection.claim", "action_close"): ("claim", None),
    ("account.collection.writeoff", "action_reverse"): ("writeoff", None),
}

#: What another company's manager must neither read nor write: one record each.
COMPANY_WALLS = (
    ("account.collection.agency", "agency", {"commission_rate": 99.0}),
    ("account.collection.agency.tier", "tier", {"rate": 99.0}),
    ("account.collection.move.level", "move_level", None),
    ("account.collection.plan", "plan_active", None),
    ("account.collection.plan.line", "plan_line", None),
    ("account.collection.writeoff", "writeoff", None),
    ("account.collection.writeoff.line", "writeoff_line", None),
    ("account.collection.hold", "hold", None),
    ("account.collection.placement", "placement", None),
    ("account.collection.placement.line", "placement_line", None),
    ("account.collection.claim", "claim", None),
    ("account.collection.claim.line", "claim_line", None),
    ("account.collection.level", "level", {"days": 5}),
    ("account.collection.credit.limit.request", "credit_request", None),
)

#: A name looks like a state, an approval, an approver, an override or a posting.
SENSITIVE = re.compile(
    r"(^state$|approv|_by_id$|override|released|^logged$|posted|^move_id$|^move_ids$|"
    r"_move_id$|_move_ids$|^status$|credit_note_id)"
)


#: XML-RPC fault codes of Odoo: a user error (validation, missing record...) and an
#: access error; anything else (a crash, a failed login) is no refusal.
FAULT_USER_ERROR = 2
FAULT_ACCESS_ERROR = 4


class Refused(Exception):
    """The server refused the call with a clear message (access or user error)."""


@tagged("post_install", "-at_install")
class TestRpcRoleMatrix(CollectionsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company
        bad_debt = cls.env["account.account"].create(
            {"name": "Bad debts", "code": "655100", "account_type": "expense"}
        )
        company.write(
            {
                "collection_plan_approval_amount": 500.0,
                "collection_writeoff_approval_limit": 100000.0,
                "collection_writeoff_journal_id": cls.company_data["default_journal_misc"].id,
                "collection_writeoff_account_id": bad_debt.id,
            }
        )
        cls.collector.password = "collector-Pass-1"
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.users = {
            COLLECTOR: cls.collector,
            INVOICING: cls._user("rpc_invoicing", "account.group_account_invoice"),
            MANAGER: cls._user("rpc_manager", "account_collections.group_collections_manager"),
            ACCOUNTANT: cls._user("rpc_accountant", "account.group_account_manager"),
            PORTAL: cls._user("rpc_portal", "base.group_portal"),
            OTHER: cls._user(
                "rpc_other",
                "account_collections.group_collections_manager",
                company=cls.company_b,
            ),
        }
        cls.bystander = cls._user("rpc_bystander", "account_collections.group_collections_manager")
        cls.customer = cls._customer("Matrix Customer")
        cls.inv_big = cls._invoice(cls.customer, 2000, "2026-01-15")
        cls.inv_small = cls._invoice(cls.customer, 300, "2026-02-15")
        cls.inv_plan = cls._invoice(cls.customer, 1200, "2026-02-01")
        cls.inv_wo = cls._invoice(cls.customer, 80, "2026-01-31")
        cls.inv_wo_2 = cls._invoice(cls.customer, 70, "2026-01-30")
        cls.inv_claim = cls._invoice(cls.customer, 400, "2026-01-10")
        cls.inv_place_2 = cls._invoice(cls.customer, 90, "2026-01-05")
        cls.inv_dispute = cls._invoice(cls.customer, 110, "2026-02-20")
        cls.inv_promise = cls._invoice(cls.customer, 120, "2026-03-01")
        cls.paid = cls._invoice(cls.customer, 100, "2026-01-20")
        cls._pay(cls.paid, 100, "2026-02-01")
        cls.refund = cls._invoice(cls.customer, 50, "2026-02-01", move_type="out_refund")
        cls.bill = cls._invoice(cls.customer, 60, "2026-02-01", move_type="in_invoice")
        cls.fixtures = cls._make_fixtures()
        cls.env.flush_all()

    @classmethod
    def _user(cls, login, groups, company=None):
        company = company or cls.company
        return new_test_user(
            cls.env,
            login=login,
            password=f"{login}-Pass-1",
            groups=groups,
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )

    @classmethod
    def _make_fixtures(cls):
        env = cls.env
        Plan = env["account.collection.plan"]
        plan_big = Plan.create(
            {
                "partner_id": cls.customer.id,
                "move_ids": [Command.set(cls.inv_big.ids)],
                "instalment_count": 4,
                "first_date": "2026-04-30",
            }
        )
        plan_active = Plan.create(
            {
                "partner_id": cls.customer.id,
                "move_ids": [Command.set(cls.inv_plan.ids)],
                "down_payment": 200.0,
                "instalment_count": 2,
                "first_date": "2026-04-30",
            }
        )
        plan_active.with_user(cls.users[MANAGER]).action_activate()
        Writeoff = env["account.collection.writeoff"]
        writeoff = Writeoff._propose(cls.inv_wo)
        writeoff_2 = Writeoff._propose(cls.inv_wo_2)
        hold = (
            env["account.collection.hold"]
            .with_user(cls.users[MANAGER])
            .create({"partner_id": cls.customer.id, "reason": "Matrix hold"})
        )
        agency_partner = env["res.partner"].create({"name": "Matrix Agency", "is_company": True})
        agency = env["account.collection.agency"].create(
            {
                "partner_id": agency_partner.id,
                "commission_rate": 20,
                "tier_ids": [Command.create({"min_days": 90, "rate": 25})],
            }
        )
        placement = env["account.collection.placement"].create(
            {
                "partner_id": cls.customer.id,
                "agency_id": agency.id,
                "line_ids": [Command.create({"move_id": cls.inv_small.id})],
            }
        )
        placement_2 = env["account.collection.placement"].create(
            {
                "partner_id": cls.customer.id,
                "agency_id": agency.id,
                "line_ids": [Command.create({"move_id": cls.inv_place_2.id})],
            }
        )
        claim = env["account.collection.claim"]._draft_for(cls.customer, cls.inv_claim)
        dispute = env["account.collection.dispute"].create(
            {
                "partner_id": cls.customer.id,
                "move_ids": [Command.set(cls.inv_dispute.ids)],
                "reason": env["account.collection.dispute"]._fields["reason"].selection[0][0],
                "amount": 110.0,
            }
        )
        promise = env["account.collection.promise"].create(
            {
                "partner_id": cls.customer.id,
                "move_ids": [Command.set(cls.inv_promise.ids)],
                "date": "2026-04-10",
                "amount": 120.0,
            }
        )
        provision = env["account.collection.provision"].create(
            {"company_id": cls.company.id, "date": "2026-02-28"}
        )
        move_level = (
            env["account.collection.move.level"]
            .sudo()
            .create({"move_id": cls.inv_big.id, "date": "2026-03-01"})
        )
        policy = env["account.collection.policy"].create(
            {
                "name": "Matrix policy",
                "company_id": cls.company.id,
                "level_ids": [
                    Command.create({"name": "Matrix level", "days": 10, "send_email": False})
                ],
            }
        )
        credit_request = (
            env["account.collection.credit.limit.request"]
            .with_user(cls.users[INVOICING])
            .create(
                {
                    "partner_id": cls.customer.id,
                    "requested_limit": 5000,
                    "justification": "Matrix",
                }
            )
            .sudo()
        )
        return {
            "plan_big": plan_big,
            "plan_active": plan_active,
            "plan_line": plan_active.line_ids[:1],
            "writeoff": writeoff,
            "writeoff_2": writeoff_2,
            "writeoff_line": writeoff.line_ids,
            "hold": hold.sudo(),
            "agency": agency,
            "tier": agency.tier_ids,
            "placement": placement,
            "placement_line": placement.line_ids,
            "placement_2": placement_2,
            "dispute": dispute,
            "promise": promise,
            "provision": provision,
            "claim": claim,
            "claim_line": claim.line_ids,
            "move_level": move_level,
            "level": policy.level_ids,
            "credit_request": credit_request,
            "customer": cls.customer,
            "nothing": env["account.collection.kpi.snapshot"],
        }

    # ------------------------------------------------------------------
    # RPC helpers
    # ------------------------------------------------------------------

    def _call(self, role, model, method, *args, **kwargs):
        """Call ``model.method(*args, **kwargs)`` over XML-RPC as ``role``.

        :raise Refused: on an access or user error (the client gets the message).
        """
        user = self.users[role]
        try:
            # the server logs each refusal, and XML-RPC's deprecation in Odoo 19
            # (and the database's refusals of out-of-bounds values)
            with mute_logger("odoo.http", "odoo.addons.rpc.controllers.xmlrpc", "odoo.sql_db"):
                return self.xmlrpc_object.execute_kw(
                    self.env.cr.dbname, user.id, f"{user.login}-Pass-1", model, method, args, kwargs
                )
        except xmlrpc.client.Fault as fault:
            if fault.faultCode in (FAULT_USER_ERROR, FAULT_ACCESS_ERROR):
                raise Refused(f"{fault.faultCode}: {fault.faultString}") from None
            raise AssertionError(
                f"{role} {model}.{method}: the server failed instead of refusing "
                f"({fault.faultCode}): {fault.faultString}"
            ) from None

    def _refused(self, role, model, method, *args, **kwargs):
        try:
            self._call(role, model, method, *args, **kwargs)
        except Refused as refusal:
            return str(refusal)
        self.fail(f"{role} may not call {model}.{method}{args!r}, yet the call went through")

    def _forged_value(self, model, name, record):
        """A value other than the record's (without a record: than the field's own
        default), for the field's type: a change the guard must refuse."""
        records = self.env[model]
        field = records._fields[name]
        if record:
            current = record[name]
        else:
            default = field.default(records) if field.default else False
            current = field.convert_to_record(field.convert_to_cache(default, records), records)
        if field.type == "selection":
            values = [v for v, _label in field._description_selection(self.env)]
            return next(v for v in reversed(values) if v != current)
        if field.type == "many2one":
            if field.comodel_name == "res.users":
                return self.bystander.id
            other = self.env[field.comodel_name].search([], limit=2, order="id desc")
            return next(oid for oid in other.ids if oid != (current.id if current else False))
        if field.type in ("one2many", "many2many"):
            return [(5, 0, 0)]  # Command.CLEAR, as a client sends it
        if field.type == "date":
            return "2030-01-01"
        if field.type == "datetime":
            return "2030-01-01 00:00:00"
        if field.type == "boolean":
            return not current
        if field.type in ("float", "monetary", "integer"):
            return (current or 0) + 1
        return "forged"

    # ------------------------------------------------------------------
    # The tables cover the addon
    # ------------------------------------------------------------------

    def _addon_models(self):
        data = self.env["ir.model.data"].search(
            [("module", "=", MODULE), ("model", "=", "ir.model")]
        )
        return set(self.env["ir.model"].browse(data.mapped("res_id")).mapped("model"))

    def _addon_classes(self, model):
        return [
            cls
            for cls in type(self.env[model]).mro()
            if cls.__module__.startswith(f"odoo.addons.{MODULE}.")
        ]

    def test_every_model_has_a_row(self):
        missing = self._addon_models() - set(MODELS) - ABSTRACT
        self.assertFalse(missing, f"models of {MODULE} without a row in MODELS: {missing}")

    def test_every_sensitive_field_has_a_row(self):
        missing = set()
        for model in self._addon_models() - ABSTRACT:
            records = self.env[model]
            protected = set(getattr(records, "_collection_protected_fields", ()))
            for name in records._fields:
                defined_here = any(name in vars(cls) for cls in self._addon_classes(model))
                if name in protected or (defined_here and SENSITIVE.search(name)):
                    if (model, name) not in PROTECTED and (model, name) not in NOT_PROTECTED:
                        missing.add((model, name))
        self.assertFalse(missing, f"fields without a row in PROTECTED or NOT_PROTECTED: {missing}")
        for model, name in PROTECTED:
            self.assertIn(
                name,
                self.env[model]._collection_protected_names(),
                f"{model}.{name} is in PROTECTED but the model does not guard it",
            )

    def test_every_button_has_a_row(self):
        missing = set()
        for model in self._addon_models():
            for cls in self._addon_classes(model):
                for name, member in vars(cls).items():
                    if (
                        name.startswith(("action_", "button_"))
                        and inspect.isfunction(member)
                        and (model, name) not in BUTTONS
                    ):
                        missing.add((model, name))
        self.assertFalse(missing, f"public buttons without a row in BUTTONS: {missing}")

    # ------------------------------------------------------------------
    # The matrix, over RPC
    # ------------------------------------------------------------------

    def test_rights_per_model(self):
        """Read for real; create, write and unlink as the server answers ``has_access``
        (on a record of company A where there is one: company rules included)."""
        operations = ("read", "create", "write", "unlink")
        fixture_of = {model: key for model, key, _vals in COMPANY_WALLS}
        for model, allowed in MODELS.items():
            if self.env[model]._transient:
                continue
            key = fixture_of.get(model)
            ids = self.fixtures[key].ids if key else []
            for role in ROLES:
                for operation, roles in zip(operations, allowed, strict=True):
                    if roles is None:
                        continue
                    expected = role in roles and not (role == OTHER and ids)
                    with self.subTest(model=model, role=role, operation=operation):
                        if operation == "read":
                            try:
                                self._call(role, model, "search_read", [], ["id"], limit=1)
                                got = True
                            except Refused:
                                got = False
                            expected = role in roles
                        else:
                            got = self._call(
                                role, model, "has_access", [] if operation == "create" else ids,
                                operation,
                            )  # fmt: skip
                            if operation == "create":
                                expected = role in roles
                        self.assertEqual(got, expected)

    def test_protected_fields_refused_to_every_role(self):
        fixtures = {
            "account.collection.writeoff": "writeoff",
            "account.collection.writeoff.line": "writeoff_line",
            "account.collection.plan": "plan_big",
            "account.collection.plan.line": "plan_line",
            "account.collection.hold": "hold",
            "account.collection.placement": "placement",
            "account.collection.placement.line": "placement_line",
            "account.collection.claim": "claim",
            "account.collection.claim.line": "claim_line",
            "account.collection.credit.limit.request": "credit_request",
        }
        for model, name in sorted(PROTECTED):
            record = self.fixtures[fixtures[model]] if model in fixtures else None
            ids = record.ids if record else []
            value = self._forged_value(model, name, record)
            create_value = self._forged_value(model, name, None)
            before = record.read([name]) if record else None
            if record:
                # whoever may read the record reads the field
                self.assertEqual(
                    len(self._call(MANAGER, model, "read", ids, [name])), len(ids), name
                )
            for role in ROLES:
                with self.subTest(model=model, field=name, role=role):
                    self._refused(role, model, "write", ids, {name: value})
                    message = self._refused(role, model, "create", [{name: create_value}])
                    # refused by the guard or the access rights, not by a missing value
                    self.assertNotIn("null value", message)
                    self.assertNotIn("required", message)
            if record:
                record.invalidate_recordset()
                self.assertEqual(record.read([name]), before, f"{model}.{name} changed")

    def test_computed_amounts_refused_to_every_role(self):
        """What the model computes (totals, a line's state) no client overwrites."""
        for model, key, name, value in (
            ("account.collection.claim", "claim", "amount_principal", 1.0),
            ("account.collection.claim", "claim", "amount_claim", 1.0),
            ("account.collection.placement", "placement", "amount_total", 1.0),
            ("account.collection.writeoff", "writeoff", "amount_total", 1.0),
            ("account.collection.writeoff.line", "writeoff_line", "state", "posted"),
        ):
            record = self.fixtures[key]
            before = record.read([name])
            for role in ROLES:
                with self.subTest(model=model, field=name, role=role):
                    self._refused(role, model, "write", record.ids, {name: value})
            record.invalidate_recordset()
            self.assertEqual(record.read([name]), before)

    def test_buttons_pressed(self):
        for (model, method), (key, allowed_role) in PRESSED.items():
            record = self.fixtures[key]
            allowed = BUTTONS[model, method]
            for role in ROLES:
                # another company's manager has a manager's rights, in its company only
                if role == OTHER and not record or role in allowed and role != OTHER:
                    continue
                with self.subTest(model=model, method=method, role=role):
                    before = record.read(["state"]) if "state" in record._fields else None
                    self._refused(role, model, method, *([record.ids] if record else []))
                    if before is not None:
                        record.invalidate_recordset()
                        self.assertEqual(record.read(["state"]), before)
            if allowed_role:
                with self.subTest(model=model, method=method, role=allowed_role):
                    self.assertIn(allowed_role, allowed)
                    self._call(allowed_role, model, method, *([record.ids] if record else []))

    def test_unlink(self):
        """Deleting over RPC: what is in force or another company's stays."""
        cases = (
            ("account.collection.plan", "plan_active", ROLES),
            ("account.collection.plan.line", "plan_line", ROLES),
            ("account.collection.hold", "hold", ROLES),
            ("account.collection.agency.tier", "tier", (OTHER, COLLECTOR, INVOICING, PORTAL)),
            ("account.collection.move.level", "move_level", ROLES),
            ("account.collection.credit.limit.request", "credit_request", ROLES),
        )
        for model, key, roles in cases:
            record = self.fixtures[key]
            for role in roles:
                with self.subTest(model=model, role=role):
                    self._refused(role, model, "unlink", record.ids)
            self.assertTrue(record.exists(), model)
        # a draft plan: deleted by a collections manager, not by a collections user
        draft = self.fixtures["plan_big"]
        self._refused(COLLECTOR, "account.collection.plan", "unlink", draft.ids)
        self._call(MANAGER, "account.collection.plan", "unlink", draft.ids)
        self.assertFalse(draft.exists())

    def test_company_walls(self):
        """Another company's manager neither reads nor writes company A's records,
        lines, tiers and per-invoice tables included."""
        for model, key, vals in COMPANY_WALLS:
            record = self.fixtures[key]
            with self.subTest(model=model):
                self._refused(OTHER, model, "read", record.ids, ["display_name"])
                self.assertFalse(
                    self._call(OTHER, model, "search", [("id", "in", record.ids)]),
                )
                if vals:
                    before = record.read(list(vals))
                    self._refused(OTHER, model, "write", record.ids, vals)
                    record.invalidate_recordset()
                    self.assertEqual(record.read(list(vals)), before)
                # a user of the company reads it
                self._call(MANAGER, model, "read", record.ids, ["display_name"])

    # ------------------------------------------------------------------
    # The symptoms of issue 14, each refused and nothing changed
    # ------------------------------------------------------------------

    def test_plan_approval_cannot_be_forged(self):
        plan = self.fixtures["plan_big"]
        self.assertTrue(plan.approval_required)
        message = self._refused(
            COLLECTOR,
            "account.collection.plan",
            "write",
            plan.ids,
            {"state": "active", "approved_by_id": self.collector.id},
        )
        self.assertIn("own buttons", message)
        message = self._refused(COLLECTOR, "account.collection.plan", "action_activate", plan.ids)
        self.assertIn("collections manager must approve", message)
        plan.invalidate_recordset()
        self.assertRecordValues(plan, [{"state": "draft", "approved_by_id": False}])
        # the manager's approval is recorded, with a note in the chatter
        self._call(MANAGER, "account.collection.plan", "action_activate", plan.ids)
        plan.invalidate_recordset()
        self.assertRecordValues(
            plan, [{"state": "active", "approved_by_id": self.users[MANAGER].id}]
        )
        self.assertTrue(plan.approved_date)
        self.assertIn(
            f"activated by {self.users[MANAGER].name}", "".join(plan.message_ids.mapped("body"))
        )

    def test_writeoff_cannot_be_posted_through_a_context_key(self):
        writeoff = self.fixtures["writeoff"]
        for context in ({}, {"collection_writeoff_internal": True}):
            self._refused(
                COLLECTOR,
                "account.collection.writeoff",
                "write",
                writeoff.ids,
                {"state": "posted", "accounting_approved_by_id": self.users[ACCOUNTANT].id},
                context=context,
            )
        writeoff.invalidate_recordset()
        self.assertRecordValues(
            writeoff, [{"state": "proposed", "accounting_approved_by_id": False}]
        )
        self.assertFalse(writeoff.move_ids)
        self.assertEqual(self.inv_wo.payment_state, "not_paid")

    def test_posted_writeoff_keeps_its_entry(self):
        """Nobody unlinks a posted write-off's entry from it, nor links another."""
        writeoff = self.fixtures["writeoff"]
        self._call(MANAGER, "account.collection.writeoff", "action_approve", writeoff.ids)
        writeoff.invalidate_recordset()
        self.assertEqual(writeoff.state, "posted")
        entry = writeoff.move_ids
        self.assertEqual(entry.state, "posted")
        self.assertEqual(self.inv_wo.payment_state, "paid")
        for role in ROLES:
            with self.subTest(role=role):
                self._refused(role, "account.move", "write", entry.ids,
                              {"collection_writeoff_id": False})  # fmt: skip
                self._refused(role, "account.move", "write", self.inv_small.ids,
                              {"collection_writeoff_id": writeoff.id})  # fmt: skip
        writeoff.invalidate_recordset()
        self.assertEqual(writeoff.move_ids, entry)
        self.assertIn(
            f"Approved by {self.users[MANAGER].name}", "".join(writeoff.message_ids.mapped("body"))
        )

    def test_posted_writeoff_needs_its_entry(self):
        """Even the server itself cannot mark a write-off posted without its entry."""
        writeoff = self.fixtures["writeoff"]
        with self.assertRaisesRegex(Exception, "without its posted journal entry"):
            with self.env.cr.savepoint():
                writeoff._collection_write({"state": "posted"})
                writeoff.flush_recordset()

    def test_active_plan_cannot_be_rewritten(self):
        plan = self.fixtures["plan_active"]
        lines = plan.line_ids
        down = lines.filtered("down_payment")
        instalment = (lines - down)[:1]
        amounts = lines.mapped("amount")
        self._refused(COLLECTOR, "account.collection.plan.line", "write", instalment.ids,
                      {"amount": 1.0})  # fmt: skip
        self._refused(COLLECTOR, "account.collection.plan.line", "unlink", down.ids)
        self._refused(
            COLLECTOR, "account.collection.plan", "write", plan.ids,
            {"line_ids": [(3, down.id, 0)]},
        )  # fmt: skip
        self._refused(COLLECTOR, "account.collection.plan", "write", plan.ids, {"grace_days": 99})
        self._refused(
            COLLECTOR, "account.collection.plan.line", "create",
            [{"plan_id": plan.id, "due_date": "2026-05-31", "amount": 1.0}],
        )  # fmt: skip
        plan.invalidate_recordset()
        self.assertEqual(plan.line_ids, lines)
        self.assertEqual(plan.line_ids.mapped("amount"), amounts)

    def test_company_b_manager_cannot_touch_company_a_tiers_and_levels(self):
        tier = self.fixtures["tier"]
        message = self._refused(OTHER, "account.collection.agency.tier", "write", tier.ids,
                                {"rate": 99.0})  # fmt: skip
        self.assertTrue(message.startswith(f"{FAULT_ACCESS_ERROR}:"), message)
        self._refused(OTHER, "account.collection.agency.tier", "read", tier.ids, ["rate"])
        self._refused(
            OTHER, "account.collection.move.level", "read", self.fixtures["move_level"].ids,
            ["level_id"],
        )  # fmt: skip
        self.assertFalse(self._call(OTHER, "account.collection.move.level", "search", []))
        tier.invalidate_recordset()
        self.assertEqual(tier.rate, 25.0)

    def test_bad_input_refused_at_creation(self):
        cases = [
            ("account.collection.writeoff", {"line_ids": [(0, 0, {"move_id": mid})]})
            for mid in (self.paid.id, self.bill.id, self.refund.id)
        ] + [
            ("account.collection.placement", {
                "agency_id": self.fixtures["agency"].id,
                "line_ids": [(0, 0, {"move_id": mid})],
            })
            for mid in (self.paid.id, self.bill.id, self.refund.id)
        ] + [
            ("account.collection.claim", {"line_ids": [(0, 0, {"move_id": mid})]})
            for mid in (self.paid.id, self.bill.id, self.refund.id)
        ]  # fmt: skip
        for model, vals in cases:
            with self.subTest(model=model, vals=vals):
                count = self.env[model].search_count([])
                message = self._refused(
                    COLLECTOR, model, "create", [{"partner_id": self.customer.id, **vals}]
                )
                self.assertIn("open invoice", message)
                self.assertEqual(self.env[model].search_count([]), count)
        policy = self.fixtures["level"].policy_id
        for days in (-100000, 2147483647, -366, 3651):
            with self.subTest(days=days):
                self._refused(
                    MANAGER,
                    "account.collection.level",
                    "create",
                    [{"name": "Bad", "policy_id": policy.id, "days": days, "send_email": False}],
                )
        self._call(
            MANAGER,
            "account.collection.level",
            "create",
            [{"name": "Courtesy", "policy_id": policy.id, "days": -365, "send_email": False}],
        )

    def test_overview_read_over_xmlrpc(self):
        rows = self._call(
            COLLECTOR,
            "account.collection.overview",
            "search_read",
            [("partner_id", "=", self.customer.id)],
            ["partner_id", "company_id", "total_overdue"],
        )
        self.assertEqual(len(rows), 1)
        self.assertLess(rows[0]["id"], 2**31)
        self.assertEqual(rows[0]["partner_id"][0], self.customer.id)
        read = self._call(COLLECTOR, "account.collection.overview", "read", [rows[0]["id"]],
                          ["total_overdue"])  # fmt: skip
        self.assertEqual(read[0]["total_overdue"], rows[0]["total_overdue"])
        for model in ("account.collection.activity.report", "account.collection.timeline"):
            with self.subTest(model=model):
                self._call(MANAGER, model, "search_read", [], ["display_name"], limit=5)

    def test_transitions_are_noted_in_the_chatter(self):
        hold = self.fixtures["hold"]
        self._call(MANAGER, "account.collection.hold", "action_release", hold.ids)
        hold.invalidate_recordset()
        self.assertRecordValues(
            hold, [{"state": "released", "released_by_id": self.users[MANAGER].id}]
        )
        self.assertIn(self.users[MANAGER].name, "".join(hold.message_ids.mapped("body")))
        placement = self.fixtures["placement"]
        self._call(MANAGER, "account.collection.placement", "action_place", placement.ids)
        placement.invalidate_recordset()
        self.assertEqual(placement.state, "placed")
        self.assertIn(
            f"Placed by {self.users[MANAGER].name}", "".join(placement.message_ids.mapped("body"))
        )
