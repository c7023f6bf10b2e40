"""Refund-time KPI (from receipt, or approval for refund-only, to refund) and returns by reason."""

from datetime import date
from decimal import Decimal

import pytest

from service.models import ReturnRequest, ServiceSettings
from service.selectors import returns as sel
from service.tests.factories_returns import delivered_order, return_make, shanghai

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


def _refunded(*, received=None, approved=None, refunded, reason=ReturnRequest.Reason.DEFECTIVE, amount="10"):
    return return_make(
        order=delivered_order(),
        status=S.REFUNDED,
        reason=reason,
        requested_at=shanghai(2026, 11, 2, 8, 0),
        decided_at=approved or shanghai(2026, 11, 2, 9, 0),
        received_at=received,
        refunded_at=refunded,
        refund_amount=Decimal(amount),
        refund_method="original",
    )


def test_refund_time_kpi_exact():
    _refunded(received=shanghai(2026, 11, 3, 10, 0), refunded=shanghai(2026, 11, 3, 22, 0))  # 12 h
    _refunded(received=shanghai(2026, 11, 3, 10, 0), refunded=shanghai(2026, 11, 5, 10, 0))  # 48 h: in
    _refunded(received=shanghai(2026, 11, 3, 10, 0), refunded=shanghai(2026, 11, 6, 10, 30))  # 72.5 h
    # refund-only: from approval
    _refunded(approved=shanghai(2026, 11, 4, 9, 0), refunded=shanghai(2026, 11, 4, 15, 15))  # 6.25 h
    # outside the period (refunded on 2026-11-10 00:00 Shanghai = end, excluded)
    _refunded(received=shanghai(2026, 11, 9, 0, 0), refunded=shanghai(2026, 11, 10, 0, 0))
    kpi = sel.refund_time_kpi(start=date(2026, 11, 1), end=date(2026, 11, 10))
    assert kpi == {
        "count": 4,
        "average_hours": Decimal("34.69"),  # (12 + 48 + 72.5 + 6.25) / 4 = 34.6875
        "median_hours": Decimal("30.00"),
        "within_target": 3,
        "within_target_share": Decimal("0.7500"),
        "target_days": 2,
        "target_hours": Decimal("48"),
    }


def test_refund_time_kpi_follows_the_target_setting_and_empty_period():
    settings = ServiceSettings.load()
    settings.refund_target_days = 1
    settings.save()
    _refunded(received=shanghai(2026, 11, 3, 10, 0), refunded=shanghai(2026, 11, 4, 10, 1))
    kpi = sel.refund_time_kpi(start=date(2026, 11, 1), end=date(2026, 11, 10))
    assert (kpi["within_target"], kpi["within_target_share"], kpi["median_hours"]) == (
        0,
        Decimal("0"),
        Decimal("24.02"),
    )
    empty = sel.refund_time_kpi(start=date(2026, 1, 1), end=date(2026, 2, 1))
    assert (empty["count"], empty["average_hours"], empty["within_target_share"]) == (0, None, None)


def test_returns_by_reason_and_list_filters():
    a = _refunded(received=shanghai(2026, 11, 3), refunded=shanghai(2026, 11, 4), amount="30")
    _refunded(received=shanghai(2026, 11, 3), refunded=shanghai(2026, 11, 4), amount="5.5")
    order = delivered_order()
    return_make(
        order=order,
        status=S.REJECTED,
        reason=ReturnRequest.Reason.NO_REASON,
        requested_at=shanghai(2026, 11, 3),
    )
    rows = sel.returns_by_reason(start=date(2026, 11, 1), end=date(2026, 11, 10))
    assert rows == [
        {
            "reason": "defective",
            "label": "Defective / quality problem",
            "requests": 2,
            "units": 6,
            "rejected_or_cancelled": 0,
            "refunded": Decimal("35.50"),
        },
        {
            "reason": "no_reason",
            "label": "No reason (7-day return)",
            "requests": 1,
            "units": 3,
            "rejected_or_cancelled": 1,
            "refunded": Decimal("0.00"),
        },
    ]
    assert list(sel.return_list({"status": "rejected"}).values_list("order", flat=True)) == [order.pk]
    assert sel.return_list({"q": a.number}).get().units == 3
    assert sel.return_get(a.number) == a
    assert list(sel.customer_returns(customer=order.customer)) == list(
        sel.return_list({"customer": order.customer_id})
    )
