"""Fast inserts of many signal rows: COPY on PostgreSQL, bulk_create elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import orjson
from django.db import connection, models

BATCH = 5000


def bulk_insert(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    """Insert rows (tuples in ``fields`` order) in the current transaction; returns the count.

    Values go in as they are: no model validation, no signals. Callers pass plain values
    (ints, strings, aware datetimes, lists for JSON fields).
    """
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    assert all(isinstance(f, models.Field) for f in columns), "concrete fields only"
    json_at = [i for i, f in enumerate(columns) if isinstance(f, models.JSONField)]
    if connection.vendor == "postgresql":
        names = ", ".join(connection.ops.quote_name(str(getattr(f, "column", ""))) for f in columns)
        table = connection.ops.quote_name(meta.db_table)
        return _copy_text(f"COPY {table} ({names}) FROM STDIN", rows, set(json_at))
    objs = (model(**dict(zip(fields, row, strict=True))) for row in rows)
    created = 0
    batch: list[models.Model] = []
    for obj in objs:
        batch.append(obj)
        if len(batch) >= BATCH:
            created += len(model._default_manager.bulk_create(batch))
            batch = []
    if batch:
        created += len(model._default_manager.bulk_create(batch))
    return created


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any, as_json: bool) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if as_json:
        return orjson.dumps(value).decode().translate(_ESCAPES)
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


def _copy_text(
    statement: str, rows: Iterable[tuple[Any, ...]], json_at: set[int], chunk: int = 5000
) -> int:
    """COPY rows formatted here in large chunks: far cheaper than a call per row."""
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(statement) as copy:
            lines: list[str] = []
            for row in rows:
                lines.append("\t".join([_text(v, i in json_at) for i, v in enumerate(row)]))
                if len(lines) >= chunk:
                    copy.write("\n".join(lines) + "\n")
                    count += len(lines)
                    lines = []
            if lines:
                copy.write("\n".join(lines) + "\n")
                count += len(lines)
    return count


def bulk_upsert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
) -> None:
    """Insert rows, or on a ``conflict`` update the ``update`` fields (nothing when empty).

    On PostgreSQL the rows go by COPY into a temporary table and one INSERT ... ON CONFLICT
    moves them; elsewhere ``bulk_create`` does the same.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        if update:
            model._default_manager.bulk_create(
                objs, update_conflicts=True, unique_fields=conflict, update_fields=update
            )
        else:
            model._default_manager.bulk_create(objs, ignore_conflicts=True)
        return
    meta = model._meta
    q = connection.ops.quote_name
    cols = [str(getattr(meta.get_field(f), "column", f)) for f in fields]
    keys = [str(getattr(meta.get_field(f), "column", f)) for f in conflict]
    sets = [str(getattr(meta.get_field(f), "column", f)) for f in update]
    table, tmp = q(meta.db_table), q(f"tmp_{meta.db_table}")
    col_sql = ", ".join(q(c) for c in cols)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {tmp}")
        cursor.execute(
            f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {col_sql} FROM {table} WITH NO DATA"
        )
    bulk_insert_table(tmp, model, fields, rows)
    action = (
        "DO UPDATE SET " + ", ".join(f"{q(c)} = EXCLUDED.{q(c)}" for c in sets)
        if sets
        else "DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({col_sql}) SELECT {col_sql} FROM {tmp} "
            f"ON CONFLICT ({', '.join(q(k) for k in keys)}) {action}"
        )
        cursor.execute(f"DROP TABLE {tmp}")


def bulk_insert_table(
    table: str, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """COPY rows into an already-quoted table name, with the model's field types."""
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    json_at = {i for i, f in enumerate(columns) if isinstance(f, models.JSONField)}
    names = ", ".join(connection.ops.quote_name(str(getattr(f, "column", ""))) for f in columns)
    _copy_text(f"COPY {table} ({names}) FROM STDIN", rows, json_at)


# --- Binary COPY of fixed-width columns -------------------------------------------------

_PG_EPOCH_US = 946_684_800 * 1_000_000  # 2000-01-01 UTC, PostgreSQL's zero, in Unix µs
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_WIDTHS = {"int8": ">i8", "int4": ">i4", "timestamptz": ">i8"}


def copy_columns(
    model: type[models.Model],
    columns: Sequence[tuple[str, str, Any]],
    n_rows: int,
) -> int:
    """COPY ``n_rows`` rows given as columns, in PostgreSQL's binary format; returns n_rows.

    Each column is ``(field name, kind, values)``: kind ``int8``/``int4`` takes integers,
    ``timestamptz`` takes Unix microseconds, both as a NumPy array or one value for every
    row; kind ``text`` takes one str for every row (group rows by their text values to
    use it). No Python object per row: the rows are laid out by NumPy in one buffer.
    """
    if n_rows == 0:
        return 0
    fields: list[tuple[str, Any]] = [("n", ">i2")]
    fills: list[tuple[str, Any]] = []
    for i, (_, kind, values) in enumerate(columns):
        if kind == "text":
            data = str(values).encode()
            fields += [(f"l{i}", ">i4"), (f"v{i}", f"S{len(data)}" if data else "V0")]
            fills.append((f"l{i}", len(data)))
            if data:
                fills.append((f"v{i}", data))
            continue
        fields += [(f"l{i}", ">i4"), (f"v{i}", _WIDTHS[kind])]
        fills.append((f"l{i}", 4 if kind == "int4" else 8))
        if kind == "timestamptz":
            values = np.asarray(values, dtype=np.int64) - _PG_EPOCH_US
        fills.append((f"v{i}", values))
    rows = np.empty(n_rows, dtype=np.dtype(fields))
    rows["n"] = len(columns)
    for name, values in fills:
        rows[name] = values
    meta = model._meta
    q = connection.ops.quote_name
    names = ", ".join(q(str(getattr(meta.get_field(f), "column", f))) for f, _, _ in columns)
    statement = f"COPY {q(meta.db_table)} ({names}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        copy.write(_BINARY_HEADER)
        view = rows.view(np.uint8).data
        step = 1 << 22
        for start in range(0, len(view), step):
            copy.write(view[start : start + step])
        copy.write(b"\xff\xff")
    return n_rows
