"""Returns and refunds (RMA).

The life of a return request:

    requested ──approve──▶ approved ──receive──▶ received ──inspect──▶ inspected ──refund──▶ refunded
        │                     │  │                   │                                          ▲
        └──reject / cancel────┘  └──refund (refund-only: the goods do not come back)────────────┘
                                                     └──refund (before inspection)──────────────┘

- 7-day no-reason window (七天无理由退货): it runs in shop-local calendar days from the day of delivery. Goods
  delivered on 1 November may be returned without a reason until 8 November 23:59:59 shop time (day 7
  after the delivery day, inclusive); from 9 November 00:00 only other reasons (defective, wrong item…)
  are accepted. Before delivery (the order is only shipped) the window has not started, so it is open.
  SKUs marked `return_exempt` are never returnable without a reason, and the refusal names why.
- Returnable quantity of an order line: bought minus the units of every other request of the order that
  is not rejected or cancelled.
- Refund-only: an approved request may be refunded straight away when the goods are not coming back (a
  missing item, a parcel lost in transit, a small item the shop does not want back). It is then never
  received nor inspected. Goods that were received may be refunded before inspection (refund fast, the
  2-day target) and inspected afterwards: inspection of a refunded request leaves it refunded.
- The order hears of it through `orders.services.order_after_sales_mark`: `returned` when the goods are
  received, `refunded` (with the amount) when the money goes back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import ledger
from orders import services as order_services
from orders.models import Order, OrderLine
from service.models import ReturnLine, ReturnRequest, ServiceSettings
from shopops.common.dates import day_start
from shopops.common.money import ZERO, to_money

NUMBER_PREFIX = "R"

# Orders whose goods have left the warehouse. `returned` / `refunded` stay open for requests on the units
# not yet returned (a second return of the same order).
RETURNABLE_ORDER_STATUSES = (
    Order.Status.SHIPPED,
    Order.Status.DELIVERED,
    Order.Status.RETURNED,
    Order.Status.REFUNDED,
)
# Requests that no longer hold units of the order.
CLOSED_WITHOUT_RETURN = (ReturnRequest.Status.REJECTED, ReturnRequest.Status.CANCELLED)
REFUNDABLE_STATUSES = (
    ReturnRequest.Status.APPROVED,
    ReturnRequest.Status.RECEIVED,
    ReturnRequest.Status.INSPECTED,
)

S = ReturnRequest.Status


@dataclass(frozen=True)
class LineEligibility:
    order_line_id: int
    sku_id: int
    sku_code: str
    sku_name: str
    bought: int
    already_requested: int
    returnable: int
    exempt: bool
    exempt_reason: str
    unit_price: Decimal
    discount: Decimal


@dataclass(frozen=True)
class Eligibility:
    order_id: int
    order_status: str
    status_ok: bool
    delivered_at: datetime | None
    no_reason_deadline: date | None  # the last shop-local day a no-reason return is accepted (inclusive)
    no_reason_closes_at: datetime | None  # the instant it is no longer accepted (exclusive)
    no_reason_open: bool
    lines: list[LineEligibility] = field(default_factory=list)

    @property
    def returnable(self) -> dict[int, int]:
        """order line id -> units that may still be requested."""
        return {line.order_line_id: line.returnable for line in self.lines}

    @property
    def exempt_lines(self) -> list[LineEligibility]:
        return [line for line in self.lines if line.exempt]


def _now(at):
    return at or timezone.now()


def no_reason_window(delivered_at: datetime, days: int) -> tuple[date, datetime]:
    """(last day, closing instant) of the no-reason window for goods delivered at `delivered_at`."""
    delivered_day = timezone.localtime(delivered_at).date()
    last_day = delivered_day + timedelta(days=days)
    return last_day, day_start(last_day + timedelta(days=1))


def return_eligibility(*, order: Order, at=None, exclude_request_id: int | None = None) -> Eligibility:
    """What of `order` may still be returned at `at` (default now), and whether without a reason."""
    at = _now(at)
    settings = ServiceSettings.load()
    deadline = closes_at = None
    if order.delivered_at is not None:
        deadline, closes_at = no_reason_window(order.delivered_at, settings.return_days)
        no_reason_open = at < closes_at
    else:
        # Not delivered yet: the window starts at delivery, so it cannot have closed.
        no_reason_open = True
    held = ReturnLine.objects.filter(request__order_id=order.pk).exclude(
        request__status__in=CLOSED_WITHOUT_RETURN
    )
    if exclude_request_id is not None:
        held = held.exclude(request_id=exclude_request_id)
    already: dict[int, int] = {}
    for line_id, quantity in held.values_list("order_line_id", "quantity"):
        already[line_id] = already.get(line_id, 0) + quantity
    lines = []
    for line in OrderLine.objects.filter(order_id=order.pk).select_related("sku").order_by("id"):
        requested = already.get(line.pk, 0)
        lines.append(
            LineEligibility(
                order_line_id=line.pk,
                sku_id=line.sku_id,
                sku_code=line.sku.code,
                sku_name=line.sku.name,
                bought=line.quantity,
                already_requested=requested,
                returnable=max(line.quantity - requested, 0),
                exempt=line.sku.return_exempt,
                exempt_reason=line.sku.return_exempt_reason,
                unit_price=line.unit_price,
                discount=line.discount,
            )
        )
    return Eligibility(
        order_id=order.pk,
        order_status=order.status,
        status_ok=order.status in RETURNABLE_ORDER_STATUSES,
        delivered_at=order.delivered_at,
        no_reason_deadline=deadline,
        no_reason_closes_at=closes_at,
        no_reason_open=no_reason_open,
        lines=lines,
    )


def line_net_amount(*, unit_price: Decimal, discount: Decimal, bought: int, quantity: int) -> Decimal:
    """What `quantity` of `bought` units cost the customer: price minus the line discount pro rata."""
    return to_money(unit_price * quantity - discount * quantity / bought)


def return_default_refund(*, request: ReturnRequest) -> Decimal:
    """The returned lines' net amounts (unit price x quantity - the line discount in proportion)."""
    total = ZERO
    for line in request.lines.select_related("order_line"):
        ol = line.order_line
        total += line_net_amount(
            unit_price=ol.unit_price, discount=ol.discount, bought=ol.quantity, quantity=line.quantity
        )
    return to_money(total)


def return_refundable_left(*, order: Order) -> Decimal:
    """The order total less what was already refunded on it."""
    return max(to_money(order.total - order.refund_amount), ZERO)


def _placeholder() -> str:
    return f"new-{uuid.uuid4().hex[:14]}"


def _clean_lines(lines) -> list[tuple[int, int]]:
    cleaned: list[tuple[int, int]] = []
    seen: set[int] = set()
    for item in lines or []:
        try:
            line_id, quantity = item
        except (TypeError, ValueError):
            raise ValidationError({"lines": _("Each line needs an order line and a quantity.")}) from None
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationError({"lines": _("Quantities must be whole numbers.")})
        if quantity < 0:
            raise ValidationError({"lines": _("Quantities cannot be negative.")})
        if quantity == 0:
            continue
        if line_id in seen:
            raise ValidationError({"lines": _("Each order line may be listed only once.")})
        seen.add(line_id)
        cleaned.append((line_id, quantity))
    if not cleaned:
        raise ValidationError({"lines": _("Return at least one unit.")})
    return cleaned


@transaction.atomic
def return_request_create(
    *,
    order,
    lines: list[tuple[int, int]],
    reason: str,
    note: str = "",
    source: str = "page",
    external_id: str = "",
    user=None,
    at=None,
    ticket=None,
) -> ReturnRequest:
    """`lines`: (order line id, quantity); lines with quantity 0 are ignored. Checks quantities against
    what was bought and already returned, and 7-day no-reason eligibility (from delivery; exempt SKUs
    refused for no_reason). An `external_id` already used on the order returns that request unchanged
    (API clients retry)."""
    at = _now(at)
    external_id = (external_id or "").strip()
    # One request at a time per order: two concurrent requests cannot both take the last units, and a
    # retried external id waits for the first attempt and then finds it.
    order = Order.objects.select_for_update().get(pk=order.pk)
    if external_id:
        existing = ReturnRequest.objects.filter(order_id=order.pk, external_id=external_id).first()
        if existing is not None:
            return existing
    errors: dict[str, list[str]] = {}
    if reason not in ReturnRequest.Reason.values:
        errors.setdefault("reason", []).append(_("Choose a reason."))
    if source not in ReturnRequest.Source.values:
        errors.setdefault("source", []).append(_("Unknown source."))
    if len(external_id) > 100:
        errors.setdefault("external_id", []).append(_("At most 100 characters."))
    eligibility = return_eligibility(order=order, at=at)
    if not eligibility.status_ok:
        errors.setdefault("order", []).append(
            _("Only shipped or delivered orders can be returned (this one is %(status)s).")
            % {"status": order.get_status_display()}
        )
    try:
        cleaned = _clean_lines(lines)
    except ValidationError as exc:
        errors.setdefault("lines", []).extend(exc.message_dict["lines"])
        cleaned = []
    by_line = {line.order_line_id: line for line in eligibility.lines}
    for line_id, quantity in cleaned:
        info = by_line.get(line_id)
        if info is None:
            errors.setdefault("lines", []).append(_("A line is not part of this order."))
            continue
        if quantity > info.returnable:
            errors.setdefault("lines", []).append(
                _("%(sku)s: at most %(left)s of %(bought)s units can still be returned, not %(quantity)s.")
                % {"sku": info.sku_code, "left": info.returnable, "bought": info.bought, "quantity": quantity}
            )
        if reason == ReturnRequest.Reason.NO_REASON and info.exempt:
            errors.setdefault("reason", []).append(
                _("%(sku)s is exempt from no-reason return: %(why)s")
                % {"sku": info.sku_code, "why": info.exempt_reason or _("no reason given")}
            )
    if reason == ReturnRequest.Reason.NO_REASON and not eligibility.no_reason_open:
        errors.setdefault("reason", []).append(
            _("The 7-day no-reason return window closed at the end of %(day)s; choose another reason.")
            % {"day": eligibility.no_reason_deadline.isoformat()}
        )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            request = ReturnRequest.objects.create(
                number=_placeholder(),
                order=order,
                customer_id=order.customer_id,
                ticket=ticket,
                reason=reason,
                note=note or "",
                source=source,
                external_id=external_id,
                requested_at=at,
            )
    except IntegrityError:
        # The same external id raced in from another worker: that request is the answer.
        return ReturnRequest.objects.get(order_id=order.pk, external_id=external_id)
    request.number = f"{NUMBER_PREFIX}-{request.pk:06d}"
    request.save(update_fields=["number"])
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(request=request, order_line_id=line_id, sku_id=by_line[line_id].sku_id, quantity=q)
            for line_id, q in cleaned
        ]
    )
    return request


def _locked(request: ReturnRequest) -> ReturnRequest:
    return ReturnRequest.objects.select_for_update().get(pk=request.pk)


def _refuse(request: ReturnRequest, action: str) -> ValidationError:
    return ValidationError(
        {
            "status": _("A %(status)s return cannot be %(action)s.")
            % {"status": request.get_status_display().lower(), "action": action}
        }
    )


@transaction.atomic
def return_approve(*, request: ReturnRequest, user=None, at=None) -> ReturnRequest:
    request = _locked(request)
    if request.status != S.REQUESTED:
        raise _refuse(request, _("approved"))
    request.status = S.APPROVED
    request.decided_at = _now(at)
    request.decided_by = user
    request.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
    return request


@transaction.atomic
def return_reject(*, request: ReturnRequest, reason: str, user=None, at=None) -> ReturnRequest:
    """Refuse a request not yet received (the units become returnable again)."""
    request = _locked(request)
    reason = (reason or "").strip()
    if request.status not in (S.REQUESTED, S.APPROVED):
        raise _refuse(request, _("rejected"))
    if not reason:
        raise ValidationError({"reason": _("Say why the return is rejected.")})
    request.status = S.REJECTED
    request.rejection_reason = reason[:200]
    request.decided_at = _now(at)
    request.decided_by = user
    request.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by", "updated_at"])
    return request


@transaction.atomic
def return_cancel(*, request: ReturnRequest, user=None, at=None) -> ReturnRequest:
    """The customer withdrew the request before the goods arrived."""
    request = _locked(request)
    if request.status not in (S.REQUESTED, S.APPROVED):
        raise _refuse(request, _("cancelled"))
    request.status = S.CANCELLED
    request.save(update_fields=["status", "updated_at"])
    return request


@transaction.atomic
def return_receive(*, request: ReturnRequest, warehouse, user=None, at=None) -> ReturnRequest:
    """The parcel arrived at `warehouse`; the order becomes `returned`. Stock moves only at inspection."""
    request = _locked(request)
    if request.status != S.APPROVED:
        raise _refuse(request, _("received"))
    if warehouse is None:
        raise ValidationError({"warehouse": _("Choose the warehouse that received the goods.")})
    at = _now(at)
    request.status = S.RECEIVED
    request.warehouse = warehouse
    request.received_at = at
    request.save(update_fields=["status", "warehouse", "received_at", "updated_at"])
    order_services.order_after_sales_mark(
        order_id=request.order_id, status=Order.Status.RETURNED, at=at, detail=f"{request.number} received"
    )
    return request


@transaction.atomic
def return_inspect(
    *, request: ReturnRequest, results: dict[int, tuple[int, int]], user=None, at=None
) -> ReturnRequest:
    """`results`: return line id -> (restock, scrap). Every unit of every line must be decided. Restocked
    units go back on hand through the ledger (a `return` movement); scrapped ones are recorded as
    returned defects against the SKU's supplier (its scorecard's defect rate)."""
    request = _locked(request)
    if (
        request.received_at is None
        or request.inspected_at is not None
        or request.status
        not in (
            S.RECEIVED,
            S.REFUNDED,
        )
    ):
        raise _refuse(request, _("inspected"))
    at = _now(at)
    lines = list(request.lines.select_related("sku").order_by("id"))
    errors = []
    decided: list[tuple[ReturnLine, int, int]] = []
    for line in lines:
        pair = results.get(line.pk, results.get(str(line.pk)))
        if pair is None:
            errors.append(_("%(sku)s: decide every unit (restock or scrap).") % {"sku": line.sku.code})
            continue
        restock, scrap = pair
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in (restock, scrap)):
            errors.append(_("%(sku)s: quantities must be whole numbers, 0 or more.") % {"sku": line.sku.code})
            continue
        if restock + scrap != line.quantity:
            errors.append(
                _("%(sku)s: restocked + scrapped must equal the %(quantity)s units returned.")
                % {"sku": line.sku.code, "quantity": line.quantity}
            )
            continue
        decided.append((line, restock, scrap))
    unknown = {str(k) for k in results} - {str(line.pk) for line in lines}
    if unknown:
        errors.append(_("Some lines are not part of this return."))
    if errors:
        raise ValidationError({"results": errors})
    on = timezone.localtime(at).date()
    reason = request.get_reason_display()
    for line, restock, scrap in decided:
        if restock:
            ledger.stock_return(
                sku_id=line.sku_id,
                warehouse=request.warehouse,
                quantity=restock,
                reference=request.number,
                reason=str(reason),
                user=user,
            )
        if scrap:
            ledger.stock_scrap_return(
                sku_id=line.sku_id,
                warehouse=request.warehouse,
                quantity=scrap,
                reference=request.number,
                reason=str(reason),
                on=on,
            )
        line.restocked, line.scrapped = restock, scrap
    ReturnLine.objects.bulk_update([line for line, _r, _s in decided], ["restocked", "scrapped"])
    if request.status == S.RECEIVED:
        request.status = S.INSPECTED
    request.inspected_at = at
    request.save(update_fields=["status", "inspected_at", "updated_at"])
    return request


@transaction.atomic
def return_refund(
    *, request: ReturnRequest, amount=None, method: str = "original", user=None, at=None
) -> ReturnRequest:
    """Pay the money back, once per request. `amount` defaults to the returned lines' net amounts and may
    not exceed the order total less the refunds already made on the order. Allowed once approved
    (refund-only: the goods are not coming back), received or inspected."""
    request = _locked(request)
    if request.status not in REFUNDABLE_STATUSES or request.refunded_at is not None:
        raise _refuse(request, _("refunded"))
    if method not in ReturnRequest.RefundMethod.values:
        raise ValidationError({"method": _("Choose a refund method.")})
    order = Order.objects.select_for_update().get(pk=request.order_id)
    if amount is None or amount == "":
        amount = return_default_refund(request=request)
    try:
        amount = to_money(amount)
    except (TypeError, ValueError):
        raise ValidationError({"amount": _("Enter an amount of money.")}) from None
    if amount <= 0:
        raise ValidationError({"amount": _("The refund must be more than zero.")})
    left = return_refundable_left(order=order)
    if amount > left:
        raise ValidationError(
            {
                "amount": _("At most %(left)s can still be refunded on this order (total less refunds).")
                % {"left": f"{left:.2f}"}
            }
        )
    at = _now(at)
    request.status = S.REFUNDED
    request.refund_amount = amount
    request.refund_method = method
    request.refunded_at = at
    request.refunded_by = user
    request.save(
        update_fields=["status", "refund_amount", "refund_method", "refunded_at", "refunded_by", "updated_at"]
    )
    order_services.order_after_sales_mark(
        order_id=order.pk,
        status=Order.Status.REFUNDED,
        at=at,
        refund_amount=amount,
        detail=f"{request.number} refunded {amount:.2f}",
    )
    return request
