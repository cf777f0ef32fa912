"""Dunning level decisions.

An invoice climbs a policy's levels one step at a time: it reaches the next
level once it is that many days past due, the customer owes at least the
level's minimum amount, and enough days have passed since its previous level.
The customer is reminded at the highest level any of its invoices holds, in
one message that lists every overdue invoice.

Plain data in, plain data out: amounts in the currency's smallest unit,
levels and invoices identified by integers.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class Level:
    """One dunning level of a policy."""

    key: int
    days: int  # days after the due date (negative: before it)
    min_amount: int = 0  # the customer's overdue total must reach it
    min_days_since_previous: int = 0  # waiting time after the previous level


class Invoice(NamedTuple):
    """An invoice's dunning position: its oldest open due line and what it owes.

    A named tuple rather than a dataclass: a run builds one per open invoice.
    """

    key: int
    days_overdue: int
    amount: int  # still owed after credits are netted; > 0
    level: int | None = None  # key of the last level it reached
    level_date: datetime.date | None = None


@dataclass(frozen=True)
class Decision:
    """What to do for one customer today."""

    level: Level | None  # the level to remind at; None: nothing to send
    invoice_levels: dict[int, int] = field(default_factory=dict)  # invoice -> level now
    advanced: tuple[int, ...] = ()  # invoices that reached a new level today
    listed: tuple[int, ...] = ()  # invoices the reminder lists


def sort_levels(levels: Sequence[Level]) -> list[Level]:
    """Levels in the order they are climbed."""
    return sorted(levels, key=lambda level: (level.days, level.key))


def next_level(
    levels: Sequence[Level], invoice: Invoice, as_of: datetime.date, overdue_total: int
) -> Level | None:
    """The level ``invoice`` reaches today, or None if it stays where it is.

    ``levels`` must be sorted (see :func:`sort_levels`). An invoice whose
    level is no longer in the policy starts again from the first level.
    """
    keys = [level.key for level in levels]
    position = keys.index(invoice.level) if invoice.level in keys else -1
    return _climb(levels, position, invoice, as_of, overdue_total)


def _climb(
    levels: Sequence[Level],
    position: int,
    invoice: Invoice,
    as_of: datetime.date,
    overdue_total: int,
) -> Level | None:
    """:func:`next_level` for an invoice at ``position`` in ``levels`` (-1: none)."""
    if position + 1 >= len(levels):
        return None
    candidate = levels[position + 1]
    if invoice.days_overdue < candidate.days:
        return None
    if overdue_total < candidate.min_amount:
        return None
    if invoice.level_date is not None and position >= 0:
        if (as_of - invoice.level_date).days < candidate.min_days_since_previous:
            return None
    return candidate


def decide(
    levels: Sequence[Level],
    invoices: Sequence[Invoice],
    as_of: datetime.date,
) -> Decision:
    """Decide one customer's reminder for ``as_of``.

    ``invoices`` are the customer's open invoices still owed after netting,
    those excluded from dunning left out. Each invoice moves at most one level;
    if none moves, nothing is sent (the customer was already reminded at its
    current level). Otherwise the reminder goes at the highest level held by
    any invoice and lists every invoice that is overdue or holds a level.
    """
    levels = sort_levels(levels)
    by_key = {level.key: level for level in levels}
    rank = {level.key: index for index, level in enumerate(levels)}
    overdue_total = sum(inv.amount for inv in invoices if inv.days_overdue > 0)
    invoice_levels: dict[int, int] = {}
    advanced = []
    for invoice in invoices:
        reached = _climb(levels, rank.get(invoice.level, -1), invoice, as_of, overdue_total)
        if reached is not None:
            invoice_levels[invoice.key] = reached.key
            advanced.append(invoice.key)
        elif invoice.level in by_key:
            invoice_levels[invoice.key] = invoice.level
    return _decision(levels, invoices, invoice_levels, advanced)


def catch_up(
    levels: Sequence[Level],
    invoices: Sequence[Invoice],
    as_of: datetime.date,
) -> Decision:
    """Decide one customer's first reminder when dunning starts over an existing ledger.

    Climbing one level at a time would remind a debtor a year late
    "friendly", then take weeks of waiting times to reach the final demand.
    On a catch-up, an invoice that never reached a level takes the highest
    level its days overdue and the customer's overdue total allow, waiting
    times ignored (nothing was sent before, so there is nothing to wait
    after); an invoice that holds a level climbs as :func:`decide` says.
    """
    levels = sort_levels(levels)
    by_key = {level.key: level for level in levels}
    rank = {level.key: index for index, level in enumerate(levels)}
    overdue_total = sum(inv.amount for inv in invoices if inv.days_overdue > 0)
    invoice_levels: dict[int, int] = {}
    advanced = []
    for invoice in invoices:
        if invoice.level in by_key:
            reached = _climb(levels, rank[invoice.level], invoice, as_of, overdue_total)
            invoice_levels[invoice.key] = (reached or by_key[invoice.level]).key
        else:
            eligible = [
                level
                for level in levels
                if invoice.days_overdue >= level.days and overdue_total >= level.min_amount
            ]
            reached = eligible[-1] if eligible else None
            if reached is not None:
                invoice_levels[invoice.key] = reached.key
        if reached is not None:
            advanced.append(invoice.key)
    return _decision(levels, invoices, invoice_levels, advanced)


def _decision(levels, invoices, invoice_levels, advanced) -> Decision:
    """The reminder once each invoice's level is known: at the highest level held,
    listing every invoice overdue or holding a level; none if nothing advanced."""
    if not advanced:
        return Decision(level=None, invoice_levels=invoice_levels)
    rank = {level.key: index for index, level in enumerate(levels)}
    top = max(invoice_levels.values(), key=rank.__getitem__)
    listed = tuple(inv.key for inv in invoices if inv.days_overdue > 0 or inv.key in invoice_levels)
    return Decision(
        level=next(level for level in levels if level.key == top),
        invoice_levels=invoice_levels,
        advanced=tuple(advanced),
        listed=listed,
    )


def repeat_current(levels: Sequence[Level], invoices: Sequence[Invoice]) -> Decision:
    """A reminder at the customer's current level, for a reminder sent by hand.

    Nothing climbs: the levels the invoices hold are kept, and the reminder
    lists every overdue invoice. No level held (nothing reminded yet and
    nothing due for a level): no reminder.
    """
    rank = {level.key: index for index, level in enumerate(sort_levels(levels))}
    held = {inv.key: inv.level for inv in invoices if inv.level in rank}
    if not held:
        return Decision(level=None)
    top = max(held.values(), key=rank.__getitem__)
    by_key = {level.key: level for level in levels}
    listed = tuple(inv.key for inv in invoices if inv.days_overdue > 0 or inv.key in held)
    return Decision(level=by_key[top], invoice_levels=held, listed=listed)
