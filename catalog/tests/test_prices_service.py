"""prices_apply: the margin-floor guard, the override permission and the audit."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog import services
from catalog.models import (
    CategoryPricing,
    ChannelPrice,
    MemberTierPrice,
    PriceChange,
    PricingSettings,
    SKUCost,
)
from catalog.services import MarginFloorError, PlannedPrice
from catalog.tests.factories import SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku():
    # landed 40.00 + 2.00 + 1.00 = 43.00: the 40 % floor price is 71.67
    sku = SKUFactory(unit_cost=D("40.00"), list_price=D("99.00"))
    SKUCost.objects.create(sku=sku, inbound_cost=D("2.00"), packaging_cost=D("1.00"))
    return sku


@pytest.fixture
def pricer(make_user):
    return make_user("operations")


@pytest.fixture
def lead(make_user):
    user = make_user("operations")
    user.user_permissions.add(Permission.objects.get(codename="override_margin_floor"))
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


def test_preview_shows_margin_floor_and_breach(sku):
    low, ok = services.prices_preview(
        [PlannedPrice(sku.pk, D("71.66")), PlannedPrice(sku.pk, D("71.67"))], today=date(2026, 11, 22)
    )
    assert (low.old_value, low.landed, low.floor_price, low.floor.value) == (
        D("99.00"),
        D("43.00"),
        D("71.67"),
        D("0.4000"),
    )
    assert low.breach and not ok.breach
    assert ok.margin == D("0.4000")
    assert low.change == D("-27.34")


def test_a_price_under_the_floor_is_refused_and_nothing_changes(sku, pricer):
    with pytest.raises(MarginFloorError) as refused:
        services.prices_apply(
            plans=[PlannedPrice(sku.pk, D("89.00")), PlannedPrice(sku.pk, D("69.00"))],
            reason="match competitor",
            user=pricer,
        )
    assert "would break the margin floor" in refused.value.messages[0]
    assert "71.67" in refused.value.messages[0]
    sku.refresh_from_db()
    assert sku.list_price == D("99.00")
    assert not PriceChange.objects.exists()


def test_override_without_the_permission_is_refused(sku, pricer):
    with pytest.raises(MarginFloorError) as refused:
        services.prices_apply(
            plans=[PlannedPrice(sku.pk, D("69.00"))], reason="clearance", user=pricer, override=True
        )
    assert "pricing-override permission" in refused.value.messages[0]


def test_override_with_permission_and_reason_is_applied_and_audited(sku, lead):
    (change,) = services.prices_apply(
        plans=[PlannedPrice(sku.pk, D("69.00"))],
        reason="clearance of old packaging",
        user=lead,
        override=True,
    )
    sku.refresh_from_db()
    assert sku.list_price == D("69.00")
    change.refresh_from_db()
    assert (change.old_value, change.new_value, change.floor_override, change.changed_by) == (
        D("99.00"),
        D("69.00"),
        True,
        lead,
    )
    assert change.margin == D("0.3768")  # (69 - 43) / 69
    assert change.reason == "clearance of old packaging"


def test_a_reason_is_always_required(sku, lead):
    with pytest.raises(ValidationError) as missing:
        services.prices_apply(plans=[PlannedPrice(sku.pk, D("109.00"))], reason="  ", user=lead)
    assert "reason" in missing.value.message_dict


def test_channel_and_tier_prices_and_unchanged_prices(sku, pricer):
    changes = services.prices_apply(
        plans=[
            PlannedPrice(sku.pk, D("109.00"), field=PriceChange.Field.CHANNEL_PRICE, channel="tmall"),
            PlannedPrice(sku.pk, D("89.00"), field=PriceChange.Field.TIER_PRICE, tier="gold"),
            PlannedPrice(sku.pk, D("99.00")),  # the list price as it is: no audit row
        ],
        reason="channel pricing",
        user=pricer,
    )
    assert [(c.field, c.channel, c.tier, c.old_value, c.new_value) for c in changes] == [
        ("channel_price", "tmall", "", D("99.00"), D("109.00")),
        ("tier_price", "", "gold", None, D("89.00")),
    ]
    assert ChannelPrice.objects.get(sku=sku, channel="tmall").price == D("109.00")
    assert MemberTierPrice.objects.get(sku=sku, tier="gold").price == D("89.00")


def test_category_floor_and_loss_leader(sku, pricer):
    CategoryPricing.objects.create(category=sku.product.category, margin_floor=D("0.2000"))
    # 30 % floor price is 53.75: 55.00 passes under the category's 20 % floor
    services.prices_apply(plans=[PlannedPrice(sku.pk, D("55.00"))], reason="category floor", user=pricer)
    services.sku_loss_leader_set(
        sku=sku, until=timezone.localdate() + timedelta(days=30), reason="618 traffic driver", user=pricer
    )
    services.prices_apply(plans=[PlannedPrice(sku.pk, D("45.00"))], reason="618 loss leader", user=pricer)
    sku.refresh_from_db()
    assert sku.list_price == D("45.00")
    assert services.floor_of(sku).source == "loss_leader"


def test_cost_change_is_audited(sku, pricer):
    services.sku_costs_set(
        sku=sku, unit_cost=D("45.50"), shipping_cost=D("6.00"), reason="new supplier", user=pricer
    )
    sku.refresh_from_db()
    assert sku.unit_cost == D("45.50")
    change = PriceChange.objects.get(sku=sku)
    assert (change.field, change.old_value, change.new_value) == ("unit_cost", D("40.00"), D("45.50"))
    assert SKUCost.objects.get(sku=sku).shipping_cost == D("6.00")


def test_shop_floor_setting_is_used(sku, pricer):
    settings = PricingSettings.current()
    settings.margin_floor = D("0.5000")
    settings.save()
    with pytest.raises(MarginFloorError):  # 80.00 keeps 46 %, under a 50 % floor
        services.prices_apply(plans=[PlannedPrice(sku.pk, D("80.00"))], reason="x", user=pricer)


def test_admin_role_holds_the_override_permission(make_user):
    assert make_user("admin").has_perm("catalog.override_margin_floor")
    assert not make_user("operations").has_perm("catalog.override_margin_floor")
    assert not make_user("manager").has_perm("catalog.change_sku")
