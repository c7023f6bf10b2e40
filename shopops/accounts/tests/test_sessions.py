"""Session lifetimes: 30 minutes idle, 12 hours absolute, a new id at login, a deactivated user is out."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.urls import reverse

from shopops.accounts.policy import LOGIN_AT_KEY, SEEN_AT_KEY
from shopops.accounts.tests.helpers import password_login
from shopops.common import roles

pytestmark = pytest.mark.django_db

START = "2026-03-02 08:00:00+00:00"


def _logged_out(response, client):
    return (
        response.status_code == 302
        and response["Location"].startswith(reverse("login"))
        and SESSION_KEY not in client.session
    )


def test_a_session_ends_after_30_minutes_without_a_request(client_for, time_machine):
    time_machine.move_to(START, tick=False)
    client = client_for(roles.MANAGER)
    time_machine.shift(29 * 60)
    assert client.get("/").status_code == 200  # 29 idle minutes: fine, and the activity is noted
    time_machine.shift(29 * 60)
    assert client.get("/reports/").status_code == 200
    time_machine.shift(30 * 60 + 1)
    response = client.get("/reports/")
    assert _logged_out(response, client)
    assert response["Location"] == "/login/?next=%2Freports%2F"
    page = client.get(response["Location"])
    assert "You were logged out after 30 minutes without activity." in page.content.decode()


def test_activity_is_written_at_most_once_a_minute(client_for, time_machine):
    time_machine.move_to(START, tick=False)
    client = client_for(roles.OPERATIONS)
    key = client.session.session_key
    seen = Session.objects.get(session_key=key).get_decoded()[SEEN_AT_KEY]
    time_machine.shift(59)
    client.get("/")
    assert Session.objects.get(session_key=key).get_decoded()[SEEN_AT_KEY] == seen  # no write
    time_machine.shift(1)
    client.get("/")
    assert Session.objects.get(session_key=key).get_decoded()[SEEN_AT_KEY] == seen + 60


def test_a_session_ends_12_hours_after_the_login_however_active(client_for, time_machine):
    time_machine.move_to(START, tick=False)
    client = client_for(roles.FINANCE)
    login_at = client.session[LOGIN_AT_KEY]
    for _ in range(36):  # a request every 20 minutes for 12 hours
        time_machine.shift(20 * 60)
        assert client.get("/").status_code == 200
    assert client.session[LOGIN_AT_KEY] == login_at
    time_machine.shift(61)
    response = client.get("/")
    assert _logged_out(response, client)
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["Your session has ended 12 hours after you logged in. Please log in again."]


def test_htmx_requests_of_an_expired_session_are_sent_to_the_login_page(client_for, time_machine):
    time_machine.move_to(START, tick=False)
    client = client_for(roles.OPERATIONS)
    time_machine.shift(31 * 60)
    response = client.get("/orders/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("login")


def test_the_session_id_changes_at_login(client, make_user):
    make_user(roles.OPERATIONS, "olga")
    session = client.session
    session["before-login"] = "x"  # an anonymous session (a fixation attempt would plant this id)
    session.save()
    before = session.session_key
    assert client.cookies["sessionid"].value == before
    assert password_login(client, "olga").status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()[SESSION_KEY] == str(
        User.objects.get(username="olga").pk
    )


def test_django_refuses_an_inactive_user_and_the_session_is_flushed(client_for):
    """ModelBackend.get_user refuses an inactive user: even without our signal (a queryset update sends
    none) the next request is anonymous, and the middleware deletes the stale session."""
    client = client_for(roles.OPERATIONS)
    key = client.session.session_key
    user_id = client.session[SESSION_KEY]
    User.objects.filter(pk=user_id).update(is_active=False)
    assert Session.objects.filter(session_key=key).exists()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Session.objects.filter(session_key=key).exists()
    User.objects.filter(pk=user_id).update(is_active=True)  # reactivated: the old session stays gone
    assert client.get("/").status_code == 302


def test_deactivating_a_user_deletes_all_their_sessions_at_once(client_for, client, make_user):
    from django.test import Client

    first = client_for(roles.MANAGER)
    user = User.objects.get(pk=first.session[SESSION_KEY])
    second = Client()
    second.force_login(user)
    bystander = Client()
    bystander.force_login(make_user(roles.OPERATIONS, "bystander"))
    assert Session.objects.count() == 3

    user.is_active = False
    user.save()
    assert [s.get_decoded()[SESSION_KEY] for s in Session.objects.all()] == [
        str(User.objects.get(username="bystander").pk)
    ]
    assert first.get("/").status_code == 302 and second.get("/").status_code == 302
    assert bystander.get("/").status_code == 200


def test_login_notes_the_login_time(client, make_user, time_machine):
    time_machine.move_to(START, tick=False)
    make_user(roles.OPERATIONS, "olga")
    password_login(client, "olga")
    assert client.session[LOGIN_AT_KEY] == client.session[SEEN_AT_KEY] == 1772438400
