"""One database, a SQLite file or PostgreSQL: its connections and its transactions.

The stores beside this module each hold the queries of one concern, written once in
SQLAlchemy Core against :mod:`retrieval.storage.schema`, and share one :class:`Database`;
nothing else in ``retrieval/`` or ``bot/`` writes SQL. Which backend is a matter of the URL
(:meth:`retrieval.config.StorageConfig.database_url`): ``sqlite:///FILE`` or
``postgresql://...`` (driven by psycopg 3). The few statements that differ between the two
are built by the helpers at the end of this module.
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
    Column,
    ColumnElement,
    Connection,
    Table,
    and_,
    any_,
    bindparam,
    create_engine,
    event,
    exists,
    false,
    func,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy import exc as sql_errors
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.sql.util import ClauseAdapter

from retrieval.errors import InputError
from retrieval.owners import Owner, OwnerKind

# PostgreSQL connections per process: the bot's threads (updates, feed workers, jobs) each
# hold one for a short transaction at a time.
POOL_SIZE = 10
POOL_OVERFLOW = 20
POOL_TIMEOUT_S = 30
SQLITE_BUSY_TIMEOUT_MS = 5000


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
        raise InputError(f"{location!r} is not a database URL.") from None
    if url.get_backend_name() == "postgres":
        url = url.set(drivername="postgresql")
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite" and url.database:
        return url
    raise InputError(f"I can use SQLite files and postgresql:// URLs, not {url.drivername}:// ones.")


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
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._engine = _sqlite_engine(self.url)
            else:
                self._engine = _postgres_engine(self.url)
            with self._engine.connect():
                pass
        except (sql_errors.SQLAlchemyError, OSError) as error:
            raise self.unusable(error) from None

    def unusable(self, error: BaseException) -> InputError:
        """The sentence for a database that cannot be opened or upgraded."""
        if self.path is not None:
            return InputError(f"I can't use {self.path} as a database ({_reason(error)}).")
        return InputError(f"I can't use the database {shown_url(self.url)} ({_reason(error)}).")

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else shown_url(self.url)

    def close(self) -> None:
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
            outer = self._current()
            if outer is not None:
                if not self._local.writing:
                    raise RuntimeError("a transaction cannot begin inside a read")
                yield outer
                return
            with self._engine.connect() as db:
                if self.is_sqlite:
                    db.exec_driver_sql("BEGIN IMMEDIATE")
                self._local.connection, self._local.writing = db, True
                try:
                    yield db
                except BaseException:
                    db.rollback()
                    raise
                finally:
                    self._local.connection = None
                db.commit()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self._guard():
            outer = self._current()
            if outer is not None:
                yield outer
                return
            with self._engine.connect() as db:
                self._local.connection, self._local.writing = db, False
                try:
                    yield db
                finally:
                    self._local.connection = None

    @contextmanager
    def schema_transaction(self) -> Iterator[Connection]:
        """A transaction for schema upgrades. On SQLite foreign keys are off while it runs (a
        step may rebuild a table others refer to) and checked before it commits."""
        with self._guard(), self._engine.connect() as db:
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

    def _current(self) -> Connection | None:
        return getattr(self._local, "connection", None)



def _sqlite_engine(url: URL) -> Any:
    # The driver opens no transaction of its own (isolation_level None): transaction()
    # begins them, IMMEDIATE so that a writer never fails to upgrade a read lock, and every
    # read outside one sees the latest commit. One connection: the lock serialises its use.
    engine = create_engine(
        url, pool_size=1, max_overflow=0,
        connect_args={"check_same_thread": False, "isolation_level": None},
    )

    @event.listens_for(engine, "connect")
    def _configure(connection: Any, record: Any) -> None:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")

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


# --- owners -----------------------------------------------------------------------------


def owner_columns(owner: Owner) -> tuple[str, int]:
    """How an owner is stored: its kind and its id, in columns of their own."""
    return owner.kind.value, owner.id


def stored_owner(kind: str, owner_id: int) -> Owner:
    return Owner(OwnerKind(kind), owner_id)


def owner_is(owner: Owner, kind: Column, owner_id: Column) -> ColumnElement[bool]:
    return and_(kind == owner.kind.value, owner_id == owner.id)


def owners_in(owners: Sequence[Owner], kind: Column, owner_id: Column) -> ColumnElement[bool]:
    """The owner stored in (``kind``, ``owner_id``) is one of ``owners``; none match nothing."""
    if not owners:
        return false()
    return tuple_(kind, owner_id).in_([owner_columns(owner) for owner in owners])


# --- what the two backends write differently -------------------------------------------------


def dialect_insert(db: Connection, table: Table) -> Any:
    """``INSERT`` with the backend's ``ON CONFLICT`` clauses (both spell them alike)."""
    return (postgresql.insert if db.dialect.name == "postgresql" else sqlite.insert)(table)


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


def one_of(column: Column, values: Sequence[str], db: Connection) -> ColumnElement[bool]:
    """``column`` is one of ``values``, however many: one parameter, a JSON array on SQLite
    (whose statements take at most 32,766 parameters) and an array on PostgreSQL."""
    if db.dialect.name == "postgresql":
        return column == any_(bindparam("values", list(values), type_=postgresql.ARRAY(column.type)))
    listed = select(literal_column("value")).select_from(func.json_each(json.dumps(list(values))))
    return column.in_(listed.scalar_subquery())
