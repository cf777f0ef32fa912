import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.aging import (
    DEFAULT_BUCKETS,
    Bucket,
    age_amounts,
    bucket_for,
    check_buckets,
    days_overdue,
    make_buckets,
)

AS_OF = datetime.date(2026, 3, 31)


def test_default_buckets_are_the_documented_ones():
    assert [b.key for b in DEFAULT_BUCKETS] == [
        "current",
        "1_30",
        "31_60",
        "61_90",
        "91_120",
        "over_120",
    ]
    check_buckets(DEFAULT_BUCKETS)
    assert make_buckets((30, 60, 90, 120)) == DEFAULT_BUCKETS


@pytest.mark.parametrize(
    ("days", "key"),
    [
        (-10, "current"),
        (0, "current"),
        (1, "1_30"),
        (30, "1_30"),
        (31, "31_60"),
        (60, "31_60"),
        (61, "61_90"),
        (90, "61_90"),
        (91, "91_120"),
        (120, "91_120"),
        (121, "over_120"),
        (5000, "over_120"),
    ],
)
def test_bucket_edges(days, key):
    assert bucket_for(days).key == key


def test_days_overdue_counts_calendar_days():
    assert days_overdue(datetime.date(2026, 3, 1), AS_OF) == 30
    assert days_overdue(datetime.date(2026, 4, 2), AS_OF) == -2
    # across a leap day
    assert days_overdue(datetime.date(2024, 2, 28), datetime.date(2024, 3, 1)) == 2


@given(st.lists(st.integers(1, 400), min_size=0, max_size=8, unique=True).map(sorted))
def test_make_buckets_cover_every_day_once(limits):
    buckets = make_buckets(limits)
    check_buckets(buckets)
    for days in range(-5, (limits[-1] if limits else 0) + 5):
        assert sum(b.contains(days) for b in buckets) == 1


@pytest.mark.parametrize("limits", [(30, 30), (60, 30), (0, 30), (-1,)])
def test_make_buckets_rejects_bad_limits(limits):
    with pytest.raises(ValueError):
        make_buckets(limits)


def test_check_buckets_rejects_gaps():
    with pytest.raises(ValueError):
        check_buckets((Bucket("current", "", None, 0), Bucket("2_x", "", 2, None)))


@given(
    st.lists(
        st.tuples(
            st.dates(datetime.date(2020, 1, 1), datetime.date(2027, 1, 1)),
            st.integers(-(10**9), 10**9),
        ),
        max_size=30,
    )
)
def test_age_amounts_keeps_the_total(items):
    totals = age_amounts(items, AS_OF)
    assert sum(totals.values()) == sum(amount for _date, amount in items)


def test_parse_limits():
    from engine.aging import format_limits, parse_limits

    assert parse_limits("30, 60,90 ,120") == (30, 60, 90, 120)
    assert parse_limits("15;45") == (15, 45)
    assert parse_limits("") == ()
    assert format_limits((30, 60)) == "30,60"
    for bad in ("30,abc", "60,30", "0,30", "30,30", "-5", "1,2,3,4,5,6,7,8,9"):
        with pytest.raises(ValueError):
            parse_limits(bad)


def test_age_date_and_bucket_index():
    from engine.aging import age_date, bucket_index

    due, invoiced = datetime.date(2026, 3, 1), datetime.date(2026, 1, 30)
    assert age_date(due, invoiced, "due_date") == due
    assert age_date(due, invoiced, "invoice_date") == invoiced
    assert age_date(due, None, "invoice_date") == due
    with pytest.raises(ValueError):
        age_date(due, invoiced, "payment_date")
    buckets = make_buckets((15, 45))
    assert [bucket_index(days, buckets) for days in (-3, 0, 1, 15, 16, 45, 46)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
    ]


@given(st.lists(st.integers(min_value=1, max_value=400), max_size=8, unique=True))
def test_parsed_limits_round_trip(limits):
    from engine.aging import format_limits, parse_limits

    limits = sorted(limits)
    assert parse_limits(format_limits(limits)) == tuple(limits)
    check_buckets(make_buckets(parse_limits(format_limits(limits))))
