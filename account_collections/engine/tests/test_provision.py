from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.aging import DEFAULT_BUCKETS
from engine.provision import (
    check_rates,
    customer_provision,
    percent_of,
    total_by_bucket,
)

RATES = {
    "current": 0,
    "1_30": 1,
    "31_60": 5,
    "61_90": 10,
    "91_120": 25,
    "over_120": 50,
}


def test_percent_rounds_half_up():
    assert percent_of(1_000, 5) == 50
    assert percent_of(10, Decimal("2.5")) == 0  # 0.25
    assert percent_of(30, 5) == 2  # 1.5 -> 2
    assert percent_of(1, 50) == 1  # 0.5 -> 1
    assert percent_of(0, 100) == 0


def test_bucket_rates():
    items = [(-3, 10_000), (15, 20_000), (45, 30_000), (200, 40_000), (80, -5_000)]
    provision = customer_provision(items, RATES)
    assert provision.base == {
        "current": 10_000,
        "1_30": 20_000,
        "31_60": 30_000,
        "61_90": 0,
        "91_120": 0,
        "over_120": 40_000,
    }
    assert provision.provision["1_30"] == 200
    assert provision.provision["31_60"] == 1_500
    assert provision.provision["over_120"] == 20_000
    assert provision.total == 21_700
    assert provision.base_total == 100_000
    assert provision.rate is None


def test_specific_rate_replaces_the_buckets():
    provision = customer_provision([(5, 333), (200, 333), (-1, 333)], RATES, specific_rate=100)
    assert provision.total == 999
    assert provision.rate == Decimal(100)
    half = customer_provision([(5, 1), (200, 1), (-1, 1)], RATES, specific_rate=50)
    # 1.5 rounds to 2 once on the total, not 1 + 1 + 1
    assert half.total == 2
    assert customer_provision([(200, 40_000)], RATES, specific_rate=0).total == 0


def test_totals_by_bucket():
    first = customer_provision([(15, 20_000)], RATES)
    second = customer_provision([(15, 10_000), (200, 2)], RATES)
    totals = total_by_bucket([first, second])
    assert totals["1_30"] == (30_000, 300)
    assert totals["over_120"] == (2, 1)
    assert totals["current"] == (0, 0)


def test_check_rates():
    check_rates(RATES)
    with pytest.raises(ValueError):
        check_rates({**RATES, "over_120": 101})
    with pytest.raises(ValueError):
        check_rates({key: value for key, value in RATES.items() if key != "current"})


ITEMS = st.lists(st.tuples(st.integers(-60, 1_000), st.integers(-(10**6), 10**7)), max_size=30)
RATE = st.decimals(min_value=0, max_value=100, places=2)


@given(ITEMS, st.dictionaries(st.sampled_from([b.key for b in DEFAULT_BUCKETS]), RATE))
def test_provision_never_exceeds_the_base_nor_goes_negative(items, some_rates):
    rates = {**RATES, **some_rates}
    provision = customer_provision(items, rates)
    assert provision.base_total == sum(amount for _days, amount in items if amount > 0)
    for key in provision.base:
        assert 0 <= provision.provision[key] <= provision.base[key]


@given(ITEMS, RATE)
def test_specific_rate_is_exact_on_the_total(items, rate):
    provision = customer_provision(items, RATES, specific_rate=rate)
    assert provision.total == percent_of(provision.base_total, rate)
    assert all(value >= 0 for value in provision.provision.values())
