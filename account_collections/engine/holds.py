"""Credit hold rules.

A customer goes on credit hold, by rule, for each of these reasons that
holds; it comes off hold for a reason once that reason no longer holds:

* ``dunning_level``: its open invoices hold a dunning level that asks for a
  credit hold;
* ``overdue_amount``: its overdue total (credits netted) reaches the
  company's threshold;
* ``overdue_days``: its oldest invoice still owed is that many days late or
  more;
* ``credit_limit``: its receivable balance is over its credit limit (when
  the company uses credit limits and the customer has one).

Plain data in, plain data out: amounts in the currency's smallest unit.
"""

from __future__ import annotations

from dataclasses import dataclass

REASONS = ("dunning_level", "overdue_amount", "overdue_days", "credit_limit")


@dataclass(frozen=True)
class Thresholds:
    """A company's hold rules; 0 / False switches a rule off."""

    overdue_amount: int = 0
    overdue_days: int = 0
    use_credit_limit: bool = False


@dataclass(frozen=True)
class Position:
    """A customer's position in one company."""

    total_due: int = 0  # net receivable balance
    total_overdue: int = 0  # past due, credits netted
    days_overdue: int = 0  # of the oldest invoice still owed
    credit_limit: int = 0  # 0: no limit
    level_hold: bool = False  # a dunning level it holds asks for a hold


def hold_reasons(position: Position, thresholds: Thresholds) -> tuple[str, ...]:
    """The reasons, in :data:`REASONS` order, for which the customer is on hold."""
    reasons = []
    if position.level_hold and position.total_overdue > 0:
        reasons.append("dunning_level")
    if thresholds.overdue_amount > 0 and position.total_overdue >= thresholds.overdue_amount:
        reasons.append("overdue_amount")
    if (
        thresholds.overdue_days > 0
        and position.total_overdue > 0
        and position.days_overdue >= thresholds.overdue_days
    ):
        reasons.append("overdue_days")
    if (
        thresholds.use_credit_limit
        and position.credit_limit > 0
        and position.total_due > position.credit_limit
    ):
        reasons.append("credit_limit")
    return tuple(reasons)


def hold_changes(
    wanted: dict[int, tuple[str, ...]], active: dict[int, set[str]]
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """What to place and what to release, from what the rules want and what is on.

    :param wanted: ``{customer: reasons}`` from :func:`hold_reasons`.
    :param active: ``{customer: reasons}`` of the rule holds in force (holds
        placed by hand are not the rules' to release: leave them out).
    :return: ``(place, release)``, lists of ``(customer, reason)``, sorted.
    """
    place = sorted(
        (customer, reason)
        for customer, reasons in wanted.items()
        for reason in reasons
        if reason not in active.get(customer, ())
    )
    release = sorted(
        (customer, reason)
        for customer, reasons in active.items()
        for reason in reasons
        if reason not in wanted.get(customer, ())
    )
    return place, release
