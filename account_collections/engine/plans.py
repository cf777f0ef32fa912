"""Payment plan schedules.

A payment plan spreads what a customer owes over instalments it can keep:
an optional down payment, then regular instalments (weekly, every two weeks
or monthly) from a first date, either a given number of them or of a given
amount. An optional charge (a flat interest rate on the amount spread, or a
fixed fee) is added to what is spread.

Amounts are integers in the currency's smallest unit (cents), so the
instalments always sum exactly to the plan total; the rounding remainder goes
on the last instalment. Monthly dates keep the first date's day of the month
where the month has it and fall back to the month's last day where it does
not (the 31st becomes the 30th in April and the 28th or 29th in February, and
is the 31st again in May).

Payments are matched to instalments in date order: what the customer paid
settles the oldest instalment first.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FREQUENCIES = ("weekly", "biweekly", "monthly")

#: Upper bound on the number of instalments, against typing mistakes.
MAX_INSTALMENTS = 360


class PlanError(ValueError):
    """Inputs that cannot make a schedule; the message says which and why."""


@dataclass(frozen=True)
class Instalment:
    """One due amount of a plan."""

    sequence: int  # 0 for the down payment, then 1, 2, ...
    due_date: datetime.date
    amount: int  # smallest currency unit, > 0
    down_payment: bool = False


@dataclass(frozen=True)
class InstalmentStatus:
    """An instalment once the payments are matched to it."""

    instalment: Instalment
    paid: int  # what of it is paid, 0 <= paid <= amount
    days_late: int  # days past its due date when not fully paid, else 0

    @property
    def open(self) -> int:
        return self.instalment.amount - self.paid

    @property
    def state(self) -> str:
        if self.paid >= self.instalment.amount:
            return "paid"
        if self.days_late > 0:
            return "late"
        return "partial" if self.paid else "open"


def add_months(day: datetime.date, months: int, anchor_day: int | None = None) -> datetime.date:
    """``day`` moved by ``months`` months, on ``anchor_day`` (default: its own day).

    The day is clamped to the month's last day when the month is shorter, so
    the date always exists; the anchor is kept, so a schedule anchored on the
    31st is back on the 31st in months that have one.
    """
    anchor_day = anchor_day or day.day
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(anchor_day, last))


def due_dates(first_date: datetime.date, frequency: str, count: int) -> list[datetime.date]:
    """The ``count`` due dates of a schedule starting on ``first_date``."""
    if frequency not in FREQUENCIES:
        raise PlanError(f"unknown frequency {frequency!r}")
    if frequency == "monthly":
        return [add_months(first_date, index, first_date.day) for index in range(count)]
    step = datetime.timedelta(days=7 if frequency == "weekly" else 14)
    return [first_date + step * index for index in range(count)]


def to_decimal(value) -> Decimal:
    """A rate as a Decimal, floats through their shortest representation."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def charge(financed: int, rate=None, fee: int = 0) -> int:
    """The plan's charge on ``financed`` (smallest unit): flat ``rate`` % or ``fee``.

    The rate is a percentage of the amount spread over the instalments,
    rounded half up to the smallest unit; the fee is a fixed amount. Give at
    most one of them.
    """
    rate = to_decimal(rate) if rate is not None else Decimal(0)
    if rate < 0 or fee < 0:
        raise PlanError("the interest rate and the fee cannot be negative")
    if rate and fee:
        raise PlanError("give an interest rate or a fixed fee, not both")
    if fee:
        return fee
    amount = Decimal(financed) * rate / Decimal(100)
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def schedule(
    total: int,
    first_date: datetime.date,
    frequency: str,
    count: int | None = None,
    amount: int | None = None,
    down_payment: int = 0,
    down_payment_date: datetime.date | None = None,
    charge_amount: int = 0,
) -> list[Instalment]:
    """The instalments of a plan, exact to the smallest unit.

    :param total: what the customer owes, smallest unit, > 0.
    :param first_date: due date of the first regular instalment.
    :param frequency: ``weekly``, ``biweekly`` (every two weeks) or ``monthly``.
    :param count: number of regular instalments; or
    :param amount: amount of each regular instalment (the last one takes
        what is left, so it may be smaller); exactly one of the two.
    :param down_payment: paid first, on ``down_payment_date`` (default: the
        first date); 0 for none. Not charged.
    :param charge_amount: interest or fee (see :func:`charge`), spread with
        the rest.
    :return: the down payment (sequence 0) if any, then the regular
        instalments; their amounts sum to ``total + charge_amount``.
    """
    if total <= 0:
        raise PlanError("the plan total must be positive")
    if down_payment < 0 or charge_amount < 0:
        raise PlanError("the down payment and the charge cannot be negative")
    if down_payment >= total:
        raise PlanError("the down payment must be less than the plan total")
    if (count is None) == (amount is None):
        raise PlanError("give either the number of instalments or the instalment amount")
    if frequency not in FREQUENCIES:
        raise PlanError(f"unknown frequency {frequency!r}")
    down_payment_date = down_payment_date or first_date
    if down_payment and down_payment_date > first_date:
        raise PlanError("the down payment is due on or before the first instalment")
    spread = total - down_payment + charge_amount
    if count is not None:
        if count < 1:
            raise PlanError("a plan has at least one instalment")
        if count > MAX_INSTALMENTS:
            raise PlanError(f"a plan has at most {MAX_INSTALMENTS} instalments")
        base = spread // count
        if base == 0:
            raise PlanError("too many instalments for the amount")
        amounts = [base] * (count - 1) + [spread - base * (count - 1)]
    else:
        if amount <= 0:
            raise PlanError("the instalment amount must be positive")
        count = -(-spread // amount)  # ceiling division
        if count > MAX_INSTALMENTS:
            raise PlanError(f"a plan has at most {MAX_INSTALMENTS} instalments")
        amounts = [amount] * (count - 1) + [spread - amount * (count - 1)]
    instalments = []
    if down_payment:
        instalments.append(Instalment(0, down_payment_date, down_payment, down_payment=True))
    for index, (day, value) in enumerate(
        zip(due_dates(first_date, frequency, count), amounts, strict=True), start=1
    ):
        instalments.append(Instalment(index, day, value))
    return instalments


def match_payments(
    instalments: Sequence[Instalment], paid: int, as_of: datetime.date
) -> list[InstalmentStatus]:
    """Match ``paid`` (everything paid on the plan so far) to instalments.

    The oldest instalment is settled first; an overpayment stays on the last
    one's account (it is capped at each instalment's amount).
    """
    remaining = max(paid, 0)
    result = []
    for instalment in sorted(instalments, key=lambda i: (i.due_date, i.sequence)):
        settled = min(remaining, instalment.amount)
        remaining -= settled
        late = (as_of - instalment.due_date).days if settled < instalment.amount else 0
        result.append(InstalmentStatus(instalment, settled, max(late, 0)))
    return result


def plan_outcome(
    instalments: Sequence[Instalment], paid: int, as_of: datetime.date, grace_days: int
) -> tuple[str, InstalmentStatus | None]:
    """Where a plan stands as of a day: ``completed``, ``broken`` or ``active``.

    Completed when everything is paid; broken when an instalment is still not
    fully paid more than ``grace_days`` after its due date (that instalment is
    returned); active otherwise.
    """
    statuses = match_payments(instalments, paid, as_of)
    if all(status.state == "paid" for status in statuses):
        return "completed", None
    for status in statuses:
        if status.days_late > grace_days:
            return "broken", status
    return "active", None
