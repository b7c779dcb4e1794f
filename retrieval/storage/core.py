"""The Core building blocks the stores share: owners in columns, rows given as one JSON
parameter, and the few statements the two backends write differently.

Importing this module imports SQLAlchemy; :mod:`retrieval.storage.database` does not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    Connection,
    Subquery,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    column,
    exists,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.types import TypeDecorator

from retrieval.owners import Owner
from retrieval.storage.database import LISTED_ROWS, owners_value

# --- owners -----------------------------------------------------------------------------


def owner_is(owner: Owner, kind: Column, owner_id: Column) -> ColumnElement[bool]:
    return and_(kind == owner.kind.value, owner_id == owner.id)


def owners_in(owners: Sequence[Owner] | str, kind: Column, owner_id: Column) -> ColumnElement[bool]:
    """The owner stored in (``kind``, ``owner_id``) is one of ``owners``: a list (none match
    nothing), or the name of a parameter a statement built once gets (:func:`owners_value`)."""
    rows = json_rows(_values(owners, owners_value), kind, owner_id)
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
    rows = json_rows(_values(values, lambda listed: json.dumps([[value] for value in listed])), column)
    return column.in_(select(*rows.c))


class json_elements(FunctionElement):  # noqa: N801 - named as SQL functions are
    """The elements of a JSON array given as text, one row each (column ``value``)."""

    name = "json_elements"
    inherit_cache = True


@compiles(json_elements)
def _json_each(element: json_elements, compiler: Any, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(json_elements, "postgresql")
def _json_array_elements(element: json_elements, compiler: Any, **kw: Any) -> str:
    return f"json_array_elements(CAST({compiler.process(element.clauses, **kw)} AS json))"


def json_rows(values: BindParameter, *columns: Column) -> Subquery:
    """The rows of ``values``, a JSON array of arrays, typed as ``columns``: one parameter
    however many rows (SQLite takes at most 32,766 in a statement), so a statement built
    once is compiled once and its text never changes with the number of rows."""
    elements = json_elements(values).table_valued("value")
    return select(
        *(
            cast(elements.c.value.op("->>")(literal_column(str(number))), column.type).label(column.name)
            for number, column in enumerate(columns)
        )
    ).subquery()


def _values(values: Sequence[Any] | str, as_json: Any) -> BindParameter:
    if isinstance(values, str):
        return bindparam(values, type_=Text)
    return bindparam(None, as_json(values), type_=Text)


# --- rows listed in the statement ------------------------------------------------------------


class _RowsAsJson(TypeDecorator):
    """A list of rows sent as the JSON array PostgreSQL's ``json_array_elements`` reads."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str:
        if not value:
            raise ValueError("listed rows need one row at least")
        return json.dumps(value)


class listed_rows_of(FunctionElement):  # noqa: N801 - named as SQL functions are
    """See :func:`listed_rows`. Its clauses: the parameter, then one typed column a column
    of the rows."""

    name = "listed_rows_of"
    inherit_cache = True


def listed_rows(name: str, *columns: Column) -> Any:
    """The rows of the parameter ``name`` (a list of tuples, one row at least), typed and
    named as ``columns``: for a read on the answer path, which a VALUES list serves at a
    third of the cost of :func:`json_rows` on SQLite. There the statement holds
    ``(VALUES ?)`` and :class:`retrieval.storage.database.Read` writes as many rows into
    it as are given; PostgreSQL reads them from one JSON parameter."""
    typed = [column(c.name, c.type) for c in columns]
    return listed_rows_of(bindparam(name, type_=_RowsAsJson()), *typed).table_valued(*typed)


@compiles(listed_rows_of)
def _listed_in_values(element: listed_rows_of, compiler: Any, **kw: Any) -> str:
    parameter, *columns = element.clauses.clauses
    quote = compiler.preparer.quote
    named = ", ".join(f"column{number} AS {quote(c.name)}" for number, c in enumerate(columns, start=1))
    return f"(SELECT {named} FROM {LISTED_ROWS}{compiler.process(parameter, **kw)}))"


@compiles(listed_rows_of, "postgresql")
def _listed_in_json(element: listed_rows_of, compiler: Any, **kw: Any) -> str:
    parameter, *columns = element.clauses.clauses
    types, quote = compiler.dialect.type_compiler_instance, compiler.preparer.quote
    named = ", ".join(
        f"CAST(value ->> {number} AS {types.process(c.type)}) AS {quote(c.name)}"
        for number, c in enumerate(columns)
    )
    return f"(SELECT {named} FROM json_array_elements(CAST({compiler.process(parameter, **kw)} AS json)))"
