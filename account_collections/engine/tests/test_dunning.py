import datetime

from hypothesis import given
from hypothesis import strategies as st

from engine.dunning import Invoice, Level, catch_up, decide, next_level, sort_levels

D = datetime.date
LEVELS = [
    Level(1, days=-3),  # courtesy reminder before the due date
    Level(2, days=10, min_days_since_previous=7),
    Level(3, days=30, min_amount=100_00, min_days_since_previous=14),
    Level(4, days=60, min_days_since_previous=14),
]
DUE = D(2026, 1, 1)


START = D(2025, 12, 25)


def walk(amount=500_00, start=START, days=120):
    """Run the decision daily for one invoice, feeding back what was reached."""
    level, level_date, reminders = None, None, []
    for offset in range(days):
        today = start + datetime.timedelta(days=offset)
        invoice = Invoice(1, (today - DUE).days, amount, level, level_date)
        decision = decide(LEVELS, [invoice], today)
        if decision.level:
            level, level_date = decision.level.key, today
            reminders.append((today, level))
    return reminders


def test_an_invoice_climbs_every_level_in_order_never_skipping_a_wait():
    assert walk() == [
        (D(2025, 12, 29), 1),  # 3 days before the due date
        (D(2026, 1, 11), 2),  # 10 days late
        (D(2026, 1, 31), 3),  # 30 days late
        (D(2026, 3, 2), 4),  # 60 days late
    ]


def test_waiting_time_holds_back_a_late_starter():
    """An invoice found 90 days late still climbs one level at a time."""
    reminders = walk(start=D(2026, 4, 1), days=60)
    assert [level for _day, level in reminders] == [1, 2, 3, 4]
    days = [day for day, _level in reminders]
    assert (days[1] - days[0]).days == 7
    assert (days[2] - days[1]).days == 14
    assert (days[3] - days[2]).days == 14


def test_minimum_amount_stops_small_debts():
    reminders = walk(amount=50_00)
    assert [level for _day, level in reminders] == [1, 2]


def test_nothing_sent_when_nothing_moves():
    invoice = Invoice(1, 15, 100_00, level=2, level_date=D(2026, 1, 11))
    assert decide(LEVELS, [invoice], D(2026, 1, 16)).level is None


def test_customer_reminded_at_highest_level_listing_all_overdue():
    old = Invoice(1, 45, 300_00, level=3, level_date=D(2026, 2, 1))
    new = Invoice(2, 12, 200_00, level=1, level_date=D(2026, 2, 1))
    not_due = Invoice(3, -20, 900_00)
    decision = decide(LEVELS, [old, new, not_due], D(2026, 2, 15))
    assert decision.advanced == (2,)
    assert decision.level.key == 3
    assert decision.listed == (1, 2)
    assert decision.invoice_levels == {1: 3, 2: 2}


def test_unknown_level_starts_over():
    invoice = Invoice(1, 12, 100_00, level=99, level_date=D(2026, 1, 1))
    assert next_level(sort_levels(LEVELS), invoice, D(2026, 1, 13), 100_00).key == 1


invoices = st.lists(
    st.builds(
        Invoice,
        key=st.integers(1, 10_000),
        days_overdue=st.integers(-60, 400),
        amount=st.integers(1, 10**7),
        level=st.sampled_from([None, 1, 2, 3, 4]),
        level_date=st.dates(D(2025, 6, 1), D(2026, 1, 31)),
    ),
    max_size=12,
    unique_by=lambda inv: inv.key,
)


@given(invoices)
def test_each_invoice_moves_at_most_one_level(batch):
    today = D(2026, 2, 1)
    order = [level.key for level in sort_levels(LEVELS)]
    decision = decide(LEVELS, batch, today)
    for invoice in batch:
        before = order.index(invoice.level) if invoice.level else -1
        after = (
            order.index(decision.invoice_levels[invoice.key])
            if invoice.key in decision.invoice_levels
            else -1
        )
        assert after - before in (0, 1)
        assert (after - before == 1) == (invoice.key in decision.advanced)
    if decision.level:
        assert decision.level.key == max(decision.invoice_levels.values(), key=order.index)
        assert set(decision.advanced) <= set(decision.listed)
    else:
        assert not decision.advanced


def test_catch_up_starts_a_late_debtor_at_the_level_its_lateness_has_reached():
    today = D(2026, 6, 1)
    old = Invoice(1, 365, 400_00)  # a year late: the last level, no waiting
    recent = Invoice(2, 12, 100_00)  # second level's days reached
    decision = catch_up(LEVELS, [old, recent], today)
    assert decision.level.key == 4
    assert decision.invoice_levels == {1: 4, 2: 2}
    assert set(decision.advanced) == {1, 2}
    assert decision.listed == (1, 2)
    # the same customer climbing one level at a time starts friendly
    assert decide(LEVELS, [old, recent], today).level.key == 1


def test_catch_up_keeps_the_minimum_amount():
    small = Invoice(1, 45, 50_00)  # level 3 needs 100.00 overdue
    assert catch_up(LEVELS, [small], D(2026, 6, 1)).level.key == 2


def test_catch_up_of_an_invoice_with_a_level_climbs_one_step_with_its_wait():
    today = D(2026, 6, 1)
    reminded = Invoice(1, 200, 500_00, level=2, level_date=today - datetime.timedelta(days=3))
    assert catch_up(LEVELS, [reminded], today).level is None  # level 3 waits 14 days
    later = reminded._replace(level_date=today - datetime.timedelta(days=20))
    assert catch_up(LEVELS, [later], today).invoice_levels == {1: 3}


@given(invoices)
def test_catch_up_never_goes_beyond_what_the_days_and_amount_allow(batch):
    today = D(2026, 2, 1)
    order = [level.key for level in sort_levels(LEVELS)]
    levels = {level.key: level for level in LEVELS}
    overdue = sum(inv.amount for inv in batch if inv.days_overdue > 0)
    decision = catch_up(LEVELS, batch, today)
    for invoice in batch:
        reached = decision.invoice_levels.get(invoice.key)
        if invoice.level is None and reached:
            level = levels[reached]
            assert invoice.days_overdue >= level.days and overdue >= level.min_amount
            higher = order[order.index(reached) + 1 :]
            assert all(
                invoice.days_overdue < levels[key].days or overdue < levels[key].min_amount
                for key in higher
            )
    if decision.level:
        assert decision.level.key == max(decision.invoice_levels.values(), key=order.index)
