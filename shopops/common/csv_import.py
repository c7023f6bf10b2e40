"""Reading a CSV export for an import: the header mapped onto the import's columns, each data row as
(line number, {column: text}), and what is wrong reported per line and column (`RowError`). Used by the
marketplace order import and the feedback import; each checks and applies its own values."""

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class RowError:
    """What is wrong in one line of the file (the header is line 1) and which column; "" for the row."""

    line: int
    column: str
    message: str


def csv_cell_clean(value: str) -> str:
    """A cell as text: spaces trimmed, and the guards exports put around long numbers removed (a leading
    apostrophe or tab, or Excel's ="…" formula)."""
    text = (value or "").strip().strip("\t").strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return text.lstrip("'").strip()


def csv_header_map(
    names: list[str], *, headers: Mapping[str, str], required: Sequence[str]
) -> tuple[list[str | None], list[RowError]]:
    """The import column of each header cell (`headers`: lower-case header text -> column; None: a column
    the import does not use), and the errors: a column named twice, required columns missing."""
    columns: list[str | None] = []
    seen: set[str] = set()
    errors = []
    for name in names:
        key = (name or "").strip().lstrip("\ufeff").strip().lower()
        column = headers.get(key)
        if column is not None and column in seen:
            errors.append(
                RowError(1, column, _("Two header cells name the column %(column)s.") % {"column": column})
            )
        seen.add(column)
        columns.append(column)
    missing = [column for column in required if column not in seen]
    if missing:
        errors.append(
            RowError(
                1,
                "",
                _("The header must name the columns %(columns)s; missing: %(missing)s.")
                % {"columns": ", ".join(required), "missing": ", ".join(missing)},
            )
        )
    return columns, errors


def csv_rows(
    text: str, *, headers: Mapping[str, str], required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]] | RowError]:
    """(line number, {column: cleaned text}) per data row, or a RowError; blank rows are skipped. A file
    that cannot be read past some line stops there with its error."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield RowError(1, "", _("Not readable as CSV: %(error)s") % {"error": exc})
        return
    if not header or not any(cell.strip() for cell in header):
        yield RowError(1, "", _("The file is empty: the first line must be the header."))
        return
    columns, errors = csv_header_map(header, headers=headers, required=required)
    if errors:
        yield from errors
        return
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(reader.line_num, "", _("Not readable as CSV: %(error)s") % {"error": exc})
            return
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
            yield RowError(reader.line_num, "", _("The row has more values than the header has columns."))
            continue
        yield (
            reader.line_num,
            {column: csv_cell_clean(cell) for column, cell in zip(columns, cells, strict=False) if column},
        )
