"""In-app notifications (and their email copies), deduplicated by key per user.

Every area raises notifications through `notification_send`: an SLA warning, an escalation to a manager,
a cash alert. The key names the event ("sla-warn:ticket:42:first_response"); sending the same key to the
same user again changes nothing, so a job that runs every few minutes notifies once.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from shopops.common.models import Notification


def users_with_roles(roles: Iterable[str]) -> QuerySet:
    """Active users in any of the named role groups."""
    return get_user_model().objects.filter(is_active=True, groups__name__in=list(roles)).distinct()


def notification_send(
    *,
    users: Iterable,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
    level: str = Notification.Level.INFO,
    email: bool = False,
) -> list[Notification]:
    """Notify each user once per key; returns the notifications created now (none for repeats).

    With `email`, each new notification is also mailed to the user's address after the transaction
    commits (users without an address get the in-app one only)."""
    users = [u for u in users if u is not None]
    if not users:
        return []
    already = set(
        Notification.objects.filter(key=key, user__in=[u.pk for u in users]).values_list("user_id", flat=True)
    )
    fresh = [
        Notification(user=u, key=key, title=title[:200], body=body, url=url, level=level)
        for u in users
        if u.pk not in already
    ]
    # ignore_conflicts: two workers raising the same event at once still leave one row per user.
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    if email and fresh:
        ids = [n.user_id for n in fresh]
        transaction.on_commit(lambda: _email(key, ids))
    return fresh


def _email(key: str, user_ids: list[int]) -> None:
    pending = Notification.objects.filter(key=key, user_id__in=user_ids, emailed_at=None).select_related(
        "user"
    )
    for n in pending:
        if not n.user.email:
            continue
        link = f"\n\n{settings.SITE_URL.rstrip('/')}{n.url}" if n.url else ""
        send_mail(n.title, f"{n.body}{link}", None, [n.user.email], fail_silently=True)
        Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    return qs.filter(read_at=None) if unread_only else qs


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def notification_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
