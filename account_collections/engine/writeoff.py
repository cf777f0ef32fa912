"""Which open invoices of a customer a scheduled rule proposes to write off.

Amounts are integers in the currency's smallest unit; the Odoo side fetches
the open items (seam 1) in one query, calls :func:`propose` per customer and
creates the proposals in batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BANKRUPTCY = "bankruptcy"
SMALL_BALANCE = "small_balance"
STATUTE_BARRED = "statute_barred"
UNCOLLECTIBLE = "uncollectible"


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice still owed: its key (the entry id), days overdue, open
    amount, and whether its limitation date has passed."""

    key: int
    days_overdue: int
    amount: int
    statute_barred: bool = False


@dataclass(frozen=True)
class Thresholds:
    """A company's rule settings; 0 switches a threshold off.

    :param days_overdue: propose invoices overdue this many days or more.
    :param small_balance: propose a customer's whole balance when it is
        overdue and below this amount.
    :param auto_approve: small-balance proposals below this amount need no
        approval.
    """

    days_overdue: int = 0
    small_balance: int = 0
    auto_approve: int = 0


@dataclass(frozen=True)
class Proposal:
    """What to propose: the reason code, the invoices, their total, and
    whether it is approved without a manager."""

    reason: str
    keys: tuple[int, ...]
    amount: int
    auto_approve: bool = False


def propose(
    invoices: Sequence[OpenInvoice],
    balance: int,
    thresholds: Thresholds,
    bankrupt: bool = False,
) -> Proposal | None:
    """The write-off a scheduled rule proposes for one customer, or None.

    :param invoices: the customer's invoices still owed (amount > 0), none of
        them already in a write-off proposal.
    :param balance: the customer's net open balance (credits deducted).
    :param bankrupt: the customer is marked bankrupt or closed: everything
        owed is proposed.

    Rules, first match wins: bankruptcy (all invoices); small balance (the
    net balance is positive, below the threshold and something is overdue:
    all invoices, approved automatically below the lower threshold);
    statute-barred (the invoices whose limitation date has passed); days
    overdue (the invoices overdue at least that many days).
    """
    owed = [invoice for invoice in invoices if invoice.amount > 0]
    if not owed:
        return None
    if bankrupt:
        return _proposal(BANKRUPTCY, owed)
    if (
        thresholds.small_balance > 0
        and 0 < balance < thresholds.small_balance
        and any(invoice.days_overdue > 0 for invoice in owed)
    ):
        proposal = _proposal(SMALL_BALANCE, owed)
        auto = 0 < proposal.amount < thresholds.auto_approve
        return Proposal(proposal.reason, proposal.keys, proposal.amount, auto)
    barred = [invoice for invoice in owed if invoice.statute_barred]
    if barred:
        return _proposal(STATUTE_BARRED, barred)
    if thresholds.days_overdue > 0:
        old = [invoice for invoice in owed if invoice.days_overdue >= thresholds.days_overdue]
        if old:
            return _proposal(UNCOLLECTIBLE, old)
    return None


def _proposal(reason: str, invoices: Sequence[OpenInvoice]) -> Proposal:
    ordered = sorted(invoices, key=lambda invoice: invoice.key)
    return Proposal(
        reason, tuple(invoice.key for invoice in ordered), sum(i.amount for i in ordered)
    )


def approvals_needed(amount: int, accounting_limit: int) -> tuple[str, ...]:
    """The approvals a write-off of ``amount`` needs.

    Always a collections manager; above ``accounting_limit`` (when positive)
    an accounting manager too.
    """
    if accounting_limit > 0 and amount > accounting_limit:
        return ("collections", "accounting")
    return ("collections",)


def allowance_split(amounts: Sequence[int], available: int) -> tuple[int, tuple[int, ...]]:
    """How a write-off of ``amounts`` charges the doubtful-debt allowance.

    :param amounts: what is written off, per group (one per currency of the
        expense lines, in the company currency's smallest unit), in the order
        the allowance is drawn from them.
    :param available: what the customer's standing provision still holds
        (negative counts as nothing).

    Returns ``(allowance, expenses)``: the amount charged to the allowance
    (at most ``available``, at most the total) and, per group, what remains
    charged to the bad-debt expense. ``allowance + sum(expenses)`` always
    equals ``sum(amounts)``.
    """
    left = max(0, min(available, sum(amount for amount in amounts if amount > 0)))
    allowance = left
    expenses = []
    for amount in amounts:
        taken = min(left, amount) if amount > 0 else 0
        left -= taken
        expenses.append(amount - taken)
    return allowance, tuple(expenses)
