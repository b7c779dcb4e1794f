"""Copying one database into another, empty one: a SQLite installation into PostgreSQL.

Every table of :mod:`retrieval.storage.schema`, parents before children, ids as they were,
in one transaction of the target: a copy that fails leaves the target empty. Afterwards
each identity column's sequence is set past the highest id the source ever gave (SQLite's
``sqlite_sequence`` remembers ids of deleted rows too), so no id is ever given twice.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select, text

from retrieval.errors import InputError
from retrieval.storage.database import Database
from retrieval.storage.schema import metadata

BATCH = 2_000


def copy_database(source: Database, target: Database) -> dict[str, int]:
    """Copy everything; returns the rows copied per table. :class:`InputError` if the
    target holds anything already."""
    tables = metadata.sorted_tables
    with source.reading() as reading, target.transaction() as writing:
        for table in tables:
            if writing.execute(select(func.count()).select_from(table)).scalar_one():
                raise InputError(
                    "The database {database} is not empty (its {table} table has rows): "
                    "I only copy into an empty one.",
                    database=target.name, table=table.name,
                )
        counts = {}
        for table in tables:
            counts[table.name] = 0
            for rows in reading.execute(select(table)).partitions(BATCH):
                writing.execute(table.insert(), [dict(row._mapping) for row in rows])
                counts[table.name] += len(rows)
        if not target.is_sqlite:
            _advance_sequences(reading, writing, source.is_sqlite)
    return counts


def _advance_sequences(source: Connection, target: Connection, from_sqlite: bool) -> None:
    given = {}
    if from_sqlite:
        given = dict(source.execute(text("SELECT name, seq FROM sqlite_sequence")).all())
    for table in metadata.sorted_tables:
        identity = [column for column in table.columns if column.identity is not None]
        for column in identity:
            highest = source.execute(select(func.max(column))).scalar() or 0
            last = max(highest, given.get(table.name, 0))
            if last:
                target.execute(
                    text("SELECT setval(pg_get_serial_sequence(:table, :column), :last)"),
                    {"table": table.name, "column": column.name, "last": last},
                )
