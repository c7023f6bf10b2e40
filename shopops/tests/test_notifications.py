"""In-app notifications: one per user and key, the header count, the list page and marking read."""

import pytest
from django.core import mail

from shopops.common.models import Notification
from shopops.common.notifications import notification_send, users_with_roles

pytestmark = pytest.mark.django_db


def test_the_same_key_notifies_each_user_once(make_user, django_capture_on_commit_callbacks):
    a, b = make_user("manager", "a"), make_user("manager", "b")
    a.email = "a@example.com"
    a.save()
    with django_capture_on_commit_callbacks(execute=True):
        first = notification_send(users=[a, b], key="k1", title="Breach", email=True)
        again = notification_send(users=[a, b], key="k1", title="Breach", email=True)
    assert (len(first), again) == (2, [])
    assert Notification.objects.filter(key="k1").count() == 2
    assert [m.to for m in mail.outbox] == [["a@example.com"]]
    assert Notification.objects.get(user=a, key="k1").emailed_at is not None


def test_users_with_roles(make_user):
    manager, agent = make_user("manager", "m"), make_user("service_agent", "s")
    assert list(users_with_roles(["manager"])) == [manager]
    assert set(users_with_roles(["manager", "service_agent"])) == {manager, agent}


def test_page_lists_counts_and_marks_read(client, make_user):
    user, other = make_user("service_agent", "me"), make_user("service_agent", "other")
    notification_send(users=[user], key="x", title="SLA warning T-000001", url="/service/")
    notification_send(users=[other], key="x", title="Someone else's")
    client.force_login(user)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert "SLA warning T-000001" in page.text and "Someone else" not in page.text
    assert page.context["notifications_unread"] == 1
    client.post("/notifications/")
    assert Notification.objects.get(user=user).read_at is not None
    assert Notification.objects.get(user=other).read_at is None
    assert client.get("/notifications/").context["notifications_unread"] == 0
