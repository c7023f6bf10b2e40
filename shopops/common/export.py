"""CSV and XLSX downloads of what a list shows."""

import csv
from collections.abc import Iterable, Sequence
from decimal import Decimal
from io import BytesIO

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook

EXPORT_FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 100_000


class _Echo:
    def write(self, value):
        return value


def _cell(value):
    if isinstance(value, Decimal):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def export_response(*, filename: str, fmt: str, headers: Sequence[str], rows: Iterable[Sequence]):
    """Stream CSV (any size) or build an XLSX (bounded) from header + rows."""
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(list(headers))
        for index, row in enumerate(rows):
            if index >= XLSX_MAX_ROWS:
                break
            sheet.append([_cell(v) for v in row])
        buffer = BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # BOM so that Excel opens UTF-8 Chinese text correctly
        yield writer.writerow(list(headers))
        for row in rows:
            yield writer.writerow([_cell(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
