"""Small builders for the metrics and alert tests: snapshots, forecast runs, finance users."""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User

from finance.models import ForecastRun, ForecastWeek, MetricSnapshot, Scenario

D = Decimal


def snapshot(business_date: date, **values) -> MetricSnapshot:
    """A snapshot where nothing is crossed unless `values` says so (cash-positive, no receivables)."""
    fields = {
        "cash": D("100000.00"),
        "receivables": D("0.00"),
        "payables": D("0.00"),
        "inventory_value": D("0.00"),
        "weekly_net_burn": D("0.00"),
        "runway_months": None,
        "monthly_fixed_costs": D("10000.00"),
        "cushion_months": D("10.0"),
        "overdue_receivables": D("0.00"),
    }
    fields.update(values)
    obj, _created = MetricSnapshot.objects.update_or_create(business_date=business_date, defaults=fields)
    return obj


def forecast_run(
    scenario_code: str,
    business_date: date,
    *,
    lowest_closing: str,
    week: int = 5,
    monthly_fixed_costs: str = "10000.00",
    opening: str = "50000.00",
) -> ForecastRun:
    """A run whose lowest closing balance falls in week `week` (weeks start the Monday after D's week)."""
    scenario = Scenario.objects.get(code=scenario_code)
    first = business_date + timedelta(days=1)
    first -= timedelta(days=first.weekday())
    starts = [first + timedelta(weeks=i) for i in range(13)]
    run, _created = ForecastRun.objects.update_or_create(
        scenario=scenario,
        business_date=business_date,
        defaults={
            "opening_balance": D(opening),
            "lowest_closing": D(lowest_closing),
            "lowest_week_start": starts[week],
            "cushion": D(monthly_fixed_costs) * 3,
            "monthly_fixed_costs": D(monthly_fixed_costs),
        },
    )
    run.weeks.all().delete()
    balance = D(opening)
    for i, start in enumerate(starts):
        closing = D(lowest_closing) if i == week else balance
        ForecastWeek.objects.create(
            run=run,
            index=i,
            week_start=start,
            opening=balance,
            inflow=D("0.00"),
            outflow=D("0.00"),
            closing=closing,
            lines={},
        )
    return run


def user_with_role(role: str, username: str | None = None, email: str = "") -> User:
    user = User.objects.create_user(username=username or f"{role}-user", email=email, password="pw-123456789")  # noqa: S106
    user.groups.add(Group.objects.get(name=role))
    return user
