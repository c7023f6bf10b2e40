"""Writes of the monthly budget per cost line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from finance.models import Budget, CostLine
from shopops.common.money import to_money


def _check_month(month, field: str = "month") -> None:
    if not isinstance(month, date) or month.day != 1:
        raise ValidationError({field: [_("A budget month is given by its first day (YYYY-MM-01).")]})


@transaction.atomic
def budget_set(month: date, amounts: dict, user=None, *, notes: dict | None = None) -> list[Budget]:
    """Set the budget of `month` (its first day) per cost line: `amounts` maps cost line codes to an
    amount (>= 0) or None (remove that line's budget); lines not named are left as they are. `notes`
    optionally sets each line's note. Every value is checked before anything is written: a ValidationError
    names each bad field (the cost line code). `user` is who set it (kept for the audit trail callers
    keep). Returns the month's budgets after the change."""
    _check_month(month)
    notes = notes or {}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Decimal | None] = {}
    for line, raw in amounts.items():
        if line not in CostLine.values:
            errors[str(line)] = [_("Unknown cost line.")]
            continue
        if raw is None or raw == "":
            clean[line] = None
            continue
        try:
            amount = to_money(raw)
        except (TypeError, ValueError, InvalidOperation):
            errors[line] = [_("Enter an amount.")]
            continue
        if amount < 0:
            errors[line] = [_("A budget cannot be negative.")]
            continue
        clean[line] = amount
    if errors:
        raise ValidationError(errors)
    for line, amount in clean.items():
        if amount is None:
            Budget.objects.filter(month=month, line=line).delete()
            continue
        defaults = {"amount": amount}
        if line in notes:
            defaults["note"] = (notes[line] or "")[:300]
        Budget.objects.update_or_create(month=month, line=line, defaults=defaults)
    return list(Budget.objects.filter(month=month).order_by("line"))


@transaction.atomic
def budget_copy(month_from: date, month_to: date, user=None) -> int:
    """Copy every cost line's budget (amount and note) of `month_from` onto `month_to` (both first days),
    replacing what `month_to` had for those lines; lines without a budget in `month_from` are left as
    they are. Returns the number of lines copied."""
    _check_month(month_from, "month_from")
    _check_month(month_to, "month_to")
    if month_from == month_to:
        raise ValidationError({"month_to": [_("Copy to another month.")]})
    copied = 0
    for budget in Budget.objects.filter(month=month_from).order_by("line"):
        Budget.objects.update_or_create(
            month=month_to, line=budget.line, defaults={"amount": budget.amount, "note": budget.note}
        )
        copied += 1
    return copied
