"""The customer 360: renders with every section, masks identity for roles without personal-data access,
shows the marketing profile when a provider is configured, refuses other areas' roles."""

from decimal import Decimal

import pytest
from django.utils import timezone

from orders.tests.factories import CustomerFactory, OrderFactory
from service.models import Compensation, Feedback, ReturnRequest
from service.selectors.customers import customer_marketing_profile, customer_service_summary
from service.tests.factories_surveys import SurveyFactory, TicketFactory

pytestmark = pytest.mark.django_db


def profile_provider(customer_id):
    return {"segment": "champions", "segment_label": "Champions", "tier": "gold", "tier_label": "Gold"}


@pytest.fixture(autouse=True)
def _no_marketing_profile(settings):
    """The settings' provider is marketing's; these tests use their own or none."""
    settings.SERVICE_CUSTOMER_PROFILE_PROVIDER = ""


@pytest.fixture
def customer():
    customer = CustomerFactory(name="王芳", phone="13800000000", email="wangfang@example.com")
    order = OrderFactory(
        customer=customer, channel=customer.channel, external_id="TB-1001", total=Decimal("99.00")
    )
    ticket = TicketFactory(customer=customer, subject="包裹破损", status="open")
    TicketFactory(customer=customer, subject="Resolved one", status="resolved")
    ReturnRequest.objects.create(
        number="R-000001", order=order, reason="damaged", requested_at=timezone.now()
    )  # found through the order
    Compensation.objects.create(
        ticket=ticket,
        problem="damaged",
        severity="minor",
        remedy="coupon",
        amount=Decimal("10.00"),
        status="approved",
    )
    Compensation.objects.create(
        customer=customer,
        problem="late_delivery",
        severity="minor",
        remedy="cash",
        amount=Decimal("5.50"),
        status="approved",
    )
    Compensation.objects.create(
        customer=customer,
        problem="other",
        severity="minor",
        remedy="gift",
        amount=Decimal("50.00"),
        status="pending",
    )
    Feedback.objects.create(
        source="review",
        customer=customer,
        text="质量不错",
        occurred_at=timezone.now(),
        sentiment=Decimal("0.8000"),
        urgency="low",
    )
    SurveyFactory(kind="csat", ticket=ticket, customer=customer, score=4, answered_at=timezone.now())
    return customer


def test_service_summary(customer):
    assert customer_service_summary(customer=customer) == {
        "tickets": 2,
        "open_tickets": 1,
        "returns": 1,
        "compensations": 2,
        "compensation_amount": Decimal("15.50"),
        "feedback": 1,
        "surveys_answered": 1,
    }


def test_agent_sees_everything_unmasked(client_for, customer):
    response = client_for("service_agent").get(f"/service/customers/{customer.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="customer-phone">13800000000<' in html
    assert 'data-testid="customer-name">王芳<' in html
    for text in ("TB-1001", "包裹破损", "R-000001", "质量不错", "¥15.50"):
        assert text in html


@pytest.mark.parametrize("role", ["manager"])
def test_roles_without_personal_data_see_masked_identity(client_for, customer, role):
    response = client_for(role).get(f"/service/customers/{customer.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="customer-phone">138****0000<' in html
    assert 'data-testid="customer-name">王*<' in html
    assert "13800000000" not in html
    assert "wangfang@" not in html


@pytest.mark.parametrize("role", ["operations", "marketing", "finance", None])
def test_other_roles_refused(client_for, customer, role):
    assert client_for(role).get(f"/service/customers/{customer.pk}/").status_code == 403


def test_unknown_customer_404(client_for):
    assert client_for("service_agent").get("/service/customers/999999/").status_code == 404


def test_marketing_profile_hook(client_for, customer, settings):
    settings.SERVICE_CUSTOMER_PROFILE_PROVIDER = ""
    assert customer_marketing_profile(customer=customer) is None
    settings.SERVICE_CUSTOMER_PROFILE_PROVIDER = "service.tests.test_customer360.profile_provider"
    assert customer_marketing_profile(customer=customer) == {
        "rfm": "",
        "points": None,
        "segment": "champions",
        "segment_label": "Champions",
        "tier": "gold",
        "tier_label": "Gold",
    }
    html = client_for("service_agent").get(f"/service/customers/{customer.pk}/").content.decode()
    assert 'data-testid="customer-segment">Champions<' in html
    assert 'data-testid="customer-tier">Gold<' in html


def test_page_with_the_configured_marketing_provider(client_for, customer, settings):
    settings.SERVICE_CUSTOMER_PROFILE_PROVIDER = "marketing.selectors.customers.customer_marketing_profile"
    response = client_for("service_agent").get(f"/service/customers/{customer.pk}/")
    assert response.status_code == 200
