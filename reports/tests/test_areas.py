"""The other areas' figures reports shows (`reports.areas`), on small hand-built datasets, every figure
worked out by hand in the comments; and on an empty database (None values, empty lists, no error).

The period is the week Monday 2026-03-02 .. Sunday 2026-03-08 ([start, end) = [03-02, 03-09)), as of
Sunday 03-08; inventory's dataset is relative to today (its KPIs read today's stock and ledger)."""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from finance.models import Alert, Scenario
from finance.tests.factories_alerts import forecast_run, snapshot
from finance.tests.factories_cash import CashAccountFactory, CashTransactionFactory
from inventory import services as inventory_services
from inventory.models import DemandDay, ReplenishmentSuggestion
from inventory.tests.factories import WarehouseFactory
from marketing.models import AdMetricDay, Campaign, Promotion, PromotionResult
from orders.tests.factories import ChannelFactory
from reports import areas
from service.models import ComplaintKeyword
from service.selectors import feedback as service_feedback
from service.tests.factories_surveys import SurveyFactory, TicketFactory, TicketSLAFactory

pytestmark = pytest.mark.django_db

D = Decimal
START, END, AS_OF = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 8)


def shop(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """An aware instant on a shop-local day."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)), timezone.get_current_timezone())


# --- finance --------------------------------------------------------------------------------------------


@pytest.fixture
def finance_data():
    account = CashAccountFactory(code="bank", opening_balance=D("10000.00"), opening_on=date(2026, 1, 1))
    CashTransactionFactory(account=account, booked_on=date(2026, 3, 5), amount=D("250.00"))
    CashTransactionFactory(account=account, booked_on=date(2026, 3, 9), amount=D("999.00"))  # after as_of
    # The base run made on as_of: weeks from Monday 03-09, opening 50,000 kept every week but the 6th
    # (index 5, week of 04-13) which closes at -500.00; a newer run (03-09) is after as_of: ignored.
    forecast_run("base", AS_OF, lowest_closing="-500.00", week=5, opening="50000.00")
    forecast_run("base", date(2026, 3, 9), lowest_closing="1.00", week=2, opening="7.00")
    forecast_run("pessimistic", AS_OF, lowest_closing="-9000.00", week=1)
    snapshot(
        AS_OF,
        runway_months=D("7.5"),
        weekly_net_burn=D("1200.00"),
        ccc=D("41.5"),
        dso=D("12.0"),
        dpo=D("30.5"),
        dio=D("60.0"),
    )
    snapshot(date(2026, 3, 9), runway_months=D("1.0"))  # after as_of: ignored
    base = Scenario.objects.get(code="base")

    def alert(metric, level, raised_day, detail, cleared=False):
        return Alert.objects.create(
            metric=metric,
            level=level,
            scenario=base,
            value=D("1"),
            threshold=D("2"),
            business_date=raised_day,
            raised_at=shop(raised_day),
            detail=detail,
            cleared_at=shop(AS_OF) if cleared else None,
        )

    watch = alert("margin_drop", "watch", date(2026, 3, 7), "Margin down 2 points")
    critical = alert("runway", "critical", date(2026, 3, 1), "Runway 1.5 months")
    alert("overdue_receivables", "warning", date(2026, 3, 3), "cleared one", cleared=True)
    return {"watch": watch, "critical": critical}


def test_finance_summary(finance_data):
    result = areas.finance_summary(as_of=AS_OF)
    watch, critical = finance_data["watch"], finance_data["critical"]
    assert result == {
        "as_of": AS_OF,
        "cash_today": D("10250.00"),  # 10,000 + 250 (the 03-09 booking is after as_of)
        "forecast_as_of": AS_OF,
        "closing_balance": D("50000.00"),  # the 13th week (index 12)
        "closing_week_start": date(2026, 6, 1),  # 03-09 + 12 weeks
        "lowest_closing": D("-500.00"),
        "lowest_week_start": date(2026, 4, 13),  # 03-09 + 5 weeks
        "cushion": D("30000.00"),  # 3 x monthly fixed costs 10,000
        "snapshot_as_of": AS_OF,
        "runway_months": D("7.5"),
        "cash_positive": False,
        "weekly_net_burn": D("1200.00"),
        "ccc_days": D("41.5"),
        "dso": D("12.0"),
        "dpo": D("30.5"),
        "dio": D("60.0"),
        "alerts_by_level": {"watch": 1, "warning": 0, "critical": 1},  # the warning is cleared
        "alerts": [
            {
                "id": critical.pk,
                "level": "critical",
                "level_label": "Critical",
                "metric": "runway",
                "metric_label": "Runway (months)",
                "message": "Runway 1.5 months",
                "scenario": "base",
                "week_start": None,
                "url": f"/finance/alerts/{critical.pk}/",
            },
            {
                "id": watch.pk,
                "level": "watch",
                "level_label": "Watch",
                "metric": "margin_drop",
                "metric_label": "Gross margin drop (points)",
                "message": "Margin down 2 points",
                "scenario": "base",
                "week_start": None,
                "url": f"/finance/alerts/{watch.pk}/",
            },
        ],
    }


def test_finance_summary_cash_positive(db):
    snapshot(AS_OF, runway_months=None)
    result = areas.finance_summary(as_of=AS_OF)
    assert (result["runway_months"], result["cash_positive"]) == (None, True)
    assert result["closing_balance"] is result["lowest_closing"] is result["forecast_as_of"] is None


# --- inventory ------------------------------------------------------------------------------------------


@pytest.fixture
def inventory_data():
    """SKU A (cost 10.00) 100 units and B (20.00) 10 units received 100 days ago in east; demand of A on
    today-3 (5 reserved) and today-2 (3 reserved, 2 unmet, out of stock); B's only sale 150 days ago."""
    today = timezone.localdate()
    east = WarehouseFactory(code="east", name="East")
    a = SKUFactory(code="A", name="Alpha", unit_cost=D("10.00"))
    b = SKUFactory(code="B", name="Beta", unit_cost=D("20.00"))
    with time_machine.travel(shop(today - timedelta(days=100)), tick=False):
        inventory_services.stock_receive(sku_id=a.pk, warehouse=east, quantity=100, reference="PO-1")
        inventory_services.stock_receive(sku_id=b.pk, warehouse=east, quantity=10, reference="PO-2")

    def demand(sku, days_ago, reserved=0, unmet=0, stockout=False):
        DemandDay.objects.create(
            sku=sku,
            warehouse=east,
            day=today - timedelta(days=days_ago),
            reserved=reserved,
            unmet=unmet,
            stockout=stockout,
            closing_available=0 if stockout else 5,
        )

    demand(b, 150, reserved=1)
    demand(a, 3, reserved=5)
    demand(a, 2, reserved=3, unmet=2, stockout=True)
    demand(a, 10, reserved=0)  # in the period, no demand: not a demand day

    def suggestion(sku, business_date, stockout_in, arrival_in, **kw):
        return ReplenishmentSuggestion.objects.create(
            business_date=business_date,
            sku=sku,
            warehouse=east,
            service_level=D("0.95"),
            z=D("1.645"),
            quantity=10,
            projected_stockout_on=today + timedelta(days=stockout_in) if stockout_in is not None else None,
            next_arrival_on=today + timedelta(days=arrival_in),
            **kw,
        )

    latest = today - timedelta(days=1)
    suggestion(a, latest, 3, 10)  # runs out before the arrival: a risk
    suggestion(b, latest, 20, 5)  # the arrival comes first: no risk
    suggestion(b, today - timedelta(days=8), 1, 30)  # an older run: ignored
    return {"today": today}


def test_inventory_summary(inventory_data):
    today = inventory_data["today"]
    as_of = today - timedelta(days=1)
    result = areas.inventory_summary(start=today - timedelta(days=7), end=today, as_of=as_of)
    # Stock value 100 x 10 + 10 x 20 = 1,200.00 at every value point (as_of, -30, -60, -90 after the
    # receipt 100 days ago): average 1,200.00. COGS: the record starts 150 days ago, 150 days to as_of:
    # A 8 x 10 + B 1 x 20 = 100.00, annualised x 365 / 150 = 243.33; turnover 243.33 / 1200 = 0.20;
    # days of inventory 365 x 1200 / 243.33 = 1800.0.
    assert result == {
        "stockout_rate": D("0.5000"),  # 2 demand days of A in the week, one out of stock
        "stockout_days": 1,
        "demand_days": 2,
        "turnover": D("0.20"),
        "turnover_target": [D("8"), D("12")],
        "days_of_inventory": D("1800.0"),
        "inventory_value": D("1200.00"),
        # B: no sale in 90 days: 10 x 20 = 200.00, 200 / 1200 = 0.1667
        "dead_stock": {"count": 1, "value": D("200.00"), "share": D("0.1667"), "days": 90},
        # A: 10 units of demand in 28 days = 0.357/day covers 100 units for 280 days > 120: excess
        # 100 - ceil(0.357 x 120 = 42.9) = 57 x 10 = 570.00; B: no demand: all 10 x 20 = 200.00
        "overstock": {"count": 2, "excess_value": D("770.00")},
        "projected_stockouts": [
            {
                "sku_code": "A",
                "sku_name": "Alpha",
                "warehouse_code": "east",
                "date": today + timedelta(days=3),
                "days": 4,  # from as_of (yesterday)
                "arrival": today + timedelta(days=10),
            }
        ],
        "projected_stockouts_total": 1,
        "suggestions_as_of": today - timedelta(days=1),
    }


def test_inventory_projected_stockouts_capped_at_ten(db):
    today = timezone.localdate()
    east = WarehouseFactory(code="east")
    for i in range(12):
        ReplenishmentSuggestion.objects.create(
            business_date=today,
            sku=SKUFactory(code=f"S{i:02d}"),
            warehouse=east,
            service_level=D("0.95"),
            z=D("1.645"),
            quantity=1,
            projected_stockout_on=today + timedelta(days=12 - i),
            next_arrival_on=today + timedelta(days=30),
        )
    result = areas.inventory_summary(start=today - timedelta(days=7), end=today, as_of=today)
    assert result["projected_stockouts_total"] == 12
    # Soonest first: S11 runs out in 1 day, S10 in 2, ... S02 in 10.
    assert [(r["sku_code"], r["days"]) for r in result["projected_stockouts"]] == [
        (f"S{i:02d}", 12 - i) for i in range(11, 1, -1)
    ]


# --- marketing ------------------------------------------------------------------------------------------


def _promotion(code, starts, ends, **kw):
    return Promotion.objects.create(
        code=code,
        name=f"Promo {code}",
        kind=Promotion.Kind.PERCENT_OFF,
        params={"percent": "10"},
        starts_at=starts,
        ends_at=ends,
        **kw,
    )


def _result(promotion, **values):
    return PromotionResult.objects.create(promotion=promotion, computed_at=shop(AS_OF), **values)


@pytest.fixture
def marketing_data():
    midnight = lambda day: shop(day, 0)  # noqa: E731
    p1 = _promotion("P1", midnight(date(2026, 2, 25)), midnight(date(2026, 3, 5)))  # last day 03-04
    _result(
        p1,
        orders=12,
        gmv=D("1000.00"),
        baseline_gmv=D("800.00"),
        uplift=D("0.2500"),
        margin=D("300.00"),
        baseline_margin=D("200.00"),
        discount_cost=D("40.00"),
        gift_cost=D("10.00"),
        roi=D("2.0000"),
    )
    p2 = _promotion("P2", shop(date(2026, 3, 8), 20), None)  # running at the end of the period
    _result(p2, orders=1, gmv=D("50.00"))
    _result(_promotion("P3", midnight(date(2026, 2, 20)), midnight(date(2026, 3, 2))), gmv=D("9"))  # before
    _result(_promotion("P4", midnight(date(2026, 3, 9)), None), gmv=D("9"))  # after
    _result(_promotion("P5", None, None), gmv=D("9"))  # never scheduled
    _promotion("P6", midnight(date(2026, 3, 3)), midnight(date(2026, 3, 4)))  # no result yet
    channel = ChannelFactory(code="tm", name="Tmall")
    campaign = Campaign.objects.create(
        code="ads", name="Ads", kind="ads", starts_on=date(2026, 2, 1), ends_on=date(2026, 3, 31)
    )
    other = Campaign.objects.create(
        code="ads2", name="Ads 2", kind="ads", starts_on=date(2026, 2, 1), ends_on=date(2026, 3, 31)
    )
    for camp, day, spend, revenue, orders, new in (
        (campaign, date(2026, 3, 1), "500.00", "500.00", 9, 9),  # before the period
        (campaign, date(2026, 3, 2), "100.00", "350.00", 3, 1),
        (other, date(2026, 3, 8), "50.00", "100.00", 1, 0),
        (campaign, date(2026, 3, 9), "999.00", "1.00", 9, 9),  # after the period
    ):
        AdMetricDay.objects.create(
            campaign=camp,
            channel=channel,
            day=day,
            spend=D(spend),
            revenue=D(revenue),
            orders=orders,
            new_customers=new,
        )


def test_marketing_summary(marketing_data):
    result = areas.marketing_summary(start=START, end=END)
    assert result == {
        "promotions": [
            {
                "code": "P1",
                "name": "Promo P1",
                "kind": "percent_off",
                "kind_label": str(Promotion.Kind.PERCENT_OFF.label),
                "status": "ended",
                "starts_on": date(2026, 2, 25),
                "ends_on": date(2026, 3, 4),
                "orders": 12,
                "gmv": D("1000.00"),
                "baseline_gmv": D("800.00"),
                "uplift": D("0.2500"),
                "incremental_margin": D("100.00"),  # 300 - 200
                "cost": D("50.00"),  # discount 40 + gift 10
                "roi": D("2.0000"),
                "url": "/marketing/results/P1/",
            },
            {
                "code": "P2",
                "name": "Promo P2",
                "kind": "percent_off",
                "kind_label": str(Promotion.Kind.PERCENT_OFF.label),
                "status": "live",
                "starts_on": date(2026, 3, 8),
                "ends_on": None,
                "orders": 1,
                "gmv": D("50.00"),
                "baseline_gmv": D("0.00"),
                "uplift": None,
                "incremental_margin": D("0.00"),
                "cost": D("0.00"),
                "roi": None,
                "url": "/marketing/results/P2/",
            },
        ],
        "ad_spend": D("150.00"),  # 100 + 50
        "ad_revenue": D("450.00"),  # 350 + 100
        "ad_roi": D("3.0000"),  # 450 / 150
        "ad_orders": 4,
        "ad_new_customers": 1,
    }


# --- service --------------------------------------------------------------------------------------------


@pytest.fixture
def service_data():
    long_ago = shop(date(2026, 1, 1))

    def clock(metric, state, stopped_day, hour=12):
        TicketSLAFactory(
            ticket=TicketFactory(opened_at=long_ago),
            metric=metric,
            state=state,
            breached=state == "breached",
            stopped_at=shop(stopped_day, hour) if stopped_day else None,
        )

    clock("first_response", "met", date(2026, 3, 2), 0)  # the period's first instant
    clock("first_response", "met", date(2026, 3, 5))
    clock("first_response", "breached", date(2026, 3, 8), 23)
    clock("resolution", "met", date(2026, 3, 4))
    clock("resolution", "met", date(2026, 3, 9), 0)  # after the period
    clock("first_response", "running", None)  # not ended
    clock("resolution", "breached", None)  # breached and still running: not ended

    opened = shop(date(2026, 3, 2), 10)
    TicketFactory(
        opened_at=opened,
        first_response_at=opened + timedelta(minutes=30),
        resolved_at=opened + timedelta(minutes=120),
    )
    late = shop(date(2026, 3, 8), 23, 30)
    TicketFactory(opened_at=late, first_response_at=late + timedelta(minutes=90))
    TicketFactory(opened_at=shop(date(2026, 3, 9), 0, 30))  # after the period
    TicketFactory(opened_at=shop(date(2026, 3, 1), 23, 59))  # before it

    def survey(kind, score, day):
        SurveyFactory(kind=kind, score=score, created_at=shop(date(2026, 2, 20)), answered_at=shop(day))

    for score in (5, 4, 2):
        survey("csat", score, date(2026, 3, 3))
    survey("csat", 1, date(2026, 3, 9))  # after the period
    for score in (10, 9, 7, 3):
        survey("nps", score, date(2026, 3, 6))
    survey("nps", 0, date(2026, 3, 1))  # before it
    for month, keyword, rank, mentions in (
        (date(2026, 3, 1), "slow delivery", 1, 5),
        (date(2026, 3, 1), "broken", 2, 7),
        (date(2026, 3, 1), "leak", 3, 2),
        (date(2026, 3, 1), "smell", 4, 2),
        (date(2026, 2, 1), "broken", 1, 9),
        (date(2026, 2, 1), "late", 2, 4),
    ):
        ComplaintKeyword.objects.create(
            month=month, keyword=keyword, rank=rank, weight=D("1.0000"), mentions=mentions
        )


def test_service_summary(service_data):
    result = areas.service_summary(start=START, end=END)
    assert result == {
        "sla_attainment": D("0.7500"),  # 3 met of 4 ended clocks
        "sla_met": 3,
        "sla_total": 4,
        "sla_by_metric": {
            "first_response": {
                "label": "First response",
                "total": 3,
                "met": 2,
                "breached": 1,
                "rate": D("0.6667"),
            },
            "resolution": {"label": "Resolution", "total": 1, "met": 1, "breached": 0, "rate": D("1.0000")},
        },
        "csat": D("0.6667"),  # 2 of 3 answers are 4-5
        "csat_answers": 3,
        "csat_average": D("3.67"),  # 11 / 3
        "nps": D("25.0"),  # (2 promoters - 1 detractor) / 4 answers
        "nps_answers": 4,
        "tickets_opened": 2,
        "first_response_median": D("60.0"),  # 30 and 90 minutes
        "resolution_median": D("120.0"),
        # The March report (the week is in March): most mentioned first, ties by rank.
        "top_complaint_keywords": [
            {"keyword": "broken", "count": 7},
            {"keyword": "slow delivery", "count": 5},
            {"keyword": "leak", "count": 2},
            {"keyword": "smell", "count": 2},
        ],
        "keyword_months": [date(2026, 3, 1)],
    }


def test_complaint_keywords_across_months_and_limit(service_data):
    # Monday 02-23 .. Sunday 03-01 touches February and March: mentions summed.
    top = service_feedback.complaint_keyword_top(start=date(2026, 2, 23), end=date(2026, 3, 2), limit=3)
    assert top == {
        "months": [date(2026, 2, 1), date(2026, 3, 1)],
        "keywords": [
            {"keyword": "broken", "count": 16},
            {"keyword": "slow delivery", "count": 5},
            {"keyword": "late", "count": 4},
        ],
    }


# --- together, and on an empty database -------------------------------------------------------------------


def test_area_kpis_combines_the_four(finance_data, marketing_data, service_data):
    result = areas.area_kpis(start=START, end=END, as_of=AS_OF)
    assert list(result) == ["finance", "inventory", "marketing", "service"]
    assert result["finance"] == areas.finance_summary(as_of=AS_OF)
    assert result["marketing"]["ad_roi"] == D("3.0000")
    assert result["service"]["sla_attainment"] == D("0.7500")
    assert result["inventory"]["stockout_rate"] is None  # no inventory data
    # JSON-ready as is with Django's encoder, and after to_jsonable with the plain one.
    assert json.loads(json.dumps(result, cls=DjangoJSONEncoder)) == json.loads(
        json.dumps(areas.to_jsonable(result))
    )
    assert areas.to_jsonable(result)["finance"]["cash_today"] == "10250.00"
    assert areas.to_jsonable(result)["finance"]["lowest_week_start"] == "2026-04-13"


def test_area_kpis_on_an_empty_database(db):
    result = areas.area_kpis(start=START, end=END, as_of=AS_OF)
    assert result["finance"] == {
        "as_of": AS_OF,
        "cash_today": D("0.00"),
        "forecast_as_of": None,
        "closing_balance": None,
        "closing_week_start": None,
        "lowest_closing": None,
        "lowest_week_start": None,
        "cushion": None,
        "snapshot_as_of": None,
        "runway_months": None,
        "cash_positive": None,
        "weekly_net_burn": None,
        "ccc_days": None,
        "dso": None,
        "dpo": None,
        "dio": None,
        "alerts_by_level": {"watch": 0, "warning": 0, "critical": 0},
        "alerts": [],
    }
    assert result["inventory"] == {
        "stockout_rate": None,
        "stockout_days": 0,
        "demand_days": 0,
        "turnover": None,
        "turnover_target": [D("8"), D("12")],
        "days_of_inventory": None,
        "inventory_value": D("0.00"),
        "dead_stock": {"count": 0, "value": D("0.00"), "share": None, "days": 90},
        "overstock": {"count": 0, "excess_value": D("0.00")},
        "projected_stockouts": [],
        "projected_stockouts_total": 0,
        "suggestions_as_of": None,
    }
    assert result["marketing"] == {
        "promotions": [],
        "ad_spend": D("0.00"),
        "ad_revenue": D("0.00"),
        "ad_roi": None,
        "ad_orders": 0,
        "ad_new_customers": 0,
    }
    assert result["service"] == {
        "sla_attainment": None,
        "sla_met": 0,
        "sla_total": 0,
        "sla_by_metric": {
            "first_response": {"label": "First response", "total": 0, "met": 0, "breached": 0, "rate": None},
            "resolution": {"label": "Resolution", "total": 0, "met": 0, "breached": 0, "rate": None},
        },
        "csat": None,
        "csat_answers": 0,
        "csat_average": None,
        "nps": None,
        "nps_answers": 0,
        "tickets_opened": 0,
        "first_response_median": None,
        "resolution_median": None,
        "top_complaint_keywords": [],
        "keyword_months": [date(2026, 3, 1)],
    }
    json.dumps(areas.to_jsonable(result))
