"""The Core building blocks the stores share: owners in columns, rows listed in a statement
(one parameter however many), and the few statements the two backends write differently.

Importing this module imports SQLAlchemy; :mod:`retrieval.storage.database` does not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Table,
    Text,
    and_,
    bindparam,
    column,
    exists,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.types import TypeDecorator

from retrieval.owners import Owner
from retrieval.storage.database import AS_VALUES, LISTED_ROWS, owners_value

# --- owners -----------------------------------------------------------------------------


def owner_is(owner: Owner, kind: Column, owner_id: Column) -> ColumnElement[bool]:
    return and_(kind == owner.kind.value, owner_id == owner.id)


def owners_in(owners: Sequence[Owner] | str, kind: Column, owner_id: Column) -> ColumnElement[bool]:
    """The owner stored in (``kind``, ``owner_id``) is one of ``owners``: a list (none match
    nothing), or the name of a parameter a statement built once gets (:func:`owners_value`)."""
    rows = listed_rows(owners if isinstance(owners, str) else owners_value(owners), kind, owner_id)
    return tuple_(kind, owner_id).in_(select(*rows.c))


# --- what the two backends write differently -------------------------------------------------


def dialect_insert(db: Connection, table: Table) -> Any:
    """``INSERT`` with the backend's ``ON CONFLICT`` clauses (both spell them alike)."""
    if db.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def insert_or_ignore(db: Connection, table: Table) -> Any:
    """``INSERT`` that skips rows a unique key already holds (its rowcount says if it did)."""
    return dialect_insert(db, table).on_conflict_do_nothing().execution_options(preserve_rowcount=True)


def move_owner_rows(
    db: Connection,
    table: Table,
    old: Owner,
    new: Owner,
    *,
    unique: Sequence[str],
    columns: tuple[str, str] = ("owner_kind", "owner_id"),
    unique_where: ColumnElement[bool] | None = None,
    keep_clashes: bool = False,
) -> None:
    """Inside a transaction: ``old``'s rows become ``new``'s, except those that would clash
    with a row ``new`` holds already: same ``unique`` columns (beside the owner's), both rows
    meeting ``unique_where`` for a partial unique index. Those stay behind, and are dropped
    unless ``keep_clashes``."""
    kind, owner_id = table.c[columns[0]], table.c[columns[1]]
    theirs = table.alias("theirs")
    clash = exists().where(
        owner_is(new, theirs.c[columns[0]], theirs.c[columns[1]]),
        *(theirs.c[name] == table.c[name] for name in unique),
    )
    if unique_where is not None:
        clash = and_(unique_where, clash.where(ClauseAdapter(theirs).traverse(unique_where)))
    db.execute(
        table.update()
        .where(owner_is(old, kind, owner_id), ~clash)
        .values({columns[0]: new.kind.value, columns[1]: new.id})
    )
    if not keep_clashes:
        db.execute(table.delete().where(owner_is(old, kind, owner_id)))


def one_of(column: Column, values: Sequence[object] | str) -> ColumnElement[bool]:
    """``column`` is one of ``values`` (or of the parameter so named, see :func:`owners_in`)."""
    rows = listed_rows(values if isinstance(values, str) else [(value,) for value in values], column)
    return column.in_(select(*rows.c))


# --- rows listed in the statement ------------------------------------------------------------


class _RowsAsJson(TypeDecorator):
    """Listed rows (a list of tuples) sent as one JSON array of arrays."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str:
        return json.dumps(value)


class listed_rows_of(FunctionElement):  # noqa: N801 - named as SQL functions are
    """See :func:`listed_rows`. Its clauses: the parameter, then one typed column a column
    of the rows."""

    name = "listed_rows_of"
    inherit_cache = True


def listed_rows(rows: Sequence[Sequence[Any]] | str, *columns: Column) -> Any:
    """The rows given (tuples), or those of the parameter so named in a statement built
    once, as a table whose columns are typed and named as ``columns``.

    They go as one parameter, a JSON array, however many they are: the statement's text
    never changes with their number, and SQLite's limit of 32,766 parameters a statement
    does not apply. Except in a :class:`retrieval.storage.database.Read` on SQLite, whose
    SQL is compiled ahead (:func:`retrieval.storage.database.compile_for_sqlite`): there the
    statement holds ``(VALUES ?)`` and the read writes the rows into it at each call, at a
    third of the cost of reading them from JSON (the answer path's reads). Such a read
    takes one row at least, and a few thousand at most."""
    typed = [column(c.name, c.type) for c in columns]
    if isinstance(rows, str):
        parameter = bindparam(rows, type_=_RowsAsJson())
    else:
        parameter = bindparam(None, rows, type_=_RowsAsJson())
    return listed_rows_of(parameter, *typed).table_valued(*typed)


@compiles(listed_rows_of)
def _listed_on_sqlite(element: listed_rows_of, compiler: Any, **kw: Any) -> str:
    parameter, *columns = element.clauses.clauses
    if not kw.get(AS_VALUES):
        return _listed_in_json(compiler, parameter, columns, "json_each({})", **kw)
    quote = compiler.preparer.quote
    named = ", ".join(f"column{number} AS {quote(c.name)}" for number, c in enumerate(columns, start=1))
    return f"(SELECT {named} FROM {LISTED_ROWS}{compiler.process(parameter, **kw)}))"


@compiles(listed_rows_of, "postgresql")
def _listed_on_postgresql(element: listed_rows_of, compiler: Any, **kw: Any) -> str:
    parameter, *columns = element.clauses.clauses
    return _listed_in_json(compiler, parameter, columns, "json_array_elements(CAST({} AS json))", **kw)


def _listed_in_json(compiler: Any, parameter: Any, columns: list[Any], elements: str, **kw: Any) -> str:
    """The rows of a JSON array of arrays, read by ``elements`` (the backend's function
    giving its elements as rows of one column, ``value``)."""
    types, quote = compiler.dialect.type_compiler_instance, compiler.preparer.quote
    named = ", ".join(
        f"CAST(value ->> {number} AS {types.process(c.type)}) AS {quote(c.name)}"
        for number, c in enumerate(columns)
    )
    return f"(SELECT {named} FROM {elements.format(compiler.process(parameter, **kw))})"
