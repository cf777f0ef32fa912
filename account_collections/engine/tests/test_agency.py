from hypothesis import given
from hypothesis import strategies as st

from engine.agency import Tier, commission, commission_rate

TIERS = [Tier(0, 15.0), Tier(180, 25.0), Tier(365, 35.0)]


def test_rate_by_age_at_placement():
    assert commission_rate(30, TIERS, 20.0) == 15.0
    assert commission_rate(180, TIERS, 20.0) == 25.0
    assert commission_rate(400, TIERS, 20.0) == 35.0


def test_flat_rate_without_a_tier_reached():
    assert commission_rate(30, [], 20.0) == 20.0
    assert commission_rate(30, [Tier(90, 30.0)], 20.0) == 20.0


def test_commission_by_hand():
    assert commission(100_000, 20.0) == 20_000
    assert commission(333, 15.0) == 50  # 49.95 -> 50
    assert commission(100_000, 0) == 0
    assert commission(-5, 20.0) == 0


@given(
    st.integers(min_value=0, max_value=10**12),
    st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_commission_never_exceeds_the_amount(amount, rate):
    value = commission(amount, rate)
    assert 0 <= value <= amount


@given(st.integers(min_value=-10, max_value=2000))
def test_older_debts_never_earn_a_lower_tier(days):
    assert commission_rate(days + 1, TIERS, 0.0) >= commission_rate(days, TIERS, 0.0)
