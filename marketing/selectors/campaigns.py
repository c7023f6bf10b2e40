"""Reads of campaigns: the promotion calendar, budget burn, ad metrics against their bands, and the plain
data the nightly pipeline hands to the forecast and the price recommendations.

Shapes are plain dicts (documented per function) so that pages, other helpers' pages and
`shopops/nightly.py` can use them without knowing the models.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from catalog.models import SKU, Category
from marketing import admetrics
from marketing.models import AdMetricDay, Campaign, Promotion
from orders import selectors as order_selectors

CALENDAR_KINDS = (Campaign.Kind.FESTIVAL, Campaign.Kind.SHOP_EVENT)
OUT_OF_BAND_DAYS = 7
SOON_DAYS = 14
# Budget burn: a campaign is over pace when the share of its budget spent exceeds the share of its days
# elapsed by more than this (in share points).
PACE_TOLERANCE = Decimal("0.05")
RATIO = Decimal("0.0001")
# How far back / ahead the forecast's promotion calendar reaches (the forecast keeps what touches its
# history of 420 days and its horizon).
FORECAST_BACK_DAYS = 730
FORECAST_AHEAD_DAYS = 366


def _url(name: str, code: str) -> str:
    try:
        return reverse(name, args=[code])
    except NoReverseMatch:
        return ""


def _local_day(at: datetime) -> date:
    return timezone.localdate(at)


def _last_day(ends_at: datetime) -> date:
    """The shop-local last day of a promotion ending (exclusive) at `ends_at`: ending at midnight means the
    previous day was the last."""
    return timezone.localdate(ends_at - timedelta(microseconds=1))


def checklist_counts(checklist) -> tuple[int, int]:
    """(done, total) of a campaign checklist [{"item", "owner", "done"}]."""
    items = [item for item in (checklist or []) if isinstance(item, dict)]
    return sum(1 for item in items if item.get("done")), len(items)


def _ratio(num: Decimal, den: Decimal) -> Decimal | None:
    if not den:
        return None
    return (Decimal(num) / Decimal(den)).quantize(RATIO, rounding=ROUND_HALF_UP)


def scheduled_promotions(*, start: date, end: date) -> QuerySet[Promotion]:
    """Active promotions with a start and an end whose shop-local days overlap [start, end]."""
    start_at = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    end_at = timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    return Promotion.objects.filter(
        active=True,
        starts_at__isnull=False,
        ends_at__isnull=False,
        starts_at__lt=end_at,
        ends_at__gt=start_at,
    ).order_by("starts_at", "code")


def campaign_calendar(*, start: date, end: date) -> list[dict]:
    """The promotion calendar between `start` and `end` (inclusive): festival and shop-event campaigns
    and scheduled promotions (active, with a start and an end) overlapping those days, sorted by start.

    Each item:
    ``{"source": "campaign" | "promotion", "code": str, "name": str,
    "kind": str (Campaign.Kind or Promotion.Kind value), "kind_label": str (translated),
    "starts_on": date, "ends_on": date (inclusive, shop-local),
    "planning_starts_on": date | None (campaigns: starts_on - planning_lead_days; promotions: None),
    "checklist_done": int, "checklist_total": int (promotions: 0, 0),
    "url": str (the campaign's or promotion's detail page, "" if that page does not exist)}``
    """
    items = []
    campaigns = Campaign.objects.filter(kind__in=CALENDAR_KINDS, starts_on__lte=end, ends_on__gte=start)
    for c in campaigns:
        done, total = checklist_counts(c.checklist)
        items.append(
            {
                "source": "campaign",
                "code": c.code,
                "name": c.name,
                "kind": c.kind,
                "kind_label": c.get_kind_display(),
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
                "planning_starts_on": c.starts_on - timedelta(days=c.planning_lead_days),
                "checklist_done": done,
                "checklist_total": total,
                "url": _url("marketing:campaign-detail", c.code),
            }
        )
    for p in scheduled_promotions(start=start, end=end):
        items.append(
            {
                "source": "promotion",
                "code": p.code,
                "name": p.name,
                "kind": p.kind,
                "kind_label": p.get_kind_display(),
                "starts_on": _local_day(p.starts_at),
                "ends_on": _last_day(p.ends_at),
                "planning_starts_on": None,
                "checklist_done": 0,
                "checklist_total": 0,
                "url": _url("marketing:promotion-detail", p.code),
            }
        )
    items.sort(key=lambda i: (i["starts_on"], i["source"], i["code"]))
    return items


def ad_totals_by_campaign(*, start: date, end: date, campaign_ids=None) -> dict[int, admetrics.AdTotals]:
    """Campaign id -> summed ad metrics (all channels) of the days [start, end]. One aggregate query."""
    qs = AdMetricDay.objects.filter(day__gte=start, day__lte=end)
    if campaign_ids is not None:
        qs = qs.filter(campaign_id__in=list(campaign_ids))
    return {
        row["campaign_id"]: admetrics.AdTotals.of(row)
        for row in qs.values("campaign_id").annotate(
            impressions=Sum("impressions"),
            clicks=Sum("clicks"),
            spend=Sum("spend"),
            orders=Sum("orders"),
            revenue=Sum("revenue"),
            new_customers=Sum("new_customers"),
            brand_value=Sum("brand_value"),
        )
    }


def campaign_budget_burn(*, today: date) -> list[dict]:
    """Running campaigns (starts_on <= today <= ends_on) with a budget, sorted by share spent (highest
    first). "Spent" is the ad spend imported for the campaign's days up to `today` (other_cost is not dated
    and is not part of the burn).

    Each item: ``{"code", "name", "kind", "kind_label", "starts_on": date, "ends_on": date,
    "budget": Decimal, "spent": Decimal, "share_spent": Decimal fraction (0.4000 = 40 %),
    "share_elapsed": Decimal fraction of the campaign's days elapsed, today included,
    "over_pace": bool (share_spent > share_elapsed + PACE_TOLERANCE),
    "projected": Decimal (spent / share_elapsed: the spend at the end at this pace, to the cent),
    "url": str}``
    """
    running = list(Campaign.objects.filter(starts_on__lte=today, ends_on__gte=today, budget__gt=0))
    if not running:
        return []
    spent_by = dict(
        AdMetricDay.objects.filter(campaign__in=running, day__lte=today)
        .values("campaign_id")
        .annotate(spent=Sum("spend"))
        .values_list("campaign_id", "spent")
    )
    items = []
    for c in running:
        spent = spent_by.get(c.id) or Decimal("0.00")
        days = (c.ends_on - c.starts_on).days + 1
        elapsed = (today - c.starts_on).days + 1
        share_spent = _ratio(spent, c.budget)
        share_elapsed = _ratio(Decimal(elapsed), Decimal(days))
        projected = (Decimal(spent) * days / elapsed).quantize(admetrics.CENT, rounding=ROUND_HALF_UP)
        items.append(
            {
                "code": c.code,
                "name": c.name,
                "kind": c.kind,
                "kind_label": c.get_kind_display(),
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
                "budget": c.budget,
                "spent": Decimal(spent).quantize(admetrics.CENT),
                "share_spent": share_spent,
                "share_elapsed": share_elapsed,
                "over_pace": share_spent > share_elapsed + PACE_TOLERANCE,
                "projected": projected,
                "url": _url("marketing:campaign-detail", c.code),
            }
        )
    items.sort(key=lambda i: (-i["share_spent"], i["code"]))
    return items


def campaigns_out_of_band(*, today: date) -> list[dict]:
    """Campaigns whose ad metrics over the last 7 days (today - 6 .. today, all channels summed) put CTR,
    CPC, CVR or ROI outside its band (admetrics.BANDS: CTR 2-5 %, CPC ¥0.50-3.00, CVR 3-10 %, ROI >= 3).
    Campaigns without metrics in those days are not listed. Sorted by code.

    Each item: ``{"code", "name", "kind", "kind_label", "start": date, "end": date (the 7-day window),
    "totals": admetrics.AdTotals, "metrics": {"ctr", "cpc", "cvr", "roi", "cac": Decimal | None},
    "flags": {"ctr", "cpc", "cvr", "roi": "low" | "high" | None},
    "out_of_band": [metric names outside the band, e.g. ["ctr", "roi"]], "url": str}``
    (ratios as Decimal fractions: ctr 0.0150 = 1.5 %; cpc, cac in yuan; roi revenue ÷ spend).
    """
    start = today - timedelta(days=OUT_OF_BAND_DAYS - 1)
    totals = ad_totals_by_campaign(start=start, end=today)
    if not totals:
        return []
    items = []
    for c in Campaign.objects.filter(pk__in=list(totals)).order_by("code"):
        values = admetrics.metrics(totals[c.id])
        bad = admetrics.out_of_band(values)
        if not bad:
            continue
        items.append(
            {
                "code": c.code,
                "name": c.name,
                "kind": c.kind,
                "kind_label": c.get_kind_display(),
                "start": start,
                "end": today,
                "totals": totals[c.id],
                "metrics": values,
                "flags": admetrics.flags(values),
                "out_of_band": bad,
                "url": _url("marketing:campaign-detail", c.code),
            }
        )
    return items


# -- plain data for the nightly pipeline ----------------------------------------------------------------


def _category_descendants() -> dict[str, list[int]]:
    """Category code -> ids of the category and all its descendants (one query)."""
    rows = list(Category.objects.values_list("id", "code", "parent_id"))
    children = defaultdict(list)
    for cid, _code, parent in rows:
        if parent:
            children[parent].append(cid)
    out = {}
    for cid, code, _parent in rows:
        seen, stack = [], [cid]
        while stack:
            node = stack.pop()
            seen.append(node)
            stack.extend(children[node])
        out[code] = seen
    return out


def promotion_sku_ids(promotions) -> dict[int, list[int]]:
    """Promotion id -> sorted SKU ids of its scope (SKU codes, and categories with their subcategories);
    [] when the scope names neither SKUs nor categories (every SKU). Unknown codes resolve to nothing; a
    promotion whose scope resolves to no SKU at all is left out of the result (callers skip it)."""
    promotions = list(promotions)
    codes, cats = set(), set()
    for p in promotions:
        scope = p.scope or {}
        codes.update(scope.get("skus") or [])
        cats.update(scope.get("categories") or [])
    by_code = dict(SKU.objects.filter(code__in=codes).values_list("code", "id")) if codes else {}
    by_cat: dict[str, set[int]] = {}
    if cats:
        desc = _category_descendants()
        cat_ids = {code: desc.get(code, []) for code in cats}
        all_ids = {i for ids in cat_ids.values() for i in ids}
        sku_cat = defaultdict(set)
        for sku_id, cat_id in SKU.objects.filter(product__category_id__in=all_ids).values_list(
            "id", "product__category_id"
        ):
            sku_cat[cat_id].add(sku_id)
        for code, ids in cat_ids.items():
            by_cat[code] = set().union(*(sku_cat[i] for i in ids)) if ids else set()
    out = {}
    for p in promotions:
        scope = p.scope or {}
        skus, categories = scope.get("skus") or [], scope.get("categories") or []
        if not skus and not categories:
            out[p.id] = []
            continue
        ids = {by_code[c] for c in skus if c in by_code}
        for c in categories:
            ids |= by_cat.get(c, set())
        if ids:
            out[p.id] = sorted(ids)
    return out


def demand_promotions(start: date, end: date):
    """Promotions that move demand: scheduled, active, not coupon-only (a coupon reaches only its
    holders), not member-only prices (member_price kind)."""
    return (
        scheduled_promotions(start=start, end=end)
        .filter(coupon_required=False)
        .exclude(kind=Promotion.Kind.MEMBER_PRICE)
    )


def forecast_promotions(start: date, end: date):
    """The promotions the demand forecast receives: `demand_promotions` except those of a festival
    campaign (the forecast measures each festival's shop-wide lift from history, which holds the shop's
    usual festival promotions: passing them too would count the festival twice)."""
    return demand_promotions(start, end).exclude(campaign__kind=Campaign.Kind.FESTIVAL)


def promotion_calendar_get(business_date: date) -> list[dict]:
    """The promotion calendar for the nightly demand forecast, as plain JSON-able data:
    ``[{"start": ISO day, "end": ISO day (inclusive), "sku_ids": [int, ...] ([] = every SKU),
    "lift": float multiplier or None (the forecast measures it from history)}]``, sorted by start.

    It holds, from two years before `business_date` to a year after it:
    - scheduled promotions (active, with a start and an end, not coupon-only, not member prices, not part of
      a festival campaign: see `forecast_promotions`) with their scope resolved to SKU ids (SKU codes, and
      categories with their subcategories; channel and member-tier scopes are not narrowed: the forecast
      is per SKU), lift None;
    - shop-event campaigns (their SKUs, their expected lift or None);
    - festival campaigns only when they name SKUs or an expected lift: the forecast already measures the
      shop-wide lift of 618, Double 11, Double 12 and the 年货节 by itself, so a plain festival entry would
      count the festival twice.
    """
    start = business_date - timedelta(days=FORECAST_BACK_DAYS)
    end = business_date + timedelta(days=FORECAST_AHEAD_DAYS)
    items = []
    campaigns = Campaign.objects.filter(kind__in=CALENDAR_KINDS, starts_on__lte=end, ends_on__gte=start)
    for c in campaigns:
        if c.kind == Campaign.Kind.FESTIVAL and not c.sku_ids and c.expected_lift is None:
            continue
        items.append(
            {
                "start": c.starts_on.isoformat(),
                "end": c.ends_on.isoformat(),
                "sku_ids": sorted(int(i) for i in c.sku_ids or []),
                "lift": float(c.expected_lift) if c.expected_lift is not None else None,
            }
        )
    promos = list(forecast_promotions(start, end))
    scopes = promotion_sku_ids(promos)
    for p in promos:
        if p.id not in scopes:
            continue
        items.append(
            {
                "start": _local_day(p.starts_at).isoformat(),
                "end": _last_day(p.ends_at).isoformat(),
                "sku_ids": scopes[p.id],
                "lift": None,
            }
        )
    items.sort(key=lambda i: (i["start"], i["end"], i["sku_ids"]))
    return items


def promotions_soon(business_date: date) -> dict[int, str]:
    """SKU id -> the name of a promotion or campaign starting in the next 14 days (business_date + 1 ..
    business_date + 14), for the price recommendations (they hold a price before a promotion). Promotions
    as in `demand_promotions` (festival ones included; scope resolved to SKUs; an empty scope means every
    active SKU);
    festival and shop-event campaigns with their SKUs (none named: every active SKU). When several
    start, the earliest (then the lowest code) names the SKU."""
    first, last = business_date + timedelta(days=1), business_date + timedelta(days=SOON_DAYS)
    entries = []  # (start day, code, name, sku ids or None for all)
    for c in Campaign.objects.filter(kind__in=CALENDAR_KINDS, starts_on__gte=first, starts_on__lte=last):
        entries.append((c.starts_on, c.code, c.name, [int(i) for i in c.sku_ids] or None))
    promos = [p for p in demand_promotions(first, last) if first <= _local_day(p.starts_at) <= last]
    scopes = promotion_sku_ids(promos)
    for p in promos:
        if p.id in scopes:
            entries.append((_local_day(p.starts_at), p.code, p.name, scopes[p.id] or None))
    if not entries:
        return {}
    entries.sort(key=lambda e: (e[0], e[1]))
    everyone = None
    out: dict[int, str] = {}
    for _start, _code, name, sku_ids in entries:
        if sku_ids is None:
            if everyone is None:
                everyone = list(SKU.objects.filter(active=True).values_list("id", flat=True))
            sku_ids = everyone
        for sku_id in sku_ids:
            out.setdefault(sku_id, name)
    return out


# -- lists for the pages --------------------------------------------------------------------------------


def campaign_list(*, kind: str = "", status: str = "", q: str = "", today: date | None = None) -> QuerySet:
    """Campaigns filtered by kind, status (running / upcoming / ended, relative to `today`) and a search on
    code or name, annotated with ``ad_spend`` (all imported days) and ``ad_days`` (count of metric rows)."""
    qs = Campaign.objects.select_related("channel").annotate(
        ad_spend=Sum("ad_days__spend"), ad_days_count=Count("ad_days")
    )
    if kind:
        qs = qs.filter(kind=kind)
    if status and today:
        if status == "running":
            qs = qs.filter(starts_on__lte=today, ends_on__gte=today)
        elif status == "upcoming":
            qs = qs.filter(starts_on__gt=today)
        elif status == "ended":
            qs = qs.filter(ends_on__lt=today)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return qs.order_by("-starts_on", "code")


# -- ad metrics for the campaign pages ------------------------------------------------------------------

_SUMS = {
    "impressions": Sum("impressions"),
    "clicks": Sum("clicks"),
    "spend": Sum("spend"),
    "orders": Sum("orders"),
    "revenue": Sum("revenue"),
    "new_customers": Sum("new_customers"),
    "brand_value": Sum("brand_value"),
}
CUSTOMER_VALUE_DAYS = 365


def campaign_daily(*, campaign: Campaign) -> list[dict]:
    """The campaign's ad metrics per day (all channels summed), oldest first:
    ``[{"day": date, "totals": AdTotals, "metrics": {...}, "flags": {...}}]``."""
    rows = AdMetricDay.objects.filter(campaign=campaign).values("day").annotate(**_SUMS).order_by("day")
    out = []
    for row in rows:
        totals = admetrics.AdTotals.of(row)
        values = admetrics.metrics(totals)
        out.append({"day": row["day"], "totals": totals, "metrics": values, "flags": admetrics.flags(values)})
    return out


def customer_value_by_channel(*, end: date) -> tuple[dict[str, Decimal], Decimal | None]:
    """(channel code -> average GMV per customer, shop-wide average) over the 365 days before `end`, from
    counted orders (orders.selectors.customer_base_by_channel)."""
    rows = order_selectors.customer_base_by_channel(start=end - timedelta(days=CUSTOMER_VALUE_DAYS), end=end)
    by_channel = {
        r["channel"]: (Decimal(r["gmv"]) / r["customers"]).quantize(admetrics.CENT, rounding=ROUND_HALF_UP)
        for r in rows
        if r["customers"]
    }
    customers = sum(r["customers"] for r in rows)
    overall = (
        (sum((Decimal(r["gmv"]) for r in rows), Decimal("0")) / customers).quantize(
            admetrics.CENT, rounding=ROUND_HALF_UP
        )
        if customers
        else None
    )
    return by_channel, overall


def channel_roi(*, start: date, end: date, campaign: Campaign | None = None) -> list[dict]:
    """Per channel, the ad metrics of [start, end] (all campaigns, or one) with the 70/15/15 weighted ROI:
    ``[{"channel": code, "channel_name": str, "totals": AdTotals, "metrics": {...}, "flags": {...},
    "customer_value": Decimal (average GMV per customer of the channel, else of the shop, else 0),
    "roi_parts": {"direct", "brand", "asset", "weighted"}}]`` sorted by spend (highest first)."""
    qs = AdMetricDay.objects.filter(day__gte=start, day__lte=end)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    rows = list(qs.values("channel__code", "channel__name").annotate(**_SUMS))
    if not rows:
        return []
    values_by_channel, overall = customer_value_by_channel(end=end + timedelta(days=1))
    out = []
    for row in rows:
        totals = admetrics.AdTotals.of(row)
        values = admetrics.metrics(totals)
        value = values_by_channel.get(row["channel__code"], overall) or Decimal("0")
        out.append(
            {
                "channel": row["channel__code"],
                "channel_name": row["channel__name"],
                "totals": totals,
                "metrics": values,
                "flags": admetrics.flags(values),
                "customer_value": value,
                "roi_parts": admetrics.weighted_roi(totals, customer_value=value),
            }
        )
    out.sort(key=lambda r: (-r["totals"].spend, r["channel"]))
    return out
