"""Bringing a database to the current schema when it is opened.

- A new database: every Alembic revision (``retrieval/storage/alembic/versions``) in order.
- A SQLite database from before Alembic (``PRAGMA user_version`` N, no ``alembic_version``
  table): the pre-Alembic steps it has not had (:mod:`retrieval.storage.legacy`), then it is
  stamped at the revision equal to the schema those steps left (:data:`LEGACY_REVISIONS`),
  then the revisions after that one.
- Any other: the revisions it has not had.

All of it in one transaction, so an upgrade that fails leaves the database as it was (both
backends roll schema changes back). On PostgreSQL an advisory lock makes processes that
start together upgrade one after the other. A database already at :data:`HEAD` costs one
query and never loads Alembic, nor SQLAlchemy on SQLite (the command line starts faster).
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.errors import InputError
from retrieval.storage.database import Database
from retrieval.storage.legacy import MIGRATIONS as LEGACY_MIGRATIONS
from retrieval.storage.legacy import upgrade_legacy

if TYPE_CHECKING:
    from sqlalchemy import Connection

# The newest revision; a test checks that it is the head of the revisions.
HEAD = "0008"
# PRAGMA user_version the pre-Alembic steps left -> the revision with the same schema.
LEGACY_REVISIONS = {5: "0005"}
SCRIPTS = Path(__file__).with_name("alembic")
# pg_advisory_xact_lock key held while the schema changes ("briefbot" in ASCII, as a number).
UPGRADE_LOCK = 0x6272696566626F74


class NewerDatabase(InputError):
    """The database was written by a newer Briefbot."""


def upgrade_schema(db: Database) -> None:
    """Bring ``db`` to :data:`HEAD`; :class:`InputError` with one sentence if it can't be."""
    try:
        if current_revision(db) == HEAD:
            return
        from sqlalchemy import text

        with db.schema_transaction() as connection:
            if not db.is_sqlite:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
            elif not _has_table(connection, "alembic_version"):
                _adopt_legacy(db, connection)
            _alembic(connection, "upgrade", "head")
    except NewerDatabase:
        raise
    except (sqlite3.Error, OSError, *_sqlalchemy_errors()) as error:
        raise db.unusable(error) from None


def _sqlalchemy_errors() -> tuple[type[Exception], ...]:
    """SQLAlchemy's errors, once it is loaded (before, none of them can have been raised)."""
    errors = sys.modules.get("sqlalchemy.exc")
    return (errors.SQLAlchemyError,) if errors is not None else ()


def current_revision(db: Database) -> str | None:
    """The Alembic revision ``db`` is at; None for a new database or one from before Alembic.
    On SQLite one query, through the driver alone."""
    if db.is_sqlite:
        try:
            return db.scalar_sql("SELECT version_num FROM alembic_version")
        except sqlite3.OperationalError as error:
            if str(error).startswith("no such table"):
                return None
            raise
    from sqlalchemy import text

    with db.reading() as connection:
        if not _has_table(connection, "alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _has_table(connection: Connection, name: str) -> bool:
    return connection.dialect.has_table(connection, name)


def _adopt_legacy(db: Database, connection: Connection) -> None:
    """A SQLite database the pre-Alembic steps built: finish those steps and stamp it."""
    raw = connection.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    if raw.execute("PRAGMA user_version").fetchone()[0] == 0:
        return  # new: Alembic builds it from the first revision
    version = upgrade_legacy(raw, LEGACY_MIGRATIONS)
    revision = LEGACY_REVISIONS.get(version)
    if revision is None:
        raise NewerDatabase(
            "{database} was written by a newer Briefbot (schema version {version}).",
            database=db.name, version=version,
        )
    _alembic(connection, "stamp", revision)


def _alembic(connection: Connection, command_name: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.util.exc import CommandError

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    try:
        getattr(command, command_name)(config, revision)
    except CommandError as error:  # a revision this Briefbot does not know
        raise NewerDatabase(
            "The database was written by a newer Briefbot ({reason}).", reason=str(error)
        ) from None
