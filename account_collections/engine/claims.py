"""Court claims and limitation periods: dates and amounts, framework-free.

A debt becomes statute-barred some years after the later of its due date and
the customer's last acknowledgement of it (a payment, a promise to pay). The
claim asks for the principal, simple interest to the claim date when the
company charges it, and the fees. Amounts are integers in the currency's
smallest unit.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

#: Days in the year used for statutory interest (the usual convention).
DAYS_PER_YEAR = 365


def add_years(day: datetime.date, years: int) -> datetime.date:
    """``day`` moved ``years`` years on; 29 February becomes 28 February in
    a year that has none (the period never ends after the calendar allows)."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last))


def limitation_date(
    due_date: datetime.date,
    acknowledgements: Iterable[datetime.date | None],
    years: int,
) -> datetime.date | None:
    """The day the debt becomes statute-barred, or None when the company
    sets no limitation period (``years`` <= 0).

    :param acknowledgements: days the customer acknowledged the debt
        (payments, promises); each restarts the period; None is ignored.
    """
    if years <= 0:
        return None
    start = max([due_date, *(day for day in acknowledgements if day)])
    return add_years(start, years)


def limitation_status(
    limit: datetime.date | None, today: datetime.date, warning_days: int
) -> str | None:
    """``"passed"`` on or after the limitation date, ``"warning"`` within
    ``warning_days`` before it, else None."""
    if limit is None:
        return None
    if today >= limit:
        return "passed"
    if (limit - today).days <= warning_days:
        return "warning"
    return None


def simple_interest(
    amount: int, annual_rate: float, start: datetime.date, end: datetime.date
) -> int:
    """Simple interest on ``amount`` (minor units) at ``annual_rate`` percent
    a year from ``start`` (exclusive) to ``end`` (inclusive), rounded half up
    to the minor unit; 0 when the rate or the period is not positive."""
    days = (end - start).days
    if amount <= 0 or annual_rate <= 0 or days <= 0:
        return 0
    interest = Decimal(amount) * Decimal(str(annual_rate)) * days / (Decimal(100) * DAYS_PER_YEAR)
    return int(interest.quantize(Decimal(1), rounding=ROUND_HALF_UP))
