"""Reads of the report archive and of the subscriptions."""

from datetime import date

from django.db.models import QuerySet

from reports.models import ManagerReport, ReportKind, ReportSubscription


def report_list(*, kind: str) -> QuerySet[ManagerReport]:
    """The archived reports of `kind`, newest period first."""
    return ManagerReport.objects.filter(kind=kind).order_by("-period_start")


def report_get(*, kind: str, period_start: date) -> ManagerReport | None:
    return ManagerReport.objects.filter(kind=kind, period_start=period_start).first()


def subscription_kinds(*, user) -> set[str]:
    return set(ReportSubscription.objects.filter(user=user).values_list("kind", flat=True))


def subscription_rows(*, user) -> list[dict]:
    """Every report kind with whether `user` receives it."""
    mine = subscription_kinds(user=user)
    return [{"kind": kind, "label": label, "subscribed": kind in mine} for kind, label in ReportKind.choices]
