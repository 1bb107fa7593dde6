"""``field__any=[...]``: membership in a list, sent as one array parameter on PostgreSQL.

A batch's queries name hundreds of member ids. As ``IN (%s, %s, ...)`` each id is a
placeholder that Django and psycopg handle one by one on every query; as ``= ANY(%s)``
the list is one value. Elsewhere it is a plain ``IN``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import Lookup
from django.db.models.sql.compiler import SQLCompiler


class AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any"
    prepare_rhs = False

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [int(v) for v in self.rhs]
        if not values:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        marks = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({marks})", [*lhs_params, *values]


def register() -> None:
    for field in (models.ForeignKey, models.BigAutoField, models.AutoField):
        field.register_lookup(AnyOf)
