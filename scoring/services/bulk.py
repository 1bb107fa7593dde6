"""Fast inserts of many signal rows: COPY on PostgreSQL, bulk_create elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

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
        count = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    if json_at:
                        row = tuple(
                            orjson.dumps(v).decode() if i in json_at else v
                            for i, v in enumerate(row)
                        )
                    copy.write_row(row)
                    count += 1
        return count
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
