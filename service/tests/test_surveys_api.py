"""POST /api/v1/surveys/{token}: exact shapes and status codes."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from service.models import Survey
from service.tests.factories_surveys import SurveyFactory
from shopops.common.models import ApiClient

pytestmark = pytest.mark.django_db
URL = "/api/v1/surveys/{}"


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()


def key_for(*scopes):
    _, key = ApiClient.objects.create_key(name="store", scopes=list(scopes))
    return f"Api-Key {key}"


def post(client, token, body, auth):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL.format(token), raw, content_type="application/json", HTTP_AUTHORIZATION=auth)


def test_answer_200_with_the_survey(client):
    survey = SurveyFactory(kind="nps")
    response = post(client, survey.token, {"score": 9, "comment": "发货很快"}, key_for("service:write"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "kind", "score", "comment", "created_at", "expires_at", "answered_at"}
    assert (body["token"], body["kind"], body["score"], body["comment"]) == (
        survey.token,
        "nps",
        9,
        "发货很快",
    )
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (9, "发货很快")
    assert survey.answered_at is not None


def test_comment_is_optional(client):
    survey = SurveyFactory(kind="csat")
    response = post(client, survey.token, {"score": 5}, key_for("service:write"))
    assert response.status_code == 200
    assert response.json()["comment"] == ""


@pytest.mark.parametrize(
    ("kind", "body", "fields"),
    [
        ("nps", {"score": 11}, {"score"}),
        ("nps", {"score": -1}, {"score"}),
        ("csat", {"score": 0}, {"score"}),
        ("csat", {"score": 6}, {"score"}),
        ("nps", {}, {"score"}),
        ("nps", {"score": "nine"}, {"score"}),
        ("nps", {"score": 9, "comment": "x" * 2001}, {"comment"}),
    ],
)
def test_400_field_errors_and_nothing_written(client, kind, body, fields):
    survey = SurveyFactory(kind=kind)
    response = post(client, survey.token, body, key_for("service:write"))
    assert response.status_code == 400
    assert set(response.json()) == fields
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_400_not_an_object(client):
    survey = SurveyFactory()
    response = post(client, survey.token, "[1]", key_for("service:write"))
    assert response.status_code == 400


def test_404_unknown_token(client):
    response = post(client, "no-such-token", {"score": 9}, key_for("service:write"))
    assert response.status_code == 404
    assert Survey.objects.count() == 0


def test_409_answered_and_expired(client):
    auth = key_for("service:write")
    survey = SurveyFactory()
    assert post(client, survey.token, {"score": 9}, auth).status_code == 200
    response = post(client, survey.token, {"score": 2}, auth)
    assert response.status_code == 409
    assert response.json()["code"] == "answered"
    survey.refresh_from_db()
    assert survey.score == 9
    expired = SurveyFactory(created_at=timezone.now() - timedelta(days=14, seconds=1))
    response = post(client, expired.token, {"score": 9}, auth)
    assert response.status_code == 409
    assert response.json()["code"] == "expired"


def test_auth_and_scope(client):
    survey = SurveyFactory()
    assert post(client, survey.token, {"score": 9}, "").status_code == 401
    assert post(client, survey.token, {"score": 9}, key_for("service:read")).status_code == 403
    survey.refresh_from_db()
    assert survey.answered_at is None
