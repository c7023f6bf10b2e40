"""After the nightly run: the demo's report subscriptions and the report archive's first entries (the
previous week's manager report and yesterday's digest), generated without sending email."""

from datetime import date

from django.contrib.auth import get_user_model

from reports import report_content, services_reports
from reports.models import ReportKind


def reports_seed(*, today: date, yesterday: date) -> str:
    users = get_user_model().objects
    for username, kind in (
        ("manager", ReportKind.WEEKLY),
        ("finance", ReportKind.WEEKLY),
        ("operations", ReportKind.DAILY),
    ):
        user = users.filter(username=username).first()
        if user is not None:
            services_reports.subscription_set(user=user, kind=kind, subscribed=True)
    week = services_reports.weekly_report_generate(
        week_start=report_content.previous_week_start(today), force=True, email=False
    )
    digest = services_reports.daily_digest_generate(day=yesterday, force=True, email=False)
    return f"weekly report of {week.period_start}, daily digest of {digest.period_start}"
