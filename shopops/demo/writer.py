"""Bulk writing of generated columns: PostgreSQL COPY, or executemany in one transaction elsewhere.

The generator hands over whole columns (numpy arrays or lists) tagged with a kind; they are turned into
text (COPY) or Python values (executemany) a chunk at a time, so that a million orders never exist as
a million model instances. Money travels as integer cents and is written as exact "123.45" strings.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.management.color import no_style
from django.db import connection

CHUNK_ROWS = 100_000
NULL_TS = np.iinfo(np.int64).min  # epoch-seconds sentinel for a NULL timestamp


@dataclass
class Col:
    """One column: `kind` says how `values` are written.

    int    – integer array
    money  – integer cents array, written as "123.45"
    milli  – integer thousandths array (weights), written as "1.234"
    ts     – UTC epoch seconds array, NULL_TS for NULL
    bool   – boolean array
    str    – list or array of str (None for NULL); must not contain tab, newline or backslash
    const  – one value (str, int, bool or None) repeated on every row
    """

    kind: str
    values: Any


def _fixed_point(values: np.ndarray, scale: int, digits: int) -> list[str]:
    if values.size and values.min() < 0:
        raise ValueError("Negative fixed-point values are not generated.")
    whole, frac = np.divmod(values, scale)
    fmt = f"{{}}.{{:0{digits}d}}".format
    return [fmt(a, b) for a, b in zip(whole.tolist(), frac.tolist(), strict=True)]


def _timestamps(values: np.ndarray, *, suffix: str, null) -> list:
    nulls = values == NULL_TS
    text = np.datetime_as_string(np.where(nulls, 0, values).astype("datetime64[s]"), unit="s")
    text = np.strings.add(np.strings.replace(text, "T", " "), suffix)
    out = text.astype(object)
    if nulls.any():
        out[nulls] = null
    return out.tolist()


def _column_values(col: Col, start: int, stop: int, *, text: bool) -> list:
    """The values of rows [start, stop) of a column: strings for COPY text, Python values otherwise."""
    kind = col.kind
    if kind == "const":
        value = col.values
        if text:
            value = (
                "\\N" if value is None else ("t" if value is True else "f" if value is False else str(value))
            )
        return [value] * (stop - start)
    part = col.values[start:stop]
    if kind == "int":
        values = np.asarray(part).tolist()
        return list(map(str, values)) if text else values
    if kind == "money":
        return _fixed_point(np.asarray(part, dtype=np.int64), 100, 2)
    if kind == "milli":
        return _fixed_point(np.asarray(part, dtype=np.int64), 1000, 3)
    if kind == "ts":
        # SQLite: Django's format, naive UTC "YYYY-MM-DD HH:MM:SS"; PostgreSQL: explicit UTC offset.
        return _timestamps(
            np.asarray(part, dtype=np.int64), suffix="+00" if text else "", null="\\N" if text else None
        )
    if kind == "bool":
        values = np.asarray(part, dtype=bool).tolist()
        return ["t" if v else "f" for v in values] if text else values
    if kind == "str":
        values = list(part) if not isinstance(part, list) else part
        if text:
            return ["\\N" if v is None else v for v in values]
        return values
    raise ValueError(f"Unknown column kind {kind!r}")


def _row_count(columns: dict[str, Col]) -> int:
    lengths = {len(c.values) for c in columns.values() if c.kind != "const"}
    if len(lengths) != 1:
        raise ValueError(f"Columns of unequal length: {lengths}")
    return lengths.pop()


def rows_write(model, columns: dict[str, Col]) -> int:
    """Insert the rows given as columns (by field name) into `model`'s table; return the row count."""
    opts = model._meta
    db_columns = [opts.get_field(name).column for name in columns]
    n = _row_count(columns)
    if n == 0:
        return 0
    table = connection.ops.quote_name(opts.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in db_columns)
    cols: Sequence[Col] = list(columns.values())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # noqa: S608 (model metadata)
                for start in range(0, n, CHUNK_ROWS):
                    stop = min(start + CHUNK_ROWS, n)
                    parts = [_column_values(c, start, stop, text=True) for c in cols]
                    copy.write("\n".join(map("\t".join, zip(*parts, strict=True))) + "\n")
        else:
            placeholders = ", ".join(["%s"] * len(cols))
            sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608 (model metadata)
            for start in range(0, n, CHUNK_ROWS):
                stop = min(start + CHUNK_ROWS, n)
                parts = [_column_values(c, start, stop, text=False) for c in cols]
                cursor.executemany(sql, zip(*parts, strict=True))
    return n


def next_id(model) -> int:
    """The first primary key after the table's current maximum."""
    opts = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MAX({connection.ops.quote_name(opts.pk.column)}) "  # noqa: S608 (model metadata)
            f"FROM {connection.ops.quote_name(opts.db_table)}"
        )
        current = cursor.fetchone()[0]
    return (current or 0) + 1


def sequences_reset(models) -> None:
    """After writing explicit primary keys, move the id sequences past them (PostgreSQL; no-op elsewhere)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if not statements:
        return
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
