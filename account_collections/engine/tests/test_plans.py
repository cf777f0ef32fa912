import calendar
import datetime
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from engine.plans import (
    FREQUENCIES,
    MAX_INSTALMENTS,
    PlanError,
    add_months,
    charge,
    due_dates,
    match_payments,
    plan_outcome,
    schedule,
)

D = datetime.date


# ---------------------------------------------------------------------------
# Dates


def test_month_end_is_clamped_and_comes_back():
    dates = due_dates(D(2026, 1, 31), "monthly", 6)
    assert dates == [
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
        D(2026, 4, 30),
        D(2026, 5, 31),
        D(2026, 6, 30),
    ]


def test_leap_february():
    assert due_dates(D(2027, 12, 30), "monthly", 3) == [
        D(2027, 12, 30),
        D(2028, 1, 30),
        D(2028, 2, 29),
    ]


def test_monthly_crosses_the_year():
    assert due_dates(D(2026, 11, 15), "monthly", 3) == [
        D(2026, 11, 15),
        D(2026, 12, 15),
        D(2027, 1, 15),
    ]


def test_weekly_and_biweekly():
    assert due_dates(D(2026, 3, 31), "weekly", 3) == [D(2026, 3, 31), D(2026, 4, 7), D(2026, 4, 14)]
    assert due_dates(D(2026, 3, 31), "biweekly", 3) == [
        D(2026, 3, 31),
        D(2026, 4, 14),
        D(2026, 4, 28),
    ]


def test_unknown_frequency():
    with pytest.raises(PlanError):
        due_dates(D(2026, 1, 1), "daily", 2)


@given(
    st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 1, 1)),
    st.integers(min_value=-240, max_value=240),
)
def test_add_months_always_exists_and_keeps_the_day_when_it_can(day, months):
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    last = calendar.monthrange(moved.year, moved.month)[1]
    assert moved.day == min(day.day, last)


# ---------------------------------------------------------------------------
# Amounts


def test_remainder_goes_on_the_last_instalment():
    instalments = schedule(1000_00, D(2026, 4, 30), "monthly", count=3)
    assert [i.amount for i in instalments] == [333_33, 333_33, 333_34]
    assert [i.due_date for i in instalments] == [D(2026, 4, 30), D(2026, 5, 30), D(2026, 6, 30)]
    assert [i.sequence for i in instalments] == [1, 2, 3]


def test_down_payment_comes_first():
    instalments = schedule(
        1000_00,
        D(2026, 5, 1),
        "weekly",
        count=4,
        down_payment=200_00,
        down_payment_date=D(2026, 4, 1),
    )
    assert instalments[0].down_payment
    assert (instalments[0].due_date, instalments[0].amount, instalments[0].sequence) == (
        D(2026, 4, 1),
        200_00,
        0,
    )
    assert [i.amount for i in instalments[1:]] == [200_00] * 4
    assert instalments[-1].due_date == D(2026, 5, 22)


def test_instalment_amount_gives_the_count():
    instalments = schedule(1000_00, D(2026, 4, 1), "biweekly", amount=300_00)
    assert [i.amount for i in instalments] == [300_00, 300_00, 300_00, 100_00]
    exact = schedule(900_00, D(2026, 4, 1), "biweekly", amount=300_00)
    assert [i.amount for i in exact] == [300_00] * 3


def test_charge_is_spread():
    fee = charge(1000_00, fee=25_00)
    assert fee == 25_00
    instalments = schedule(1000_00, D(2026, 4, 1), "monthly", count=2, charge_amount=fee)
    assert [i.amount for i in instalments] == [512_50, 512_50]


def test_interest_rounds_half_up_exactly():
    assert charge(1000_00, rate=Decimal("2.5")) == 25_00
    assert charge(333, rate=Decimal("1.5")) == 5  # 4.995 -> 5
    assert charge(1, rate=50) == 1  # 0.5 -> 1
    assert charge(1000_00, rate=0.1) == 1_00  # a float rate is read as written
    assert charge(1000_00) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"total": 0, "count": 1},
        {"total": 100, "count": 0},
        {"total": 100},
        {"total": 100, "count": 1, "amount": 10},
        {"total": 100, "count": 1, "down_payment": 100},
        {"total": 100, "count": 1, "down_payment": -1},
        {"total": 100, "amount": 0},
        {"total": 100, "count": 101},
        {"total": 10**9, "amount": 1},
        {"total": 100, "count": 1, "down_payment": 10, "down_payment_date": D(2026, 5, 1)},
    ],
)
def test_bad_input_is_refused(kwargs):
    total = kwargs.pop("total")
    with pytest.raises(PlanError):
        schedule(total, D(2026, 4, 1), "monthly", **kwargs)


def test_bad_charges_are_refused():
    with pytest.raises(PlanError):
        charge(100, rate=-1)
    with pytest.raises(PlanError):
        charge(100, rate=1, fee=1)


amounts = st.integers(min_value=1, max_value=10**10)


@st.composite
def plans(draw):
    total = draw(amounts)
    down = draw(st.integers(min_value=0, max_value=total - 1))
    fee = draw(st.integers(min_value=0, max_value=10**6))
    spread = total - down + fee
    if draw(st.booleans()):
        kwargs = {"count": draw(st.integers(min_value=1, max_value=min(spread, MAX_INSTALMENTS)))}
    else:
        low = -(-spread // MAX_INSTALMENTS)
        kwargs = {"amount": draw(st.integers(min_value=low, max_value=spread + 1000))}
    first = draw(st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)))
    frequency = draw(st.sampled_from(FREQUENCIES))
    return total, down, fee, first, frequency, kwargs


@given(plans())
def test_instalments_sum_to_the_total_exactly(plan):
    total, down, fee, first, frequency, kwargs = plan
    instalments = schedule(total, first, frequency, down_payment=down, charge_amount=fee, **kwargs)
    assert sum(i.amount for i in instalments) == total + fee
    assert all(i.amount > 0 for i in instalments)
    regular = [i for i in instalments if not i.down_payment]
    assert [i.sequence for i in regular] == list(range(1, len(regular) + 1))
    assert bool(down) == (len(instalments) == len(regular) + 1)
    dates = [i.due_date for i in instalments]
    assert dates == sorted(dates)
    assert regular[0].due_date == first
    if "count" in kwargs:
        assert len(regular) == kwargs["count"]
        # the remainder is on the last one, all others equal
        assert len({i.amount for i in regular[:-1]}) <= 1
        assert regular[-1].amount >= regular[0].amount
        assert regular[-1].amount - regular[0].amount < len(regular)
    else:
        assert all(i.amount == kwargs["amount"] for i in regular[:-1])
        assert 0 < regular[-1].amount <= kwargs["amount"]


@given(plans())
def test_monthly_dates_exist_and_follow_the_anchor(plan):
    total, down, fee, first, _frequency, kwargs = plan
    regular = [
        i
        for i in schedule(total, first, "monthly", down_payment=down, charge_amount=fee, **kwargs)
        if not i.down_payment
    ]
    for index, instalment in enumerate(regular):
        day = instalment.due_date
        last = calendar.monthrange(day.year, day.month)[1]
        assert day.day == min(first.day, last)
        assert (day.year * 12 + day.month) - (first.year * 12 + first.month) == index


# ---------------------------------------------------------------------------
# Matching payments


def test_payments_settle_the_oldest_instalment_first():
    instalments = schedule(900_00, D(2026, 4, 1), "monthly", count=3)
    statuses = match_payments(instalments, 400_00, D(2026, 5, 10))
    assert [s.paid for s in statuses] == [300_00, 100_00, 0]
    assert [s.state for s in statuses] == ["paid", "late", "open"]
    assert [s.days_late for s in statuses] == [0, 9, 0]


def test_outcome_grace_days():
    instalments = schedule(900_00, D(2026, 4, 1), "monthly", count=3)
    assert plan_outcome(instalments, 300_00, D(2026, 5, 6), grace_days=5) == ("active", None)
    state, late = plan_outcome(instalments, 300_00, D(2026, 5, 7), grace_days=5)
    assert state == "broken"
    assert late.instalment.sequence == 2
    assert plan_outcome(instalments, 900_00, D(2027, 1, 1), grace_days=0) == ("completed", None)
    assert plan_outcome(instalments, 950_00, D(2026, 4, 2), grace_days=0)[0] == "completed"


@given(plans(), st.integers(min_value=-(10**6), max_value=2 * 10**10))
def test_matching_never_pays_more_than_paid_nor_than_due(plan, paid):
    total, down, fee, first, frequency, kwargs = plan
    instalments = schedule(total, first, frequency, down_payment=down, charge_amount=fee, **kwargs)
    statuses = match_payments(instalments, paid, first)
    assert sum(s.paid for s in statuses) == min(max(paid, 0), total + fee)
    assert all(0 <= s.paid <= s.instalment.amount for s in statuses)
    # date order: nothing is paid on an instalment while an earlier one is open
    seen_open = False
    for status in statuses:
        if seen_open:
            assert status.paid == 0
        if status.open:
            seen_open = True


@given(plans(), st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=400))
def test_broken_exactly_when_an_instalment_is_late_past_grace(plan, grace, offset):
    total, down, fee, first, frequency, kwargs = plan
    instalments = schedule(total, first, frequency, down_payment=down, charge_amount=fee, **kwargs)
    as_of = first + datetime.timedelta(days=offset)
    assume(as_of.year < 9999)
    state, late = plan_outcome(instalments, 0, as_of, grace)
    overdue = [i for i in instalments if (as_of - i.due_date).days > grace]
    assert (state == "broken") == bool(overdue)
    if late:
        assert late.instalment == min(overdue, key=lambda i: (i.due_date, i.sequence))
