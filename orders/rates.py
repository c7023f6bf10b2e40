"""Exchange rates: what one unit of a currency is worth in the shop currency on a day.

An order in a foreign currency keeps its own amounts and carries its total converted at the rate of the
day it was placed; when that day has no rate, the latest earlier rate is used; with no rate at all the
order is rejected.

Finance and admin maintain the rates on the rates page, one at a time or by CSV import, and with
`manage.py import_rates FILE`; all three go through `rates_import`, so they validate alike.
"""

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, TextIO

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from orders.models import ExchangeRate
from shopops.common.audit import AuditRecord, audit_record_many


def rates_for(*, pairs: set[tuple[str, date]]) -> dict[tuple[str, date], Decimal | None]:
    """The rate for each (currency, day): that day's, else the latest before it, else None.

    The shop currency is always 1. One query per foreign currency.
    """
    out: dict[tuple[str, date], Decimal | None] = {}
    by_currency: dict[str, list[date]] = {}
    for currency, day in pairs:
        if currency == settings.SHOP_CURRENCY:
            out[(currency, day)] = Decimal(1)
        else:
            by_currency.setdefault(currency, []).append(day)
    for currency, days in by_currency.items():
        known = list(
            ExchangeRate.objects.filter(currency=currency, date__lte=max(days))
            .order_by("date")
            .values_list("date", "rate_to_shop_currency")
        )
        for day in days:
            rate = None
            for rate_day, value in known:  # ascending: the last one not after `day` wins
                if rate_day > day:
                    break
                rate = value
            out[(currency, day)] = rate
    return out


def rate_for(*, currency: str, day: date) -> Decimal | None:
    return rates_for(pairs={(currency, day)})[(currency, day)]


# --- Maintenance: the rates page, the browser import and `manage.py import_rates` -------------------------

IMPORT_COLUMNS = ("date", "currency", "rate_to_shop_currency")
RATE_MAX_DECIMALS = 8
RATE_MAX_INTEGER_DIGITS = 10  # max_digits 18 - decimal_places 8 on ExchangeRate.rate_to_shop_currency
_RATE_QUANTUM = Decimal(1).scaleb(-RATE_MAX_DECIMALS)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_NUMBER_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")  # plain notation: no exponent, no separators


@dataclass(frozen=True)
class RateRow:
    """One valid input row."""

    row: int
    currency: str
    date: date
    rate: Decimal


@dataclass(frozen=True)
class RowError:
    """What is wrong with one field of one row. `field` is a column name, or "" for the whole row."""

    row: int
    field: str
    message: str


@dataclass(frozen=True)
class RateChange:
    """What applying a valid row does: create a rate, update one (old → new) or leave it unchanged."""

    CREATE: ClassVar[str] = "create"
    UPDATE: ClassVar[str] = "update"
    UNCHANGED: ClassVar[str] = "unchanged"

    row: int
    currency: str
    date: date
    old_rate: Decimal | None
    new_rate: Decimal
    action: str


@dataclass
class RatesImportResult:
    errors: list[RowError] = field(default_factory=list)
    changes: list[RateChange] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def invalid_rows(self) -> int:
        return len({error.row for error in self.errors})

    def _count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def created(self) -> int:
        return self._count(RateChange.CREATE)

    @property
    def updated(self) -> int:
        return self._count(RateChange.UPDATE)

    @property
    def unchanged(self) -> int:
        return self._count(RateChange.UNCHANGED)

    @property
    def to_write(self) -> int:
        return self.created + self.updated


def csv_text_decode(data: bytes) -> str:
    """The text of an uploaded CSV: UTF-8 (with or without Excel's BOM), else GB18030 (Excel's default
    "CSV" on Chinese Windows). Raises UnicodeDecodeError when it is neither."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _shorten(value, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_date(value) -> tuple[date | None, str | None]:
    if isinstance(value, datetime):  # a datetime is a date too, but not a day
        return None, _("Not a date in the form YYYY-MM-DD: %(value)s") % {"value": _shorten(value)}
    if isinstance(value, date):
        return value, None
    text = str(value).strip()
    if _DATE_RE.fullmatch(text):
        try:
            return date.fromisoformat(text), None
        except ValueError:
            pass
    return None, _("Not a date in the form YYYY-MM-DD: %(value)s") % {"value": _shorten(text)}


def _clean_currency(value) -> tuple[str | None, str | None]:
    text = str(value).strip()
    if not _CURRENCY_RE.fullmatch(text):
        return None, _("Not a currency code of three upper-case letters (like USD): %(value)s") % {
            "value": _shorten(text)
        }
    if text == settings.SHOP_CURRENCY:
        return None, _("%(currency)s is the shop currency: its rate is always 1 and is not stored.") % {
            "currency": text
        }
    return text, None


def _clean_rate(value) -> tuple[Decimal | None, str | None]:
    if isinstance(value, float):  # rates are exact decimals; a float has already lost digits
        return None, _("Give the rate as a decimal number in text, not as a float.")
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        text = str(value).strip()
        if not _NUMBER_RE.fullmatch(text):
            return None, _(
                "Not a number: %(value)s (use a point for decimals and no thousands separators)"
            ) % {"value": _shorten(text)}
        number = Decimal(text)
    if not number.is_finite():
        return None, _("Not a number: %(value)s") % {"value": _shorten(value)}
    if number <= 0:
        return None, _("The rate must be greater than 0.")
    if number >= Decimal(10) ** RATE_MAX_INTEGER_DIGITS:
        return None, _("The rate may have at most %(digits)s digits before the decimal point.") % {
            "digits": RATE_MAX_INTEGER_DIGITS
        }
    if number != number.quantize(_RATE_QUANTUM):
        return None, _("The rate may have at most %(places)s decimal places.") % {"places": RATE_MAX_DECIMALS}
    return number.quantize(_RATE_QUANTUM), None


_CLEANERS = (("date", _clean_date), ("currency", _clean_currency), ("rate_to_shop_currency", _clean_rate))


def _rate_row_clean(number: int, values: Mapping) -> tuple[RateRow | None, list[RowError]]:
    cleaned, errors = {}, []
    for column, cleaner in _CLEANERS:
        raw = values.get(column)
        if _blank(raw):
            errors.append(RowError(number, column, _("Required.")))
            continue
        value, message = cleaner(raw)
        if message:
            errors.append(RowError(number, column, message))
        cleaned[column] = value
    if errors:
        return None, errors
    return RateRow(number, cleaned["currency"], cleaned["date"], cleaned["rate_to_shop_currency"]), []


def _numbered_rows(rows) -> Iterator[tuple[int, Mapping] | RowError]:
    """(row number, values) per input row, or a RowError that ends the input.

    A text stream is read as CSV with a header line; its rows are numbered by file line (the header is
    line 1, as a spreadsheet shows it). An iterable of dicts is numbered from 1."""
    if isinstance(rows, str | bytes):
        raise TypeError("rates_import takes a text stream or dicts, not a string: wrap it in io.StringIO")
    if not hasattr(rows, "read"):
        yield from enumerate(rows, start=1)
        return
    reader = csv.DictReader(rows)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        yield RowError(1, "", _("Not readable as CSV: %(error)s") % {"error": exc})
        return
    expected = ", ".join(IMPORT_COLUMNS)
    if not header:
        yield RowError(
            1,
            "",
            _("The file is empty: the first line must be the header %(columns)s.") % {"columns": expected},
        )
        return
    reader.fieldnames = [(name or "").strip().lstrip("\ufeff").strip().lower() for name in header]
    missing = [column for column in IMPORT_COLUMNS if column not in reader.fieldnames]
    if missing:
        yield RowError(
            1,
            "",
            _("The header must name the columns %(columns)s; missing: %(missing)s.")
            % {
                "columns": expected,
                "missing": ", ".join(missing),
            },
        )
        return
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(reader.line_num, "", _("Not readable as CSV: %(error)s") % {"error": exc})
            return
        if None in values:  # DictReader files surplus values under the key None
            yield RowError(reader.line_num, "", _("The row has more values than the header has columns."))
            values = {key: value for key, value in values.items() if key is not None}
        yield reader.line_num, values


def _current_rates(keys: set[tuple[str, date]]) -> dict[tuple[str, date], Decimal]:
    if not keys:
        return {}
    days = [day for _currency, day in keys]
    stored = ExchangeRate.objects.filter(
        currency__in={currency for currency, _day in keys}, date__range=(min(days), max(days))
    ).values_list("currency", "date", "rate_to_shop_currency")
    return {(currency, day): rate for currency, day, rate in stored if (currency, day) in keys}


def _changes(valid: list[RateRow]) -> list[RateChange]:
    current = _current_rates({(row.currency, row.date) for row in valid})
    changes = []
    for row in valid:
        old = current.get((row.currency, row.date))
        if old is None:
            action = RateChange.CREATE
        elif old == row.rate:
            action = RateChange.UNCHANGED
        else:
            action = RateChange.UPDATE
        changes.append(RateChange(row.row, row.currency, row.date, old, row.rate, action))
    return changes


def rates_import(*, rows: Iterable[Mapping] | TextIO, apply: bool = False) -> RatesImportResult:
    """Validate exchange rates and, with `apply=True` and no invalid row, upsert them by (currency, day).

    `rows` is a text stream of CSV with the header `date,currency,rate_to_shop_currency` (open files with
    newline=""), or an iterable of dicts with those keys (strings, or date / Decimal / int values).
    The result lists every row error (row number, column, message) and what each valid row does (create,
    update, unchanged). All or nothing: one invalid row and nothing is written; the writes happen in one
    transaction. Unchanged rates are not rewritten.
    """
    result = RatesImportResult()
    valid: list[RateRow] = []
    first_row: dict[tuple[str, date], int] = {}
    for item in _numbered_rows(rows):
        if isinstance(item, RowError):
            result.errors.append(item)
            continue
        number, values = item
        row, errors = _rate_row_clean(number, values)
        result.errors.extend(errors)
        if row is None:
            continue
        key = (row.currency, row.date)
        if key in first_row:
            result.errors.append(
                RowError(
                    number,
                    "date",
                    _("%(currency)s on %(date)s is already in row %(row)s.")
                    % {"currency": row.currency, "date": row.date.isoformat(), "row": first_row[key]},
                )
            )
            continue
        first_row[key] = number
        valid.append(row)

    if not (apply and result.ok):
        result.changes = _changes(valid)
        return result
    with transaction.atomic():
        # ON CONFLICT makes the upsert correct even when another import writes the same days meanwhile;
        # the create/update counts are what this transaction saw before writing.
        result.changes = _changes(valid)
        ExchangeRate.objects.bulk_create(
            [
                ExchangeRate(
                    currency=change.currency, date=change.date, rate_to_shop_currency=change.new_rate
                )
                for change in result.changes
                if change.action != RateChange.UNCHANGED
            ],
            update_conflicts=True,
            unique_fields=["currency", "date"],
            update_fields=["rate_to_shop_currency", "updated_at"],
            batch_size=1000,
        )
        _rates_audit([change for change in result.changes if change.action != RateChange.UNCHANGED])
    result.applied = True
    return result


def _rates_audit(changes: list[RateChange]) -> None:
    """The audit trail's entries for an upsert of rates (a bulk write: no signal), old → new rate."""
    if not changes:
        return
    ids = {
        (currency, day): pk
        for pk, currency, day in ExchangeRate.objects.filter(
            currency__in={c.currency for c in changes}, date__in={c.date for c in changes}
        ).values_list("pk", "currency", "date")
    }
    audit_record_many(
        [
            AuditRecord(
                ExchangeRate,
                change.action,  # "create" or "update"
                {"rate_to_shop_currency": [change.old_rate, change.new_rate]},
                ids[(change.currency, change.date)],
                f"{change.date} {change.currency} {change.new_rate}",
            )
            for change in changes
        ]
    )


def exchange_rate_list(
    *, currency: str = "", date_from: date | None = None, date_to: date | None = None
) -> QuerySet[ExchangeRate]:
    """The stored rates, newest day first, optionally for one currency and a range of days."""
    rates = ExchangeRate.objects.order_by("-date", "currency")
    if currency:
        rates = rates.filter(currency=currency)
    if date_from:
        rates = rates.filter(date__gte=date_from)
    if date_to:
        rates = rates.filter(date__lte=date_to)
    return rates


def exchange_rate_currencies() -> list[str]:
    return list(ExchangeRate.objects.order_by("currency").values_list("currency", flat=True).distinct())
