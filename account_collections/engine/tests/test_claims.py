import datetime

from hypothesis import given
from hypothesis import strategies as st

from engine.claims import add_years, limitation_date, limitation_status, simple_interest

D = datetime.date


def test_limitation_runs_from_the_due_date():
    assert limitation_date(D(2020, 3, 15), [], 6) == D(2026, 3, 15)


def test_an_acknowledgement_restarts_the_period():
    assert limitation_date(D(2020, 3, 15), [D(2021, 7, 1), None, D(2019, 1, 1)], 6) == D(2027, 7, 1)


def test_no_period_no_limitation():
    assert limitation_date(D(2020, 3, 15), [D(2021, 7, 1)], 0) is None


def test_29_february_ends_on_28_february():
    assert add_years(D(2024, 2, 29), 3) == D(2027, 2, 28)
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)


def test_status_around_the_date():
    limit = D(2026, 6, 30)
    assert limitation_status(limit, D(2026, 4, 30), 60) is None
    assert limitation_status(limit, D(2026, 5, 1), 60) == "warning"
    assert limitation_status(limit, D(2026, 6, 29), 60) == "warning"
    assert limitation_status(limit, D(2026, 6, 30), 60) == "passed"
    assert limitation_status(None, D(2026, 6, 30), 60) is None


def test_interest_by_hand():
    # 1,000.00 at 8 % for 73 days: 1000 * 0.08 * 73 / 365 = 16.00
    assert simple_interest(100_000, 8, D(2026, 1, 1), D(2026, 3, 15)) == 1_600
    # 333.33 at 5 % for 1 day: 0.04566... -> 0.05 (half up on the cent)
    assert simple_interest(33_333, 5, D(2026, 1, 1), D(2026, 1, 2)) == 5
    assert simple_interest(100_000, 0, D(2026, 1, 1), D(2026, 3, 15)) == 0
    assert simple_interest(100_000, 8, D(2026, 3, 15), D(2026, 1, 1)) == 0


dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31))


@given(dates, st.lists(dates, max_size=5), st.integers(min_value=1, max_value=10))
def test_limitation_is_years_after_the_latest_event(due, acks, years):
    limit = limitation_date(due, acks, years)
    start = max([due, *acks])
    assert limit.year == start.year + years
    assert limit.month == start.month
    assert 0 <= start.day - limit.day <= 1  # only 29 February moves, by one day


@given(
    st.integers(min_value=0, max_value=10**12),
    st.floats(min_value=0, max_value=50, allow_nan=False),
    dates,
    st.integers(min_value=0, max_value=4000),
)
def test_interest_grows_with_time_and_never_goes_negative(amount, rate, start, days):
    end = start + datetime.timedelta(days=days)
    interest = simple_interest(amount, rate, start, end)
    assert interest >= 0
    assert simple_interest(amount, rate, start, end + datetime.timedelta(days=1)) >= interest
