"""The overview page: opened by the service roles, refused to the others; shows what needs attention."""

from datetime import timedelta

import pytest
from django.utils import timezone

from service.tests.factories_surveys import SurveyFactory, TicketFactory, TicketSLAFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["service_agent", "manager", "admin"])
def test_overview_renders_for_service_roles(client_for, role):
    response = client_for(role).get("/service/")
    assert response.status_code == 200
    html = response.content.decode()
    for chart in ("service-backlog", "service-nps", "service-first-response"):
        assert f'id="{chart}"' in html
    assert "vendor/plotly/plotly.min.js" in html
    assert 'data-testid="card-kb"' in html


@pytest.mark.parametrize("role", ["operations", "marketing", "finance", "inventory_planner", None])
def test_overview_refused_to_other_roles(client_for, role):
    assert client_for(role).get("/service/").status_code == 403


def test_overview_lists_breached_and_at_risk_tickets(client_for):
    now = timezone.now()
    breached = TicketFactory(status="open", subject="Parcel lost", opened_at=now - timedelta(hours=3))
    TicketSLAFactory(ticket=breached, state="breached", breached=True, due_at=now - timedelta(hours=2))
    risky = TicketFactory(status="new", subject="Size question", opened_at=now - timedelta(minutes=50))
    TicketSLAFactory(
        ticket=risky, state="running", warn_at=now - timedelta(minutes=2), due_at=now + timedelta(minutes=10)
    )
    now_day = timezone.localtime(now)
    for score in (10, 9, 3):
        SurveyFactory(kind="nps", score=score, created_at=now_day, answered_at=now_day)
    html = client_for("service_agent").get("/service/").content.decode()
    assert f'data-number="{breached.number}"' in html
    assert f'href="/service/tickets/{breached.number}/"' in html
    assert f'data-number="{risky.number}"' in html
    assert 'data-testid="breached-count">1<' in html
    assert 'data-testid="at-risk-count">1<' in html
    assert 'data-testid="card-open">2<' in html
    assert 'data-testid="card-nps">33.3<' in html


@pytest.mark.parametrize("url", ["/service/", "/service/satisfaction/"])
def test_pages_render_in_chinese(client_for, url):
    client = client_for("service_agent")
    client.cookies["django_language"] = "zh-hans"
    response = client.get(url)
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
