"""Marketplace order exports imported from a CSV file, for channels without an API.

The file has one row per order line; rows with the same order id make one order. `order_csv_import`
reads the file, checks each value, groups the rows into orders (OrderIn, checked by `order_parse`) and
hands them to `orders.services.order_sync`, the one write path for orders — so an imported order obeys the
same rules as a synced one (known SKUs, legal status moves, exchange rates, stock reservations).

A preview is a dry run: the same calls inside a transaction that is rolled back, so the counts (new,
updated, unchanged) and every error are known and nothing stays written. Applying is all or nothing: one
transaction for the whole file, in batches of at most MAX_ORDERS_PER_SYNC orders.

Orders whose total does not add up with their lines would be rejected by the sync. An export is a
marketplace's own record, reviewed by a person, so such orders may be imported anyway, with the total
their lines give and a "totals" exception that carries the marketplace's figure
(`order_sync_totals_flagged`).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

import msgspec
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Channel, Order, OrderException
from orders.schemas import MAX_ORDERS_PER_SYNC, OrderIn, order_parse
from orders.services import SyncResult, order_sync, order_total_expected
from shopops.common import pii
from shopops.common.csv_import import RowError, csv_rows
from shopops.common.money import to_money

SOURCE = "import"
BATCH_SIZE = MAX_ORDERS_PER_SYNC  # orders per order_sync call; all batches of a file share one transaction

IMPORT_COLUMNS = (
    "order_id",
    "placed_at",
    "status",
    "customer_id",
    "customer_name",
    "phone",
    "province",
    "sku",
    "quantity",
    "unit_price",
    "line_discount",
    "order_discount",
    "shipping_fee",
    "total",
)
REQUIRED_COLUMNS = ("order_id", "placed_at", "status", "sku", "quantity", "unit_price", "total")
# Values of the order, not of the line: repeated on each of its rows, or given on one row only.
ORDER_COLUMNS = (
    "placed_at",
    "status",
    "customer_id",
    "customer_name",
    "phone",
    "province",
    "order_discount",
    "shipping_fee",
    "total",
)

# Header names as Chinese marketplaces (Taobao/Tmall, JD, Pinduoduo, Douyin) write them.
HEADER_ALIASES = {
    "order_id": ("订单编号", "订单号", "主订单编号"),
    "placed_at": ("下单时间", "订单创建时间", "创建时间"),
    "status": ("订单状态",),
    "customer_id": ("买家ID", "买家会员名", "买家账号"),
    "customer_name": ("收货人", "收货人姓名"),
    "phone": ("手机", "手机号", "联系手机", "收货人手机"),
    "province": ("省份", "省", "收货省份"),
    "sku": ("商家编码", "商品商家编码", "SKU编码"),
    "quantity": ("数量", "购买数量", "商品数量"),
    "unit_price": ("单价", "商品单价"),
    "line_discount": ("优惠", "商品优惠"),
    "order_discount": ("订单优惠", "店铺优惠"),
    "shipping_fee": ("运费", "邮费"),
    "total": ("实付金额", "买家实付金额", "实付款"),
}
_HEADERS = {column: column for column in IMPORT_COLUMNS} | {
    alias.lower(): column for column, aliases in HEADER_ALIASES.items() for alias in aliases
}

STATUS_ALIASES = {
    "pending": ("待付款", "等待买家付款", "未付款"),
    "paid": ("已付款", "待发货", "买家已付款", "买家已付款，等待卖家发货"),
    "shipped": ("已发货", "卖家已发货", "卖家已发货，等待买家确认", "待收货"),
    "delivered": ("已签收", "已收货", "交易成功", "已完成"),
    "cancelled": ("已取消", "交易关闭"),
    "returned": ("已退货",),
    "refunded": ("已退款", "退款成功"),
}
_STATUSES = {status: status for status in Order.Status.values} | {
    alias: status for status, aliases in STATUS_ALIASES.items() for alias in aliases
}

# OrderIn's fields → the column that holds them (for errors from order_parse and order_sync).
_FIELD_COLUMNS = {
    "external_id": "order_id",
    "placed_at": "placed_at",
    "updated_at": "placed_at",
    "status": "status",
    "total": "total",
    "order_discount": "order_discount",
    "shipping_fee": "shipping_fee",
    "customer": "customer_id",
    "customer.external_id": "customer_id",
    "customer.name": "customer_name",
    "customer.phone": "phone",
    "customer.province": "province",
    "lines": "sku",
}
_LINE_FIELD_COLUMNS = {
    "sku": "sku",
    "quantity": "quantity",
    "unit_price": "unit_price",
    "discount": "line_discount",
}
_LINE_FIELD = re.compile(r"^lines\[(?P<index>\d+)\]\.(?P<field>\w+)$")

_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")
_THOUSANDS = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_DATETIME = re.compile(
    r"(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})[-/.](?P<d>[0-9]{1,2})"
    r"(?:[ T](?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2}))?)?"
)
_EXCEL_EXPONENT = re.compile(r"[0-9](\.[0-9]+)?[eE]\+[0-9]+")
_ZERO = Decimal("0.00")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class TotalsMismatch:
    """An order whose marketplace total is not what its lines add up to."""

    external_id: str
    line: int
    marketplace_total: Decimal
    computed_total: Decimal
    currency: str


@dataclass
class _Group:
    """The rows of one order: its values as read, and which line each came from."""

    external_id: str
    first_line: int
    values: dict = field(default_factory=dict)
    value_lines: dict = field(default_factory=dict)
    texts: dict = field(default_factory=dict)  # the values as the file writes them, for messages
    lines: list[dict] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    bad: bool = False


@dataclass
class _Parsed:
    order: OrderIn
    group: _Group
    computed_total: Decimal


@dataclass
class OrderImportResult:
    """What a file holds and what importing it does (or did, once `applied`)."""

    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    orders: int = 0
    regular: SyncResult = field(default_factory=SyncResult)
    flagged: SyncResult = field(default_factory=SyncResult)
    mismatches: list[TotalsMismatch] = field(default_factory=list)
    include_mismatched: bool = False
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def invalid_rows(self) -> int:
        return len({error.line for error in self.errors})

    @property
    def to_write(self) -> int:
        """Orders the import creates or changes, not counting the mismatched ones."""
        return self.regular.created + self.regular.updated

    @property
    def mismatched_to_write(self) -> int:
        return self.flagged.created + self.flagged.updated

    @property
    def skipped(self) -> int:
        """Mismatched orders left out because they were not chosen."""
        return 0 if self.include_mismatched else len(self.mismatches)


# --- reading the file ---------------------------------------------------------------------------------------


def _shorten(value, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clean_order_id(text: str) -> tuple[str | None, str | None]:
    if _EXCEL_EXPONENT.fullmatch(text):
        return None, _(
            "%(value)s looks like a number Excel shortened: export the order id column as text."
        ) % {"value": text}
    return text, None


def _clean_amount(text: str) -> tuple[Decimal | None, str | None]:
    raw = text.lstrip("¥￥$").strip()
    if _THOUSANDS.fullmatch(raw):
        raw = raw.replace(",", "")
    if raw.startswith("-") and _AMOUNT.fullmatch(raw[1:]):
        return None, _("Must not be negative.")
    if not _AMOUNT.fullmatch(raw):
        return None, _("Not an amount: %(value)s (use a point for decimals).") % {"value": _shorten(text)}
    amount = Decimal(raw)
    if amount != amount.quantize(_CENT):
        return None, _("At most two decimal places: %(value)s") % {"value": _shorten(text)}
    return amount.quantize(_CENT), None


def _clean_quantity(text: str) -> tuple[int | None, str | None]:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        return None, _("Not a whole number: %(value)s") % {"value": _shorten(text)}
    if number <= 0:
        return None, _("Must be at least 1.")
    return int(number), None


def _clean_placed_at(text: str) -> tuple[datetime | None, str | None]:
    """ISO 8601 with an offset, or a local time such as 2026-06-18 10:21:00 or 2026/6/18 10:21 (read in
    the shop's time zone)."""
    value = None
    match = _DATETIME.fullmatch(text)
    try:
        if match:
            value = datetime(
                int(match["y"]),
                int(match["m"]),
                int(match["d"]),
                int(match["H"] or 0),
                int(match["M"] or 0),
                int(match["S"] or 0),
            )
        else:
            value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None:
        return None, _("Not a date and time such as 2026-06-18 10:21:00: %(value)s") % {
            "value": _shorten(text)
        }
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value, None


def _clean_status(text: str) -> tuple[str | None, str | None]:
    status = _STATUSES.get(text.lower()) or _STATUSES.get(text)
    if status is None:
        return None, _("Unknown status: %(value)s") % {"value": _shorten(text)}
    return status, None


_CLEANERS = {
    "order_id": _clean_order_id,
    "placed_at": _clean_placed_at,
    "status": _clean_status,
    "quantity": _clean_quantity,
    "unit_price": _clean_amount,
    "line_discount": _clean_amount,
    "order_discount": _clean_amount,
    "shipping_fee": _clean_amount,
    "total": _clean_amount,
}


def _groups(text: str, errors: list[RowError]) -> tuple[list[_Group], int]:
    """The file's rows, checked value by value and grouped by order id, in the order first seen."""
    groups: dict[str, _Group] = {}
    count = 0
    for item in csv_rows(text, headers=_HEADERS, required=REQUIRED_COLUMNS):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        count += 1
        number, raw = item
        values, row_errors = {}, []
        for column in IMPORT_COLUMNS:
            cell = raw.get(column, "")
            if not cell:
                if column in REQUIRED_COLUMNS and not (
                    column in ORDER_COLUMNS and raw.get("order_id") in groups
                ):
                    row_errors.append(RowError(number, column, _("Required.")))
                continue
            cleaner = _CLEANERS.get(column)
            value, message = cleaner(cell) if cleaner else (cell, None)
            if message:
                row_errors.append(RowError(number, column, message))
            else:
                values[column] = value
        external_id = values.get("order_id")
        if external_id is None:
            errors.extend(row_errors)
            continue
        group = groups.get(external_id)
        if group is None:
            group = groups[external_id] = _Group(external_id, number)
        for column in ORDER_COLUMNS:
            if column not in values:
                continue
            if column not in group.values:
                group.values[column], group.value_lines[column] = values[column], number
                group.texts[column] = raw[column]
            elif group.values[column] != values[column]:
                row_errors.append(
                    RowError(
                        number,
                        column,
                        _("%(value)s differs from line %(line)s of the same order (%(first)s).")
                        % {
                            "value": _shorten(raw[column]),
                            "line": group.value_lines[column],
                            "first": _shorten(group.texts[column]),
                        },
                    )
                )
        if row_errors:
            errors.extend(row_errors)
            group.bad = True
            continue
        group.lines.append(
            {
                "sku": values["sku"],
                "quantity": values["quantity"],
                "unit_price": values["unit_price"],
                "discount": values.get("line_discount", _ZERO),
            }
        )
        group.line_numbers.append(number)
    return list(groups.values()), count


def _order_raw(group: _Group, currency: str) -> dict:
    v = group.values
    customer_id = v.get("customer_id")
    if not customer_id and pii.pii_hash("phone", v.get("phone")):
        # Exports without buyer ids: the phone number identifies the buyer — by its keyed hash, never in
        # clear (external ids are not encrypted).
        customer_id = f"tel:{pii.pii_hash('phone', v.get('phone'))}"
    customer = None
    if customer_id:
        customer = {
            "external_id": customer_id,
            "name": v.get("customer_name", ""),
            "phone": v.get("phone"),
            "province": v.get("province"),
        }
    return {
        "external_id": group.external_id,
        "placed_at": v.get("placed_at"),
        # An export has no time of last change: the placing time keeps a re-import of the same file
        # unchanged (the sync fingerprints the whole order).
        "updated_at": v.get("placed_at"),
        "status": v.get("status"),
        "currency": currency,
        "customer": customer,
        "lines": group.lines,
        "order_discount": v.get("order_discount", _ZERO),
        "shipping_fee": v.get("shipping_fee", _ZERO),
        "total": v.get("total"),
    }


def _locate(group: _Group, name: str) -> tuple[int, str]:
    """The line and column of the file behind one of OrderIn's fields."""
    match = _LINE_FIELD.match(name)
    if match and int(match["index"]) < len(group.line_numbers):
        return group.line_numbers[int(match["index"])], _LINE_FIELD_COLUMNS.get(match["field"], "")
    column = _FIELD_COLUMNS.get(name, "")
    return group.value_lines.get(column, group.first_line), column


def _errors_for(group: _Group, errors: dict[str, list[str]]) -> list[RowError]:
    found = []
    for name, messages in errors.items():
        line, column = _locate(group, name)
        found.extend(RowError(line, column, message) for message in messages)
    return found


@dataclass
class ParsedFile:
    orders: list[_Parsed]
    rows: int  # data rows read
    order_count: int  # distinct order ids, valid or not
    errors: list[RowError]


def _error_order(error: RowError) -> tuple[int, int]:
    return error.line, IMPORT_COLUMNS.index(error.column) if error.column in IMPORT_COLUMNS else -1


def order_csv_parse(*, text: str, currency: str) -> ParsedFile:
    """The orders of a CSV export, shape-checked with order_parse, and every row error found on the way.

    `currency` is the channel's: exports carry none."""
    errors: list[RowError] = []
    groups, rows = _groups(text, errors)
    parsed = []
    for group in groups:
        if group.bad:
            continue
        order, order_errors = order_parse(_order_raw(group, currency))
        if order_errors:
            errors.extend(_errors_for(group, order_errors))
            continue
        parsed.append(_Parsed(order, group, order_total_expected(order)))
    errors.sort(key=_error_order)
    return ParsedFile(parsed, rows, len(groups), errors)


# --- writing ------------------------------------------------------------------------------------------------


def _totals_detail(order: OrderIn, marketplace_total: Decimal, computed: Decimal) -> str:
    lines = sum((line.quantity * line.unit_price - line.discount for line in order.lines), _ZERO)
    m = to_money
    text = (
        f"The channel's total is {m(marketplace_total)} {order.currency}, but the lines add up to "
        f"{m(computed)} (lines {m(lines)} - order discount {m(order.order_discount)} + shipping "
        f"{m(order.shipping_fee)} + tax {m(order.tax)}); imported with {m(computed)}."
    )
    return text[:500]


def order_sync_totals_flagged(
    *, channel_code: str, orders: list[OrderIn], source: str = SOURCE, result: SyncResult | None = None
) -> SyncResult:
    """Import orders whose total does not add up with their lines: each is synced with the total its lines
    give, and gets a "totals" exception that records the channel's own figure (`order.total` as given).

    Everything else is order_sync's: rejections, stale or unchanged orders, stock. An order that already
    has a totals exception with the same figures (open or resolved) does not get another one, so importing
    the same file twice raises nothing new.
    """
    result = result or SyncResult()
    if not orders:
        return result
    computed = {o.external_id: order_total_expected(o) for o in orders}
    details = {o.external_id: _totals_detail(o, o.total, computed[o.external_id]) for o in orders}
    with transaction.atomic():
        before = len(result.rejected)
        order_sync(
            channel_code=channel_code,
            orders=[msgspec.structs.replace(o, total=computed[o.external_id]) for o in orders],
            source=source,
            result=result,
        )
        rejected = {item["external_id"] for item in result.rejected[before:]}
        ids = dict(
            Order.objects.filter(
                channel__code=channel_code,
                external_id__in=[o.external_id for o in orders if o.external_id not in rejected],
            ).values_list("external_id", "id")
        )
        known = set(
            OrderException.objects.filter(
                order_id__in=ids.values(), kind=OrderException.Kind.TOTALS
            ).values_list("order_id", "detail")
        )
        OrderException.objects.bulk_create(
            [
                OrderException(
                    order_id=order_id, kind=OrderException.Kind.TOTALS, detail=details[external_id]
                )
                for external_id, order_id in ids.items()
                if (order_id, details[external_id]) not in known
            ],
            ignore_conflicts=True,  # one open exception per kind and order: an open one stays as it is
        )
    return result


def _batches(items: list) -> Iterator[list]:
    size = BATCH_SIZE
    for start in range(0, len(items), size):
        yield items[start : start + size]


def order_csv_import(
    *, channel_code: str, text: str, apply: bool = False, include_mismatched: bool = False
) -> OrderImportResult:
    """Read a marketplace export and preview (`apply=False`) or apply it; see the module docstring.

    The preview runs every write and rolls it back, mismatched orders included, so its counts and errors
    are the sync's own. Applying writes only if the file has no error at all, in one transaction; if the
    sync rejects an order at that point (the data changed since the preview), everything is rolled back
    and the errors are returned. Mismatched totals are imported only with `include_mismatched`.
    """
    result = OrderImportResult(include_mismatched=include_mismatched)
    channel = Channel.objects.filter(code=channel_code, active=True).only("code", "currency").first()
    if channel is None:
        result.errors.append(RowError(0, "", _("Unknown channel %(code)s.") % {"code": channel_code}))
        return result
    read = order_csv_parse(text=text, currency=channel.currency)
    parsed, result.rows, result.orders, result.errors = read.orders, read.rows, read.order_count, read.errors
    regular = [p for p in parsed if p.computed_total == p.order.total or p.computed_total < 0]
    mismatched = [p for p in parsed if p.computed_total != p.order.total and p.computed_total >= 0]
    result.mismatches = [
        TotalsMismatch(
            external_id=p.order.external_id,
            line=p.group.value_lines.get("total", p.group.first_line),
            marketplace_total=p.order.total,
            computed_total=p.computed_total,
            currency=p.order.currency,
        )
        for p in mismatched
    ]
    write = apply and result.ok
    by_id = {p.order.external_id: p.group for p in parsed}
    with transaction.atomic():
        for batch in _batches(regular):
            order_sync(
                channel_code=channel.code,
                orders=[p.order for p in batch],
                source=SOURCE,
                result=result.regular,
            )
        if include_mismatched or not write:
            for batch in _batches(mismatched):
                order_sync_totals_flagged(
                    channel_code=channel.code, orders=[p.order for p in batch], result=result.flagged
                )
        for item in [*result.regular.rejected, *result.flagged.rejected]:
            group = by_id.get(item["external_id"])
            if group is None:
                messages = (message for messages in item["errors"].values() for message in messages)
                result.errors.append(RowError(0, "", "; ".join(messages)))
            else:
                result.errors.extend(_errors_for(group, item["errors"]))
        if not (write and result.ok):
            transaction.set_rollback(True)
    result.errors.sort(key=_error_order)
    result.applied = write and result.ok
    return result
