"""One database, a SQLite file or PostgreSQL: its connections and its transactions.

The stores beside this module each hold the queries of one concern, written once in
SQLAlchemy Core against :mod:`retrieval.storage.schema`, and share one :class:`Database`;
nothing else in ``retrieval/`` or ``bot/`` writes SQL. Which backend is a matter of where
the configuration points (:meth:`retrieval.config.StorageConfig.database`): a SQLite file or
a ``postgresql://`` URL (driven by psycopg 3). The few statements that differ between the
two are built by the helpers at the end of this module.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    URL,
    BindParameter,
    Column,
    ColumnElement,
    Connection,
    Select,
    Subquery,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    create_engine,
    event,
    exists,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy import exc as sql_errors
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.util import ClauseAdapter

from retrieval.errors import InputError
from retrieval.owners import Owner, OwnerKind

# PostgreSQL connections per process: the bot's threads (updates, feed workers, jobs) each
# hold one for a short transaction at a time.
POOL_SIZE = 10
POOL_OVERFLOW = 20
POOL_TIMEOUT_S = 30
SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_MMAP_BYTES = 1 << 30  # address space, not memory: pages are mapped, not read in


def timestamp(moment: datetime) -> str:
    """How times are stored and compared: UTC, to the microsecond, so they sort as text and
    no two events of the same second tie (a digest's boundary relies on it)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now() -> str:
    return timestamp(datetime.now(UTC))


def disk_usage(paths: Iterable[Path]) -> int:
    """Bytes the files take; a directory, or a file deleted meanwhile (a finished index
    merge), counts 0."""
    total = 0
    for path in paths:
        with suppress(FileNotFoundError):
            total += path.stat().st_size if path.is_file() else 0
    return total


def database_url(location: str | Path) -> URL:
    """The SQLAlchemy URL of a SQLite file or a ``postgresql://`` URL (psycopg 3 drives it)."""
    if isinstance(location, Path) or "://" not in location:
        return URL.create("sqlite", database=str(Path(location).expanduser()))
    try:
        url = make_url(location)
    except sql_errors.ArgumentError:
        raise InputError("{location} is not a database URL.", location=repr(location)) from None
    if url.get_backend_name() == "postgres":
        url = url.set(drivername="postgresql")
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite" and url.database:
        return url
    raise InputError(
        "I can use SQLite files and postgresql:// URLs, not {scheme}:// ones.", scheme=url.drivername
    )


def shown_url(url: URL) -> str:
    """A URL as messages show it: without its password."""
    return url.render_as_string(hide_password=True).replace("+psycopg", "")


class Database:
    """Thread-safe. SQLite: one connection behind a lock, writes in ``BEGIN IMMEDIATE``
    transactions, WAL. PostgreSQL: a pool of connections, each thread its own.

    :meth:`transaction` and :meth:`reading` hand out a connection for one short unit of work;
    inside one of them, the same thread gets the same connection again (a transaction may
    read through a store's reading method and see its own writes).
    """

    def __init__(self, location: str | Path | URL) -> None:
        self.url = location if isinstance(location, URL) else database_url(location)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.path = Path(self.url.database or "") if self.is_sqlite else None
        self._lock = threading.RLock() if self.is_sqlite else None
        self._local = threading.local()
        self._shared: Connection | None = None  # SQLite's one connection
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._engine = _sqlite_engine(self.url)
                self._shared = self._engine.connect()
            else:
                self._engine = _postgres_engine(self.url)
                with self._engine.connect():
                    pass
        except (sql_errors.SQLAlchemyError, OSError) as error:
            raise self.unusable(error) from None

    def unusable(self, error: BaseException) -> InputError:
        """The sentence for a database that cannot be opened or upgraded."""
        if self.path is not None:
            return InputError(
                "I can't use {path} as a database ({reason}).", path=str(self.path), reason=_reason(error)
            )
        return InputError(
            "I can't use the database {url} ({reason}).", url=shown_url(self.url), reason=_reason(error)
        )

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else shown_url(self.url)

    def close(self) -> None:
        with self._guard():
            if self._shared is not None:
                self._shared.close()
            self._engine.dispose()

    def size_bytes(self) -> int:
        """SQLite: the file with its write-ahead log and other companions; PostgreSQL: the
        database as the server counts it."""
        if self.path is not None:
            return disk_usage(self.path.parent.glob(self.path.name + "*"))
        with self.reading() as db:
            return db.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed at the end, rolled back on any exception. Inside
        another transaction of the same thread, part of that one."""
        with self._guard():
            use = self._use()
            if use.connection is not None:
                if not use.writing:  # PostgreSQL: the read's transaction ends in a rollback
                    raise RuntimeError("a transaction cannot begin inside a read")
                yield use.connection
                return
            with self._connection() as db:
                if self.is_sqlite:
                    db.exec_driver_sql("BEGIN IMMEDIATE")
                use.connection, use.writing = db, True
                try:
                    yield db
                except BaseException:
                    db.rollback()
                    raise
                finally:
                    use.connection = None
                db.commit()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to read with; SQLite reads outside a transaction see the last commit."""
        if self._shared is not None:
            with self._lock:  # type: ignore[union-attr]
                yield self._shared
            return
        use = self._use()
        if use.connection is not None:
            yield use.connection
            return
        with self._engine.connect() as db:
            use.connection, use.writing = db, False
            try:
                yield db
            finally:
                use.connection = None

    @contextmanager
    def schema_transaction(self) -> Iterator[Connection]:
        """A transaction for schema upgrades. On SQLite foreign keys are off while it runs (a
        step may rebuild a table others refer to) and checked before it commits."""
        with self._guard(), self._connection() as db:
            if not self.is_sqlite:
                with db.begin():
                    yield db
                return
            db.exec_driver_sql("PRAGMA foreign_keys = OFF")
            try:
                db.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield db
                    if db.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                        raise sqlite3.IntegrityError("an upgrade left rows that refer to nothing")
                except BaseException:
                    db.rollback()
                    raise
                db.commit()
            finally:
                db.exec_driver_sql("PRAGMA foreign_keys = ON")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        if self._lock is None:
            yield
        else:
            with self._lock:
                yield

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """SQLite's one connection (the caller holds the lock), or one from the pool."""
        if self._shared is not None:
            yield self._shared
            return
        with self._engine.connect() as db:
            yield db

    def _use(self) -> _Use:
        """What this thread has open (SQLite: the lock's holder)."""
        use = getattr(self._local, "use", None)
        if use is None:
            use = self._local.use = _Use()
        return use


class _Use:
    """A thread's open connection, and whether it is in a transaction."""

    __slots__ = ("connection", "writing")

    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.writing = False


def _sqlite_engine(url: URL) -> Any:
    # The driver opens no transaction of its own (isolation_level None): transaction()
    # begins them, IMMEDIATE so that a writer never fails to upgrade a read lock, and every
    # read outside one sees the latest commit. One connection, kept open: the lock
    # serialises its use.
    engine = create_engine(
        url, poolclass=StaticPool, connect_args={"check_same_thread": False, "isolation_level": None}
    )

    @event.listens_for(engine, "connect")
    def _configure(connection: Any, record: Any) -> None:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # Reads straight from the file's pages as the kernel caches them, rather than
        # copied into SQLite's small page cache a read call each: a third less CPU for the
        # answer path's reads of sentences scattered over a large database.
        connection.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")

    return engine


def _postgres_engine(url: URL) -> Any:
    return create_engine(
        url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_timeout=POOL_TIMEOUT_S,
        pool_pre_ping=True, connect_args={"options": "-c timezone=UTC", "connect_timeout": 10},
    )


def _reason(error: BaseException) -> str:
    if isinstance(error, sql_errors.DBAPIError) and error.orig is not None:
        error = error.orig
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text.rstrip(".") or type(error).__name__


class Read:
    """A read built once in Core and run at the least cost a call: on SQLite its SQL,
    compiled once, goes straight to the driver (SQLAlchemy's bookkeeping, about 0.1 ms a
    call, would be most of the cost of the short reads on the answer path; SQLite's column
    types here convert nothing, see :mod:`retrieval.storage.schema`); on PostgreSQL through
    SQLAlchemy, whose types turn timestamps and dates into their stored text. Rows are tuples.
    """

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self._sqlite: tuple[str, tuple[str, ...], dict[str, Any]] | None = None

    def rows(self, db: Connection, **params: Any) -> list[Any]:
        if db.dialect.name != "sqlite":
            return list(db.execute(self.statement, params))
        if self._sqlite is None:
            compiled = self.statement.compile(dialect=db.dialect)
            self._sqlite = (str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params))
        sql, names, defaults = self._sqlite
        values = [params[name] if name in params else defaults[name] for name in names]
        return db.connection.driver_connection.execute(sql, values).fetchall()


# --- owners -----------------------------------------------------------------------------


def owner_columns(owner: Owner) -> tuple[str, int]:
    """How an owner is stored: its kind and its id, in columns of their own."""
    return owner.kind.value, owner.id


def stored_owner(kind: str, owner_id: int) -> Owner:
    return Owner(OwnerKind(kind), owner_id)


def owner_is(owner: Owner, kind: Column, owner_id: Column) -> ColumnElement[bool]:
    return and_(kind == owner.kind.value, owner_id == owner.id)


def owners_in(owners: Sequence[Owner] | str, kind: Column, owner_id: Column) -> ColumnElement[bool]:
    """The owner stored in (``kind``, ``owner_id``) is one of ``owners``: a list (none match
    nothing), or the name of a parameter a statement built once gets (:func:`owners_value`)."""
    rows = json_rows(_values(owners, owners_value), kind, owner_id)
    return tuple_(kind, owner_id).in_(select(*rows.c))


def owners_value(owners: Sequence[Owner]) -> str:
    return json.dumps([owner_columns(owner) for owner in owners])


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
