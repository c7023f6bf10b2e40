"""The pricing settings and overrides are maintained in the admin; the audit there is read-only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import PriceChange, PricingSettings
from catalog.tests.factories import SKUFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["pricingsettings", "categorypricing", "categorycommission", "competitorprice", "pricechange"]
)
def test_admin_opens_the_pricing_lists(admin_client, model):
    assert admin_client.get(reverse(f"admin:catalog_{model}_changelist")).status_code == 200


def test_the_margin_floor_setting_is_edited_in_the_admin(admin_client):
    settings = PricingSettings.current()
    url = reverse("admin:catalog_pricingsettings_change", args=[settings.pk])
    form = {
        "margin_floor": "0.3500",
        "marketing_rate": "0.0500",
        "competitor_gap": "0.1000",
        "markdown_cover_days": "90",
        "markdown_step": "0.1000",
        "raise_step": "0.0500",
        "lead_time_days": "14",
        "recommendation_days": "7",
    }
    assert admin_client.post(url, form).status_code == 302
    assert PricingSettings.current().margin_floor == Decimal("0.3500")
    assert admin_client.get(reverse("admin:catalog_pricingsettings_add")).status_code == 403  # one row only


def test_the_audit_cannot_be_changed_in_the_admin(admin_client):
    from django.utils import timezone

    change = PriceChange.objects.create(
        sku=SKUFactory(), field="list_price", new_value=Decimal("9.90"), reason="x", changed_at=timezone.now()
    )
    response = admin_client.post(
        reverse("admin:catalog_pricechange_change", args=[change.pk]), {"new_value": "1.00", "reason": "y"}
    )
    assert response.status_code == 403
    change.refresh_from_db()
    assert change.new_value == Decimal("9.90")
    assert admin_client.post(reverse("admin:catalog_pricechange_delete", args=[change.pk])).status_code == 403
