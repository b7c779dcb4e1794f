"""One SQLite file: its connection, its schema upgrades and its transactions.

The stores beside this module each hold the SQL of one concern and share one
:class:`Database`; nothing else in ``retrieval/`` writes SQL. The bot's own state file
(:mod:`bot.state`) is a :class:`Database` too, with its own migrations.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from retrieval.errors import InputError
from retrieval.owners import Owner, OwnerKind


def timestamp(moment: datetime) -> str:
    """How times are stored: UTC, to the microsecond, so they sort as text and no two
    events of the same second tie (a digest's boundary relies on it)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now() -> str:
    return timestamp(datetime.now(UTC))


def marks(values: Sequence[object]) -> str:
    """Placeholders for ``IN (...)``; ``NULL`` (which matches nothing) for no values."""
    return ",".join("?" * len(values)) or "NULL"


def owner_columns(owner: Owner) -> tuple[str, int]:
    """How an owner is stored: its kind and its id, in columns of their own."""
    return owner.kind.value, owner.id


def stored_owner(kind: str, owner_id: int) -> Owner:
    return Owner(OwnerKind(kind), owner_id)


def owners_in(
    owners: Sequence[Owner], columns: tuple[str, str] = ("owner_kind", "owner_id")
) -> tuple[str, list[object]]:
    """A condition that the owner stored in ``columns`` (kind, id) is one of ``owners``,
    and its parameters; no owners match nothing.

    One ``kind = ? AND id IN (...)`` per kind, so SQLite searches the (kind, id) index for
    each; a row value ``(kind, id) IN (VALUES ...)`` would scan the whole table."""
    ids: dict[OwnerKind, list[int]] = {}
    for owner in owners:
        ids.setdefault(owner.kind, []).append(owner.id)
    if not ids:
        return "0", []
    kind, owner_id = columns
    condition = " OR ".join(f"({kind} = ? AND {owner_id} IN ({marks(numbers)}))" for numbers in ids.values())
    return f"({condition})", [value for k, numbers in ids.items() for value in (k.value, *numbers)]


def disk_usage(paths: Iterable[Path]) -> int:
    """Bytes the files take; a directory, or a file deleted meanwhile (a finished index
    merge), counts 0."""
    total = 0
    for path in paths:
        with suppress(FileNotFoundError):
            total += path.stat().st_size if path.is_file() else 0
    return total


class Database:
    """Thread-safe: one connection behind a lock.

    ``migrations`` upgrade the schema by one version each (``PRAGMA user_version``); they
    run in one transaction with foreign keys off, so a step may rebuild a table others refer
    to, and may read an owner's text form with the SQL functions ``owner_kind(text)`` and
    ``owner_id(text)``. Statements are split on semicolons: none may appear in a comment or
    a literal.
    """

    def __init__(self, path: Path, migrations: Sequence[str]) -> None:
        self.path = path
        self._migrations = migrations
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._migrate()
        except (sqlite3.DatabaseError, OSError) as error:
            raise InputError(
                "I can't use {path} as a database ({reason}).", path=str(path), reason=_reason(error)
            ) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def size_bytes(self) -> int:
        """The database with its write-ahead log and other companion files."""
        return disk_usage(self.path.parent.glob(self.path.name + "*"))

    def _migrate(self) -> None:
        self._db.create_function("owner_kind", 1, _owner_kind, deterministic=True)
        self._db.create_function("owner_id", 1, _owner_id, deterministic=True)
        self._db.execute("PRAGMA foreign_keys = OFF")  # a step may rebuild a table others refer to
        try:
            with self.transaction() as db:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                for number, script in enumerate(self._migrations[version:], start=version + 1):
                    for statement in script.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {number}")
                if db.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise sqlite3.IntegrityError("an upgrade left rows that refer to nothing")
        finally:
            self._db.execute("PRAGMA foreign_keys = ON")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db


def _owner_kind(text: str) -> str:
    return Owner.parse(text).kind.value


def _owner_id(text: str) -> int:
    return Owner.parse(text).id


def _reason(error: BaseException) -> str:
    return str(error).rstrip(".") or type(error).__name__
