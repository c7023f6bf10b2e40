"""The satisfaction page: roles, figures, comments, CSV/XLSX export."""

import pytest
from django.utils import timezone

from orders.tests.factories import ChannelFactory
from service.tests.factories_surveys import SurveyFactory

pytestmark = pytest.mark.django_db
URL = "/service/satisfaction/"


@pytest.fixture
def answers():
    tmall = ChannelFactory(code="tmall", name="Tmall")
    now = timezone.now()
    for score in (10, 10, 9, 9, 9, 8, 7, 7, 2, 6):
        SurveyFactory(kind="nps", score=score, channel=tmall, created_at=now, answered_at=now)
    SurveyFactory(kind="csat", score=2, comment="回复太慢", channel=tmall, created_at=now, answered_at=now)
    SurveyFactory(kind="csat", score=5, created_at=now, answered_at=now)


@pytest.mark.parametrize("role", ["service_agent", "manager", "admin"])
def test_page_renders_for_service_roles(client_for, role, answers):
    response = client_for(role).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="nps-value">30.0<' in html
    assert 'data-band="average"' in html
    assert 'data-testid="csat-value">50.0%<' in html
    assert "回复太慢" in html
    assert 'id="satisfaction-nps"' in html


@pytest.mark.parametrize("role", ["operations", "marketing", "finance", None])
def test_page_refused_to_other_roles(client_for, role):
    assert client_for(role).get(URL).status_code == 403


def test_page_without_answers_and_with_odd_filters(client_for):
    response = client_for("service_agent").get(URL, {"start": "2026-13-01", "end": "x", "kind": "bad"})
    assert response.status_code == 200


def test_export_csv_and_xlsx(client_for, answers):
    client = client_for("service_agent")
    response = client.get(URL, {"export": "csv", "kind": "csat"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert body[0].startswith("Kind,Score,Comment")
    assert len(body) == 3
    assert any("回复太慢" in line for line in body)
    response = client.get(URL, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
