"""What each promotion earned: PromotionResult, rebuilt nightly for the promotions running or ended in the
last 30 days (`promotion_results_build`), from the data known up to the business date only.

Definitions (stated on the results pages too):

- Window: from the promotion's start to its end, or to the end of the business date while it runs.
- In-scope lines: lines of counted orders (not pending, not cancelled) placed in the window, on the
  promotion's SKUs (SKU codes, categories with their subcategories; none named = every SKU) and channels
  (none named = every channel). Member-tier scopes are not narrowed (the tier at the time is not stored).
- A line's value = quantity × unit price − line discount − its share of the order discount (the order
  discount split over the order's lines in proportion to their value).
- GMV = the in-scope lines' value; margin = GMV − quantity × unit cost.
- Orders = orders with at least one in-scope line. Redemptions = accepted Redemption rows.
- Discount cost = the accepted redemptions' discount when the promotion has any (coupon and flash-sale
  promotions record them from the orders); otherwise the discounts on the in-scope lines in the window
  (line discount + share of the order discount). Orders do not record which promotion gave a discount, so
  promotions overlapping on the same lines each count those discounts.
- Gift cost (gift promotions): quantity × unit cost of the gift SKU's lines given free (value 0) in the
  window.
- Coupon-only promotions (coupon_required) reach only the orders that used the coupon: their in-scope
  lines are those of the orders with an accepted redemption, and their baseline is what the same customers
  bought in scope in the 28 days before (history method below, restricted to those customers: a welcome
  coupon's new customers have a zero baseline, all their purchases count as incremental).
- Baseline (what the in-scope lines would have sold without the promotion):
  * "forecast": inventory's stored demand forecast made the day before the start, when it covers every
    day of the window for every in-scope SKU, and the promotion was not part of the promotion calendar the
    forecast received (member-price promotions and those of a festival campaign are left out of it; the
    others are in it, so their forecast already includes their lift and is no baseline). For a festival's
    promotion the forecast holds the festival's usual lift: its uplift is against a usual festival.
    Units × each SKU's average value and margin per unit
    over the 28 days before the start (none sold: list price, list price − unit cost).
  * "history" otherwise: for each day of the window, the mean of the in-scope GMV (and margin) on the same
    weekday in the 28 days before the start (4 days per weekday).
- Uplift = GMV ÷ baseline GMV − 1 (None without a baseline).
- ROI = incremental margin ÷ (discount cost + gift cost + campaign cost), incremental margin = margin −
  baseline margin; campaign cost = the promotion's campaign's ad spend up to the business date + its other
  cost, split equally over the campaign's promotions. None when the cost is zero.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from catalog.models import SKU
from inventory.models import SKUForecast
from marketing.models import AdMetricDay, Campaign, Promotion, PromotionResult, Redemption
from marketing.selectors.campaigns import forecast_promotions, promotion_sku_ids
from orders.models import Order, OrderLine
from shopops.common.dates import day_start

LOOKBACK_DAYS = 30
BASELINE_DAYS = 28
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
ZERO = Decimal("0.00")


def _money(x) -> Decimal:
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def _ratio(x) -> Decimal:
    return Decimal(x).quantize(RATIO, rounding=ROUND_HALF_UP)


def promotions_to_measure(business_date: date):
    """Active promotions with a start on or before `business_date`, running or ended in the 30 days up to
    it."""
    end_at = day_start(business_date + timedelta(days=1))
    since = day_start(business_date - timedelta(days=LOOKBACK_DAYS - 1))
    return Promotion.objects.filter(active=True, starts_at__isnull=False, starts_at__lt=end_at).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=since)
    )


class LineSource:
    """The lines of counted orders (not pending, not cancelled) placed in [start, end), fetched in one query
    and shared by every promotion of a night's build; `select` filters them per promotion. Each line:
    {"order_id", "customer_id", "channel", "sku_id", "quantity", "placed_at", "day" (shop-local), "value"
    (quantity × unit price − line discount − its share of the order discount, the order discount split over
    the order's lines in proportion to their value), "discount" (line discount + that share), "cost"}."""

    def __init__(self, *, start: datetime, end: datetime):
        rows = list(
            OrderLine.objects.filter(order__placed_at__gte=start, order__placed_at__lt=end)
            .exclude(order__status__in=Order.NOT_COUNTED)
            .annotate(day=TruncDate("order__placed_at", tzinfo=timezone.get_current_timezone()))
            .values_list(
                "order_id",
                "order__customer_id",
                "order__channel__code",
                "sku_id",
                "quantity",
                "unit_price",
                "discount",
                "unit_cost",
                "order__placed_at",
                "order__order_discount",
                "day",
            )
        )
        order_net: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for oid, _c, _ch, _s, q, p, d, _uc, _at, order_discount, _day in rows:
            if order_discount:
                order_net[oid] += q * p - d
        self.lines = []
        for oid, cid, channel, sku_id, q, p, d, unit_cost, placed_at, order_discount, day in rows:
            net = q * p - d
            share = order_discount * net / order_net[oid] if order_discount and order_net[oid] else ZERO
            self.lines.append(
                {
                    "order_id": oid,
                    "customer_id": cid,
                    "channel": channel,
                    "sku_id": sku_id,
                    "quantity": q,
                    "placed_at": placed_at,
                    "day": day,
                    "value": net - share,
                    "discount": d + share,
                    "cost": q * unit_cost,
                }
            )

    def select(
        self,
        *,
        start: datetime,
        end: datetime,
        sku_ids: list[int] | None,
        channels: list[str],
        order_ids: set[int] | None = None,
        customer_ids: set[int] | None = None,
    ) -> list[dict]:
        """The lines placed in [start, end) on `sku_ids` (None: every SKU) and `channels` (empty: every
        channel), only of `order_ids` / of the orders of `customer_ids` when given."""
        skus = set(sku_ids) if sku_ids is not None else None
        chans = set(channels)
        return [
            line
            for line in self.lines
            if start <= line["placed_at"] < end
            and (skus is None or line["sku_id"] in skus)
            and (not chans or line["channel"] in chans)
            and (order_ids is None or line["order_id"] in order_ids)
            and (customer_ids is None or line["customer_id"] in customer_ids)
        ]


def _campaign_costs(business_date: date, campaign_ids: set[int]) -> dict[int, Decimal]:
    """Campaign id -> cost per promotion: (ad spend up to the date + other cost) ÷ its promotions."""
    if not campaign_ids:
        return {}
    spend = dict(
        AdMetricDay.objects.filter(campaign_id__in=campaign_ids, day__lte=business_date)
        .values("campaign_id")
        .annotate(s=Sum("spend"))
        .values_list("campaign_id", "s")
    )
    counts = defaultdict(int)
    for cid in Promotion.objects.filter(campaign_id__in=campaign_ids).values_list("campaign_id", flat=True):
        counts[cid] += 1
    return {
        c.id: (Decimal(spend.get(c.id) or 0) + c.other_cost) / max(counts[c.id], 1)
        for c in Campaign.objects.filter(pk__in=campaign_ids)
    }


def _forecast_baseline(
    *, promotion: Promotion, start_day: date, days: list[date], sku_ids: list[int], before: list[dict]
) -> tuple[Decimal, Decimal, dict[date, Decimal]] | None:
    """(baseline GMV, baseline margin, GMV per day) from the forecast made on start_day - 1, or None when
    it does not cover every day for every in-scope SKU."""
    made_on = start_day - timedelta(days=1)
    forecasts = dict(
        SKUForecast.objects.filter(business_date=made_on, sku_id__in=sku_ids).values_list("sku_id", "daily")
    )
    if len(forecasts) < len(set(sku_ids)):
        return None
    offset = (days[-1] - made_on).days
    if any(len(daily or []) < offset for daily in forecasts.values()):
        return None
    units_before = defaultdict(int)
    value_before = defaultdict(lambda: ZERO)
    margin_before = defaultdict(lambda: ZERO)
    for line in before:
        units_before[line["sku_id"]] += line["quantity"]
        value_before[line["sku_id"]] += line["value"]
        margin_before[line["sku_id"]] += line["value"] - line["cost"]
    prices = {s.id: (s.list_price, s.list_price - s.unit_cost) for s in SKU.objects.filter(pk__in=sku_ids)}
    gmv = margin = ZERO
    per_day: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for sku_id, daily in forecasts.items():
        if units_before[sku_id]:
            unit_value = value_before[sku_id] / units_before[sku_id]
            unit_margin = margin_before[sku_id] / units_before[sku_id]
        else:
            unit_value, unit_margin = prices[sku_id]
        for d in days:
            units = Decimal(str(daily[(d - made_on).days - 1]))
            gmv += units * unit_value
            margin += units * unit_margin
            per_day[d] += units * unit_value
    return gmv, margin, per_day


def _history_baseline(*, start_day: date, days: list[date], before: list[dict]):
    """(baseline GMV, baseline margin, GMV per day): per window day, the mean of the same weekday's in-scope
    GMV and margin over the 28 days before the start."""
    gmv_by_day = defaultdict(lambda: ZERO)
    margin_by_day = defaultdict(lambda: ZERO)
    for line in before:
        gmv_by_day[line["day"]] += line["value"]
        margin_by_day[line["day"]] += line["value"] - line["cost"]
    first = start_day - timedelta(days=BASELINE_DAYS)
    by_weekday_gmv = defaultdict(list)
    by_weekday_margin = defaultdict(list)
    for k in range(BASELINE_DAYS):
        d = first + timedelta(days=k)
        by_weekday_gmv[d.weekday()].append(gmv_by_day[d])
        by_weekday_margin[d.weekday()].append(margin_by_day[d])
    gmv = margin = ZERO
    per_day = {}
    for d in days:
        g = sum(by_weekday_gmv[d.weekday()], ZERO) / len(by_weekday_gmv[d.weekday()])
        m = sum(by_weekday_margin[d.weekday()], ZERO) / len(by_weekday_margin[d.weekday()])
        gmv += g
        margin += m
        per_day[d] = g
    return gmv, margin, per_day


def promotion_result_compute(
    promotion: Promotion,
    *,
    business_date: date,
    sku_ids: list[int] | None,
    in_calendar: bool,
    campaign_cost: Decimal = ZERO,
    source: LineSource | None = None,
) -> dict:
    """The PromotionResult fields of one promotion (see the module docstring), as a dict. `source`: the
    lines of the night (shared by the promotions), else fetched for this promotion."""
    start = promotion.starts_at
    end = min(
        promotion.ends_at or day_start(business_date + timedelta(days=1)),
        day_start(business_date + timedelta(days=1)),
    )
    start_day = timezone.localdate(start)
    last_day = timezone.localdate(end - timedelta(microseconds=1))
    days = [start_day + timedelta(days=k) for k in range((last_day - start_day).days + 1)]
    channels = list((promotion.scope or {}).get("channels") or [])
    scope = sku_ids or None  # [] = every SKU
    # Redemptions of orders placed in the window up to the business date: an order's time is the business
    # time of its redemption (the row itself may be recorded later, e.g. by a late sync or a replay).
    accepted_qs = Redemption.objects.filter(
        promotion=promotion,
        status=Redemption.Status.ACCEPTED,
        order__placed_at__gte=start,
        order__placed_at__lt=end,
    )
    redeemed_orders = customers = None
    if promotion.coupon_required:
        # Only the orders that used the coupon; their customers' own purchases make the baseline.
        redeemed = list(accepted_qs.values_list("order_id", "order__customer_id"))
        redeemed_orders = {oid for oid, _cid in redeemed}
        customers = {cid for _oid, cid in redeemed if cid is not None}
    if source is None:
        source = LineSource(start=day_start(start_day - timedelta(days=BASELINE_DAYS)), end=end)
    lines = source.select(start=start, end=end, sku_ids=scope, channels=channels, order_ids=redeemed_orders)
    before = source.select(
        start=day_start(start_day - timedelta(days=BASELINE_DAYS)),
        end=day_start(start_day),
        sku_ids=scope,
        channels=channels,
        customer_ids=customers,
    )
    gmv = sum((line["value"] for line in lines), ZERO)
    cost = sum((line["cost"] for line in lines), ZERO)
    margin = gmv - cost
    orders = len({line["order_id"] for line in lines})
    accepted = accepted_qs.aggregate(n=Count("id"), discount=Sum("discount"))
    n_redemptions = accepted["n"]
    if n_redemptions:
        discount_cost = Decimal(accepted["discount"] or 0)
    else:
        discount_cost = sum((line["discount"] for line in lines), ZERO)
    gift_cost = ZERO
    if promotion.kind == Promotion.Kind.GIFT:
        gift_code = (promotion.params or {}).get("gift_sku")
        gift = SKU.objects.filter(code=gift_code).first() if gift_code else None
        if gift is not None:
            gift_lines = source.select(start=start, end=end, sku_ids=[gift.id], channels=channels)
            gift_cost = sum((g["cost"] for g in gift_lines if g["value"] == 0), ZERO)

    method = "history"
    baseline = None
    if not in_calendar and not promotion.coupon_required and sku_ids:
        baseline = _forecast_baseline(
            promotion=promotion, start_day=start_day, days=days, sku_ids=sku_ids, before=before
        )
        if baseline is not None:
            method = "forecast"
    if baseline is None:
        baseline = _history_baseline(start_day=start_day, days=days, before=before)
    base_gmv, base_margin, base_per_day = baseline

    uplift = _ratio(gmv / base_gmv - 1) if base_gmv > 0 else None
    invested = discount_cost + gift_cost + campaign_cost
    roi = _ratio((margin - base_margin) / invested) if invested > 0 else None
    daily_gmv = defaultdict(lambda: ZERO)
    daily_margin = defaultdict(lambda: ZERO)
    daily_orders = defaultdict(set)
    for line in lines:
        daily_gmv[line["day"]] += line["value"]
        daily_margin[line["day"]] += line["value"] - line["cost"]
        daily_orders[line["day"]].add(line["order_id"])
    detail = {
        "window": [start_day.isoformat(), last_day.isoformat()],
        "baseline_method": method,
        "baseline_from": (start_day - timedelta(days=1)).isoformat()
        if method == "forecast"
        else (start_day - timedelta(days=BASELINE_DAYS)).isoformat(),
        "campaign_cost": str(_money(campaign_cost)),
        "scope_skus": len(sku_ids) if sku_ids else None,
        "daily": [
            {
                "day": d.isoformat(),
                "gmv": str(_money(daily_gmv[d])),
                "margin": str(_money(daily_margin[d])),
                "orders": len(daily_orders[d]),
                "baseline_gmv": str(_money(base_per_day.get(d, ZERO))),
            }
            for d in days
        ],
    }
    return {
        "orders": orders,
        "redemptions": n_redemptions,
        "discount_cost": _money(discount_cost),
        "gift_cost": _money(gift_cost),
        "gmv": _money(gmv),
        "margin": _money(margin),
        "baseline_gmv": _money(base_gmv),
        "baseline_margin": _money(base_margin),
        "uplift": uplift,
        "roi": roi,
        "detail": detail,
    }


@transaction.atomic
def promotion_results_build(*, business_date: date) -> dict:
    """Compute and store the PromotionResult of every promotion running or ended in the 30 days up to
    `business_date` (one row per promotion, replaced). Idempotent: the same date gives the same figures.
    Returns {"promotions": n, "skipped": m} (skipped: a scope that matches no SKU)."""
    promotions = list(promotions_to_measure(business_date))
    if not promotions:
        return {"promotions": 0, "skipped": 0}
    scopes = promotion_sku_ids(promotions)
    earliest = min(p.starts_at for p in promotions)
    in_calendar = set(
        forecast_promotions(timezone.localdate(earliest), business_date)
        .filter(pk__in=[p.pk for p in promotions])
        .values_list("pk", flat=True)
    )
    costs = _campaign_costs(business_date, {p.campaign_id for p in promotions if p.campaign_id})
    # One fetch of the lines every promotion needs: from the earliest baseline to the end of the date.
    source = LineSource(
        start=day_start(timezone.localdate(earliest) - timedelta(days=BASELINE_DAYS)),
        end=day_start(business_date + timedelta(days=1)),
    )
    now = timezone.now()
    done = skipped = 0
    for p in promotions:
        if p.id not in scopes:
            skipped += 1
            continue
        fields = promotion_result_compute(
            p,
            business_date=business_date,
            sku_ids=scopes[p.id],
            in_calendar=p.id in in_calendar,
            campaign_cost=costs.get(p.campaign_id, ZERO),
            source=source,
        )
        PromotionResult.objects.update_or_create(
            promotion=p,
            defaults={
                **fields,
                "computed_at": now,
                "detail": {**fields["detail"], "business_date": business_date.isoformat()},
            },
        )
        done += 1
    return {"promotions": done, "skipped": skipped}
