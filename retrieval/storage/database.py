"""One database, a SQLite file or PostgreSQL: its connections and its transactions.

The stores beside this module each hold the queries of one concern, written once in
SQLAlchemy Core against :mod:`retrieval.storage.schema`, and share one :class:`Database`;
nothing else in ``retrieval/`` or ``bot/`` writes SQL. Which backend is a matter of where
the configuration points (:meth:`retrieval.config.StorageConfig.database`): a SQLite file or
a ``postgresql://`` URL (driven by psycopg 3). The Core building blocks the stores share,
and the few statements that differ between the two backends, are in
:mod:`retrieval.storage.core`.

This module does not import SQLAlchemy: on SQLite a reading command opens the file with
the driver alone, and runs reads compiled ahead of time (:func:`read`,
:mod:`retrieval.storage.sqlite_reads`); SQLAlchemy loads for the first write, schema
upgrade or other read, and at once for PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retrieval.errors import InputError
from retrieval.owners import Owner, OwnerKind

if TYPE_CHECKING:
    from sqlalchemy import URL, Connection, Engine, Select

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


def database_url(location: str) -> URL:
    """The SQLAlchemy URL of a ``postgresql://`` (or ``sqlite://``) URL; psycopg 3 drives
    PostgreSQL."""
    from sqlalchemy import exc as sql_errors
    from sqlalchemy.engine import make_url

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
    read through a store's reading method and see its own writes). :meth:`rows` runs a
    :class:`Read`.
    """

    def __init__(self, location: str | Path) -> None:
        self.url: URL | None = None
        if isinstance(location, str) and "://" in location:
            self.url = database_url(location)
            location = self.url.database or "" if self.url.get_backend_name() == "sqlite" else ""
        self.path = Path(location).expanduser() if location else None
        self.is_sqlite = self.path is not None
        self._lock = threading.RLock() if self.is_sqlite else None
        self._local = threading.local()
        self._driver: sqlite3.Connection | None = None  # SQLite's one connection
        self._shared: Connection | None = None  # SQLAlchemy's over it, once needed
        self._engine: Engine | None = None
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._driver = _open_sqlite(self.path)
            except (sqlite3.Error, OSError) as error:
                raise self.unusable(error) from None
        else:
            self._engine = _postgres_engine(self)

    def unusable(self, error: BaseException) -> InputError:
        """The sentence for a database that cannot be opened or upgraded."""
        if self.path is not None:
            return InputError(
                "I can't use {path} as a database ({reason}).", path=str(self.path), reason=_reason(error)
            )
        assert self.url is not None
        return InputError(
            "I can't use the database {url} ({reason}).", url=shown_url(self.url), reason=_reason(error)
        )

    @property
    def name(self) -> str:
        if self.path is not None:
            return str(self.path)
        assert self.url is not None
        return shown_url(self.url)

    def close(self) -> None:
        with self._guard():
            if self._shared is not None:
                self._shared.close()
            if self._engine is not None:
                self._engine.dispose()
            if self._driver is not None:
                self._driver.close()

    def size_bytes(self) -> int:
        """SQLite: the file with its write-ahead log and other companions; PostgreSQL: the
        database as the server counts it."""
        if self.path is not None:
            return disk_usage(self.path.parent.glob(self.path.name + "*"))
        with self.reading() as db:
            return db.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()

    def rows(self, query: Read, **params: Any) -> list[Any]:
        """The rows (tuples) of ``query`` with ``params``: on SQLite through the driver, with
        the SQL compiled ahead of time; inside a transaction of this thread, in it."""
        if self._driver is None:
            with self.reading() as db:
                return query.rows(db, **params)
        sql, values = query.sqlite_call(params)
        assert self._lock is not None
        with self._lock:  # not _guard(): a generator's context costs a microsecond a read
            return self._driver.execute(sql, values).fetchall()

    def data_version(self) -> tuple[int, int] | None:
        """A value that changes whenever the data may have changed, for what is kept in
        memory beside it. SQLite: the rows this connection changed so far and the file's
        data version (which moves when another connection commits: the bot beside a command
        line, or the other way round). None on PostgreSQL, where other replicas commit
        without telling, and inside a transaction, which may yet be rolled back: nothing read
        then may be kept."""
        if self._driver is None:
            return None
        with self._guard():
            if self._use().connection is not None:
                return None
            return self._driver.total_changes, self._driver.execute("PRAGMA data_version").fetchone()[0]

    def scalar_sql(self, sql: str) -> Any:
        """The first column of the first row of ``sql``, a statement without parameters that
        is the same on both backends; None without rows."""
        if self._driver is not None:
            with self._guard():
                row = self._driver.execute(sql).fetchone()
            return None if row is None else row[0]
        with self.reading() as db:
            return db.exec_driver_sql(sql).scalar()

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
        if self.is_sqlite:
            with self._guard():
                yield self._sqlalchemy()
            return
        use = self._use()
        if use.connection is not None:
            yield use.connection
            return
        assert self._engine is not None
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
        if self.is_sqlite:
            yield self._sqlalchemy()
            return
        assert self._engine is not None
        with self._engine.connect() as db:
            yield db

    def _sqlalchemy(self) -> Connection:
        """SQLite: SQLAlchemy's connection over the driver's one, made when first needed (the
        caller holds the lock)."""
        if self._shared is None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import StaticPool

            driver = self._driver
            self._engine = create_engine("sqlite://", creator=lambda: driver, poolclass=StaticPool)
            self._shared = self._engine.connect()
        return self._shared

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


def _open_sqlite(path: Path) -> sqlite3.Connection:
    # The driver opens no transaction of its own (isolation_level None): transaction()
    # begins them, IMMEDIATE so that a writer never fails to upgrade a read lock, and every
    # read outside one sees the latest commit. One connection, kept open: the lock
    # serialises its use.
    driver = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        driver.execute("PRAGMA journal_mode = WAL")
        driver.execute("PRAGMA synchronous = NORMAL")
        driver.execute("PRAGMA foreign_keys = ON")
        driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # Reads straight from the file's pages as the kernel caches them, rather than
        # copied into SQLite's small page cache a read call each: a third less CPU for the
        # answer path's reads of sentences scattered over a large database.
        driver.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
    except BaseException:
        driver.close()
        raise
    return driver


def _postgres_engine(db: Database) -> Engine:
    from sqlalchemy import create_engine
    from sqlalchemy import exc as sql_errors

    engine = create_engine(
        db.url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_timeout=POOL_TIMEOUT_S,
        pool_pre_ping=True, connect_args={"options": "-c timezone=UTC", "connect_timeout": 10},
    )
    try:
        with engine.connect():
            pass
    except (sql_errors.SQLAlchemyError, OSError) as error:
        engine.dispose()
        raise db.unusable(error) from None
    return engine


def _reason(error: BaseException) -> str:
    driver_error = getattr(error, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's
    if isinstance(driver_error, BaseException):
        error = driver_error
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text.rstrip(".") or type(error).__name__


# Written before the parameter of rows a statement lists (retrieval.storage.core.listed_rows)
# when it is compiled with the keyword AS_VALUES, as compile_for_sqlite does.
LISTED_ROWS = "(VALUES "
AS_VALUES = "listed_rows_as_values"
# The SQL a read keeps written out for so many numbers of listed rows at most (the answer
# path's reads list 1 to about 60; a chat's owners, one and a feed each).
MAX_WRITTEN_SHAPES = 128

# The reads :func:`read` made, by name: what :mod:`retrieval.storage.compile_reads` compiles.
READS: dict[str, Read] = {}


class Read:
    """A read built once in Core and run at the least cost a call: on SQLite its SQL,
    compiled once, goes straight to the driver (SQLAlchemy's bookkeeping, about 0.1 ms a
    call, would be most of the cost of the short reads on the answer path; SQLite's column
    types here convert nothing, see :mod:`retrieval.storage.schema`); on PostgreSQL through
    SQLAlchemy, whose types turn timestamps and dates into their stored text. Rows are tuples.

    ``statement`` is the Core statement, or a function that builds it when first needed;
    a read with a ``name`` (see :func:`read`) takes its SQLite SQL from
    :mod:`retrieval.storage.sqlite_reads` and never needs SQLAlchemy on SQLite.
    """

    def __init__(self, statement: Select | Callable[[], Select], name: str | None = None) -> None:
        self._statement = statement
        self.name = name
        self._sqlite: tuple[str, tuple[str, ...], dict[str, Any]] | None = None
        self._pieces: list[str] = []  # the SQLite SQL split at its parameters
        self._listed: tuple[int, ...] = ()  # which of them are listed rows
        self._written: dict[tuple[int, ...], str] = {}  # the SQL for so many rows listed
        if name is not None:
            READS[name] = self

    @property
    def statement(self) -> Select:
        if callable(self._statement):
            self._statement = self._statement()
        return self._statement

    def rows(self, db: Connection, **params: Any) -> list[Any]:
        if db.dialect.name != "sqlite":
            return list(db.execute(self.statement, params))
        sql, values = self.sqlite_call(params)
        return db.connection.driver_connection.execute(sql, values).fetchall()

    def sqlite(self) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        """The SQLite SQL, the names of its parameters in order, and the values of those the
        statement itself gives."""
        if self._sqlite is None:
            from retrieval.storage.sqlite_reads import SQL

            compiled = SQL.get(self.name) if self.name is not None else None
            self._sqlite = compiled or compile_for_sqlite(self.statement)
            pieces = self._sqlite[0].split("?")
            self._listed = tuple(i for i, piece in enumerate(pieces[:-1]) if piece.endswith(LISTED_ROWS))
            self._pieces = pieces
        return self._sqlite

    def sqlite_call(self, params: dict[str, Any]) -> tuple[str, list[Any]]:
        """The SQLite SQL and its parameters' values for ``params``: each list of rows a
        :func:`retrieval.storage.core.listed_rows` takes written into the SQL, row by row."""
        sql, names, defaults = self.sqlite()
        values = [params[name] if name in params else defaults[name] for name in names]
        if not self._listed:
            return sql, values
        shape = tuple(len(values[number]) for number in self._listed)
        if 0 in shape:
            raise ValueError("listed rows need one row at least")
        written = self._written.get(shape)
        if written is None:
            if len(self._written) >= MAX_WRITTEN_SHAPES:  # a bot runs for months: bounded
                self._written.clear()
            written = self._written[shape] = self._write(values)
        flat: list[Any] = []
        for number, value in enumerate(values):
            if number in self._listed:
                flat.extend(chain.from_iterable(value))
            else:
                flat.append(value)
        return written, flat

    def _write(self, values: list[Any]) -> str:
        """The SQL with the listed rows of ``values`` written in as so many rows of ``?``
        (kept by their numbers: the answer path's reads list from one to some twenty)."""
        pieces, written = self._pieces, [self._pieces[0]]
        for number, value in enumerate(values):
            if number in self._listed:
                row = "(" + ", ".join("?" * len(value[0])) + ")"
                written.append(", ".join([row] * len(value)))
            else:
                written.append("?")
            written.append(pieces[number + 1])
        return "".join(written)


def read(build: Callable[[], Select]) -> Read:
    """A :class:`Read` of the statement ``build`` makes (it imports SQLAlchemy and the
    tables itself), named after it: on SQLite its SQL comes from
    :mod:`retrieval.storage.sqlite_reads`, compiled ahead of time from ``build``'s statement
    (``python -m retrieval.storage.compile_reads``; a test fails when it is stale), so the
    reads of a reading command never load SQLAlchemy."""
    return Read(build, name=f"{build.__module__}.{build.__name__}")


def compile_for_sqlite(statement: Select) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """What :meth:`Read.sqlite` gives for ``statement``."""
    from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

    compiled = statement.compile(dialect=SQLiteDialect_pysqlite(), compile_kwargs={AS_VALUES: True})
    return str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params)


# --- owners -----------------------------------------------------------------------------


def owner_columns(owner: Owner) -> tuple[str, int]:
    """How an owner is stored: its kind and its id, in columns of their own."""
    return owner.kind.value, owner.id


def stored_owner(kind: str, owner_id: int) -> Owner:
    return Owner(OwnerKind(kind), owner_id)


def owners_value(owners: Iterable[Owner]) -> list[tuple[str, int]]:
    """Owners as the rows :func:`retrieval.storage.core.owners_in` lists."""
    return [owner_columns(owner) for owner in owners]
