"""Compensation by the standard, within each role's limit.

- The standard (`CompensationRule`, one active row per problem and severity) proposes the remedy and the
  amount, so the same problem gets the same remedy. An agent may override either (with a note why).
- A user's limit is the highest `CompensationLimit.max_amount` over their roles (no limit row: 0). Up to
  the limit the grant is approved at once, decided by the granting user; above it the compensation waits
  (`pending`) and every manager is notified. A decision needs a user whose own limit covers the amount.
- A coupon remedy gets its code (`COMP-XXXXXXXX`) when approved; the marketing app issues the coupon
  under that code later (service never imports marketing).
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from service.models import Compensation, CompensationLimit, CompensationRule
from service.models.compensation import Problem, Remedy, Severity
from shopops.common import roles
from shopops.common.models import Notification
from shopops.common.money import ZERO, to_money
from shopops.common.notifications import notification_send, users_with_roles

COUPON_PREFIX = "COMP-"
# No 0/O or 1/I/L: codes are read out on the phone.
COUPON_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
COUPON_LENGTH = 8
APPROVER_ROLES = (roles.MANAGER,)


def compensation_rule_for(*, problem: str, severity: str) -> CompensationRule | None:
    """The standard's active rule for this problem and severity, if any."""
    return CompensationRule.objects.filter(problem=problem, severity=severity, active=True).first()


def compensation_user_limit(user) -> Decimal:
    """The most `user` may grant alone: the highest limit over their roles (0 without any)."""
    names = roles.user_roles(user) if user is not None else set()
    limits = list(CompensationLimit.objects.filter(role__in=names).values_list("max_amount", flat=True))
    return max(limits, default=ZERO)


def compensation_coupon_code() -> str:
    while True:
        code = COUPON_PREFIX + "".join(secrets.choice(COUPON_ALPHABET) for _i in range(COUPON_LENGTH))
        if not Compensation.objects.filter(coupon_code=code).exists():
            return code


@transaction.atomic
def compensation_grant(
    *,
    problem: str,
    severity: str,
    user,
    ticket=None,
    order=None,
    sku=None,
    customer=None,
    remedy: str = "",
    amount=None,
    note: str = "",
    at=None,
) -> Compensation:
    """Grant the standard's remedy (or an explicit remedy / amount); above the user's role limit it waits
    for a manager's approval. Order, SKU and customer default to the ticket's."""
    errors: dict[str, str] = {}
    if problem not in Problem.values:
        errors["problem"] = _("Choose a problem.")
    if severity not in Severity.values:
        errors["severity"] = _("Choose a severity.")
    if remedy and remedy not in Remedy.values:
        errors["remedy"] = _("Choose a remedy.")
    if errors:
        raise ValidationError(errors)
    rule = compensation_rule_for(problem=problem, severity=severity)
    remedy = remedy or (rule.remedy if rule else "")
    if amount is None or amount == "":
        amount = rule.amount if rule else None
    if not remedy:
        errors["remedy"] = _("The standard has no remedy for this problem and severity: choose one.")
    if amount is None:
        errors["amount"] = _("The standard has no amount for this problem and severity: enter one.")
    else:
        try:
            amount = to_money(amount)
        except (TypeError, ValueError):
            errors["amount"] = _("Enter an amount of money.")
        else:
            if amount < 0:
                errors["amount"] = _("The amount cannot be negative.")
    if errors:
        raise ValidationError(errors)
    if ticket is not None:
        order = order or ticket.order
        sku = sku or ticket.sku
        customer = customer or ticket.customer
    if order is not None and customer is None:
        customer = order.customer
    at = at or timezone.now()
    limit = compensation_user_limit(user)
    approved = amount <= limit
    compensation = Compensation.objects.create(
        ticket=ticket,
        order=order,
        sku=sku,
        customer=customer,
        rule=rule,
        problem=problem,
        severity=severity,
        remedy=remedy,
        amount=amount,
        note=(note or "")[:300],
        status=Compensation.Status.APPROVED if approved else Compensation.Status.PENDING,
        coupon_code=compensation_coupon_code() if approved and remedy == Remedy.COUPON else "",
        requested_by=user,
        decided_by=user if approved else None,
        decided_at=at if approved else None,
    )
    if not approved:
        reference = ticket.number if ticket is not None else (str(order) if order is not None else "")
        notification_send(
            users=users_with_roles(APPROVER_ROLES),
            key=f"compensation-pending:{compensation.pk}",
            title=_("Compensation of %(amount)s awaits approval %(reference)s")
            % {"amount": f"{amount:.2f}", "reference": reference},
            body=_(
                "%(user)s asked for %(remedy)s %(amount)s (%(problem)s, %(severity)s), "
                "above their limit %(limit)s."
            )
            % {
                "user": user,
                "remedy": compensation.get_remedy_display(),
                "amount": f"{amount:.2f}",
                "problem": compensation.get_problem_display(),
                "severity": compensation.get_severity_display(),
                "limit": f"{limit:.2f}",
            },
            url=reverse("service:compensation-list") + "?status=pending",
            level=Notification.Level.WARNING,
        )
    return compensation


@transaction.atomic
def compensation_decide(
    *, compensation: Compensation, approve: bool, user, note: str = "", at=None
) -> Compensation:
    """Approve or reject a pending compensation; the deciding user's own limit must cover the amount."""
    compensation = Compensation.objects.select_for_update().get(pk=compensation.pk)
    if compensation.status != Compensation.Status.PENDING:
        raise ValidationError({"status": _("This compensation was already decided.")})
    limit = compensation_user_limit(user)
    if approve and compensation.amount > limit:
        raise ValidationError(
            {
                "amount": _("%(amount)s is above your limit of %(limit)s.")
                % {"amount": f"{compensation.amount:.2f}", "limit": f"{limit:.2f}"}
            }
        )
    at = at or timezone.now()
    compensation.status = Compensation.Status.APPROVED if approve else Compensation.Status.REJECTED
    compensation.decided_by = user
    compensation.decided_at = at
    note = (note or "").strip()
    if note:
        compensation.note = (f"{compensation.note}\n{note}" if compensation.note else note)[:300]
    if approve and compensation.remedy == Remedy.COUPON and not compensation.coupon_code:
        compensation.coupon_code = compensation_coupon_code()
    compensation.save(
        update_fields=["status", "decided_by", "decided_at", "note", "coupon_code", "updated_at"]
    )
    if compensation.requested_by_id and compensation.requested_by_id != getattr(user, "pk", None):
        notification_send(
            users=[compensation.requested_by],
            key=f"compensation-decided:{compensation.pk}",
            title=(
                _("Compensation of %(amount)s approved")
                if approve
                else _("Compensation of %(amount)s rejected")
            )
            % {"amount": f"{compensation.amount:.2f}"},
            body=note,
            url=reverse("service:compensation-list"),
        )
    return compensation


@transaction.atomic
def compensation_standard_save(*, rules: list[dict], limits: dict[str, Decimal]) -> None:
    """Write the standard: `rules` as dicts of problem, severity, remedy, amount, description, active
    (upserted by problem and severity); `limits` role -> max amount."""
    errors = []
    for row in rules:
        if row["problem"] not in Problem.values or row["severity"] not in Severity.values:
            errors.append(_("Unknown problem or severity."))
        elif row["remedy"] not in Remedy.values:
            errors.append(_("Choose a remedy."))
        elif row["amount"] is None or to_money(row["amount"]) < 0:
            errors.append(_("Amounts cannot be negative."))
    for role, amount in limits.items():
        if role not in roles.ROLES:
            errors.append(_("Unknown role %(role)s.") % {"role": role})
        elif amount is None or to_money(amount) < 0:
            errors.append(_("Limits cannot be negative."))
    if errors:
        raise ValidationError({"__all__": errors})
    for row in rules:
        values = {
            "remedy": row["remedy"],
            "amount": to_money(row["amount"]),
            "active": bool(row.get("active", True)),
        }
        if "description" in row:
            values["description"] = (row["description"] or "")[:200]
        CompensationRule.objects.update_or_create(
            problem=row["problem"], severity=row["severity"], defaults=values
        )
    for role, amount in limits.items():
        CompensationLimit.objects.update_or_create(role=role, defaults={"max_amount": to_money(amount)})
