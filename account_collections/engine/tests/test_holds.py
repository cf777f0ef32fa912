from hypothesis import given
from hypothesis import strategies as st

from engine.holds import REASONS, Position, Thresholds, hold_changes, hold_reasons

RULES = Thresholds(overdue_amount=1000_00, overdue_days=60, use_credit_limit=True)


def test_nothing_overdue_no_hold():
    assert hold_reasons(Position(total_due=500_00), RULES) == ()


def test_each_rule():
    assert hold_reasons(Position(500_00, 100_00, 10, level_hold=True), RULES) == ("dunning_level",)
    assert hold_reasons(Position(1000_00, 1000_00, 10), RULES) == ("overdue_amount",)
    assert hold_reasons(Position(1000_00, 999_99, 10), RULES) == ()
    assert hold_reasons(Position(100_00, 100_00, 60), RULES) == ("overdue_days",)
    assert hold_reasons(Position(100_00, 100_00, 59), RULES) == ()
    assert hold_reasons(Position(500_01, 0, 0, credit_limit=500_00), RULES) == ("credit_limit",)
    assert hold_reasons(Position(500_00, 0, 0, credit_limit=500_00), RULES) == ()


def test_rules_switched_off():
    position = Position(5000_00, 5000_00, 365, credit_limit=1_00, level_hold=False)
    assert hold_reasons(position, Thresholds()) == ()
    # a level asking for a hold needs no company threshold
    assert hold_reasons(Position(1, 1, 1, level_hold=True), Thresholds()) == ("dunning_level",)


def test_a_paid_level_is_no_reason():
    assert hold_reasons(Position(0, 0, 0, level_hold=True), RULES) == ()


def test_several_reasons_in_order():
    position = Position(5000_00, 5000_00, 90, credit_limit=1000_00, level_hold=True)
    assert hold_reasons(position, RULES) == REASONS


def test_changes():
    place, release = hold_changes(
        {1: ("overdue_amount",), 2: ("credit_limit", "overdue_days")},
        {1: {"overdue_amount", "overdue_days"}, 3: {"credit_limit"}},
    )
    assert place == [(2, "credit_limit"), (2, "overdue_days")]
    assert release == [(1, "overdue_days"), (3, "credit_limit")]


reasons = st.lists(st.sampled_from(REASONS), unique=True).map(tuple)
states = st.dictionaries(st.integers(min_value=1, max_value=20), reasons, max_size=10)


@given(states, states)
def test_applying_the_changes_gives_what_is_wanted(wanted, active):
    active_sets = {customer: set(r) for customer, r in active.items()}
    place, release = hold_changes(wanted, active_sets)
    result = {(c, r) for c, rs in active_sets.items() for r in rs}
    result |= set(place)
    result -= set(release)
    assert result == {(c, r) for c, rs in wanted.items() for r in rs}
    # and a second pass is a no-op
    after = {}
    for customer, reason in result:
        after.setdefault(customer, set()).add(reason)
    assert hold_changes(wanted, after) == ([], [])


amounts = st.integers(min_value=0, max_value=10**9)


@given(amounts, amounts, st.integers(min_value=0, max_value=2000), amounts, st.booleans())
def test_more_overdue_never_lifts_a_threshold_hold(due, overdue, days, limit, level):
    before = set(hold_reasons(Position(due, overdue, days, limit, level), RULES))
    after = set(hold_reasons(Position(due + 1, overdue + 1, days + 1, limit, level), RULES))
    assert before <= after
