"""Agency commission: the rate of a placed debt by its age, and the amount.

Amounts are integers in the currency's smallest unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Tier:
    """From ``min_days`` overdue at placement on, the agency earns ``rate`` percent."""

    min_days: int
    rate: float


def commission_rate(days_overdue: int, tiers: Sequence[Tier], flat_rate: float) -> float:
    """The rate of a debt ``days_overdue`` old when placed: the tier with the
    highest ``min_days`` it reaches, else the contract's flat rate."""
    reached = [tier for tier in tiers if days_overdue >= tier.min_days]
    if not reached:
        return flat_rate
    return max(reached, key=lambda tier: tier.min_days).rate


def commission(amount: int, rate: float) -> int:
    """``rate`` percent of ``amount``, rounded half up to the minor unit."""
    if amount <= 0 or rate <= 0:
        return 0
    value = Decimal(amount) * Decimal(str(rate)) / Decimal(100)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
