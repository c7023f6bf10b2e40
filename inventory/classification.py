"""ABC and XYZ classes: pure functions over plain data (the nightly `planning.sku_class_build` and the
replenishment simulation call them).

- ABC by revenue over the last 90 days: SKUs sorted by revenue (highest first, ties by id); a SKU is A while
  the revenue *before* it is under the A share (so the SKU that crosses 80 % is still A: one SKU with 90 % of
  the revenue is A, not B), B while it is under A + B shares, C after. Zero revenue is always C. The stored
  share is the cumulative share including the SKU.
- XYZ by the coefficient of variation (population standard deviation / mean) of weekly demand: up to the X
  cut-off X, up to the Y cut-off Y, above it Z; no demand at all (mean 0) is Z with no CV.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

SHARE = Decimal("0.0001")
CV = Decimal("0.001")


@dataclass(frozen=True)
class AbcRow:
    abc: str
    revenue: Decimal
    cumulative_share: Decimal  # including this SKU, 0.0001 steps


def abc_classify(revenue: dict[int, Decimal], *, a_share: Decimal, b_share: Decimal) -> dict[int, AbcRow]:
    total = sum((Decimal(v) for v in revenue.values() if v > 0), Decimal(0))
    ranked = sorted(revenue.items(), key=lambda item: (-Decimal(item[1]), item[0]))
    a_share, ab_share = Decimal(a_share), Decimal(a_share) + Decimal(b_share)
    out: dict[int, AbcRow] = {}
    running = Decimal(0)
    for sku_id, value in ranked:
        value = Decimal(value)
        if value <= 0 or total <= 0:
            out[sku_id] = AbcRow(
                "C", value, (running / total).quantize(SHARE, ROUND_HALF_UP) if total else Decimal(0)
            )
            continue
        before = running / total
        running += value
        abc = "A" if before < a_share else "B" if before < ab_share else "C"
        out[sku_id] = AbcRow(abc, value, min((running / total).quantize(SHARE, ROUND_HALF_UP), Decimal(1)))
    return out


def weekly_totals(daily: np.ndarray, weeks: int) -> np.ndarray:
    """Sum the last `weeks` x 7 days of a (n, T) daily array into (n, weeks) weekly totals (oldest first)."""
    daily = np.atleast_2d(np.asarray(daily, dtype=float))
    days = weeks * 7
    if daily.shape[1] < days:
        daily = np.concatenate([np.zeros((daily.shape[0], days - daily.shape[1])), daily], axis=1)
    return daily[:, -days:].reshape(daily.shape[0], weeks, 7).sum(axis=2)


def xyz_classify(weekly: np.ndarray, *, x_cv: Decimal, y_cv: Decimal) -> list[tuple[str, Decimal | None]]:
    """(class, CV) per row of a (n, weeks) array of weekly demand."""
    weekly = np.atleast_2d(np.asarray(weekly, dtype=float))
    mean = weekly.mean(axis=1)
    std = weekly.std(axis=1)
    out = []
    for m, s in zip(mean.tolist(), std.tolist(), strict=True):
        if m <= 0:
            out.append(("Z", None))
            continue
        cv = Decimal(str(s / m)).quantize(CV, ROUND_HALF_UP)
        out.append(("X" if cv <= Decimal(x_cv) else "Y" if cv <= Decimal(y_cv) else "Z", cv))
    return out
