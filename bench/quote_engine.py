"""Benchmark: the pure promotions engine (marketing/engine.py), µs per 10-line cart.

    uv run python bench/quote_engine.py [--profile]

Prices 200 random 10-line carts against: 200 promotions of mixed kinds indexed by SKU and
category plus 2 cart-wide ones; the 2 cart-wide ones alone; and no promotions at all (the
baseline, measured in the same run). Prints µs per cart (best of 5) and the ratio to the
baseline. Not a test: run it by hand.
"""

import argparse
import cProfile
import pstats
import random
import sys
import timeit
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketing.engine import CartLine, Promotion, PromotionIndex, QuoteContext, Scope

AT = datetime(2026, 11, 11, 2, tzinfo=UTC)
REPEAT = 5
NUMBER = 20


def build(seed: int = 1):
    rng = random.Random(seed)
    tiers = [{"threshold": D("199"), "amount": D("20")}, {"threshold": D("399"), "amount": D("50")}]
    promos = []
    for n in range(200):
        kind = n % 8
        code = f"P{n}"
        scope = Scope(skus=frozenset({f"S{rng.randint(0, 999)}" for _ in range(5)}))
        if kind == 0:
            promos.append(Promotion(code, "percent_off", {"percent": D("10")}, scope=scope))
        elif kind == 1:
            promos.append(
                Promotion(code, "amount_off", {"amount": D("5"), "min_spend": D("50")}, scope=scope)
            )
        elif kind == 2:
            promos.append(Promotion(code, "buy_x_get_y", {"buy": 2, "get": 1}, scope=scope))
        elif kind == 3:
            promos.append(Promotion(code, "bundle_price", {"quantity": 2, "price": D("99")}, scope=scope))
        elif kind == 4:
            params = {"sku": f"S{rng.randint(0, 999)}", "price": D("9.9"), "quantity": 100, "per_customer": 2}
            promos.append(Promotion(code, "flash_sale", params))
        elif kind == 5:
            promos.append(Promotion(code, "member_price", {"tiers": {"gold": D("10")}}, scope=scope))
        elif kind == 6:
            category = Scope(categories=frozenset({rng.randint(0, 99)}))
            promos.append(Promotion(code, "threshold_amount", {"tiers": tiers}, scope=category))
        else:
            category = Scope(categories=frozenset({rng.randint(0, 99)}))
            params = {"threshold": D("300"), "gift_sku": "G", "quantity": 1}
            promos.append(Promotion(code, "gift", params, scope=category))
    # two cart-wide promotions
    promos.append(Promotion("D11", "threshold_amount", {"tiers": tiers}))
    promos.append(Promotion("ALL5", "percent_off", {"percent": D("5")}, priority=5))
    carts = [
        [
            CartLine(
                f"S{rng.randint(0, 999)}",
                rng.randint(1, 3),
                D(rng.randint(500, 30000)) / 100,
                frozenset({rng.randint(0, 99), 100}),
                None,
            )
            for _ in range(10)
        ]
        for _ in range(200)
    ]
    return promos, carts


def per_cart(index: PromotionIndex, carts, ctx: QuoteContext) -> float:
    times = timeit.repeat(lambda: [index.quote(c, ctx) for c in carts], number=NUMBER, repeat=REPEAT)
    return min(times) / (NUMBER * len(carts)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the 200-promotion case")
    args = parser.parse_args()

    promos, carts = build()
    ctx = QuoteContext("own_store", AT, member_tier="gold", gift_costs={"G": D("20")})
    index = PromotionIndex(promos)
    scenarios = [
        ("no promotions (baseline)", PromotionIndex([])),
        ("2 cart-wide promotions (5 % + 满减)", PromotionIndex(promos[-2:])),
        ("200 promotions, indexed", index),
    ]
    baseline = None
    for label, scenario in scenarios:
        us = per_cart(scenario, carts, ctx)
        baseline = baseline or us
        extra = ""
        if scenario is index:
            quotes = [index.quote(c, ctx) for c in carts]
            applied = sum(len(q.applied) for q in quotes) / len(carts)
            extra = f"; applied per cart {applied:.1f}"
        print(f"{label}: {us:.1f} µs per 10-line cart, {us / baseline:.2f}x baseline{extra}")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            [index.quote(c, ctx) for c in carts]
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
