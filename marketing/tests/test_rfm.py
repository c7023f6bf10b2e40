"""RFM scoring, pure: quintile scores with ties, the segment grid, lost customers outside the window, the
win-back treatment."""

from decimal import Decimal

import pytest

from marketing import rfm
from marketing.rfm import CustomerFacts

D = Decimal


@pytest.mark.parametrize(
    ("values", "higher_is_better", "expected"),
    [
        ([10, 20, 30, 40, 50], True, [1, 2, 3, 4, 5]),
        ([10, 20, 30, 40, 50], False, [5, 4, 3, 2, 1]),
        ([3, 1, 2, 5, 4], False, [3, 5, 4, 1, 2]),
        # ten values: two per quintile
        (list(range(1, 11)), True, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
        # all equal: nobody is worse than anybody, whatever the direction
        ([7, 7, 7, 7], True, [1, 1, 1, 1]),
        ([7, 7, 7, 7], False, [1, 1, 1, 1]),
        # most buy once (6 of 10): all of them F 1; 2 orders: 6 of 10 are worse -> 4; 9 orders: 9 worse -> 5
        ([1, 1, 1, 1, 1, 1, 2, 2, 2, 9], True, [1, 1, 1, 1, 1, 1, 4, 4, 4, 5]),
        # fewer than five customers cannot fill five fifths
        ([5], True, [1]),
        ([1, 2, 3, 4], True, [1, 2, 3, 4]),
        ([], True, []),
        # Decimals (monetary)
        ([D("99.00"), D("199.00"), D("0.00")], True, [2, 4, 1]),
    ],
)
def test_quintile_scores(values, higher_is_better, expected):
    assert rfm.quintile_scores(values, higher_is_better=higher_is_better) == expected


@pytest.mark.parametrize(
    ("r", "f", "segment"),
    [
        (5, 5, "champions"),
        (4, 4, "champions"),
        (5, 4, "champions"),
        (5, 3, "loyal"),
        (3, 5, "loyal"),
        (3, 3, "loyal"),
        (4, 3, "loyal"),
        (5, 1, "new"),
        (5, 2, "new"),
        (4, 1, "potential"),
        (3, 2, "potential"),
        (2, 3, "at_risk"),
        (1, 5, "at_risk"),
        (2, 5, "at_risk"),
        (2, 2, "hibernating"),
        (2, 1, "hibernating"),
        (1, 1, "lost"),
        (1, 2, "lost"),
    ],
)
def test_segment_for(r, f, segment):
    assert rfm.segment_for(r, f) == segment


def test_every_cell_has_one_of_the_seven_segments_and_each_segment_a_cell():
    grid = rfm.segment_grid()
    assert len(grid) == 5 and all(len(row) == 5 for row in grid)
    assert grid[0] == ["new", "new", "loyal", "champions", "champions"]  # R = 5
    assert grid[4] == ["lost", "lost", "at_risk", "at_risk", "at_risk"]  # R = 1
    assert {cell for row in grid for cell in row} == set(rfm.SEGMENTS)
    assert sum(row.count("champions") for row in grid) == 4


@pytest.mark.parametrize(("r", "f"), [(0, 3), (6, 1), (3, 0)])
def test_scores_outside_1_to_5_are_refused(r, f):
    with pytest.raises(ValueError, match="1 to 5"):
        rfm.segment_for(r, f)


def test_rfm_score_worked_example():
    """Five customers in the window and one whose last order is older than the window."""
    facts = [
        CustomerFacts(1, recency_days=3, frequency=9, monetary=D("2990.00")),
        CustomerFacts(2, recency_days=10, frequency=4, monetary=D("1200.00")),
        CustomerFacts(3, recency_days=40, frequency=1, monetary=D("99.00")),
        CustomerFacts(4, recency_days=200, frequency=2, monetary=D("450.50")),
        CustomerFacts(5, recency_days=300, frequency=3, monetary=D("880.00")),
        CustomerFacts(6, recency_days=500, frequency=0, monetary=D("0.00")),
    ]
    scored = {s.customer_id: s for s in rfm.rfm_score(facts)}
    assert [(scored[i].r, scored[i].f, scored[i].m, scored[i].segment) for i in range(1, 7)] == [
        (5, 5, 5, "champions"),
        (4, 4, 4, "champions"),
        (3, 1, 1, "potential"),
        (2, 2, 2, "hibernating"),
        (1, 3, 3, "at_risk"),
        (1, 1, 1, "lost"),
    ]
    assert scored[6].frequency == 0 and scored[6].recency_days == 500
    assert scored[4].monetary == D("450.50")


def test_customers_outside_the_window_do_not_move_the_quintiles():
    inside = [CustomerFacts(i, recency_days=i, frequency=1, monetary=D(i)) for i in range(1, 6)]
    outside = [CustomerFacts(100 + i, recency_days=400, frequency=0, monetary=D("0.00")) for i in range(20)]
    alone = {s.customer_id: s.r for s in rfm.rfm_score(inside)}
    mixed = {s.customer_id: s.r for s in rfm.rfm_score(inside + outside)}
    assert alone == {1: 5, 2: 4, 3: 3, 4: 2, 5: 1}
    assert {k: mixed[k] for k in alone} == alone


@pytest.mark.parametrize(
    ("f", "m", "treatment"),
    [(3, 1, "one_to_one"), (5, 5, "one_to_one"), (1, 4, "one_to_one"), (2, 3, "batch"), (1, 1, "batch")],
)
def test_winback_treatment(f, m, treatment):
    assert rfm.winback_treatment(f=f, m=m) == treatment
