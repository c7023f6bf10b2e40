"""The content of the weekly manager report and of the daily operations digest, as plain JSON data.

Everything a report shows is computed here once, when it is generated, and archived in
ManagerReport.content (money and rates as strings, dates in ISO format), so that the archived page, the
email, the PDF and the XLSX always show the figures of that generation, whatever changes afterwards.

Weekly (`weekly_content`): the Monday-to-Sunday week [week_start, week_start + 7):
- "kpis": every order KPI with the week before and the same dates a year earlier (reports.kpis.kpi_compare);
- "channels": GMV and orders per channel with each channel's share of GMV; "daily": the week's days;
- "finance", "inventory", "marketing", "service": the other areas' figures (reports.areas.area_kpis, as of
  the week's Sunday);
- "anomalies": the week's anomalies (reports.anomalies.anomaly_list);
- "actions": the five things to act on, ranked by `actions_rank` from concrete signals.
Daily (`daily_content`): one day against the same weekday a week earlier, the last 14 days, the day's
anomalies, what waits now (open order exceptions, orders held for risk review, open tickets with a
breached SLA clock), the stockout risks and the SLA attainment of the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from finance.selectors import risk as finance_risk
from orders import selectors as order_selectors
from reports import anomalies, areas, kpis
from service.selectors import overview as service_overview

CONTENT_VERSION = 1
ACTIONS_SHOWN = 5
TREND_DAYS = 14
BREACHED_SHOWN = 10
# SLA attainment below this share of clocks met on time is a thing to act on.
SLA_TARGET = Decimal("0.9000")
# A drop of gross margin by at least this many points (fraction) vs the week before is a thing to act on.
MARGIN_DROP = Decimal("0.0200")
# GMV falling by at least this fraction vs the week before is a thing to act on.
GMV_DROP = Decimal("0.1000")
# Fewer months of runway than this is a thing to act on (finance alerts usually say it first).
RUNWAY_MONTHS = Decimal("3")

# Priorities of the signals, highest first; ties keep the order they were found in.
PRIORITY = {
    "finance_critical": 100,
    "runway": 90,
    "finance_warning": 80,
    "anomaly_down": 70,
    "gmv_drop": 65,
    "stockout": 60,
    "sla": 55,
    "margin": 50,
    "order_exceptions": 45,
    "held_orders": 44,
    "sla_breached": 43,
    "return_rate": 40,
    "finance_watch": 30,
    "dead_stock": 20,
}


def plain(value):
    """`value` as JSON data: Decimal → str, date/datetime → ISO, lazy text → str, tuples → lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    return value


def week_start_of(day: date) -> date:
    """The Monday of the week that holds `day`."""
    return day - timedelta(days=day.weekday())


def previous_week_start(today: date) -> date:
    """The Monday of the last complete week before `today`."""
    return week_start_of(today) - timedelta(days=7)


def _link(name: str, query: dict | None = None, args: tuple = ()) -> str:
    path = reverse(name, args=args)
    return f"{path}?{urlencode(query)}" if query else path


def _dec(value) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def kpi_rows(current: dict, previous: dict, last_year: dict | None = None) -> list[dict]:
    """One row per order KPI: value, previous (and last year) with the relative changes."""
    rows = []
    for key in kpis.ORDER_KPIS:
        row = {
            "key": key,
            "value": current[key],
            "previous": previous[key],
            "change_previous": kpis.change(current[key], previous[key]),
        }
        if last_year is not None:
            row["last_year"] = last_year[key]
            row["change_last_year"] = kpis.change(current[key], last_year[key])
        rows.append(row)
    return rows


def channel_rows(*, start: date, end: date) -> list[dict]:
    """GMV and orders per channel over [start, end), largest GMV first, with each channel's GMV share."""
    rows = kpis.kpi_by_channel(start=start, end=end)
    total = sum((r["gmv"] for r in rows), Decimal("0.00"))
    out = [
        {
            "code": r["channel_code"],
            "name": r["channel_name"],
            "gmv": r["gmv"],
            "orders": r["orders"],
            "aov": r["aov"],
            "share": kpis._rate(r["gmv"], total),
        }
        for r in rows
    ]
    return sorted(out, key=lambda r: (-r["gmv"], r["code"]))


def daily_rows(*, start: date, end: date) -> list[dict]:
    return [
        {
            "date": row["period_start"],
            "gmv": row["gmv"],
            "orders": row["orders"],
            "units": row["units"],
            "aov": row["aov"],
            "net_sales": row["net_sales"],
        }
        for row in kpis.kpi_series(start=start, end=end, granularity="day")
    ]


# --- the five things to act on ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    kind: str
    reason: str
    link: str
    priority: int

    def as_dict(self) -> dict:
        return {"kind": self.kind, "reason": self.reason, "link": self.link, "priority": self.priority}


def actions_rank(signals: list[Action], *, limit: int = ACTIONS_SHOWN) -> list[dict]:
    """The `limit` signals of highest priority (stable: equal priorities keep their order)."""
    ranked = sorted(enumerate(signals), key=lambda pair: (-pair[1].priority, pair[0]))
    return [action.as_dict() for _index, action in ranked[:limit]]


def _finance_signals(finance: dict) -> list[Action]:
    out = []
    for level in ("critical", "warning", "watch"):
        for alert in finance.get("alerts") or []:
            if alert.get("level") != level:
                continue
            # the alert's message starts with its metric ("Runway (months) is 1.50 months, below …")
            reason = _("%(level)s finance alert — %(message)s") % {
                "level": alert.get("level_label") or level,
                "message": alert.get("message") or alert.get("metric_label") or "",
            }
            out.append(
                Action(
                    f"finance_{level}",
                    reason,
                    alert.get("url") or _link("finance:alert-list"),
                    PRIORITY[f"finance_{level}"],
                )
            )
    runway = _dec(finance.get("runway_months"))
    if runway is not None and runway < RUNWAY_MONTHS:
        out.append(
            Action(
                "runway",
                _("Cash runway is %(months)s months.") % {"months": runway},
                _link("finance:overview"),
                PRIORITY["runway"],
            )
        )
    return out


def _anomaly_signals(found: list[dict], *, start: date, end: date) -> list[Action]:
    out = []
    link = _link("reports:anomalies", {"start": start.isoformat(), "end": end.isoformat()})
    for anomaly in found:
        if anomaly["direction"] != "down":
            continue
        reason = _("%(metric)s on %(day)s was %(value)s, expected %(expected)s (%(deviation)s).") % {
            "metric": kpis.KPI_LABELS.get(anomaly["metric"], anomaly["metric"]),
            "day": anomaly["day"],
            "value": anomaly["value"],
            "expected": anomaly["expected"],
            "deviation": f"{Decimal(anomaly['deviation']) * 100:+.1f}%",
        }
        top = (anomaly.get("contributions") or [None])[0]
        if top:
            reason += " " + _("Largest change: %(name)s (%(change)s).") % {
                "name": top["name"],
                "change": top["change"],
            }
        out.append(Action("anomaly_down", reason, link, PRIORITY["anomaly_down"]))
    return out


def _sales_signals(rows: list[dict], *, start: date, end: date) -> list[Action]:
    by_key = {r["key"]: r for r in rows}
    link = _link("reports:explorer", {"start": start.isoformat(), "end": end.isoformat()})
    out = []
    gmv = by_key["gmv"]
    if gmv["change_previous"] is not None and gmv["change_previous"] <= -GMV_DROP:
        out.append(
            Action(
                "gmv_drop",
                _("GMV fell %(change)s vs the week before (%(value)s vs %(previous)s).")
                % {
                    "change": f"{gmv['change_previous'] * 100:.1f}%",
                    "value": gmv["value"],
                    "previous": gmv["previous"],
                },
                link,
                PRIORITY["gmv_drop"],
            )
        )
    margin = by_key["gross_margin"]
    if (
        margin["value"] is not None
        and margin["previous"] is not None
        and margin["previous"] - margin["value"] >= MARGIN_DROP
    ):
        out.append(
            Action(
                "margin",
                _("Gross margin fell from %(previous)s to %(value)s.")
                % {"previous": f"{margin['previous'] * 100:.1f}%", "value": f"{margin['value'] * 100:.1f}%"},
                link,
                PRIORITY["margin"],
            )
        )
    returns = by_key["return_rate"]
    if (
        returns["value"] is not None
        and returns["previous"] is not None
        and returns["value"] - returns["previous"] >= MARGIN_DROP
    ):
        out.append(
            Action(
                "return_rate",
                _("Return rate rose from %(previous)s to %(value)s.")
                % {
                    "previous": f"{returns['previous'] * 100:.1f}%",
                    "value": f"{returns['value'] * 100:.1f}%",
                },
                link,
                PRIORITY["return_rate"],
            )
        )
    return out


def _inventory_signals(inventory: dict) -> list[Action]:
    out = []
    projected = inventory.get("projected_stockouts") or []
    if projected:
        total = inventory.get("projected_stockouts_total") or len(projected)
        names = ", ".join(f"{p.get('sku_code')} ({p.get('date')})" for p in projected[:3])
        out.append(
            Action(
                "stockout",
                _("%(count)s SKUs are projected to run out before replenishment arrives: %(names)s.")
                % {"count": total, "names": names},
                _link("inventory:replenishment"),
                PRIORITY["stockout"],
            )
        )
    dead = inventory.get("dead_stock") or {}
    if dead.get("count"):
        out.append(
            Action(
                "dead_stock",
                _("%(count)s SKUs are dead stock, worth %(value)s.")
                % {"count": dead["count"], "value": dead.get("value")},
                _link("inventory:kpis"),
                PRIORITY["dead_stock"],
            )
        )
    return out


def _service_signals(service: dict) -> list[Action]:
    rate = _dec(service.get("sla_attainment"))
    if rate is None or rate >= SLA_TARGET:
        return []
    return [
        Action(
            "sla",
            _("SLA attainment was %(rate)s (target %(target)s): %(met)s of %(total)s clocks met.")
            % {
                "rate": f"{rate * 100:.1f}%",
                "target": f"{SLA_TARGET * 100:.0f}%",
                "met": service.get("sla_met"),
                "total": service.get("sla_total"),
            },
            _link("service:overview"),
            PRIORITY["sla"],
        )
    ]


# --- weekly ----------------------------------------------------------------------------------------------


def weekly_content(week_start: date) -> dict:
    """Every figure of the manager report of the week starting on `week_start` (a Monday), as JSON data."""
    if week_start.weekday() != 0:
        raise ValueError("week_start must be a Monday")
    start, end = week_start, week_start + timedelta(days=7)
    as_of = end - timedelta(days=1)
    compare = kpis.kpi_compare(start=start, end=end)
    rows = kpi_rows(compare["current"], compare["previous"], compare["last_year"])
    others = areas.area_kpis(start=start, end=end, as_of=as_of)
    found = [a.as_dict() for a in anomalies.anomaly_list(start=start, end=end)]
    signals = (
        _finance_signals(others["finance"])
        + _anomaly_signals(found, start=start, end=end)
        + _sales_signals(rows, start=start, end=end)
        + _inventory_signals(others["inventory"])
        + _service_signals(others["service"])
    )
    content = {
        "version": CONTENT_VERSION,
        "kind": "weekly",
        "currency": settings.SHOP_CURRENCY,
        "period_start": start,
        "period_end": end,
        "period_last": as_of,
        "previous_start": compare["previous_start"],
        "previous_end": compare["previous_end"],
        "last_year_start": compare["last_year_start"],
        "last_year_end": compare["last_year_end"],
        "computed_at": timezone.now(),
        "kpis": rows,
        "channels": channel_rows(start=start, end=end),
        "daily": daily_rows(start=start, end=end),
        "finance": others["finance"],
        "inventory": others["inventory"],
        "marketing": others["marketing"],
        "service": others["service"],
        "anomalies": found,
        "actions": actions_rank(signals),
    }
    return plain(content)


# --- daily -----------------------------------------------------------------------------------------------


def waiting_now() -> dict:
    """What waits for operations now: open order exceptions by kind, orders held for risk review, open
    tickets with a breached SLA clock (the longest overdue first)."""
    exceptions = order_selectors.order_exception_counts()
    labels = dict(order_selectors.OrderException.Kind.choices)
    breached, breached_total = service_overview.breached_tickets(limit=BREACHED_SHOWN)
    return {
        "exceptions_total": sum(exceptions.values()),
        "exceptions": [
            {"kind": kind, "label": labels.get(kind, kind), "count": count}
            for kind, count in exceptions.items()
            if count
        ],
        "held_orders": finance_risk.orderrisk_counts()["held"],
        "sla_breached_total": breached_total,
        "sla_breached": [
            {
                "number": t.number,
                "subject": t.subject,
                "due_at": min(c.due_at for c in t.breached_clocks) if t.breached_clocks else None,
            }
            for t in breached
        ],
    }


def daily_content(day: date) -> dict:
    """Every figure of the operations digest of `day`, as JSON data."""
    start, end = day, day + timedelta(days=1)
    week_before = day - timedelta(days=7)
    current = kpis.kpi_totals(start=start, end=end)
    previous = kpis.kpi_totals(start=week_before, end=week_before + timedelta(days=1))
    rows = kpi_rows(current, previous)
    found = [a.as_dict() for a in anomalies.anomaly_list(start=start, end=end)]
    inventory = areas.inventory_summary(start=start, end=end, as_of=day)
    service = areas.service_summary(start=start, end=end)
    waiting = waiting_now()
    trend_start = end - timedelta(days=TREND_DAYS)
    signals = _anomaly_signals(found, start=start, end=end) + _inventory_signals(inventory)
    signals += _service_signals(service)
    if waiting["exceptions_total"]:
        signals.append(
            Action(
                "order_exceptions",
                _("%(count)s order exceptions are open.") % {"count": waiting["exceptions_total"]},
                _link("orders:exception-list"),
                PRIORITY["order_exceptions"],
            )
        )
    if waiting["held_orders"]:
        signals.append(
            Action(
                "held_orders",
                _("%(count)s orders are held for risk review.") % {"count": waiting["held_orders"]},
                _link("finance:risk-queue"),
                PRIORITY["held_orders"],
            )
        )
    if waiting["sla_breached_total"]:
        signals.append(
            Action(
                "sla_breached",
                _("%(count)s open tickets have a breached SLA clock.")
                % {"count": waiting["sla_breached_total"]},
                _link("service:overview"),
                PRIORITY["sla_breached"],
            )
        )
    content = {
        "version": CONTENT_VERSION,
        "kind": "daily",
        "currency": settings.SHOP_CURRENCY,
        "period_start": start,
        "period_end": end,
        "period_last": day,
        "previous_start": week_before,
        "computed_at": timezone.now(),
        "kpis": rows,
        "channels": channel_rows(start=start, end=end),
        "daily": daily_rows(start=trend_start, end=end),
        "anomalies": found,
        "inventory": {
            "stockout_rate": inventory.get("stockout_rate"),
            "projected_stockouts": inventory.get("projected_stockouts") or [],
            "projected_stockouts_total": inventory.get("projected_stockouts_total") or 0,
        },
        "service": {
            "sla_attainment": service.get("sla_attainment"),
            "sla_met": service.get("sla_met"),
            "sla_total": service.get("sla_total"),
            "tickets_opened": service.get("tickets_opened"),
        },
        "waiting": waiting,
        "actions": actions_rank(signals),
    }
    return plain(content)
