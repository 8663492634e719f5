"""Writing many rows of plain values in bulk: COPY on PostgreSQL, executemany elsewhere.

The ORM's bulk_create prepares every field of every row in Python; for millions of rows of plain values
that costs more than the database's own work, so rows go in as tuples of values the database takes as
they are (timestamps as UTC text, JSON as text). Each app calls these for its own tables (profiles'
bulk writer, the recommender's simulated interactions); callers run them inside a transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.db import connection, models


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} is not a column of its table")
    return field.column


def _columns(model: type[models.Model], fields: Sequence[str]) -> tuple[str, str]:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(_column(model, name)) for name in fields)
    return table, columns


def rows_insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows (tuples in `fields` order) into the model's table; returns how many."""
    table, columns = _columns(model, fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608 - names from _meta
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        rows = list(rows)
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608
        return len(rows)


def moments_for_database(seconds: np.ndarray) -> list[Any]:
    """UTC epoch seconds as the database's timestamp values."""
    seconds = np.asarray(seconds, dtype=np.int64)
    if connection.vendor in ("postgresql", "sqlite"):
        text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").tolist()
        # Django keeps SQLite timestamps as naive UTC text with a space; PostgreSQL reads the offset.
        suffix = "+00:00" if connection.vendor == "postgresql" else ""
        return [moment.replace("T", " ") + suffix for moment in text]
    return [
        connection.ops.adapt_datetimefield_value(datetime.datetime.fromtimestamp(int(s), tz=datetime.UTC))
        for s in seconds.tolist()
    ]
