"""Satisfaction figures: CSAT of resolved tickets, NPS after delivery (by channel, category, month), and
the bands NPS is read against (e-commerce average 30-40, leaders 60+).

Periods are shop-local dates [start, end): `end` is excluded. A survey counts in the period it was
answered in; response rates count the surveys sent in the period (answered since, or not)."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service.models import Survey
from shopops.common.dates import day_range, shop_today

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
CSAT_SATISFIED_MIN = 4
BY_DIMENSIONS = ("channel", "category", "month")

# NPS bands, points: below the e-commerce average, within it, good, a leader.
NPS_AVERAGE_LOW = Decimal("30")
NPS_AVERAGE_HIGH = Decimal("40")
NPS_LEADER = Decimal("60")
NPS_BANDS = {
    "below_average": _("below average"),
    "average": _("e-commerce average"),
    "good": _("good"),
    "leader": _("leader"),
}

_ONE = Decimal("0.1")
_CENT = Decimal("0.01")
_FRACTION = Decimal("0.0001")


def nps_band(value: Decimal | None) -> str | None:
    """below_average (< 30), average (30 to < 40), good (40 to < 60), leader (60+); None without a score."""
    if value is None:
        return None
    if value < NPS_AVERAGE_LOW:
        return "below_average"
    if value < NPS_AVERAGE_HIGH:
        return "average"
    if value < NPS_LEADER:
        return "good"
    return "leader"


def nps_figures(promoters: int, passives: int, detractors: int) -> dict:
    """NPS = % promoters - % detractors, in points with one decimal (half up); None without answers."""
    count = promoters + passives + detractors
    score = None
    if count:
        score = (Decimal(promoters - detractors) * 100 / count).quantize(_ONE, rounding=ROUND_HALF_UP)
    band = nps_band(score)
    return {
        "count": count,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "nps": score,
        "band": band,
        "band_label": NPS_BANDS[band] if band else "",
    }


def _ratio(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / whole).quantize(_FRACTION, rounding=ROUND_HALF_UP)


def _answered(kind: str, start: date, end: date) -> QuerySet[Survey]:
    lo, hi = day_range(start, end)
    return Survey.objects.filter(kind=kind, answered_at__gte=lo, answered_at__lt=hi)


def response_rate(*, kind: str, start: date, end: date) -> dict:
    """Surveys of `kind` sent in [start, end) and how many of them have been answered."""
    lo, hi = day_range(start, end)
    facts = Survey.objects.filter(kind=kind, created_at__gte=lo, created_at__lt=hi).aggregate(
        sent=Count("id"), answered=Count("id", filter=Q(answered_at__isnull=False))
    )
    return {
        "sent": facts["sent"],
        "answered": facts["answered"],
        "rate": _ratio(facts["answered"], facts["sent"]),
    }


def _csat_row(count: int, satisfied: int, average) -> dict:
    return {
        "count": count,
        "satisfied": satisfied,
        "average": None if average is None else Decimal(str(average)).quantize(_CENT, rounding=ROUND_HALF_UP),
        "csat": _ratio(satisfied, count),
    }


_CSAT_AGGREGATES = {
    "count": Count("id"),
    "satisfied": Count("id", filter=Q(score__gte=CSAT_SATISFIED_MIN)),
    "average": Avg("score"),
}


def csat_summary(*, start: date, end: date) -> dict:
    """CSAT answers in [start, end): count, average score (1-5, 2 places), CSAT = share of 4-5 answers
    (a fraction, 4 places), and the response rate of the CSAT requests sent in the period."""
    facts = _answered(Survey.Kind.CSAT, start, end).aggregate(**_CSAT_AGGREGATES)
    row = _csat_row(facts["count"], facts["satisfied"], facts["average"])
    rates = response_rate(kind=Survey.Kind.CSAT, start=start, end=end)
    row.update(sent=rates["sent"], response_rate=rates["rate"])
    return row


def _group(qs: QuerySet[Survey], by: str) -> tuple[QuerySet, str, str]:
    """The queryset grouped by a dimension, with its key and label fields."""
    if by == "channel":
        return qs.values("channel_id", "channel__name"), "channel_id", "channel__name"
    if by == "category":
        return qs.values("category_id", "category__name"), "category_id", "category__name"
    if by == "month":
        tz = timezone.get_current_timezone()
        return qs.annotate(month=TruncMonth("answered_at", tzinfo=tz)).values("month"), "month", "month"
    raise ValueError(f"Unknown dimension {by!r}; use one of {', '.join(BY_DIMENSIONS)}.")


def _keyed(row: dict, by: str, key_field: str, label_field: str) -> dict:
    key = row[key_field]
    if by == "month":
        key = timezone.localtime(key).date().replace(day=1) if key else None
        return {"key": key, "label": key.strftime("%Y-%m") if key else ""}
    label = row[label_field] or (_("No channel") if by == "channel" else _("No category"))
    return {"key": key, "label": label}


def _sorted(rows: list[dict], by: str) -> list[dict]:
    if by == "month":
        return sorted(rows, key=lambda r: r["key"] or date.min)
    return sorted(rows, key=lambda r: (r["key"] is None, str(r["label"])))


def csat_by(*, start: date, end: date, by: str) -> list[dict]:
    """CSAT answers in [start, end) per channel, category or month (as csat_summary, without rates)."""
    grouped, key_field, label_field = _group(_answered(Survey.Kind.CSAT, start, end), by)
    rows = [
        _keyed(row, by, key_field, label_field) | _csat_row(row["count"], row["satisfied"], row["average"])
        for row in grouped.annotate(**_CSAT_AGGREGATES).order_by()
    ]
    return _sorted(rows, by)


_NPS_AGGREGATES = {
    "count": Count("id"),
    "promoters": Count("id", filter=Q(score__gte=PROMOTER_MIN)),
    "detractors": Count("id", filter=Q(score__lte=DETRACTOR_MAX)),
}


def nps(*, start: date, end: date, by: str | None = None):
    """NPS of the answers in [start, end): promoters (9-10), passives (7-8), detractors (0-6), NPS in
    points and its band. With `by` ("channel", "category" or "month"), a list of those figures per
    group, each with `key` (the id, or the month's first day) and `label`."""
    qs = _answered(Survey.Kind.NPS, start, end)
    if by is None:
        facts = qs.aggregate(**_NPS_AGGREGATES)
        passives = facts["count"] - facts["promoters"] - facts["detractors"]
        return nps_figures(facts["promoters"], passives, facts["detractors"])
    grouped, key_field, label_field = _group(qs, by)
    rows = []
    for row in grouped.annotate(**_NPS_AGGREGATES).order_by():
        passives = row["count"] - row["promoters"] - row["detractors"]
        rows.append(
            _keyed(row, by, key_field, label_field)
            | nps_figures(row["promoters"], passives, row["detractors"])
        )
    return _sorted(rows, by)


def month_starts(*, months: int, today: date | None = None) -> list[date]:
    """The first days of the last `months` months, the current one last."""
    today = today or shop_today()
    first = today.replace(day=1)
    starts = [first]
    for _i in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        starts.append(first)
    return list(reversed(starts))


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def nps_trend(*, months: int = 12, today: date | None = None) -> list[dict]:
    """NPS per month over the last `months` months (the current one included), every month listed
    (figures of a month without answers are zero counts and NPS None)."""
    starts = month_starts(months=months, today=today)
    found = {row["key"]: row for row in nps(start=starts[0], end=_next_month(starts[-1]), by="month")}
    return [
        found.get(month) or {"key": month, "label": month.strftime("%Y-%m")} | nps_figures(0, 0, 0)
        for month in starts
    ]


def survey_comments(*, start: date, end: date, kind: str = "") -> QuerySet[Survey]:
    """Answers with a comment in [start, end), newest first."""
    qs = Survey.objects.filter(answered_at__isnull=False).exclude(comment="")
    lo, hi = day_range(start, end)
    qs = qs.filter(answered_at__gte=lo, answered_at__lt=hi)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("channel", "category", "ticket", "order", "customer").order_by(
        "-answered_at", "-id"
    )


def survey_answers(*, start: date, end: date, kind: str = "") -> QuerySet[Survey]:
    """Every answer in [start, end), newest first (the satisfaction page's export)."""
    lo, hi = day_range(start, end)
    qs = Survey.objects.filter(answered_at__gte=lo, answered_at__lt=hi)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("channel", "category", "ticket", "order").order_by("-answered_at", "-id")
