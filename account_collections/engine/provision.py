"""The allowance for doubtful accounts: percentages per aging bucket.

Amounts are integers in the currency's smallest unit, percentages
``Decimal`` (or anything ``Decimal`` accepts). Each bucket's provision is its
base times its rate, rounded half up to the smallest unit; a customer with a
specific rate is provided for at that rate on everything it owes instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .aging import DEFAULT_BUCKETS, Bucket, bucket_for

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class CustomerProvision:
    """One customer's provision: base and provision per bucket key, and totals.

    ``rate`` is the specific rate when one applied, else None.
    """

    base: dict[str, int]
    provision: dict[str, int]
    rate: Decimal | None = None

    @property
    def base_total(self) -> int:
        return sum(self.base.values())

    @property
    def total(self) -> int:
        return sum(self.provision.values())


def percent_of(amount: int, rate) -> int:
    """``rate`` percent of ``amount``, rounded half up (away from zero)."""
    value = Decimal(amount) * Decimal(str(rate)) / HUNDRED
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_rates(rates: Mapping[str, object], buckets: Sequence[Bucket] = DEFAULT_BUCKETS) -> None:
    """Raise ValueError unless every bucket has a rate between 0 and 100."""
    for bucket in buckets:
        if bucket.key not in rates:
            raise ValueError(f"No rate for bucket {bucket.key}.")
        if not Decimal(0) <= Decimal(str(rates[bucket.key])) <= HUNDRED:
            raise ValueError(f"The rate of bucket {bucket.key} must lie between 0 and 100.")


def customer_provision(
    items: Iterable[tuple[int, int]],
    rates: Mapping[str, object],
    specific_rate=None,
    buckets: Sequence[Bucket] = DEFAULT_BUCKETS,
) -> CustomerProvision:
    """Provide for one customer's open items.

    :param items: ``(days_overdue, amount)`` of what the customer owes, credits
        already netted (amounts <= 0 are ignored).
    :param rates: percent per bucket key.
    :param specific_rate: the customer's own percent, replacing the buckets'.
    """
    base = {bucket.key: 0 for bucket in buckets}
    for days, amount in items:
        if amount > 0:
            base[bucket_for(days, buckets).key] += amount
    if specific_rate is not None:
        rate = Decimal(str(specific_rate))
        provision = {key: percent_of(amount, rate) for key, amount in base.items()}
        # round once on the whole balance, put on the oldest bucket holding it
        total = percent_of(sum(base.values()), rate)
        drift = total - sum(provision.values())
        if drift:
            oldest = next(key for key in reversed(list(base)) if base[key])
            provision[oldest] += drift
        return CustomerProvision(base, provision, rate)
    return CustomerProvision(
        base, {key: percent_of(amount, rates[key]) for key, amount in base.items()}
    )


def total_by_bucket(
    provisions: Iterable[CustomerProvision], buckets: Sequence[Bucket] = DEFAULT_BUCKETS
) -> dict[str, tuple[int, int]]:
    """``{bucket key: (base, provision)}`` over all customers."""
    totals = {bucket.key: (0, 0) for bucket in buckets}
    for customer in provisions:
        for key, (base, provision) in totals.items():
            totals[key] = (base + customer.base[key], provision + customer.provision[key])
    return totals
