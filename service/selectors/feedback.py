"""Reads of feedback and of the monthly complaint keywords, for pages, the API and other apps."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from catalog.models import SKU
from inventory.models import SupplierSKU
from orders.models import Channel, Order
from service.models import ComplaintKeyword, ComplaintKeywordSKU, Feedback, ServiceSettings
from shopops.common.dates import shop_today

SENTIMENT_BANDS = ("negative", "neutral", "positive")
CHART_KEYWORDS = 10


def sentiment_bounds(settings: ServiceSettings | None = None) -> tuple[Decimal, Decimal]:
    """(negative below, positive from): the settings' negative threshold and its mirror (-0.30, 0.30)."""
    settings = settings or ServiceSettings.load()
    return settings.negative_sentiment, -settings.negative_sentiment


def sentiment_band(value: Decimal, bounds: tuple[Decimal, Decimal]) -> str:
    negative, positive = bounds
    if value < negative:
        return "negative"
    if value >= positive:
        return "positive"
    return "neutral"


def feedback_list(
    *,
    source: str = "",
    channel: str = "",
    urgency: str = "",
    sentiment: str = "",
    sku: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    search: str = "",
    with_ticket: bool | None = None,
) -> QuerySet[Feedback]:
    """Feedback, newest first, filtered: `channel` and `sku` are codes, `sentiment` a band of
    SENTIMENT_BANDS, `since` inclusive and `until` exclusive (occurred_at)."""
    qs = Feedback.objects.select_related("channel", "sku", "order", "ticket").order_by("-occurred_at", "-id")
    if source:
        qs = qs.filter(source=source)
    if channel:
        qs = qs.filter(channel__code=channel)
    if urgency:
        qs = qs.filter(urgency=urgency)
    if sentiment in SENTIMENT_BANDS:
        negative, positive = sentiment_bounds()
        qs = {
            "negative": qs.filter(sentiment__lt=negative),
            "neutral": qs.filter(sentiment__gte=negative, sentiment__lt=positive),
            "positive": qs.filter(sentiment__gte=positive),
        }[sentiment]
    if sku:
        qs = qs.filter(sku__code=sku)
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    if until is not None:
        qs = qs.filter(occurred_at__lt=until)
    if search:
        qs = qs.filter(Q(text__icontains=search) | Q(author__icontains=search) | Q(external_id=search))
    if with_ticket is not None:
        qs = qs.filter(ticket__isnull=not with_ticket)
    return qs


def feedback_counts(qs: QuerySet[Feedback]) -> dict[str, int]:
    """Counts per urgency of a (filtered) feedback list."""
    counts = dict.fromkeys(Feedback.Urgency.values, 0)
    for row in qs.order_by().values("urgency").annotate(n=Count("id")):
        counts[row["urgency"]] = row["n"]
    return counts


@dataclass
class FeedbackLookups:
    """The channels, SKUs and orders a batch of feedback names, by code (orders by channel code and
    external id)."""

    channels: dict[str, Channel]
    skus: dict[str, SKU]
    orders: dict[tuple[str, str], Order]


def feedback_lookups(*, channel_codes=(), sku_codes=(), order_keys=()) -> FeedbackLookups:
    """One query per kind, whatever the batch size."""
    channels = {c.code: c for c in Channel.objects.filter(code__in=set(channel_codes))}
    skus = {s.code: s for s in SKU.objects.filter(code__in=set(sku_codes))}
    orders = {}
    keys = {(channel, external_id) for channel, external_id in order_keys if channel and external_id}
    if keys:
        by_channel: dict[str, set[str]] = defaultdict(set)
        for channel, external_id in keys:
            by_channel[channel].add(external_id)
        wanted = Q()
        for channel, external_ids in by_channel.items():
            wanted |= Q(channel__code=channel, external_id__in=external_ids)
        for order in Order.objects.filter(wanted).select_related("channel", "customer"):
            orders[(order.channel.code, order.external_id)] = order
    return FeedbackLookups(channels=channels, skus=skus, orders=orders)


# --- complaint keywords -----------------------------------------------------------------------------------


def _shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def keyword_month_latest() -> date | None:
    """The newest month with a keyword report."""
    return ComplaintKeyword.objects.order_by("-month").values_list("month", flat=True).first()


def keyword_months() -> list[date]:
    return list(ComplaintKeyword.objects.order_by("-month").values_list("month", flat=True).distinct())


@dataclass
class SupplierRef:
    code: str
    name: str


@dataclass
class KeywordSKU:
    sku_id: int
    code: str
    name: str
    mentions: int
    suppliers: list[SupplierRef] = field(default_factory=list)


@dataclass
class KeywordRow:
    keyword: str
    rank: int
    weight: Decimal
    mentions: int
    previous: int | None  # last month's mentions; None: not among last month's keywords
    trend: str  # up, down, same, new
    series: list[int | None]  # mentions per month of the report; None: not among that month's keywords
    skus: list[KeywordSKU]  # the most mentioned SKUS_SHOWN
    skus_more: int = 0  # further SKUs not shown


@dataclass
class KeywordReport:
    month: date
    months: list[date]
    rows: list[KeywordRow]
    chart_keywords: list[str]


def sku_suppliers(sku_ids) -> dict[int, list[SupplierRef]]:
    """The suppliers of each SKU. Inventory has no selector for them yet: SupplierSKU is read directly."""
    found: dict[int, list[SupplierRef]] = defaultdict(list)
    items = (
        SupplierSKU.objects.filter(sku_id__in=list(sku_ids))
        .select_related("supplier")
        .order_by("unit_cost", "supplier__code")
    )
    for item in items:
        found[item.sku_id].append(SupplierRef(code=item.supplier.code, name=item.supplier.name))
    return found


def _trend(current: int, previous: int | None) -> str:
    if previous is None:
        return "new"
    if current > previous:
        return "up"
    if current < previous:
        return "down"
    return "same"


SKUS_SHOWN = 5  # a keyword said of many SKUs (delivery, service) names its top few; the rest are counted


def complaint_keyword_report(*, months: int = 6, month: date | None = None) -> KeywordReport:
    """One month's complaint keywords (default: the newest built) with their mentions over the `months`
    months ending there, the trend against the month before, and per keyword its SKUs (most mentioned
    first) with their suppliers."""
    month = (month or keyword_month_latest() or shop_today()).replace(day=1)
    span = [_shift(month, offset) for offset in range(-(months - 1), 1)]
    mentions: dict[tuple[str, date], int] = {
        (keyword, at): count
        for keyword, at, count in ComplaintKeyword.objects.filter(month__in=span).values_list(
            "keyword", "month", "mentions"
        )
    }
    current = list(ComplaintKeyword.objects.filter(month=month).order_by("rank"))
    by_keyword: dict[str, list[KeywordSKU]] = defaultdict(list)
    sku_rows = (
        ComplaintKeywordSKU.objects.filter(month=month)
        .select_related("sku")
        .order_by("keyword", "-mentions", "sku__code")
    )
    sku_rows = list(sku_rows)
    suppliers = sku_suppliers({row.sku_id for row in sku_rows})
    for row in sku_rows:
        by_keyword[row.keyword].append(
            KeywordSKU(
                sku_id=row.sku_id,
                code=row.sku.code,
                name=row.sku.name,
                mentions=row.mentions,
                suppliers=suppliers.get(row.sku_id, []),
            )
        )
    previous_month = _shift(month, -1)
    rows = []
    for keyword in current:
        previous = mentions.get((keyword.keyword, previous_month))
        rows.append(
            KeywordRow(
                keyword=keyword.keyword,
                rank=keyword.rank,
                weight=keyword.weight,
                mentions=keyword.mentions,
                previous=previous,
                trend=_trend(keyword.mentions, previous),
                series=[mentions.get((keyword.keyword, at)) for at in span],
                skus=by_keyword.get(keyword.keyword, [])[:SKUS_SHOWN],
                skus_more=max(0, len(by_keyword.get(keyword.keyword, [])) - SKUS_SHOWN),
            )
        )
    return KeywordReport(
        month=month,
        months=span,
        rows=rows,
        chart_keywords=[row.keyword for row in rows[:CHART_KEYWORDS]],
    )


def complaint_keyword_top(*, start: date, end: date, limit: int = CHART_KEYWORDS) -> dict:
    """The top complaint keywords of the months the shop-local dates [start, end) touch (keywords are built
    per month): mentions summed over those months, most mentioned first (then the best rank, then the
    keyword). {"months": [first day of each month read, oldest first], "keywords": [{"keyword",
    "count"}, ...] (at most `limit`)}; months without a built report are still listed, and add nothing."""
    first = start.replace(day=1)
    last = max(start, end - timedelta(days=1)).replace(day=1)
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = _shift(month, 1)
    counts: dict[str, int] = defaultdict(int)
    best_rank: dict[str, int] = {}
    for keyword, rank, mentions in ComplaintKeyword.objects.filter(month__in=months).values_list(
        "keyword", "rank", "mentions"
    ):
        counts[keyword] += mentions
        best_rank[keyword] = min(rank, best_rank.get(keyword, rank))
    ranked = sorted(counts, key=lambda k: (-counts[k], best_rank[k], k))
    return {"months": months, "keywords": [{"keyword": k, "count": counts[k]} for k in ranked[:limit]]}
