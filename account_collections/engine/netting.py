"""Netting of unapplied credits against a customer's open debits.

Credit notes, unapplied payments and overpayments that are still open on the
receivable account reduce what the customer owes. They are applied to the
oldest debit first (earliest due date, then the lowest id), so a customer with
a recent overpayment is not reminded of an old invoice the money covers.

Amounts are integers in the currency's smallest unit (cents), so the
arithmetic is exact. The Odoo models run the same rule as one SQL window
query; the tests compare both on the same ledger.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .aging import DEFAULT_BUCKETS, Bucket, bucket_for, days_overdue


@dataclass(frozen=True)
class OpenItem:
    """One open receivable line: positive amount owed, negative amount credit."""

    key: int
    due_date: datetime.date
    amount: int


@dataclass(frozen=True)
class CustomerAging:
    """A customer's position as of a date, after netting credits."""

    total_due: int
    total_overdue: int
    oldest_days_overdue: int
    buckets: dict[str, int] = field(default_factory=dict)
    net_items: dict[int, int] = field(default_factory=dict)


def allocate_credits(items: Iterable[OpenItem]) -> dict[int, int]:
    """Net amount still owed per debit item once all credits are applied.

    Credits (negative items) are summed and consumed by the debits in order of
    due date then key. Returns ``{key: net}`` for every debit item; credit
    items do not appear. ``sum(result) == max(0, sum(debits) - credits)``
    whenever the credits do not exceed the debits.
    """
    items = list(items)
    credit = -sum(item.amount for item in items if item.amount < 0)
    result = {}
    for item in sorted((i for i in items if i.amount > 0), key=lambda i: (i.due_date, i.key)):
        applied = min(item.amount, credit)
        credit -= applied
        result[item.key] = item.amount - applied
    return result


def summarize(
    items: Sequence[OpenItem],
    as_of: datetime.date,
    buckets: Sequence[Bucket] = DEFAULT_BUCKETS,
) -> CustomerAging:
    """Age one customer's open items as of ``as_of`` after netting credits.

    * ``total_due``: the net balance (debits minus credits), may be negative;
    * ``buckets``: the netted debits per bucket; credit left over after every
      debit is covered is shown as a negative amount in the first bucket, so
      the buckets always add up to ``total_due``;
    * ``total_overdue``: the netted debits that are past due;
    * ``oldest_days_overdue``: days overdue of the oldest item still owed.
    """
    net = allocate_credits(items)
    totals = {bucket.key: 0 for bucket in buckets}
    overdue = 0
    oldest = 0
    for item in items:
        if item.amount <= 0:
            continue
        amount = net[item.key]
        days = days_overdue(item.due_date, as_of)
        totals[bucket_for(days, buckets).key] += amount
        if days > 0 and amount:
            overdue += amount
            oldest = max(oldest, days)
    total_due = sum(item.amount for item in items)
    leftover = total_due - sum(totals.values())
    totals[buckets[0].key] += leftover
    return CustomerAging(
        total_due=total_due,
        total_overdue=overdue,
        oldest_days_overdue=oldest,
        buckets=totals,
        net_items=net,
    )
