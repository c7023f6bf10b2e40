"""Shopify webhooks: the signature check and the mapping of Shopify's order JSON to an OrderIn.

Shopify signs every delivery with the app's shared secret: the `X-Shopify-Hmac-Sha256` header is the
base64 of HMAC-SHA256 over the raw request body. The secret is the channel's `webhook_secret`.

The mapping only translates; the rules (known SKUs, totals that add up, legal status moves) stay with
`orders.services.order_sync`, which the webhook view calls like any other channel client.
"""

import base64
import hashlib
import hmac
from decimal import Decimal, InvalidOperation

from orders.schemas import OrderIn, order_parse

TOPICS_APPLIED = frozenset({"orders/create", "orders/updated"})

# Shopify's financial_status → our status, before fulfilment is considered. "partially_refunded" keeps the
# order where it is (paid, or shipped once fulfilled): only a full refund closes it.
FINANCIAL_STATUS = {
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "paid",
    "paid": "paid",
    "partially_refunded": "paid",
    "refunded": "refunded",
    "voided": "cancelled",
}

_ZERO = Decimal("0.00")


def shopify_signature(body: bytes, secret: str) -> str:
    """What Shopify sends in X-Shopify-Hmac-Sha256 for `body` signed with `secret`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def shopify_signature_valid(body: bytes, secret: str, header: str | None) -> bool:
    """True only for a non-empty secret and a header equal to the body's signature (constant time)."""
    if not secret or not header:
        return False
    return hmac.compare_digest(shopify_signature(body, secret).encode(), header.strip().encode())


def shopify_status(payload: dict) -> str | None:
    """Our status from Shopify's cancelled_at, financial_status and fulfillment_status; None if unknown.

    A full refund wins (the money went back, whatever else happened); then a cancellation or a voided
    payment; then a complete fulfilment ships the order (from pending too: cash on delivery); a partial
    fulfilment leaves the financial status in charge.
    """
    financial = payload.get("financial_status")
    if financial == "refunded":
        return "refunded"
    if payload.get("cancelled_at") or financial == "voided":
        return "cancelled"
    status = FINANCIAL_STATUS.get(financial)
    if status is None:
        return None
    if payload.get("fulfillment_status") == "fulfilled":
        return "shipped"
    return status


def _money(value, field: str, errors: dict[str, list[str]]) -> Decimal:
    """A Shopify amount ("199.00", or a number) as a Decimal; a missing one is 0."""
    if value is None or value == "":
        return _ZERO
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        errors.setdefault(field, []).append(f"Not an amount: {value!r}.")
        return _ZERO
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.setdefault(field, []).append(f"Not an amount: {value!r}.")
        return _ZERO
    if not number.is_finite():
        errors.setdefault(field, []).append(f"Not an amount: {value!r}.")
        return _ZERO
    return number


def _text(value, limit: int) -> str:
    """A free-text field, stripped and cut to what the order stores (a long address is no reason to
    refuse an order)."""
    return " ".join(str(value).split())[:limit] if value not in (None, "") else ""


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _line(item: dict, index: int, errors: dict[str, list[str]]) -> dict:
    """One line item: its discount is the sum of its discount allocations, else its total_discount."""
    field = f"line_items[{index}]"
    allocations = [a for a in _list(item.get("discount_allocations")) if isinstance(a, dict)]
    if allocations:
        discount = sum(
            (
                _money(a.get("amount"), f"{field}.discount_allocations[{n}].amount", errors)
                for n, a in enumerate(allocations)
            ),
            _ZERO,
        )
    else:
        discount = _money(item.get("total_discount"), f"{field}.total_discount", errors)
    sku = item.get("sku")
    return {
        "sku": sku.strip() if isinstance(sku, str) else sku,
        "quantity": item.get("quantity"),
        "unit_price": _money(item.get("price"), f"{field}.price", errors),
        "discount": discount,
    }


def _customer(payload: dict) -> dict | None:
    customer = _dict(payload.get("customer"))
    if customer.get("id") in (None, ""):
        return None
    shipping = _dict(payload.get("shipping_address"))
    name = " ".join(
        part.strip()
        for part in (customer.get("first_name"), customer.get("last_name"))
        if part and part.strip()
    )
    return {
        "external_id": str(customer["id"]),
        "name": _text(name or shipping.get("name"), 200),
        "phone": _text(customer.get("phone") or shipping.get("phone"), 40) or None,
        "email": _text(customer.get("email") or payload.get("email"), 254) or None,
        "province": _text(shipping.get("province") or shipping.get("province_code"), 30) or None,
    }


def shopify_order_map(payload) -> tuple[OrderIn | None, dict[str, list[str]] | None]:
    """Map a Shopify order (the body of orders/create, orders/updated) to an OrderIn, or field errors.

    Amounts are the shop-currency ones (`total_price`, not `*_set.presentment_money`). When prices include
    tax (`taxes_included`), the tax is already in the line prices and is not added again.
    """
    if not isinstance(payload, dict):
        return None, {"non_field_errors": ["A Shopify order must be a JSON object."]}
    errors: dict[str, list[str]] = {}
    status = shopify_status(payload)
    if status is None:
        errors["financial_status"] = [f"Unknown financial_status {payload.get('financial_status')!r}."]

    lines = [
        _line(item, index, errors) if isinstance(item, dict) else item
        for index, item in enumerate(_list(payload.get("line_items")))
    ]
    line_discounts = sum((line["discount"] for line in lines if isinstance(line, dict)), _ZERO)
    total_discounts = _money(payload.get("total_discounts"), "total_discounts", errors)
    shipping_fee = sum(
        (
            _money(_dict(s).get("price"), f"shipping_lines[{n}].price", errors)
            for n, s in enumerate(_list(payload.get("shipping_lines")))
        ),
        _ZERO,
    )
    tax = _ZERO if payload.get("taxes_included") else _money(payload.get("total_tax"), "total_tax", errors)
    total = _money(payload.get("total_price"), "total_price", errors)
    shipping = _dict(payload.get("shipping_address"))
    address = " ".join(
        str(part).strip() for part in (shipping.get("address1"), shipping.get("address2")) if part
    )
    gateways = [g for g in _list(payload.get("payment_gateway_names")) if isinstance(g, str) and g]
    codes = [c.get("code") for c in _list(payload.get("discount_codes")) if isinstance(c, dict)]
    if errors:
        return None, errors

    order_id = payload.get("id")
    raw = {
        "external_id": str(order_id) if order_id not in (None, "") else "",
        "placed_at": payload.get("created_at"),
        "updated_at": payload.get("updated_at") or payload.get("created_at"),
        "status": status,
        "currency": payload.get("currency"),
        "payment_method": _text(payload.get("gateway") or (gateways[0] if gateways else ""), 30),
        "customer": _customer(payload),
        "city": _text(shipping.get("city"), 60),
        "address": _text(address, 300),
        "lines": lines,
        "order_discount": max(total_discounts - line_discounts, _ZERO),
        "shipping_fee": shipping_fee,
        "tax": tax,
        "total": total,
        "coupon_code": _text(codes[0], 50) if codes and isinstance(codes[0], str) else None,
    }
    return order_parse(raw)
