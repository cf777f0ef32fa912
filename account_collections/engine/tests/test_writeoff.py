from hypothesis import given
from hypothesis import strategies as st

from engine.writeoff import (
    BANKRUPTCY,
    SMALL_BALANCE,
    STATUTE_BARRED,
    UNCOLLECTIBLE,
    OpenInvoice,
    Thresholds,
    allowance_split,
    approvals_needed,
    propose,
)

OLD = OpenInvoice(1, 400, 50_000)
RECENT = OpenInvoice(2, 20, 30_000)
NOT_DUE = OpenInvoice(3, -5, 10_000)


def test_nothing_owed_nothing_proposed():
    assert propose([], 0, Thresholds(days_overdue=1)) is None
    assert propose([OpenInvoice(1, 500, 0)], 0, Thresholds(days_overdue=1)) is None


def test_days_overdue_picks_only_old_invoices():
    proposal = propose([RECENT, OLD, NOT_DUE], 90_000, Thresholds(days_overdue=365))
    assert proposal.reason == UNCOLLECTIBLE
    assert proposal.keys == (1,)
    assert proposal.amount == 50_000
    assert not proposal.auto_approve


def test_threshold_off_proposes_nothing():
    assert propose([OLD], 50_000, Thresholds()) is None


def test_bankrupt_customer_everything_owed():
    proposal = propose([RECENT, OLD, NOT_DUE], 90_000, Thresholds(), bankrupt=True)
    assert proposal.reason == BANKRUPTCY
    assert proposal.keys == (1, 2, 3)
    assert proposal.amount == 90_000


def test_small_balance_and_auto_approval():
    small = [OpenInvoice(7, 40, 300), OpenInvoice(8, 10, 200)]
    thresholds = Thresholds(days_overdue=365, small_balance=1_000, auto_approve=600)
    proposal = propose(small, 500, thresholds)
    assert proposal.reason == SMALL_BALANCE
    assert proposal.keys == (7, 8)
    assert proposal.amount == 500
    assert proposal.auto_approve
    # above the lower threshold it waits for a manager
    assert not propose(small, 500, Thresholds(small_balance=1_000, auto_approve=500)).auto_approve


def test_small_balance_needs_something_overdue_and_a_positive_balance():
    thresholds = Thresholds(small_balance=1_000)
    assert propose([OpenInvoice(7, 0, 300)], 300, thresholds) is None
    assert propose([OpenInvoice(7, 5, 300)], 0, thresholds) is None
    assert propose([OpenInvoice(7, 5, 3_000)], 3_000, thresholds) is None


def test_approvals():
    assert approvals_needed(10_000, 0) == ("collections",)
    assert approvals_needed(10_000, 10_000) == ("collections",)
    assert approvals_needed(10_001, 10_000) == ("collections", "accounting")


@given(
    st.lists(
        st.builds(
            OpenInvoice,
            st.integers(1, 10_000),
            st.integers(-30, 2_000),
            st.integers(1, 10**7),
        ),
        unique_by=lambda invoice: invoice.key,
        max_size=20,
    ),
    st.integers(0, 1_000),
    st.integers(0, 10**6),
    st.booleans(),
)
def test_proposal_lists_owed_invoices_with_their_total(invoices, days, small, bankrupt):
    balance = sum(invoice.amount for invoice in invoices)
    proposal = propose(invoices, balance, Thresholds(days, small, small // 2), bankrupt)
    if proposal is None:
        return
    by_key = {invoice.key: invoice for invoice in invoices}
    assert proposal.keys and set(proposal.keys) <= set(by_key)
    assert proposal.amount == sum(by_key[key].amount for key in proposal.keys)
    if proposal.reason == UNCOLLECTIBLE:
        assert all(by_key[key].days_overdue >= days for key in proposal.keys)
    if proposal.auto_approve:
        assert proposal.reason == SMALL_BALANCE and proposal.amount < small // 2


def test_statute_barred_invoices_are_proposed_before_old_ones():
    barred = OpenInvoice(4, 2500, 7_000, statute_barred=True)
    proposal = propose([OLD, barred, RECENT], 87_000, Thresholds(days_overdue=365))
    assert proposal.reason == STATUTE_BARRED
    assert proposal.keys == (4,)
    assert proposal.amount == 7_000
    # without a days threshold the barred invoice is still proposed
    assert propose([barred, RECENT], 37_000, Thresholds()).keys == (4,)
    # bankruptcy still takes everything
    assert propose([barred, RECENT], 37_000, Thresholds(), bankrupt=True).reason == BANKRUPTCY


def test_allowance_covers_part_expense_the_rest():
    assert allowance_split([50_000], 20_000) == (20_000, (30_000,))


def test_allowance_larger_than_the_write_off():
    assert allowance_split([10_000, 5_000], 40_000) == (15_000, (0, 0))


def test_no_allowance_all_to_expense():
    assert allowance_split([10_000, 5_000], 0) == (0, (10_000, 5_000))
    assert allowance_split([10_000], -300) == (0, (10_000,))


def test_allowance_drawn_in_order():
    assert allowance_split([10_000, 5_000], 12_000) == (12_000, (0, 3_000))


@given(
    st.lists(st.integers(min_value=-1_000, max_value=10**9), max_size=5),
    st.integers(min_value=-(10**9), max_value=10**10),
)
def test_allowance_split_balances(amounts, available):
    allowance, expenses = allowance_split(amounts, available)
    assert allowance + sum(expenses) == sum(amounts)
    assert 0 <= allowance <= max(available, 0)
    assert all(
        expense >= 0 if amount >= 0 else expense == amount
        for amount, expense in zip(amounts, expenses, strict=True)
    )
