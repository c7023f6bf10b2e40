"""Catalogue and competitor-price files (CSV or XLSX): reading them, the dry run, applying; and the full
catalogue export in the import's own format, so that an exported file can be edited and imported again.

The columns are the API's fields (`catalog.services.skus.SKU_FIELDS`, `catalog.services.competitors
.COMPETITOR_FIELDS`) and the writes are the API's services (`sku_upsert` with the source "import",
`competitor_prices_record`), so a row obeys the same rules whichever way it comes (unknown categories,
the margin floor, the audit). A blank cell is "not given": an existing SKU keeps that value.

A preview is a dry run: the same calls inside a transaction that is rolled back, so the counts (new,
updated, unchanged) and every row error are the service's own and nothing stays written. Applying is all
or nothing unless the user chooses to apply the valid rows: then the rows with errors are skipped and the
others written, in one transaction.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from catalog.models import SKU, PriceChange
from catalog.services.competitors import COMPETITOR_FIELDS, competitor_prices_record
from catalog.services.skus import SKU_FIELDS, sku_upsert

CATALOG_COLUMNS = SKU_FIELDS
CATALOG_REQUIRED = ("code",)
COMPETITOR_COLUMNS = COMPETITOR_FIELDS
COMPETITOR_REQUIRED = ("sku", "competitor", "price", "seen_at")
MAX_ROWS = 10_000  # data rows per file

_LOCAL_DATETIME = re.compile(
    r"(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})[-/.](?P<d>[0-9]{1,2})"
    r"(?:[ T](?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2}))?)?"
)


@dataclass(frozen=True)
class RowError:
    """What is wrong in one line of the file (the header is line 1) and in which column ("": the row)."""

    line: int
    column: str
    message: str


@dataclass
class Table:
    """A file's data rows as {column: text}, blank cells left out, with their line numbers."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # problems with the file itself (header, format)


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    apply_valid: bool = False
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def invalid_rows(self) -> int:
        return len({error.line for error in self.errors if error.line > 1})

    @property
    def to_write(self) -> int:
        return self.created + self.updated


# --- reading a file -----------------------------------------------------------------------------------


def _text(value) -> str:
    """A cell as text: numbers exactly as written (never through a float's noise), booleans as true/false,
    dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        number = Decimal(repr(value))
        return format(number.normalize(), "f") if number == number.to_integral_value() else str(number)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    text = str(value).strip().strip("\t").strip()
    if text.startswith('="') and text.endswith('"'):  # Excel's guard around long numbers
        text = text[2:-1]
    return text.lstrip("'").strip()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _csv_rows(data: bytes) -> Iterator[tuple[int, list]]:
    text = _decode(data)
    if "\x00" in text:
        raise ValueError(_("The file is neither CSV text (UTF-8 or GB18030) nor an XLSX workbook."))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise ValueError(_("Not readable as CSV: %(error)s") % {"error": exc}) from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValueError(_("Not readable as an XLSX workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        workbook.close()


def is_xlsx(name: str, data: bytes) -> bool:
    return name.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04"


def table_read(*, name: str, data: bytes, columns: Iterable[str], required: Iterable[str]) -> Table:
    """The rows of a CSV (UTF-8 with or without BOM, or GB18030) or XLSX file (its first sheet) whose first
    line names the columns (any order, any case; other columns are ignored)."""
    columns, required = tuple(columns), tuple(required)
    table = Table()
    rows = _xlsx_rows(data) if is_xlsx(name, data) else _csv_rows(data)
    try:
        header = None
        for number, cells in rows:
            texts = [_text(cell) for cell in cells]
            if header is None:
                if not any(texts):
                    continue
                header = _header(texts, columns, required, number, table.errors)
                if table.errors:
                    return table
                continue
            if not any(texts):
                continue
            if len(table.rows) >= MAX_ROWS:
                table.errors.append(
                    RowError(number, "", _("At most %(count)d rows per file.") % {"count": MAX_ROWS})
                )
                return table
            values = {column: text for column, text in zip(header, texts, strict=False) if column and text}
            table.rows.append((number, values))
    except ValueError as exc:
        table.errors.append(RowError(0, "", str(exc)))
        return table
    if header is None:
        table.errors.append(RowError(1, "", _("The file is empty: the first line must be the header.")))
    return table


def _header(texts: list[str], columns, required, number: int, errors: list[RowError]) -> list[str | None]:
    known = {column.lower(): column for column in columns}
    header: list[str | None] = []
    for text in texts:
        column = known.get(text.lstrip("\ufeff").strip().lower())
        if column is not None and column in header:
            errors.append(
                RowError(
                    number, column, _("Two header cells name the column %(column)s.") % {"column": column}
                )
            )
        header.append(column)
    missing = [column for column in required if column not in header]
    if missing:
        errors.append(
            RowError(
                number,
                "",
                _("The header must name the columns %(columns)s; missing: %(missing)s.")
                % {"columns": ", ".join(columns), "missing": ", ".join(missing)},
            )
        )
    return header


# --- importing ----------------------------------------------------------------------------------------


def _row_errors(lines: list[int], rejected, columns) -> list[RowError]:
    errors = []
    for rejection in rejected:
        line = lines[rejection.index]
        for name, messages in rejection.errors.items():
            column = name if name in columns else ""
            errors.extend(RowError(line, column, message) for message in messages)
    return errors


def _finish(result: ImportResult, *, apply: bool, table_errors: list[RowError]) -> bool:
    """Whether to keep what was written: only when applying, and only a clean file or valid rows chosen."""
    result.errors = sorted(table_errors + result.errors, key=lambda e: (e.line, e.column))
    keep = apply and not table_errors and (result.ok or result.apply_valid) and result.to_write > 0
    result.applied = keep
    return keep


def catalog_import(
    *, table: Table, name: str, user, apply: bool = False, apply_valid: bool = False
) -> ImportResult:
    """Preview (`apply=False`) or apply a catalogue file read with `table_read(columns=CATALOG_COLUMNS)`.

    Applying writes only a file without errors, or, with `apply_valid`, its valid rows."""
    result = ImportResult(rows=len(table.rows), apply_valid=apply_valid)
    if table.errors:
        _finish(result, apply=apply, table_errors=table.errors)
        return result
    lines = [line for line, _values in table.rows]
    with transaction.atomic():
        upsert = sku_upsert(
            rows=[values for _line, values in table.rows],
            reason=_("Import of %(name)s") % {"name": name},
            user=user,
            source=PriceChange.Source.IMPORT,
        )
        result.created, result.updated, result.unchanged = upsert.created, upsert.updated, upsert.unchanged
        result.errors = _row_errors(lines, upsert.rejected, CATALOG_COLUMNS)
        if not _finish(result, apply=apply, table_errors=[]):
            transaction.set_rollback(True)
    return result


def _seen_at(text: str):
    """A time without an offset is shop time (Asia/Shanghai); with one it is kept as given."""
    value = None
    match = _LOCAL_DATETIME.fullmatch(text)
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
        return text  # the service says what is wrong with it
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


def competitor_import(*, table: Table, apply: bool = False, apply_valid: bool = False) -> ImportResult:
    """Preview or apply a competitor-price file read with `table_read(columns=COMPETITOR_COLUMNS)`."""
    result = ImportResult(rows=len(table.rows), apply_valid=apply_valid)
    if table.errors:
        _finish(result, apply=apply, table_errors=table.errors)
        return result
    lines = [line for line, _values in table.rows]
    rows = []
    for _line, values in table.rows:
        row = dict(values)
        if "seen_at" in row:
            row["seen_at"] = _seen_at(row["seen_at"])
        rows.append(row)
    with transaction.atomic():
        record = competitor_prices_record(rows=rows, source="import")
        result.created, result.updated, result.unchanged = record.created, record.updated, record.unchanged
        result.errors = _row_errors(lines, record.rejected, COMPETITOR_COLUMNS)
        if not _finish(result, apply=apply, table_errors=[]):
            transaction.set_rollback(True)
    return result


# --- exporting ----------------------------------------------------------------------------------------


def catalog_export_rows(skus: Iterable[SKU]) -> Iterator[tuple]:
    """The catalogue in the import's columns (CATALOG_COLUMNS), from SKUs with product__category."""
    for sku in skus:
        yield (
            sku.code,
            sku.name,
            sku.product.category.code,
            sku.unit_cost,
            sku.list_price,
            sku.weight_kg,
            sku.role,
            "true" if sku.active else "false",
        )
