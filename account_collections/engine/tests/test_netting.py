import datetime

from hypothesis import given
from hypothesis import strategies as st

from engine.netting import OpenItem, allocate_credits, summarize

AS_OF = datetime.date(2026, 3, 31)
D = datetime.date


def test_credit_note_pays_the_oldest_invoice_first():
    items = [
        OpenItem(1, D(2026, 3, 20), 100_00),  # 11 days
        OpenItem(2, D(2025, 12, 1), 300_00),  # 120 days
        OpenItem(3, D(2026, 3, 25), -350_00),  # credit note
    ]
    assert allocate_credits(items) == {2: 0, 1: 50_00}
    aging = summarize(items, AS_OF)
    assert aging.total_due == 50_00
    assert aging.total_overdue == 50_00
    assert aging.oldest_days_overdue == 11
    assert aging.buckets == {
        "current": 0,
        "1_30": 50_00,
        "31_60": 0,
        "61_90": 0,
        "91_120": 0,
        "over_120": 0,
    }


def test_more_credit_than_debt_leaves_a_negative_balance_and_nothing_overdue():
    items = [OpenItem(1, D(2026, 1, 1), 100_00), OpenItem(2, D(2026, 3, 1), -150_00)]
    aging = summarize(items, AS_OF)
    assert aging.total_due == -50_00
    assert aging.total_overdue == 0
    assert aging.oldest_days_overdue == 0
    assert aging.buckets["current"] == -50_00


def test_not_yet_due_items_are_not_overdue():
    items = [OpenItem(1, D(2026, 4, 30), 80_00), OpenItem(2, AS_OF, 20_00)]
    aging = summarize(items, AS_OF)
    assert aging.total_overdue == 0
    assert aging.buckets["current"] == 100_00


item_lists = st.lists(
    st.builds(
        OpenItem,
        key=st.integers(1, 10**6),
        due_date=st.dates(D(2025, 1, 1), D(2026, 12, 31)),
        amount=st.integers(-(10**7), 10**7).filter(bool),
    ),
    max_size=25,
    unique_by=lambda i: i.key,
)


@given(item_lists)
def test_netting_properties(items):
    net = allocate_credits(items)
    debits = [i for i in items if i.amount > 0]
    credit = -sum(i.amount for i in items if i.amount < 0)
    # every debit appears, never negative, never more than it was
    assert set(net) == {i.key for i in debits}
    assert all(0 <= net[i.key] <= i.amount for i in debits)
    # the credit applied is exactly min(credit, debits)
    assert sum(i.amount for i in debits) - sum(net.values()) == min(
        credit, sum(i.amount for i in debits)
    )
    # oldest first: once an item keeps something, every later item is untouched
    ordered = sorted(debits, key=lambda i: (i.due_date, i.key))
    touched = False
    for item in ordered:
        if touched:
            assert net[item.key] == item.amount
        if net[item.key] > 0:
            touched = True


@given(item_lists)
def test_summary_buckets_add_up_to_the_balance(items):
    aging = summarize(items, AS_OF)
    assert sum(aging.buckets.values()) == aging.total_due == sum(i.amount for i in items)
    overdue_keys = [k for k in aging.buckets if k != "current"]
    assert aging.total_overdue == sum(aging.buckets[k] for k in overdue_keys)
    assert aging.total_overdue >= 0
    assert (aging.oldest_days_overdue > 0) == (aging.total_overdue > 0)
