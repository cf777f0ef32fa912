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


def days_overdue(due_date: datetime.date, as_of: datetime.date) -> int:
    """Days between the due date and ``as_of``; negative when not yet due."""
    return (as_of - due_date).days


def bucket_for(days: int, buckets: Sequence[Bucket] = DEFAULT_BUCKETS) -> Bucket:
    """The bucket an item ``days`` overdue falls in."""
    for bucket in buckets:
        if bucket.contains(days):
            return bucket
    raise ValueError(f"No bucket holds {days} days")  # buckets do not cover every day


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
