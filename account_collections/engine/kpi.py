"""Collection KPIs: DSO, CEI, ADD, percentage current, days to pay.

Plain numbers in, plain numbers out. Every ratio returns None when its
denominator is zero or negative (no sales in the period, nothing open): a
figure that cannot be computed is shown empty, never as 0 or infinity.

Definitions (the usual credit-management ones):

* **DSO, standard** (days sales outstanding): receivables at the end of the
  period divided by the credit sales of the period, times the days of the
  period.
* **DSO, count-back**: the number of days of most recent sales that the
  receivables represent. Going back month by month from the end of the
  period, each month whose sales the receivables still exceed counts in full
  and its sales are taken off; the month that exhausts them counts for its
  share. Less distorted by seasonal sales than the standard formula.
* **Best possible DSO**: the same as the standard DSO with only the current
  (not yet overdue) receivables: what DSO would be if every customer paid on
  time.
* **ADD** (average days delinquent): DSO minus best possible DSO.
* **CEI** (collection effectiveness index): of what could be collected in
  the period (receivables at its start plus its credit sales), the share that
  was, leaving out what was not yet due at its end::

      (begin + sales - end) / (begin + sales - end current) * 100

* **Percentage current**: current receivables over all receivables, * 100.
* **Average days to pay** and **average days late**: over payments, weighted
  by the amount paid: days from the invoice date (from the due date, counting
  only lateness, for days late) to the payment.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def _ratio(numerator, denominator):
    if denominator is None or denominator <= 0:
        return None
    return float(numerator) / float(denominator)


def dso_standard(receivables, credit_sales, days: int) -> float | None:
    """Receivables / credit sales of the period * days in the period."""
    ratio = _ratio(receivables, credit_sales)
    return None if ratio is None else ratio * days


def dso_count_back(receivables, monthly_sales: Sequence[tuple[float, int]]) -> float | None:
    """Days of the most recent sales the receivables represent.

    :param monthly_sales: ``(credit sales, days in the month)`` per month,
        the most recent first. Months without (or with negative) sales count
        in full. When the receivables exceed every month given, the result is
        the days of all those months (the history available).
    :return: None when there is no month to count back over.
    """
    if not monthly_sales:
        return None
    left = float(receivables)
    days = 0.0
    for sales, month_days in monthly_sales:
        if left <= 0:
            break
        sales = max(float(sales), 0.0)
        if left >= sales:
            left -= sales
            days += month_days
        else:
            days += left / sales * month_days
            left = 0.0
    return days


def best_possible_dso(current_receivables, credit_sales, days: int) -> float | None:
    """DSO counting only the receivables not yet overdue."""
    return dso_standard(current_receivables, credit_sales, days)


def average_days_delinquent(dso: float | None, best_dso: float | None) -> float | None:
    """ADD: DSO minus best possible DSO (None when either is unknown)."""
    if dso is None or best_dso is None:
        return None
    return dso - best_dso


def collection_effectiveness_index(
    begin_receivables, credit_sales, end_receivables, end_current
) -> float | None:
    """CEI in percent: what was collected of what could have been."""
    collectible = float(begin_receivables) + float(credit_sales)
    ratio = _ratio(collectible - float(end_receivables), collectible - float(end_current))
    return None if ratio is None else ratio * 100


def percentage_current(current_receivables, receivables) -> float | None:
    """Share of the receivables not yet overdue, in percent."""
    ratio = _ratio(current_receivables, receivables)
    return None if ratio is None else ratio * 100


@dataclass(frozen=True)
class Payment:
    """An amount paid on an invoice: when it was issued, due and paid."""

    amount: float
    invoice_date: datetime.date
    due_date: datetime.date
    paid_on: datetime.date

    @property
    def days_to_pay(self) -> int:
        return (self.paid_on - self.invoice_date).days

    @property
    def days_late(self) -> int:
        return max((self.paid_on - self.due_date).days, 0)


def weighted_average(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Average of ``(weight, value)`` pairs by weight; None without weight."""
    total = 0.0
    weighted = 0.0
    for weight, value in pairs:
        total += float(weight)
        weighted += float(weight) * float(value)
    return _ratio(weighted, total)


def average_from_totals(weighted_sum, total_weight) -> float | None:
    """A weighted average from its two sums (as SQL aggregates them)."""
    return _ratio(weighted_sum, total_weight)


def average_days_to_pay(payments: Iterable[Payment]) -> float | None:
    """Days from invoice to payment, weighted by the amounts paid."""
    return weighted_average((p.amount, p.days_to_pay) for p in payments)


def average_days_late(payments: Iterable[Payment]) -> float | None:
    """Days paid after the due date (0 when on time), weighted by amount."""
    return weighted_average((p.amount, p.days_late) for p in payments)


@dataclass(frozen=True)
class MonthFigures:
    """What a monthly snapshot needs: receivables at the start and end of the
    month, the end's current part, and the credit sales of recent months
    (the month itself first, then the months before)."""

    begin_receivables: float
    end_receivables: float
    end_current: float
    monthly_sales: tuple[tuple[float, int], ...]


@dataclass(frozen=True)
class MonthKpis:
    dso: float | None
    dso_count_back: float | None
    best_possible_dso: float | None
    add: float | None
    cei: float | None
    percentage_current: float | None


def month_kpis(figures: MonthFigures, dso_months: int = 3) -> MonthKpis:
    """Every KPI of one month from its figures.

    The standard and best possible DSO use the credit sales and days of the
    last ``dso_months`` months (the month and the ones before it), which
    smooths a month of unusual sales; CEI uses the month's own sales.
    """
    period = figures.monthly_sales[:dso_months]
    sales = sum(amount for amount, _days in period)
    days = sum(month_days for _amount, month_days in period)
    dso = dso_standard(figures.end_receivables, sales, days)
    best = best_possible_dso(figures.end_current, sales, days)
    month_sales = figures.monthly_sales[0][0] if figures.monthly_sales else 0.0
    return MonthKpis(
        dso=dso,
        dso_count_back=dso_count_back(figures.end_receivables, figures.monthly_sales),
        best_possible_dso=best,
        add=average_days_delinquent(dso, best),
        cei=collection_effectiveness_index(
            figures.begin_receivables, month_sales, figures.end_receivables, figures.end_current
        ),
        percentage_current=percentage_current(figures.end_current, figures.end_receivables),
    )


def month_start(day: datetime.date) -> datetime.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after ``day``'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_end(day: datetime.date) -> datetime.date:
    """The last day of ``day``'s month."""
    return add_months(day, 1) - datetime.timedelta(days=1)


def month_days(day: datetime.date) -> int:
    """How many days ``day``'s month has."""
    return month_end(day).day


def last_closed_months(today: datetime.date, count: int) -> list[datetime.date]:
    """The first days of the ``count`` months ended before ``today``'s, oldest first."""
    return [add_months(today, -months) for months in range(count, 0, -1)]
