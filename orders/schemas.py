"""The shape of an order as channel clients send it (POST /api/v1/orders/sync), validated with msgspec.

Shape only: types, required fields, formats and simple bounds. Business rules (known SKUs, totals that
add up, legal status moves, exchange rates) are checked by orders.services.order_sync.
"""

import hashlib
import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

MAX_ORDERS_PER_SYNC = 1000

Status = Literal["pending", "paid", "shipped", "delivered", "cancelled", "returned", "refunded"]
# Money: a JSON string (or number) with at most two decimals, not negative (checked in order_parse).
Money = Decimal
MONEY_MAX = Decimal("999999999999.99")
Text = Annotated[str, msgspec.Meta(max_length=200)]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class CustomerIn(msgspec.Struct, forbid_unknown_fields=False):
    external_id: ExternalId
    name: Text = ""
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    province: Annotated[str, msgspec.Meta(max_length=30)] | None = None


class LineIn(msgspec.Struct, forbid_unknown_fields=False):
    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    quantity: Annotated[int, msgspec.Meta(gt=0, le=100_000)]
    unit_price: Money
    discount: Money = Decimal("0")
    # The flash-sale claim id (POST /api/v1/flash-sales/{code}/claims) the line was bought under.
    flash_claim: Annotated[str, msgspec.Meta(max_length=36)] | None = None


class OrderIn(msgspec.Struct, forbid_unknown_fields=False):
    external_id: ExternalId
    placed_at: AwareDatetime
    updated_at: AwareDatetime
    status: Status
    lines: Annotated[list[LineIn], msgspec.Meta(min_length=1, max_length=500)]
    total: Money
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] = "CNY"
    payment_method: Annotated[str, msgspec.Meta(max_length=30)] = ""
    customer: CustomerIn | None = None
    shipping_fee: Money = Decimal("0")
    tax: Money = Decimal("0")
    order_discount: Money = Decimal("0")
    coupon_code: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    city: Annotated[str, msgspec.Meta(max_length=60)] = ""
    address: Annotated[str, msgspec.Meta(max_length=300)] = ""


def _error_field(path: str) -> str:
    """msgspec's '$.lines[0].quantity' → 'lines[0].quantity'."""
    return path.removeprefix("$").removeprefix(".") or "non_field_errors"


_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")


def _validation_errors(text: str) -> dict[str, list[str]]:
    """msgspec's one-line error as DRF-style field errors."""
    message, sep, path = text.rpartition(" - at `")
    if not sep:
        message, path = text, "$"
    path = _error_field(path.rstrip("`"))
    missing = _MISSING.match(message)
    if missing:
        prefix = "" if path == "non_field_errors" else f"{path}."
        return {f"{prefix}{missing['field']}": ["This field is required."]}
    return {path: [message]}


def order_parse(raw) -> tuple[OrderIn | None, dict[str, list[str]] | None]:
    """Validate one decoded order (a dict); return it as an OrderIn or field errors."""
    if not isinstance(raw, dict):
        return None, {"non_field_errors": ["An order must be a JSON object."]}
    try:
        order = msgspec.convert(raw, OrderIn, strict=False)
    except msgspec.ValidationError as exc:
        return None, _validation_errors(str(exc))
    errors: dict[str, list[str]] = {}
    for field in ("total", "shipping_fee", "tax", "order_discount"):
        _money_check(getattr(order, field), field, errors)
    for index, line in enumerate(order.lines):
        for field in ("unit_price", "discount"):
            _money_check(getattr(line, field), f"lines[{index}].{field}", errors)
    return (None, errors) if errors else (order, None)


def _money_check(value: Decimal, field: str, errors: dict) -> None:
    if not value.is_finite():
        errors.setdefault(field, []).append("Not a number.")
    elif value < 0:
        errors.setdefault(field, []).append("Must not be negative.")
    elif value > MONEY_MAX:
        errors.setdefault(field, []).append("Too large.")
    elif value.as_tuple().exponent < -2:
        errors.setdefault(field, []).append("At most two decimal places.")


def order_hash(order: OrderIn) -> str:
    """A stable fingerprint of everything the order says: the same payload gives the same hash.

    A line without a flash-sale claim is encoded as it was before ``LineIn.flash_claim`` existed (the
    field comes last and its null is dropped), so the hashes stored for earlier syncs stay valid and a
    re-sent order is still recognised as unchanged."""
    return hashlib.sha256(msgspec.json.encode(order).replace(b',"flash_claim":null', b"")).hexdigest()


def body_decode(body: bytes):
    """Decode a JSON request body; JSON numbers with a fraction become exact Decimals, never floats."""
    return _DECODER.decode(body)


_DECODER = msgspec.json.Decoder(float_hook=Decimal)
