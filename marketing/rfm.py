"""RFM scoring, pure: recency, frequency and monetary value scored 1-5 by quintiles, and the named segment
of each (R, F) cell. Plain data in, plain data out; no database.

Scores. Each measure is scored against every customer scored the same night: a customer's score is
1 + floor(5 × the share of customers with a worse value), so 1 is the bottom fifth and 5 the top fifth.
Equal values share the score of the lowest of their places: most customers buy once, and they all get
F = 1 (the next order count up is already in the top fifths), not five different scores for the same
fact. Recency is better when smaller (fewer days since the last order), frequency and monetary when
larger.

Segments, from the R and F scores (M is the value, reported per segment and used to rank win-back lists):

    R \\ F   1            2            3         4          5
    5       new          new          loyal     champions  champions
    4       potential    potential    loyal     champions  champions
    3       potential    potential    loyal     loyal      loyal
    2       hibernating  hibernating  at risk   at risk    at risk
    1       lost         lost         at risk   at risk    at risk

- champions: bought recently and often (R ≥ 4, F ≥ 4)
- loyal: buy often, fairly recently (R ≥ 3, F ≥ 3, not champions)
- new: bought very recently, few orders so far (R = 5, F ≤ 2)
- potential (loyalists): recent, few orders (R 3-4, F ≤ 2)
- at risk: used to buy often, silent for a while (R ≤ 2, F ≥ 3): the ones not to lose
- hibernating: few orders, silent for a while (R = 2, F ≤ 2)
- lost: few orders, silent the longest (R = 1, F ≤ 2)

Customers whose counted orders are all older than the RFM window are "lost" with R = F = M = 1 (they are
not part of the quintiles).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

CHAMPIONS = "champions"
LOYAL = "loyal"
POTENTIAL = "potential"
NEW = "new"
AT_RISK = "at_risk"
HIBERNATING = "hibernating"
LOST = "lost"

# Display order: best first.
SEGMENTS = (CHAMPIONS, LOYAL, POTENTIAL, NEW, AT_RISK, HIBERNATING, LOST)

SCORES = (1, 2, 3, 4, 5)


def segment_for(r: int, f: int) -> str:
    """The named segment of an (R, F) cell (see the module docstring's grid)."""
    if not (1 <= r <= 5 and 1 <= f <= 5):
        raise ValueError(f"RFM scores run from 1 to 5, got R={r} F={f}")
    if f >= 3:
        if r >= 4 and f >= 4:
            return CHAMPIONS
        return LOYAL if r >= 3 else AT_RISK
    if r == 5:
        return NEW
    if r >= 3:
        return POTENTIAL
    return HIBERNATING if r == 2 else LOST


def segment_grid() -> list[list[str]]:
    """The segment of every cell, rows R = 5 down to 1, columns F = 1 to 5 (for the page)."""
    return [[segment_for(r, f) for f in SCORES] for r in reversed(SCORES)]


def quintile_scores(values: Sequence, *, higher_is_better: bool = True) -> list[int]:
    """Score each value 1-5: 1 + floor(5 × share of values that are worse); ties share a score.

    >>> quintile_scores([10, 20, 30, 40, 50])
    [1, 2, 3, 4, 5]
    >>> quintile_scores([3, 1, 2, 5, 4], higher_is_better=False)
    [3, 5, 4, 1, 2]
    >>> quintile_scores([1, 1, 1, 2])
    [1, 1, 1, 4]
    """
    n = len(values)
    if n == 0:
        return []
    ordered = sorted(values)
    scores = []
    for value in values:
        worse = bisect_left(ordered, value) if higher_is_better else n - bisect_right(ordered, value)
        scores.append(1 + (5 * worse) // n)  # exact in integers; worse < n, so at most 5
    return scores


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the RFM build knows of one customer on the business date."""

    customer_id: int
    recency_days: int  # days from the last counted order (any time up to the date) to the date
    frequency: int  # counted orders in the window
    monetary: Decimal  # their value net of refunds, shop currency, in the window


@dataclass(frozen=True, slots=True)
class Scored:
    customer_id: int
    recency_days: int
    frequency: int
    monetary: Decimal
    r: int
    f: int
    m: int
    segment: str


def rfm_score(facts: Sequence[CustomerFacts]) -> list[Scored]:
    """Scores and segments for every customer. Those with no order in the window (frequency 0) are lost with
    R = F = M = 1; the others are scored by quintiles among themselves."""
    active = [c for c in facts if c.frequency > 0]
    r = quintile_scores([c.recency_days for c in active], higher_is_better=False)
    f = quintile_scores([c.frequency for c in active])
    m = quintile_scores([c.monetary for c in active])
    scored = [
        Scored(c.customer_id, c.recency_days, c.frequency, c.monetary, ri, fi, mi, segment_for(ri, fi))
        for c, ri, fi, mi in zip(active, r, f, m, strict=True)
    ]
    scored += [
        Scored(c.customer_id, c.recency_days, 0, c.monetary, 1, 1, 1, LOST) for c in facts if c.frequency <= 0
    ]
    return scored


# Win-back: who gets a one-to-one offer and who a batch promotion.
ONE_TO_ONE = "one_to_one"
BATCH = "batch"
HIGH_VALUE_F = 3  # F score from which a silent customer counts as a frequent buyer
HIGH_VALUE_M = 4  # M score from which a silent customer is high-value


def winback_treatment(*, f: int, m: int) -> str:
    """High-value silent customers get a one-to-one offer: those who used to buy often (F ≥ 3: the at-risk
    cells, and loyal or champions gone quiet) and those whose value is in the top two fifths (M ≥ 4).
    Every other silent customer gets the batch promotion."""
    return ONE_TO_ONE if f >= HIGH_VALUE_F or m >= HIGH_VALUE_M else BATCH
