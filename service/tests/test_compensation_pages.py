"""Compensation pages: the log, the grant form with the standard's suggestion, the supervisor's decision
and the standard's editor; who may open and who may write."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from orders.tests.factories import OrderFactory
from service.models import Compensation, CompensationLimit
from service.selectors.compensation import ticket_compensation_panel
from service.services.compensation import compensation_grant, compensation_rule_for
from service.tests.factories_returns import ticket_row

pytestmark = pytest.mark.django_db
St = Compensation.Status


@pytest.mark.parametrize("role", ["service_agent", "manager", "admin"])
def test_list_and_create_open_for_service_roles(client_for, role):
    client = client_for(role)
    ticket = ticket_row(order=OrderFactory())
    assert client.get(reverse("service:compensation-list")).status_code == 200
    assert client.get(reverse("service:compensation-create")).status_code == 200
    assert client.get(reverse("service:compensation-create"), {"ticket": ticket.number}).status_code == 200
    assert client.get(reverse("service:compensation-create"), {"order": ticket.order_id}).status_code == 200


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_standard_opens_for_supervisors(client_for, role):
    assert client_for(role).get(reverse("service:compensation-standard")).status_code == 200


def test_agent_may_not_decide_nor_edit_the_standard(client_for, make_user):
    client = client_for("service_agent")
    comp = compensation_grant(problem="defective", severity="severe", user=make_user("service_agent", "x"))
    assert client.get(reverse("service:compensation-standard")).status_code == 403
    assert client.post(reverse("service:compensation-standard"), {}).status_code == 403
    assert (
        client.post(reverse("service:compensation-decide", args=[comp.pk]), {"approve": "1"}).status_code
        == 403
    )
    comp.refresh_from_db()
    assert comp.status == St.PENDING
    html = client.get(reverse("service:compensation-list")).content.decode()
    assert 'data-testid="pending-approvals"' not in html


@pytest.mark.parametrize("role", ["operations", "finance", None])
def test_outside_service_refused(client_for, role):
    client = client_for(role)
    assert client.get(reverse("service:compensation-list")).status_code in (302, 403)
    assert client.post(reverse("service:compensation-create"), {"problem": "service"}).status_code in (
        302,
        403,
    )
    assert not Compensation.objects.exists()


def test_grant_within_limit_and_above(client_for):
    client = client_for("service_agent")
    ticket = ticket_row(order=OrderFactory())
    url = reverse("service:compensation-create")
    response = client.post(url, {"ticket": ticket.number, "problem": "late_delivery", "severity": "minor"})
    assert response.status_code == 302
    first = Compensation.objects.get()
    assert (first.status, first.remedy, first.amount, first.ticket, first.order) == (
        St.APPROVED,
        "coupon",
        Decimal("5.00"),
        ticket,
        ticket.order,
    )
    client.post(url, {"order": ticket.order_id, "problem": "damaged", "severity": "moderate", "amount": "70"})
    second = Compensation.objects.exclude(pk=first.pk).get()
    assert (second.status, second.remedy, second.amount, second.ticket) == (
        St.PENDING,
        "cash",
        Decimal("70.00"),
        None,
    )
    bad = client.post(url, {"problem": "damaged", "severity": "moderate", "amount": "-1"})
    assert bad.status_code == 400


def test_suggestion_partial(client_for):
    client = client_for("service_agent")
    response = client.get(
        reverse("service:compensation-create"),
        {"suggest": "1", "problem": "price", "severity": "severe"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert (
        response.status_code == 200 and 'id="suggestion"' in html and "100.00" in html and "<html" not in html
    )


def test_manager_decides_from_the_list(client_for, make_user):
    agent = make_user("service_agent", "agent")
    comp = compensation_grant(problem="defective", severity="severe", user=agent)
    client = client_for("manager")
    html = client.get(reverse("service:compensation-list")).content.decode()
    assert 'data-testid="pending-approvals"' in html and f'data-pk="{comp.pk}"' in html
    response = client.post(
        reverse("service:compensation-decide", args=[comp.pk]), {"approve": "1", "note": "ok"}
    )
    assert response.status_code == 302 and response.url == reverse("service:compensation-list")
    comp.refresh_from_db()
    assert (comp.status, comp.note) == (St.APPROVED, "ok")
    again = client.post(reverse("service:compensation-decide", args=[comp.pk]), {"approve": "0"}, follow=True)
    assert "This compensation was already decided." in again.content.decode()
    redirect = client.post(
        reverse("service:compensation-decide", args=[comp.pk]),
        {"approve": "0", "next": "https://evil.example/"},
    )
    assert redirect.url == reverse("service:compensation-list")


def test_standard_edit(client_for):
    client = client_for("manager")
    form = client.get(reverse("service:compensation-standard")).context["form"]
    data = {
        name: field.initial for name, field in form.fields.items() if field.initial not in (None, False, "")
    }
    data.update({"amount_price_severe": "120.00", "limit_service_agent": "60"})
    response = client.post(reverse("service:compensation-standard"), data)
    assert response.status_code == 302
    assert compensation_rule_for(problem="price", severity="severe").amount == Decimal("120.00")
    assert CompensationLimit.objects.get(role="service_agent").max_amount == Decimal("60.00")
    assert compensation_rule_for(problem="damaged", severity="minor").amount == Decimal("10.00")
    data["amount_other_minor"] = "5"
    assert client.post(reverse("service:compensation-standard"), data).status_code == 400


def test_list_export_and_filters(client_for, make_user):
    agent = make_user("service_agent", "agent")
    compensation_grant(problem="service", severity="minor", user=agent)
    compensation_grant(problem="damaged", severity="minor", user=agent)
    client = client_for("service_agent")
    response = client.get(reverse("service:compensation-list"), {"problem": "service", "export": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert "Service attitude" in body and "Damaged in transit" not in body
    assert client.get(reverse("service:compensation-list"), {"export": "xlsx"}).status_code == 200


def test_ticket_panel_partial_renders(rf, make_user):
    agent = make_user("service_agent")
    ticket = ticket_row()
    compensation_grant(problem="wrong_item", severity="minor", user=agent, ticket=ticket)
    request = rf.get("/")
    request.user = agent
    html = render_to_string(
        "service/compensation/_ticket_panel.html", ticket_compensation_panel(ticket=ticket), request
    )
    assert f"?ticket={ticket.number}" in html and "Wrong item" in html and "COMP-" in html
