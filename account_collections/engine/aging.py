"""Aging buckets and days overdue.

The buckets are defined here once. The Odoo side builds its SQL from
:data:`DEFAULT_BUCKETS` (see ``bucket_sql_cases`` in the models) and the
overview's fields are named after the bucket keys.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    """An aging bucket: items whose days overdue lie in ``[low, high]``.

    ``low`` is None for the open-ended "current" bucket (not yet due, or due
    today); ``high`` is None for the last, open-ended bucket.
    """

    key: str
    label: str
    low: int | None
    high: int | None

    def contains(self, days: int) -> bool:
        """Whether an item ``days`` overdue belongs to this bucket."""
        if self.low is not None and days < self.low:
            return False
        return self.high is None or days <= self.high


#: current (not overdue), 1-30, 31-60, 61-90, 91-120, over 120 days overdue.
DEFAULT_BUCKETS: tuple[Bucket, ...] = (
    Bucket("current", "Not due", None, 0),
    Bucket("1_30", "1-30", 1, 30),
    Bucket("31_60", "31-60", 31, 60),
    Bucket("61_90", "61-90", 61, 90),
    Bucket("91_120", "91-120", 91, 120),
    Bucket("over_120", "Over 120", 121, None),
)


def make_buckets(limits: Sequence[int]) -> tuple[Bucket, ...]:
    """Build buckets from increasing upper limits, e.g. ``(30, 60, 90, 120)``.

    The result always starts with the "current" bucket and ends with an
    open-ended one, and covers every integer exactly once.
    """
    limits = list(limits)
    if any(limit <= 0 for limit in limits):
        raise ValueError("Bucket limits must be positive numbers of days.")
    if limits != sorted(set(limits)):
        raise ValueError("Bucket limits must be strictly increasing.")
    buckets = [Bucket("current", "Not due", None, 0)]
    low = 1
    for high in limits:
        buckets.append(Bucket(f"{low}_{high}", f"{low}-{high}", low, high))
        low = high + 1
    last = limits[-1] if limits else 0
    buckets.append(Bucket(f"over_{last}", f"Over {last}", last + 1, None))
    return tuple(buckets)


#: Most limits a company may define: ``make_buckets`` adds the "current" and
#: the open-ended last bucket, so reports have at most MAX_LIMITS + 2 columns.
MAX_LIMITS = 8

#: The default limits, as a company stores them.
DEFAULT_LIMITS_TEXT = "30,60,90,120"


def parse_limits(text: str | None) -> tuple[int, ...]:
    """Bucket limits from their text form, e.g. ``"30, 60, 90"`` -> ``(30, 60, 90)``.

    Raises ValueError with a readable message on anything else: not whole
    numbers, not strictly increasing, not positive, or more than
    :data:`MAX_LIMITS` limits. An empty text gives no limits (two buckets:
    current and overdue).
    """
    parts = [part.strip() for part in (text or "").replace(";", ",").split(",")]
    parts = [part for part in parts if part]
    try:
        limits = tuple(int(part) for part in parts)
    except ValueError:
        raise ValueError(
            f"Bucket limits must be whole numbers of days separated by commas, not {text!r}."
        ) from None
    if len(limits) > MAX_LIMITS:
        raise ValueError(f"At most {MAX_LIMITS} bucket limits are allowed.")
    make_buckets(limits)  # validates: positive, strictly increasing
    return limits


def format_limits(limits: Sequence[int]) -> str:
    """The text form of bucket limits, as :func:`parse_limits` reads it."""
    return ",".join(str(limit) for limit in limits)


def days_overdue(due_date: datetime.date, as_of: datetime.date) -> int:
    """Days between the due date and ``as_of``; negative when not yet due."""
    return (as_of - due_date).days


def bucket_for(days: int, buckets: Sequence[Bucket] = DEFAULT_BUCKETS) -> Bucket:
    """The bucket an item ``days`` overdue falls in."""
    for bucket in buckets:
        if bucket.contains(days):
            return bucket
    raise ValueError(f"No bucket holds {days} days")  # buckets do not cover every day


def bucket_index(days: int, buckets: Sequence[Bucket] = DEFAULT_BUCKETS) -> int:
    """The position of the bucket an item ``days`` old falls in."""
    return buckets.index(bucket_for(days, buckets))


def age_date(
    due_date: datetime.date,
    invoice_date: datetime.date | None,
    aged_by: str = "due_date",
) -> datetime.date:
    """The date an item is aged from: its due date, or its invoice date.

    ``aged_by`` is ``"due_date"`` or ``"invoice_date"``; an item without an
    invoice date (a payment, a manual entry) ages from its due date either way.
    """
    if aged_by not in ("due_date", "invoice_date"):
        raise ValueError(f"Cannot age by {aged_by!r}.")
    if aged_by == "invoice_date" and invoice_date:
        return invoice_date
    return due_date


def check_buckets(buckets: Sequence[Bucket]) -> None:
    """Raise ValueError unless the buckets cover every day exactly once, in order."""
    if not buckets or buckets[0].low is not None or buckets[-1].high is not None:
        raise ValueError("Buckets must start and end open-ended.")
    for previous, bucket in zip(buckets, buckets[1:], strict=False):
        if previous.high is None or bucket.low != previous.high + 1:
            raise ValueError(f"Bucket {bucket.key} does not follow {previous.key}.")
    keys = [b.key for b in buckets]
    if len(set(keys)) != len(keys):
        raise ValueError("Bucket keys must be unique.")


def age_amounts(
    items: Iterable[tuple[datetime.date, int]],
    as_of: datetime.date,
    buckets: Sequence[Bucket] = DEFAULT_BUCKETS,
) -> dict[str, int]:
    """Sum amounts (integers in the currency's smallest unit) per bucket key."""
    totals = {bucket.key: 0 for bucket in buckets}
    for due_date, amount in items:
        totals[bucket_for(days_overdue(due_date, as_of), buckets).key] += amount
    return totals
