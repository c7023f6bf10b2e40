"""The marketing admin: every model is listed; what the services keep consistent is read-only; tier
thresholds are checked as a table; a member's birthday can be corrected."""

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from marketing.models import Membership, MembershipTierRule, PointsEntry
from marketing.services import customers as services
from orders.tests.factories import ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db

MODELS = sorted(model._meta.model_name for model in apps.get_app_config("marketing").get_models())


def test_every_marketing_model_has_an_admin():
    registered = {
        model._meta.model_name for model in admin.site._registry if model._meta.app_label == "marketing"
    }
    assert registered == set(MODELS)
    assert len(MODELS) == 19


@pytest.mark.parametrize("model", MODELS)
def test_admin_opens_every_list(admin_client, model):
    assert admin_client.get(reverse(f"admin:marketing_{model}_changelist")).status_code == 200


@pytest.mark.parametrize(
    "model",
    ["pointsentry", "promotion", "redemption", "flashsaleclaim", "customerrfm", "membership", "coupon"],
)
def test_service_owned_rows_cannot_be_added(admin_client, model):
    assert admin_client.get(reverse(f"admin:marketing_{model}_add")).status_code == 403


def test_the_points_ledger_cannot_be_changed(admin_client):
    customer = CustomerFactory(channel=ChannelFactory())
    entry = PointsEntry.objects.create(customer=customer, kind="earn", points=100, remaining=100)
    url = reverse("admin:marketing_pointsentry_change", args=[entry.pk])
    assert admin_client.post(url, {"points": "1000", "remaining": "1000"}).status_code == 403
    entry.refresh_from_db()
    assert (entry.points, entry.remaining) == (100, 100)


def _tier_form(rule, **changes):
    data = {
        "code": rule.code,
        "name": rule.name,
        "rank": rule.rank,
        "min_spend": str(rule.min_spend),
        "min_orders": rule.min_orders,
        "points_multiplier": str(rule.points_multiplier),
    }
    return data | changes


def test_tier_thresholds_are_checked_as_a_table(admin_client):
    services.membership_tiers_ensure()
    gold = MembershipTierRule.objects.get(code="gold")
    url = reverse("admin:marketing_membershiptierrule_change", args=[gold.pk])
    response = admin_client.post(url, _tier_form(gold, min_spend="500.00"))
    assert response.status_code == 200
    assert "A tier cannot ask less spend or fewer orders than the tier below it." in response.content.decode()
    gold.refresh_from_db()
    assert gold.min_spend == Decimal("2000.00")
    assert admin_client.post(url, _tier_form(gold, min_spend="2500.00")).status_code == 302
    gold.refresh_from_db()
    assert gold.min_spend == Decimal("2500.00")
    # a fifth tier is fine, a sixth is not
    add = reverse("admin:marketing_membershiptierrule_add")
    diamond = {"code": "diamond", "name": "Diamond", "rank": 5, "min_spend": "20000.00", "min_orders": 20}
    assert admin_client.post(add, diamond | {"points_multiplier": "3.00"}).status_code == 302
    response = admin_client.post(
        add,
        {
            "code": "star",
            "name": "Star",
            "rank": 6,
            "min_spend": "50000.00",
            "min_orders": 30,
            "points_multiplier": "4",
        },
    )
    assert response.status_code == 200 and "There must be 3 to 5 tiers." in response.content.decode()


def test_a_members_birthday_can_be_corrected_but_not_the_points(admin_client):
    member = Membership.objects.create(
        customer=CustomerFactory(channel=ChannelFactory()), tier="gold", points=50
    )
    url = reverse("admin:marketing_membership_change", args=[member.pk])
    assert admin_client.post(url, {"birthday": "1990-05-17", "points": "9999"}).status_code == 302
    member.refresh_from_db()
    assert (member.birthday, member.points, member.tier) == (date(1990, 5, 17), 50, "gold")
