"""The domain's defaults as plain data: SLA policies, the compensation standard and the per-role limits.

The data migration `0002_defaults` writes them on install; `service_defaults_ensure` writes the missing
ones again (the demo seed, and tests after a transactional test's flush emptied the tables). Both only
add what is missing, so a supervisor's edits stay.
"""

from decimal import Decimal

# name, metric, channel, type, priority, minutes, calendar
SLA_POLICIES = [
    ("Chat: first response in 5 minutes", "first_response", "chat", "", "", 5, "calendar"),
    ("Normal: first response in 24 hours", "first_response", "", "", "normal", 24 * 60, "calendar"),
    ("Urgent: first response in 4 hours", "first_response", "", "", "urgent", 4 * 60, "calendar"),
    ("Major: first response in 1 hour", "first_response", "", "", "major", 60, "calendar"),
    ("Complaint: resolved in 48 hours", "resolution", "", "complaint", "", 48 * 60, "calendar"),
    ("Other issues: resolved in 24 hours", "resolution", "", "", "", 24 * 60, "calendar"),
]

# problem, severity, remedy, amount
COMPENSATION = [
    ("late_delivery", "minor", "coupon", "5.00"),
    ("late_delivery", "moderate", "coupon", "10.00"),
    ("late_delivery", "severe", "cash", "20.00"),
    ("damaged", "minor", "coupon", "10.00"),
    ("damaged", "moderate", "cash", "20.00"),
    ("damaged", "severe", "cash", "50.00"),
    ("defective", "minor", "coupon", "10.00"),
    ("defective", "moderate", "cash", "30.00"),
    ("defective", "severe", "cash", "80.00"),
    ("wrong_item", "minor", "coupon", "10.00"),
    ("wrong_item", "moderate", "coupon", "20.00"),
    ("wrong_item", "severe", "cash", "30.00"),
    ("missing_item", "minor", "coupon", "10.00"),
    ("missing_item", "moderate", "cash", "20.00"),
    ("missing_item", "severe", "cash", "50.00"),
    ("service", "minor", "coupon", "5.00"),
    ("service", "moderate", "coupon", "20.00"),
    ("service", "severe", "gift", "50.00"),
    ("price", "minor", "coupon", "10.00"),
    ("price", "moderate", "cash", "30.00"),
    ("price", "severe", "cash", "100.00"),
]

LIMITS = [("service_agent", "50.00"), ("manager", "500.00"), ("admin", "5000.00")]


def service_defaults_ensure(apps=None) -> None:
    """Create the settings row and every default policy, rule and limit that is missing (by its key)."""
    if apps is None:
        from django.apps import apps
    SLAPolicy = apps.get_model("service", "SLAPolicy")
    CompensationRule = apps.get_model("service", "CompensationRule")
    CompensationLimit = apps.get_model("service", "CompensationLimit")
    ServiceSettings = apps.get_model("service", "ServiceSettings")
    ServiceSettings.objects.get_or_create(pk=1)
    for name, metric, channel, type_, priority, minutes, calendar in SLA_POLICIES:
        SLAPolicy.objects.get_or_create(
            metric=metric,
            channel=channel,
            type=type_,
            priority=priority,
            defaults={"name": name, "target_minutes": minutes, "calendar": calendar},
        )
    for problem, severity, remedy, amount in COMPENSATION:
        CompensationRule.objects.get_or_create(
            problem=problem, severity=severity, defaults={"remedy": remedy, "amount": Decimal(amount)}
        )
    for role, amount in LIMITS:
        CompensationLimit.objects.get_or_create(role=role, defaults={"max_amount": Decimal(amount)})
