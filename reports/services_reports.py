"""Writes of the report archive: generate the weekly manager report and the daily operations digest (one
archived ManagerReport per kind and period), email them to their subscribers, and (un)subscribe users.

Idempotent per period: the row is unique per (kind, period_start) and is taken with SELECT … FOR UPDATE, so
two runs at once produce one report; a second run without `force` changes nothing. The email goes out once:
it is sent while the row is locked and `emailed_at` is recorded in the same transaction, so a concurrent or
later run sees it and sends nothing (unless `resend`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reports import rendering, report_content
from reports.models import ManagerReport, ReportKind, ReportSubscription
from shopops.common import roles
from shopops.common.dates import shop_today


def subscribers(*, kind: str) -> list:
    """The users who receive `kind` by email: subscribed, active, with an email address, and still holding
    a role that may open the reports."""
    rows = (
        ReportSubscription.objects.filter(kind=kind, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__username", "pk")
    )
    return [row.user for row in rows if roles.can_open(row.user, roles.REPORTS)]


def report_email_send(*, report: ManagerReport, resend: bool = False) -> ManagerReport:
    """Email the report to its kind's subscribers once (again only with `resend`); records when and to how
    many. Nobody subscribed: nothing is sent nor recorded (a later run sends to whoever subscribed since)."""
    with transaction.atomic():
        report = ManagerReport.objects.select_for_update().get(pk=report.pk)
        if report.emailed_at is not None and not resend:
            return report
        users = subscribers(kind=report.kind)
        if not users:
            return report
        parts = rendering.report_email_parts(report)
        messages = [rendering.report_email(parts, to=user.email) for user in users]
        get_connection().send_messages(messages)
        report.emailed_at = timezone.now()
        report.recipients = len(users)
        report.save(update_fields=["emailed_at", "recipients"])
    return report


def _report_generate(
    *,
    kind: str,
    period_start: date,
    period_end: date,
    build: Callable[[], dict],
    force: bool,
    email: bool,
    resend: bool,
) -> ManagerReport:
    with transaction.atomic():
        report, _created = ManagerReport.objects.select_for_update().get_or_create(
            kind=kind,
            period_start=period_start,
            defaults={"period_end": period_end, "generated_at": timezone.now(), "generations": 0},
        )
        if report.generations == 0 or force:
            report.content = build()
            report.period_end = period_end
            report.generated_at = timezone.now()
            report.generations += 1
            report.save()
    if email:
        report = report_email_send(report=report, resend=resend)
    return report


def weekly_report_generate(
    *, week_start: date, force: bool = False, email: bool = True, resend: bool = False
) -> ManagerReport:
    """The manager report of the Monday-to-Sunday week starting `week_start`: generated once (again with
    `force`, which counts a new generation), emailed once to the weekly subscribers (again with `resend`)."""
    if week_start.weekday() != 0:
        raise ValidationError(_("A weekly report starts on a Monday."), code="not_monday")
    end = week_start + timedelta(days=7)
    if end > shop_today():
        raise ValidationError(_("The week has not ended yet."), code="not_ended")
    return _report_generate(
        kind=ReportKind.WEEKLY,
        period_start=week_start,
        period_end=end,
        build=lambda: report_content.weekly_content(week_start),
        force=force,
        email=email,
        resend=resend,
    )


def daily_digest_generate(
    *, day: date, force: bool = False, email: bool = True, resend: bool = False
) -> ManagerReport:
    """The operations digest of `day` (a finished day): generated once per day, emailed once to the daily
    subscribers; `force` and `resend` as for the weekly report."""
    if day >= shop_today():
        raise ValidationError(_("The day has not ended yet."), code="not_ended")
    return _report_generate(
        kind=ReportKind.DAILY,
        period_start=day,
        period_end=day + timedelta(days=1),
        build=lambda: report_content.daily_content(day),
        force=force,
        email=email,
        resend=resend,
    )


def subscription_set(*, user, kind: str, subscribed: bool) -> bool:
    """Subscribe `user` to `kind` or not; returns whether they are subscribed now."""
    if kind not in ReportKind.values:
        raise ValidationError(_("Unknown report."), code="kind")
    if subscribed:
        ReportSubscription.objects.get_or_create(user=user, kind=kind)
    else:
        ReportSubscription.objects.filter(user=user, kind=kind).delete()
    return subscribed
