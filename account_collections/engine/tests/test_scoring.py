import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.scoring import (
    BASE_PROBABILITY,
    FLOOR_PROBABILITY,
    ScoreInput,
    rank,
    score,
)

amounts = st.integers(min_value=0, max_value=10**12)
days = st.integers(min_value=-60, max_value=3650)
lateness = st.one_of(st.none(), st.floats(min_value=-30, max_value=720, allow_nan=False))
counts = st.integers(min_value=0, max_value=20)
inputs = st.builds(
    ScoreInput,
    overdue=amounts,
    days_overdue=days,
    avg_days_late=lateness,
    broken_promises=counts,
    open_disputes=counts,
)


def test_a_fresh_overdue_invoice_of_a_punctual_customer():
    result = score(ScoreInput(overdue=100_000, days_overdue=0))
    assert result.probability == pytest.approx(BASE_PROBABILITY)
    assert result.score == 95_000
    assert (result.history_factor, result.promise_factor, result.dispute_factor) == (1, 1, 1)


def test_parts_multiply_to_the_probability():
    result = score(
        ScoreInput(
            overdue=50_000, days_overdue=90, avg_days_late=60, broken_promises=1, open_disputes=1
        )
    )
    assert result.days_factor == pytest.approx(0.05 + 0.9 / 2)
    assert result.history_factor == pytest.approx(0.5)
    assert result.promise_factor == pytest.approx(0.6)
    assert result.dispute_factor == pytest.approx(0.5)
    assert result.probability == pytest.approx(0.5 * 0.5 * 0.6 * 0.5)
    assert result.score == round(50_000 * 0.075)


def test_negative_amount_is_refused():
    with pytest.raises(ValueError):
        score(ScoreInput(overdue=-1, days_overdue=3))


def test_rank_orders_by_score_then_amount_then_key():
    ranked = rank(
        {
            "small": ScoreInput(overdue=1_000, days_overdue=10),
            "big": ScoreInput(overdue=100_000, days_overdue=10),
            "old_big": ScoreInput(overdue=100_000, days_overdue=2_000),
            "tie_b": ScoreInput(overdue=5_000, days_overdue=10),
            "tie_a": ScoreInput(overdue=5_000, days_overdue=10),
        }
    )
    assert [key for key, _score in ranked] == ["big", "old_big", "tie_a", "tie_b", "small"]


@given(inputs)
def test_probability_is_bounded(data):
    result = score(data)
    assert 0.0 <= result.probability <= 1.0
    assert 0 <= result.score <= data.overdue
    for factor in (
        result.days_factor,
        result.history_factor,
        result.promise_factor,
        result.dispute_factor,
    ):
        assert 0.0 < factor <= 1.0
    assert result.days_factor >= FLOOR_PROBABILITY


@given(inputs, st.integers(min_value=1, max_value=10**9))
def test_score_grows_with_the_amount(data, extra):
    more = ScoreInput(
        data.overdue + extra,
        data.days_overdue,
        data.avg_days_late,
        data.broken_promises,
        data.open_disputes,
    )
    assert score(more).score >= score(data).score
    assert score(more).probability == score(data).probability


@given(inputs)
def test_a_broken_promise_lowers_the_score(data):
    broken = ScoreInput(
        data.overdue,
        data.days_overdue,
        data.avg_days_late,
        data.broken_promises + 1,
        data.open_disputes,
    )
    assert score(broken).probability < score(data).probability
    assert score(broken).score <= score(data).score
    if score(data).score >= 10:
        assert score(broken).score < score(data).score


@given(inputs)
def test_a_dispute_lowers_the_score(data):
    disputed = ScoreInput(
        data.overdue,
        data.days_overdue,
        data.avg_days_late,
        data.broken_promises,
        data.open_disputes + 1,
    )
    assert score(disputed).probability < score(data).probability
    assert score(disputed).score <= score(data).score


@given(inputs, st.integers(min_value=1, max_value=1000))
def test_older_debt_is_less_likely_to_be_paid(data, later):
    older = ScoreInput(
        data.overdue,
        data.days_overdue + later,
        data.avg_days_late,
        data.broken_promises,
        data.open_disputes,
    )
    assert score(older).probability <= score(data).probability


@given(inputs, st.floats(min_value=0.5, max_value=365, allow_nan=False))
def test_a_late_payer_scores_lower(data, extra):
    base = max(data.avg_days_late or 0.0, 0.0)
    later = ScoreInput(
        data.overdue, data.days_overdue, base + extra, data.broken_promises, data.open_disputes
    )
    assert score(later).probability < score(data).probability or score(data).probability == 0


@given(st.dictionaries(st.integers(), inputs, max_size=30))
def test_rank_is_sorted_and_complete(data):
    ranked = rank(data)
    assert sorted(key for key, _score in ranked) == sorted(data)
    scores = [result.score for _key, result in ranked]
    assert scores == sorted(scores, reverse=True)
