import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.kpi import (
    MonthFigures,
    Payment,
    average_days_delinquent,
    average_days_late,
    average_days_to_pay,
    best_possible_dso,
    collection_effectiveness_index,
    dso_count_back,
    dso_standard,
    month_kpis,
    percentage_current,
    weighted_average,
)

amounts = st.integers(min_value=0, max_value=10**9)
positive = st.integers(min_value=1, max_value=10**9)
months = st.lists(
    st.tuples(st.integers(min_value=0, max_value=10**8), st.sampled_from([28, 29, 30, 31])),
    min_size=1,
    max_size=24,
)


def test_dso_standard_hand_computed():
    # 30,000 owed on 90,000 sold over 90 days: a month of sales outstanding
    assert dso_standard(30000, 90000, 90) == pytest.approx(30.0)
    assert dso_standard(30000, 0, 90) is None
    assert dso_standard(30000, -5, 90) is None


def test_dso_count_back_hand_computed():
    # 100,000 owed; March sold 50,000 (31 days), February 40,000 (28 days),
    # January 60,000 (31 days): March and February in full (59 days), then
    # the remaining 10,000 is 1/6 of January's sales: 31 / 6 days.
    sales = [(50000, 31), (40000, 28), (60000, 31)]
    assert dso_count_back(100000, sales) == pytest.approx(59 + 31 / 6)
    # owed less than the last month's sales: a share of that month
    assert dso_count_back(25000, sales) == pytest.approx(15.5)
    # owed more than all history: every month counted, no more
    assert dso_count_back(10**9, sales) == 90
    assert dso_count_back(0, sales) == 0
    assert dso_count_back(100, []) is None
    # a month without sales counts in full
    assert dso_count_back(100, [(0, 30), (200, 31)]) == pytest.approx(45.5)


def test_best_possible_dso_and_add_hand_computed():
    dso = dso_standard(30000, 90000, 90)
    best = best_possible_dso(10000, 90000, 90)
    assert best == pytest.approx(10.0)
    assert average_days_delinquent(dso, best) == pytest.approx(20.0)
    assert average_days_delinquent(None, best) is None


def test_cei_hand_computed():
    # could collect 100 + 50 = 150; 60 still owed of which 20 not due:
    # collected 90 of the 130 collectible
    assert collection_effectiveness_index(100, 50, 60, 20) == pytest.approx(9000 / 130)
    # everything collected
    assert collection_effectiveness_index(100, 50, 0, 0) == pytest.approx(100.0)
    # nothing collectible
    assert collection_effectiveness_index(0, 0, 0, 0) is None


def test_percentage_current():
    assert percentage_current(20, 60) == pytest.approx(100 / 3)
    assert percentage_current(0, 0) is None


def test_days_to_pay_and_late_hand_computed():
    payments = [
        # 45 days to pay, 15 late
        Payment(
            100, datetime.date(2026, 1, 1), datetime.date(2026, 1, 31), datetime.date(2026, 2, 15)
        ),
        # 28 days to pay, paid 2 days early: 0 late
        Payment(
            300, datetime.date(2026, 2, 1), datetime.date(2026, 3, 3), datetime.date(2026, 3, 1)
        ),
    ]
    assert average_days_to_pay(payments) == pytest.approx((100 * 45 + 300 * 28) / 400)
    assert average_days_late(payments) == pytest.approx(100 * 15 / 400)
    assert average_days_to_pay([]) is None


def test_month_kpis_use_three_months_for_dso():
    figures = MonthFigures(
        begin_receivables=25000,
        end_receivables=30000,
        end_current=10000,
        monthly_sales=((30000, 31), (30000, 28), (30000, 31), (99999, 31)),
    )
    kpis = month_kpis(figures)
    assert kpis.dso == pytest.approx(30000 / 90000 * 90)
    assert kpis.best_possible_dso == pytest.approx(10000 / 90000 * 90)
    assert kpis.add == pytest.approx(20.0)
    assert kpis.dso_count_back == pytest.approx(31.0)
    assert kpis.cei == pytest.approx((55000 - 30000) / (55000 - 10000) * 100)
    assert kpis.percentage_current == pytest.approx(100 / 3)


@given(amounts, months)
def test_count_back_stays_within_the_history(receivables, sales):
    days = dso_count_back(receivables, sales)
    assert 0 <= days <= sum(d for _s, d in sales) + 1e-9


@given(amounts, amounts, months)
def test_count_back_grows_with_receivables(a, b, sales):
    low, high = sorted((a, b))
    assert dso_count_back(low, sales) <= dso_count_back(high, sales) + 1e-9


@given(positive, st.integers(min_value=1, max_value=12), st.data())
def test_count_back_equals_standard_on_even_sales(sales, count, data):
    receivables = data.draw(st.integers(min_value=0, max_value=sales * count))
    history = [(sales, 30)] * count
    assert dso_count_back(receivables, history) == pytest.approx(
        dso_standard(receivables, sales, 30)
    )


@given(amounts, amounts, amounts, amounts)
def test_cei_never_exceeds_100(begin, sales, end, current_share):
    end_current = min(current_share, end)
    cei = collection_effectiveness_index(begin, sales, end, end_current)
    assert cei is None or cei <= 100 + 1e-9


@given(amounts, amounts, positive, st.sampled_from([30, 90, 365]))
def test_add_is_never_negative(receivables, current, sales, days):
    current = min(current, receivables)
    add = average_days_delinquent(
        dso_standard(receivables, sales, days), best_possible_dso(current, sales, days)
    )
    assert add >= -1e-9


@given(st.lists(st.tuples(positive, st.integers(min_value=-100, max_value=400)), min_size=1))
def test_weighted_average_lies_between_the_values(pairs):
    average = weighted_average(pairs)
    values = [value for _weight, value in pairs]
    assert min(values) - 1e-6 <= average <= max(values) + 1e-6


def test_month_helpers():
    from engine.kpi import add_months, last_closed_months, month_days, month_end, month_start

    day = datetime.date(2026, 3, 31)
    assert month_start(day) == datetime.date(2026, 3, 1)
    assert add_months(day, -3) == datetime.date(2025, 12, 1)
    assert add_months(day, 10) == datetime.date(2027, 1, 1)
    assert month_end(datetime.date(2024, 2, 10)) == datetime.date(2024, 2, 29)
    assert month_days(datetime.date(2026, 2, 1)) == 28
    assert last_closed_months(day, 3) == [
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
    ]


@given(
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2200, 1, 1)),
    st.integers(min_value=-240, max_value=240),
)
def test_add_months_lands_on_a_first_day(day, months):
    from engine.kpi import add_months, month_end, month_start

    result = add_months(day, months)
    assert result.day == 1
    assert (result.year - day.year) * 12 + result.month - day.month == months
    assert month_start(day) <= day <= month_end(day)
