"""The collector's worklist score: cash expected from acting on a customer today.

``score = overdue amount x probability of collecting it``, where the
probability is a product of explainable factors, each in ``(0, 1]``:

* **days overdue**: the longer an invoice stays unpaid, the less likely it is
  ever paid; the factor halves every :data:`DAYS_HALF_LIFE` days, from
  :data:`BASE_PROBABILITY` down to (never below) :data:`FLOOR_PROBABILITY`;
* **payment history**: the customer's average days late over the last twelve
  months; a customer who usually pays 30 days late scores lower than one who
  pays on time (no history counts as paying on time);
* **broken promises**: each promise broken in the last twelve months
  multiplies by :data:`BROKEN_PROMISE_FACTOR`;
* **open disputes**: each open dispute multiplies by :data:`DISPUTE_FACTOR`.

Amounts are integers in the currency's smallest unit (cents): the score is
exact and the ordering stable. Plain data in, plain data out.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE_PROBABILITY = 0.95
FLOOR_PROBABILITY = 0.05
DAYS_HALF_LIFE = 90
HISTORY_HALF_LIFE = 60
BROKEN_PROMISE_FACTOR = 0.6
DISPUTE_FACTOR = 0.5


@dataclass(frozen=True)
class ScoreInput:
    """What the score is built from, for one customer.

    :param overdue: overdue amount still to collect, in minor units (>= 0).
    :param days_overdue: days overdue of its oldest unpaid invoice.
    :param avg_days_late: average days late of the invoices it paid over the
        last twelve months; None when it paid none.
    :param broken_promises: promises to pay it broke in the last twelve months.
    :param open_disputes: disputes it has open now.
    """

    overdue: int
    days_overdue: int
    avg_days_late: float | None = None
    broken_promises: int = 0
    open_disputes: int = 0


@dataclass(frozen=True)
class Score:
    """A score and its parts, to show why a customer is on the worklist.

    ``score`` is in minor units; ``probability`` is the product of the four
    factors and lies in ``[0, 1]``.
    """

    score: int
    probability: float
    days_factor: float
    history_factor: float
    promise_factor: float
    dispute_factor: float


def days_factor(days_overdue: int) -> float:
    """Chance of collecting an invoice this many days overdue, history aside."""
    days = max(days_overdue, 0)
    span = BASE_PROBABILITY - FLOOR_PROBABILITY
    return FLOOR_PROBABILITY + span * 0.5 ** (days / DAYS_HALF_LIFE)


def history_factor(avg_days_late: float | None) -> float:
    """1 for a customer paying on time (or without history), falling with lateness."""
    if avg_days_late is None or avg_days_late <= 0:
        return 1.0
    return 0.5 ** (avg_days_late / HISTORY_HALF_LIFE)


def promise_factor(broken_promises: int) -> float:
    """Each broken promise lowers the chance of being paid."""
    return BROKEN_PROMISE_FACTOR ** max(broken_promises, 0)


def dispute_factor(open_disputes: int) -> float:
    """Each open dispute lowers the chance of being paid."""
    return DISPUTE_FACTOR ** max(open_disputes, 0)


def score(data: ScoreInput) -> Score:
    """Expected cash from acting on this customer today, with its parts."""
    if data.overdue < 0:
        raise ValueError("The overdue amount cannot be negative.")
    factors = (
        days_factor(data.days_overdue),
        history_factor(data.avg_days_late),
        promise_factor(data.broken_promises),
        dispute_factor(data.open_disputes),
    )
    probability = 1.0
    for factor in factors:
        probability *= factor
    probability = min(max(probability, 0.0), 1.0)
    return Score(round(data.overdue * probability), probability, *factors)


def rank(inputs: dict) -> list:
    """``[(key, Score)]`` for ``{key: ScoreInput}``, highest score first.

    Ties go to the larger overdue amount, then to the key, so the order is
    the same every time.
    """
    scored = [(key, score(data), data) for key, data in inputs.items()]
    scored.sort(key=lambda item: (-item[1].score, -item[2].overdue, item[0]))
    return [(key, result) for key, result, _data in scored]
