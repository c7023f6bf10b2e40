"""Nightly SKU facts, the recommendation build, and the review queue (services and page)."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.models import (
    BundleComponent,
    CategoryPricing,
    CompetitorPrice,
    PriceChange,
    PriceRecommendation,
    SKUCost,
    SKUStats,
)
from catalog.tests.factories import CategoryFactory, SKUFactory
from shopops.common.dates import day_start
from shopops.common.models import JobRun

DAY = date(2026, 3, 2)
Status = PriceRecommendation.Status


def stats(sku, available, units, prev, day=DAY):
    services.sku_stats_store(
        business_date=day,
        rows=[{"sku_id": sku.pk, "available": available, "units_28d": units, "units_prev_28d": prev}],
    )


@pytest.fixture
def shop(db):
    """Price 129.00, landed 60.00 (purchase 57.00 + inbound 2.00 + packaging 1.00): floor price 100.00."""

    def sku(**kw):
        s = SKUFactory(unit_cost=D("57.00"), list_price=D("129.00"), **kw)
        SKUCost.objects.create(sku=s, inbound_cost=D("2.00"), packaging_cost=D("1.00"))
        return s

    slow, hot, quiet, dear = sku(code="SLOW"), sku(code="HOT"), sku(code="QUIET"), sku(code="DEAR")
    stats(slow, available=169, units=12, prev=20)  # cover 169 / (12/28) = 394.3 days, slowing
    stats(hot, available=10, units=30, prev=20)  # cover 9.3 days < 14, +50 %
    stats(quiet, available=50, units=20, prev=20)  # steady: hold
    for name, price in (("A", "99.00"), ("B", "109.00"), ("C", "119.00")):
        CompetitorPrice.objects.create(
            sku=dear, competitor=name, price=D(price), seen_at=day_start(DAY) + timedelta(hours=9)
        )
    # older offers and offers seen after the business date do not count
    CompetitorPrice.objects.create(
        sku=quiet, competitor="A", price=D("59.00"), seen_at=day_start(DAY - timedelta(days=31))
    )
    CompetitorPrice.objects.create(
        sku=quiet, competitor="B", price=D("59.00"), seen_at=day_start(DAY + timedelta(days=5))
    )
    off = sku(code="OFF", active=False)
    stats(off, available=500, units=1, prev=9)
    return {"slow": slow, "hot": hot, "quiet": quiet, "dear": dear, "off": off}


def build(day=DAY):
    return services.price_recommendations_build(business_date=day, promotions={})


def test_stats_store_computes_demand_and_cover_and_replaces(shop):
    row = SKUStats.objects.get(sku=shop["slow"])
    assert (row.as_of, row.daily_demand, row.cover_days, row.available) == (DAY, D("0.429"), D("394.3"), 169)
    stats(shop["slow"], available=0, units=0, prev=3, day=DAY + timedelta(days=1))
    row = SKUStats.objects.get(sku=shop["slow"])
    assert (row.as_of, row.daily_demand, row.cover_days, row.units_prev_28d) == (
        DAY + timedelta(days=1),
        D("0.000"),
        None,
        3,
    )
    assert SKUStats.objects.count() == 4


def test_build_recommends_by_the_rules_and_explains(shop):
    detail = build()
    recs = {r.sku.code: r for r in PriceRecommendation.objects.select_related("sku")}
    assert set(recs) == {"SLOW", "HOT", "DEAR"}
    assert detail["created"] == 3 and detail["holds"] == 1
    slow = recs["SLOW"]
    assert (slow.action, slow.current_price, slow.recommended_price) == ("markdown", D("129.00"), D("119.00"))
    assert slow.reason == (
        "Cover 394.3 days is above 90 and sales are slowing (12 units in the last 28 days vs 20 before): "
        "mark down 10 % from ¥129.00 to ¥119.00 (floor price ¥100.00)."
    )
    assert (slow.status, slow.expires_on) == (Status.PENDING, DAY + timedelta(days=7))
    assert slow.figures["landed"] == "60.00" and slow.figures["reason"] == "markdown"
    assert (recs["HOT"].action, recs["HOT"].recommended_price) == ("raise", D("139.00"))
    assert (recs["DEAR"].action, recs["DEAR"].recommended_price) == ("match", D("109.00"))
    assert recs["DEAR"].reason.startswith("Priced 18.3 % above the median of 3 competitor offers (¥109.00")


def test_build_twice_for_a_date_changes_nothing(shop):
    build()
    before = list(PriceRecommendation.objects.order_by("id").values())
    services.recommendation_reject(
        recommendation_id=before[0]["id"], user=_user("operations"), note="", today=DAY
    )
    again = build()
    after = list(PriceRecommendation.objects.order_by("id").values())
    assert again["created"] == 0 and again["already_built"] == 3
    assert [r["id"] for r in after] == [r["id"] for r in before]
    assert after[0]["status"] == Status.REJECTED  # a decision is not undone by a rerun


def test_next_night_replaces_pending_and_expires_old_ones(shop):
    build()
    old = PriceRecommendation.objects.create(
        sku=shop["quiet"],
        business_date=DAY - timedelta(days=9),
        action="markdown",
        current_price=D("129.00"),
        recommended_price=D("119.00"),
        reason="x",
        expires_on=DAY - timedelta(days=2),
    )
    detail = build(DAY + timedelta(days=1))
    old.refresh_from_db()
    assert old.status == Status.EXPIRED and old.note == ""
    assert detail["expired"] == 1 and detail["replaced"] == 3
    day1 = PriceRecommendation.objects.filter(business_date=DAY)
    assert set(day1.values_list("status", flat=True)) == {Status.EXPIRED}
    assert day1.first().note == "Replaced by the review of 2026-03-03."
    assert (
        PriceRecommendation.objects.filter(
            business_date=DAY + timedelta(days=1), status=Status.PENDING
        ).count()
        == 3
    )


def test_a_decided_sku_cools_down(shop, make_user):
    build()
    rec = PriceRecommendation.objects.get(sku=shop["slow"])
    services.recommendation_reject(recommendation_id=rec.pk, user=_user("operations"), today=DAY)
    detail = build(DAY + timedelta(days=1))
    assert detail["cooling_down"] == 1
    assert not PriceRecommendation.objects.filter(
        sku=shop["slow"], business_date=DAY + timedelta(days=1)
    ).exists()
    build(DAY + timedelta(days=8))  # a week later it is asked again
    assert PriceRecommendation.objects.filter(
        sku=shop["slow"], business_date=DAY + timedelta(days=8)
    ).exists()


def test_floor_blocked_holds_are_counted_not_queued(shop):
    SKUCost.objects.filter(sku=shop["slow"]).update(inbound_cost=D("17.00"))  # landed 75: floor price 125
    detail = build()
    assert detail["held_by_floor"] == 1
    assert not PriceRecommendation.objects.filter(sku=shop["slow"]).exists()


def test_promotion_soon_holds(shop):
    detail = services.price_recommendations_build(business_date=DAY, promotions={str(shop["slow"].pk): "618"})
    assert detail["markdown"] == 0
    assert not PriceRecommendation.objects.filter(sku=shop["slow"]).exists()


# --- review -----------------------------------------------------------------------------------------


def _user(role):
    from django.contrib.auth.models import Group, User

    user, _ = User.objects.get_or_create(username=f"u-{role}")
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def recs(shop):
    build()
    return {r.sku.code: r for r in PriceRecommendation.objects.select_related("sku")}


def test_accept_applies_the_price_and_audits(recs):
    ops = _user("operations")
    rec = services.recommendation_accept(recommendation_id=recs["SLOW"].pk, user=ops, today=DAY)
    rec.sku.refresh_from_db()
    assert rec.sku.list_price == D("119.00")
    assert (rec.status, rec.applied_price, rec.decided_by) == (Status.ACCEPTED, D("119.00"), ops)
    change = PriceChange.objects.get(sku=rec.sku)
    assert (change.field, change.old_value, change.new_value, change.source, change.changed_by) == (
        "list_price",
        D("129.00"),
        D("119.00"),
        "recommendation",
        ops,
    )
    assert change.margin == D("0.4958")  # (119 - 60) / 119
    assert change.reason == "Price recommendation of 2026-03-02, accepted"


def test_edit_accepts_another_price(recs):
    rec = services.recommendation_accept(
        recommendation_id=recs["SLOW"].pk,
        user=_user("operations"),
        price=D("115.00"),
        note="round 115",
        today=DAY,
    )
    rec.sku.refresh_from_db()
    assert (rec.status, rec.applied_price, rec.sku.list_price, rec.note) == (
        Status.EDITED,
        D("115.00"),
        D("115.00"),
        "round 115",
    )
    assert PriceChange.objects.get(sku=rec.sku).reason == (
        "Price recommendation of 2026-03-02, accepted with edit (recommended ¥119.00): round 115"
    )


def test_accept_below_the_floor_is_refused_and_changes_nothing(recs):
    with pytest.raises(ValidationError, match="break the margin floor"):
        services.recommendation_accept(
            recommendation_id=recs["SLOW"].pk, user=_user("operations"), price=D("99.99"), today=DAY
        )
    rec = PriceRecommendation.objects.select_related("sku").get(pk=recs["SLOW"].pk)
    assert (rec.status, rec.sku.list_price) == (Status.PENDING, D("129.00"))
    assert not PriceChange.objects.exists()
    # costs rose since the night: the recommended price itself is now under the floor
    SKUCost.objects.filter(sku=rec.sku).update(inbound_cost=D("20.00"))  # landed 78: floor price 130
    with pytest.raises(ValidationError, match="break the margin floor"):
        services.recommendation_accept(recommendation_id=rec.pk, user=_user("operations"), today=DAY)
    assert not PriceChange.objects.exists()


def test_reject_with_a_note(recs):
    rec = services.recommendation_reject(
        recommendation_id=recs["HOT"].pk, user=_user("admin"), note="  supplier restocks Monday ", today=DAY
    )
    rec.sku.refresh_from_db()
    assert (rec.status, rec.note, rec.sku.list_price, rec.applied_price) == (
        Status.REJECTED,
        "supplier restocks Monday",
        D("129.00"),
        None,
    )


def test_only_pending_unexpired_and_unchanged_recommendations_can_be_decided(recs):
    ops = _user("operations")
    with pytest.raises(ValidationError, match="expired on 2026-03-09"):
        services.recommendation_accept(
            recommendation_id=recs["SLOW"].pk, user=ops, today=DAY + timedelta(days=8)
        )
    services.recommendation_reject(recommendation_id=recs["SLOW"].pk, user=ops, today=DAY)
    with pytest.raises(ValidationError, match="already decided"):
        services.recommendation_accept(recommendation_id=recs["SLOW"].pk, user=ops, today=DAY)
    hot = recs["HOT"].sku
    services.prices_apply(
        plans=[services.PlannedPrice(sku_id=hot.pk, new_value=D("135.00"))], reason="manual", user=ops
    )
    with pytest.raises(ValidationError, match="changed since this recommendation"):
        services.recommendation_accept(recommendation_id=recs["HOT"].pk, user=ops, today=DAY)


def test_manager_may_not_decide(recs):
    with pytest.raises(PermissionDenied):
        services.recommendation_accept(recommendation_id=recs["SLOW"].pk, user=_user("manager"), today=DAY)
    with pytest.raises(PermissionDenied):
        services.recommendation_reject(recommendation_id=recs["SLOW"].pk, user=_user("manager"), today=DAY)


def test_bulk_accept_takes_each_on_its_own(recs):
    SKUCost.objects.filter(sku=recs["DEAR"].sku).update(inbound_cost=D("20.00"))  # 109 now under the floor
    accepted, refused = services.recommendations_accept(
        recommendation_ids=[recs["SLOW"].pk, recs["DEAR"].pk, recs["HOT"].pk],
        user=_user("operations"),
        today=DAY,
    )
    assert sorted(r.sku.code for r in accepted) == ["HOT", "SLOW"]
    assert [pk for pk, _msg in refused] == [recs["DEAR"].pk]
    assert PriceChange.objects.count() == 2


def test_pricing_inputs_match_floor_of_and_the_preview(db):
    parent = CategoryFactory(code="parent")
    child = CategoryFactory(code="child", parent=parent)
    CategoryPricing.objects.create(category=parent, margin_floor=D("0.3500"))
    plain = SKUFactory(unit_cost=D("40.00"))
    in_child = SKUFactory(unit_cost=D("30.00"), product__category=child)
    leader = SKUFactory(unit_cost=D("50.00"), product__category=child)
    SKUCost.objects.create(
        sku=leader,
        inbound_cost=D("1.10"),
        packaging_cost=D("0.40"),
        loss_leader=True,
        loss_leader_floor=D("0.0500"),
        loss_leader_reason="traffic",
        loss_leader_until=DAY + timedelta(days=3),
    )
    bundle = SKUFactory(unit_cost=D("0.00"), list_price=D("199.00"))
    BundleComponent.objects.create(bundle=bundle, component=leader, quantity=2)
    BundleComponent.objects.create(bundle=bundle, component=plain, quantity=1)
    skus = [plain, in_child, leader, bundle]
    inputs = services.pricing_inputs([s.pk for s in skus], today=DAY)
    preview = {
        r.sku.pk: r
        for r in services.prices_preview(
            [services.PlannedPrice(sku_id=s.pk, new_value=s.list_price) for s in skus], today=DAY
        )
    }
    for s in skus:
        assert inputs[s.pk].landed == preview[s.pk].landed
        assert inputs[s.pk].floor == preview[s.pk].floor == services.floor_of(s, today=DAY)
    assert inputs[bundle.pk].landed == D("143.00")  # 2 x 51.50 + 40.00
    assert inputs[in_child.pk].floor.value == D("0.3500") and inputs[leader.pk].floor.source == "loss_leader"
    assert (
        services.pricing_inputs([leader.pk], today=DAY + timedelta(days=4))[leader.pk].floor.source
        == "category"
    )


# --- the review queue page ----------------------------------------------------------------------------


@pytest.fixture
def today_recs(shop):
    today = timezone.localdate()
    for sku in shop.values():
        SKUStats.objects.filter(sku=sku).update(as_of=today)
    CompetitorPrice.objects.update(seen_at=day_start(today))
    services.price_recommendations_build(business_date=today, promotions={})
    return {r.sku.code: r for r in PriceRecommendation.objects.select_related("sku")}


URL = reverse("catalog:recommendations")


def test_queue_for_operations_lists_and_accepts(client_for, today_recs):
    client = client_for("operations")
    page = client.get(URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert "SLOW" in html and "mark down 10 % from ¥129.00 to ¥119.00" in html
    assert "49.6%" in html  # margin at ¥119.00 on a landed cost of ¥60.00
    assert 'name="accept"' in html and 'name="bulk_accept"' in html
    assert "HOT" not in client.get(URL, {"action": "markdown"}).content.decode()
    response = client.post(URL, {"accept": today_recs["SLOW"].pk, "query": "action=markdown"})
    assert response.status_code == 302 and response["Location"] == URL + "?action=markdown"
    today_recs["SLOW"].sku.refresh_from_db()
    assert today_recs["SLOW"].sku.list_price == D("119.00")
    pk = today_recs["HOT"].pk
    bad = client.post(URL, {"edit": pk, f"price-{pk}": "12,9.x"})
    assert bad.status_code == 400 and "Enter the price as a number" in bad.content.decode()
    low = client.post(URL, {"edit": pk, f"price-{pk}": "99.00"})
    assert low.status_code == 400 and "break the margin floor" in low.content.decode()
    assert client.post(URL, {"edit": pk, f"price-{pk}": "135.00"}).status_code == 302
    assert PriceRecommendation.objects.get(pk=pk).status == Status.EDITED
    pk = today_recs["DEAR"].pk
    assert client.post(URL, {"reject": pk, f"note-{pk}": "brand price"}).status_code == 302
    assert PriceRecommendation.objects.get(pk=pk).note == "brand price"


def test_queue_bulk_accept(client_for, today_recs):
    client = client_for("admin")
    ids = [today_recs["SLOW"].pk, today_recs["DEAR"].pk]
    assert client.post(URL, {"bulk_accept": "1", "ids": ids}).status_code == 302
    assert set(PriceRecommendation.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.ACCEPTED
    }
    assert client.post(URL, {"bulk_accept": "1"}).status_code == 400


def test_queue_is_read_only_for_manager(client_for, today_recs):
    client = client_for("manager")
    page = client.get(URL)
    html = page.content.decode()
    assert page.status_code == 200 and "SLOW" in html
    assert 'name="accept"' not in html and 'name="bulk_accept"' not in html
    assert client.post(URL, {"accept": today_recs["SLOW"].pk}).status_code == 403
    assert PriceRecommendation.objects.get(pk=today_recs["SLOW"].pk).status == Status.PENDING


def test_nightly_job_is_recorded(shop):
    from catalog import tasks

    tasks.price_recommendations_build.apply(args=[DAY.isoformat()], kwargs={"promotions": {}}).get()
    tasks.price_recommendations_build.apply(args=[DAY.isoformat()]).get()
    run = JobRun.objects.get(job="catalog.price_recommendations_build", business_date=DAY)
    assert (run.status, run.runs, run.detail["created"], run.detail["already_built"]) == (
        "succeeded",
        2,
        0,
        3,
    )
    assert PriceRecommendation.objects.count() == 3
