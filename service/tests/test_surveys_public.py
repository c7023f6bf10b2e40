"""The public survey page: no login, CSRF-protected, open / thanks / answered / expired states."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from service.tests.factories_surveys import SurveyFactory

pytestmark = pytest.mark.django_db


def url(survey) -> str:
    return reverse("survey:answer", args=[survey.token])


def test_url_is_public_under_survey():
    assert reverse("survey:answer", args=["abc"]) == "/survey/abc/"


def test_nps_get_without_login_shows_the_0_to_10_scale():
    survey = SurveyFactory(kind="nps")
    response = Client().get(url(survey))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="open"' in html
    assert "How likely are you to recommend us to a friend?" in html
    assert html.count('name="score"') == 11
    assert "csrfmiddlewaretoken" in html


def test_csat_get_shows_five_stars():
    survey = SurveyFactory(kind="csat")
    html = Client().get(url(survey)).content.decode()
    assert html.count('name="score"') == 5
    assert 'value="1"' in html and 'value="5"' in html and 'value="0"' not in html


def test_post_records_the_answer_and_thanks():
    survey = SurveyFactory(kind="nps")
    client = Client()
    response = client.post(url(survey), {"score": "10", "comment": "很满意"})
    assert response.status_code == 302
    assert response["Location"] == f"{url(survey)}?thanks=1"
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (10, "很满意")
    html = client.get(response["Location"]).content.decode()
    assert 'data-state="thanks"' in html
    # Later visits say it was answered.
    assert 'data-state="answered"' in client.get(url(survey)).content.decode()


def test_post_needs_the_csrf_token():
    survey = SurveyFactory(kind="nps")
    client = Client(enforce_csrf_checks=True)
    assert client.post(url(survey), {"score": "10"}).status_code == 403
    client.get(url(survey))
    token = client.cookies["csrftoken"].value
    response = client.post(url(survey), {"score": "10", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.score == 10


@pytest.mark.parametrize("score", ["", "11", "-1", "abc"])
def test_post_bad_score_shows_the_form_again(score):
    survey = SurveyFactory(kind="nps")
    response = Client().post(url(survey), {"score": score})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="open"' in html
    assert 'data-testid="score-error"' in html
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_expired_and_answered_states_refuse_a_post():
    expired = SurveyFactory(created_at=timezone.now() - timedelta(days=20))
    response = Client().post(url(expired), {"score": "9"})
    assert 'data-state="expired"' in response.content.decode()
    expired.refresh_from_db()
    assert expired.answered_at is None
    answered = SurveyFactory(score=8, answered_at=timezone.now())
    response = Client().post(url(answered), {"score": "1"})
    assert 'data-state="answered"' in response.content.decode()
    answered.refresh_from_db()
    assert answered.score == 8


def test_unknown_token_is_404():
    assert Client().get("/survey/nope/").status_code == 404


def test_page_in_chinese_keeps_the_form():
    survey = SurveyFactory(kind="nps")
    response = Client().get(url(survey), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
