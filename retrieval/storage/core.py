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
    exists,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.util import ClauseAdapter

from retrieval.owners import Owner
from retrieval.storage.database import owners_value

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
