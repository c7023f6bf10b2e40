"""Feedback imported from a CSV file: reviews, ratings and social mentions exported from a marketplace or
a listening tool.

One row is one item. `feedback_csv_import` reads the file, checks each value (row number, column,
message), resolves the channel, SKU and order codes, and hands each item to
`service.services.feedback.feedback_record`, the one write path for feedback — so an imported item is
scored, graded and opens its complaint ticket exactly as one pushed through the API.

A preview is a dry run: the same calls inside a transaction that is rolled back, so the counts (new,
already known, tickets to open) and each row's sentiment and urgency are known and nothing stays written.
Applying is all or nothing: only a file without errors, in one transaction. Items with an external id are
idempotent on (source, channel, external id): importing the same file again adds nothing.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from service.models import Feedback
from service.selectors.feedback import feedback_lookups
from service.services.feedback import feedback_record
from shopops.common.csv_import import RowError, csv_rows

IMPORT_COLUMNS = (
    "source",
    "channel",
    "external_id",
    "sku",
    "order",
    "rating",
    "text",
    "occurred_at",
    "author",
)
REQUIRED_COLUMNS = ("source", "text", "occurred_at")

# Header names as Chinese exports write them.
HEADER_ALIASES = {
    "source": ("来源", "类型"),
    "channel": ("渠道", "店铺", "平台"),
    "external_id": ("评价ID", "评价编号", "ID"),
    "sku": ("商家编码", "SKU编码", "SKU"),
    "order": ("订单编号", "订单号"),
    "rating": ("评分", "星级"),
    "text": ("评价内容", "内容", "评论内容"),
    "occurred_at": ("评价时间", "时间", "发布时间"),
    "author": ("用户", "昵称", "买家", "作者"),
}
_HEADERS = {column: column for column in IMPORT_COLUMNS} | {
    alias.lower(): column for column, aliases in HEADER_ALIASES.items() for alias in aliases
}
SOURCE_ALIASES = {
    Feedback.Source.REVIEW: ("评价", "评论", "商品评价"),
    Feedback.Source.RATING: ("评分", "打分"),
    Feedback.Source.SOCIAL: ("社媒", "社交媒体", "微博", "小红书", "抖音"),
    Feedback.Source.SURVEY: ("问卷", "调查"),
    Feedback.Source.TICKET: ("工单",),
}
_SOURCES = {source: source for source in Feedback.Source.values} | {
    alias: source for source, aliases in SOURCE_ALIASES.items() for alias in aliases
}

_DATETIME = re.compile(
    r"(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})[-/.](?P<d>[0-9]{1,2})"
    r"(?:[ T](?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2}))?)?"
)
_STARS = re.compile(r"([1-5])(?:\.0)?\s*(?:星|stars?)?", re.IGNORECASE)


@dataclass(frozen=True)
class PreviewRow:
    """What one row becomes (or became, once applied)."""

    line: int
    source: str
    text: str
    sentiment: Decimal
    urgency: str
    created: bool
    ticket: str  # the ticket number, "" when none


@dataclass
class FeedbackImportResult:
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    existing: int = 0
    tickets: int = 0
    items: list[PreviewRow] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def invalid_rows(self) -> int:
        return len({error.line for error in self.errors if error.line > 1})


@dataclass
class _Row:
    line: int
    values: dict


# --- reading the file ---------------------------------------------------------------------------------------


def csv_text_decode(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030 (Excel's "CSV" on Chinese Windows). Raises
    UnicodeDecodeError when it is neither."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _shorten(value, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_occurred_at(text: str) -> datetime | None:
    """ISO 8601 (with an offset, or without: shop time) or `2026-06-18 10:21` in shop time."""
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
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


def _clean_source(text: str):
    source = _SOURCES.get(text.lower()) or _SOURCES.get(text)
    if source is None:
        return None, _("Unknown source %(value)s: use %(choices)s.") % {
            "value": _shorten(text),
            "choices": ", ".join(Feedback.Source.values),
        }
    return source, None


def _clean_rating(text: str):
    match = _STARS.fullmatch(text)
    if not match:
        return None, _("Not a rating of 1 to 5 stars: %(value)s") % {"value": _shorten(text)}
    return int(match.group(1)), None


def _clean_occurred_at(text: str):
    value = parse_occurred_at(text)
    if value is None:
        return None, _("Not a date and time such as 2026-06-18 10:21: %(value)s") % {"value": _shorten(text)}
    return value, None


def _clean_limited(limit: int):
    def clean(text: str):
        if len(text) > limit:
            return None, _("At most %(count)s characters.") % {"count": limit}
        return text, None

    return clean


_CLEANERS = {
    "source": _clean_source,
    "rating": _clean_rating,
    "occurred_at": _clean_occurred_at,
    "external_id": _clean_limited(100),
    "order": _clean_limited(100),
    "author": _clean_limited(200),
}


def _read(text: str, result: FeedbackImportResult) -> list[_Row]:
    """The rows with their values checked one by one; codes are resolved afterwards."""
    rows = []
    seen: dict[tuple, int] = {}
    for item in csv_rows(text, headers=_HEADERS, required=REQUIRED_COLUMNS):
        if isinstance(item, RowError):
            result.errors.append(item)
            continue
        result.rows += 1
        line, raw = item
        values, bad = {}, False
        for column in IMPORT_COLUMNS:
            cell = raw.get(column, "")
            if not cell:
                if column in REQUIRED_COLUMNS:
                    result.errors.append(RowError(line, column, _("Required.")))
                    bad = True
                continue
            cleaner = _CLEANERS.get(column)
            value, message = cleaner(cell) if cleaner else (cell, None)
            if message:
                result.errors.append(RowError(line, column, message))
                bad = True
            else:
                values[column] = value
        if values.get("order") and not values.get("channel"):
            result.errors.append(RowError(line, "channel", _("An order needs its channel.")))
            bad = True
        key = (values.get("source"), values.get("channel", ""), values.get("external_id", ""))
        if key[2] and not bad:
            if key in seen:
                result.errors.append(
                    RowError(
                        line,
                        "external_id",
                        _("%(value)s is already on line %(line)s.")
                        % {"value": _shorten(key[2]), "line": seen[key]},
                    )
                )
                bad = True
            else:
                seen[key] = line
        if not bad:
            rows.append(_Row(line, values))
    return rows


def _resolve(rows: list[_Row], result: FeedbackImportResult) -> list[tuple[_Row, dict]]:
    lookups = feedback_lookups(
        channel_codes=[r.values["channel"] for r in rows if "channel" in r.values],
        sku_codes=[r.values["sku"] for r in rows if "sku" in r.values],
        order_keys=[(r.values.get("channel", ""), r.values["order"]) for r in rows if "order" in r.values],
    )
    resolved = []
    for row in rows:
        values, bad = row.values, False
        kwargs = {
            "source": values["source"],
            "text": values["text"],
            "occurred_at": values["occurred_at"],
            "external_id": values.get("external_id", ""),
            "rating": values.get("rating"),
            "author": values.get("author", ""),
        }
        if "channel" in values:
            kwargs["channel"] = lookups.channels.get(values["channel"])
            if kwargs["channel"] is None:
                result.errors.append(
                    RowError(
                        row.line, "channel", _("Unknown channel %(code)s.") % {"code": values["channel"]}
                    )
                )
                bad = True
        if "sku" in values:
            kwargs["sku"] = lookups.skus.get(values["sku"])
            if kwargs["sku"] is None:
                result.errors.append(
                    RowError(row.line, "sku", _("Unknown SKU %(code)s.") % {"code": _shorten(values["sku"])})
                )
                bad = True
        if "order" in values and not bad:
            kwargs["order"] = lookups.orders.get((values["channel"], values["order"]))
            if kwargs["order"] is None:
                result.errors.append(
                    RowError(
                        row.line,
                        "order",
                        _("No order %(order)s on channel %(channel)s.")
                        % {"order": _shorten(values["order"]), "channel": values["channel"]},
                    )
                )
                bad = True
        if not bad:
            resolved.append((row, kwargs))
    return resolved


def _error_order(error: RowError) -> tuple[int, int]:
    return error.line, IMPORT_COLUMNS.index(error.column) if error.column in IMPORT_COLUMNS else -1


# --- writing ------------------------------------------------------------------------------------------------


def feedback_csv_import(*, text: str, apply: bool = False) -> FeedbackImportResult:
    """Read a feedback file and preview (`apply=False`) or apply it; see the module docstring."""
    result = FeedbackImportResult()
    rows = _read(text, result)
    resolved = _resolve(rows, result)
    write = apply and result.ok
    with transaction.atomic():
        for row, kwargs in resolved:
            try:
                with transaction.atomic():
                    feedback, created = feedback_record(**kwargs)
            except ValidationError as exc:
                messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
                for column, texts in messages.items():
                    column = column if column in IMPORT_COLUMNS else ""
                    result.errors.extend(RowError(row.line, column, message) for message in texts)
                continue
            result.created += created
            result.existing += not created
            result.tickets += bool(created and feedback.ticket_id)
            result.items.append(
                PreviewRow(
                    line=row.line,
                    source=feedback.source,
                    text=feedback.text,
                    sentiment=feedback.sentiment,
                    urgency=feedback.urgency,
                    created=created,
                    ticket=feedback.ticket.number if feedback.ticket_id else "",
                )
            )
        if not (write and result.ok):
            transaction.set_rollback(True)
    result.errors.sort(key=_error_order)
    result.applied = write and result.ok
    return result
