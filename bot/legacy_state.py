"""The bot's chat state from before it moved into the database: ``briefbot.bot.db``.

Until then the bot kept its chat state in a SQLite file of its own beside the engine's
database. At start (and before ``briefbot migrate-to``) that file, if it is there, is
brought to its last version by its own steps, copied into the database's chat tables
(:mod:`retrieval.storage.schema`) and renamed ``briefbot.bot.db.imported``, so that a
self-hoster who upgrades loses nothing. Rows the database already holds are kept.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

from sqlalchemy import Table

from retrieval.config import StorageConfig
from retrieval.errors import InputError
from retrieval.storage.core import insert_or_ignore
from retrieval.storage.database import Database
from retrieval.storage.legacy import upgrade_legacy
from retrieval.storage.schema import chats, deliveries, handled_messages, renamed_chats, shown_messages

log = logging.getLogger(__name__)

IMPORTED_SUFFIX = ".imported"

# Each entry upgraded the file by one version (PRAGMA user_version). Frozen.
MIGRATIONS: list[str] = [
    """
    -- Before versions were counted: a file from then already has these tables.
    CREATE TABLE IF NOT EXISTS chats (
        chat TEXT PRIMARY KEY,
        sentences INTEGER,
        algorithm TEXT,
        last_article INTEGER
    );
    CREATE TABLE IF NOT EXISTS shown (
        chat TEXT NOT NULL,
        message_id INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        PRIMARY KEY (chat, message_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS delivery (
        chat TEXT PRIMARY KEY,
        digest_time TEXT,
        time_zone TEXT,
        digest_enabled INTEGER NOT NULL DEFAULT 1,
        nothing_new_note INTEGER NOT NULL DEFAULT 1,
        handled_day TEXT,
        paused INTEGER NOT NULL DEFAULT 0,
        last_alert_at TEXT
    );
    CREATE TABLE IF NOT EXISTS handled (
        chat TEXT NOT NULL,
        message_id INTEGER NOT NULL,
        PRIMARY KEY (chat, message_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS renamed (
        old TEXT NOT NULL,
        new TEXT NOT NULL,
        PRIMARY KEY (new, old)
    ) WITHOUT ROWID
    """,
    """
    -- Chats as kind and id. Which days' digests were handled moved to the engine's digest
    -- log, the one record of which digest was sent when: handled_day goes.
    CREATE TABLE chats_v2 (
        owner_kind TEXT NOT NULL,
        owner_id INTEGER NOT NULL,
        sentences INTEGER,
        algorithm TEXT,
        last_article INTEGER,
        PRIMARY KEY (owner_kind, owner_id)
    ) WITHOUT ROWID;
    INSERT INTO chats_v2
        SELECT owner_kind(chat), owner_id(chat), sentences, algorithm, last_article FROM chats;
    DROP TABLE chats;
    ALTER TABLE chats_v2 RENAME TO chats;

    CREATE TABLE shown_v2 (
        owner_kind TEXT NOT NULL,
        owner_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        PRIMARY KEY (owner_kind, owner_id, message_id)
    ) WITHOUT ROWID;
    INSERT INTO shown_v2 SELECT owner_kind(chat), owner_id(chat), message_id, article_id FROM shown;
    DROP TABLE shown;
    ALTER TABLE shown_v2 RENAME TO shown;

    CREATE TABLE delivery_v2 (
        owner_kind TEXT NOT NULL,
        owner_id INTEGER NOT NULL,
        digest_time TEXT,
        time_zone TEXT,
        digest_enabled INTEGER NOT NULL DEFAULT 1,
        nothing_new_note INTEGER NOT NULL DEFAULT 1,
        paused INTEGER NOT NULL DEFAULT 0,
        last_alert_at TEXT,
        PRIMARY KEY (owner_kind, owner_id)
    ) WITHOUT ROWID;
    INSERT INTO delivery_v2
        SELECT owner_kind(chat), owner_id(chat), digest_time, time_zone, digest_enabled, nothing_new_note,
            paused, last_alert_at
        FROM delivery;
    DROP TABLE delivery;
    ALTER TABLE delivery_v2 RENAME TO delivery;

    CREATE TABLE handled_v2 (
        owner_kind TEXT NOT NULL,
        owner_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        PRIMARY KEY (owner_kind, owner_id, message_id)
    ) WITHOUT ROWID;
    INSERT INTO handled_v2 SELECT owner_kind(chat), owner_id(chat), message_id FROM handled;
    DROP TABLE handled;
    ALTER TABLE handled_v2 RENAME TO handled;

    CREATE TABLE renamed_v2 (
        old_kind TEXT NOT NULL,
        old_id INTEGER NOT NULL,
        new_kind TEXT NOT NULL,
        new_id INTEGER NOT NULL,
        PRIMARY KEY (new_kind, new_id, old_kind, old_id)
    ) WITHOUT ROWID;
    INSERT INTO renamed_v2 SELECT owner_kind(old), owner_id(old), owner_kind(new), owner_id(new) FROM renamed;
    DROP TABLE renamed;
    ALTER TABLE renamed_v2 RENAME TO renamed
    """,
    """
    -- language: the one the chat chose with /language (None: each reply follows the language
    -- of the person it answers). seen_language: the Telegram language of whoever wrote last,
    -- for what the bot sends on its own (alerts, digests) when the chat chose none.
    ALTER TABLE chats ADD COLUMN language TEXT;
    ALTER TABLE chats ADD COLUMN seen_language TEXT
    """,
]


# The file's tables at its last version -> the database's, column for column.
TABLES: dict[str, Table] = {
    "chats": chats,
    "shown": shown_messages,
    "handled": handled_messages,
    "delivery": deliveries,
    "renamed": renamed_chats,
}


def legacy_state_path(database: Path) -> Path:
    """Where the bot kept its state beside a SQLite ``database``."""
    return database.with_name(database.stem + ".bot.db")


def import_legacy_state(path: Path, db: Database) -> bool:
    """Copy the old state file at ``path`` into ``db`` and rename it; False if there is none.

    One transaction in ``db``; the file itself is only read (its upgrade is rolled back),
    and renamed once the copy is committed.
    """
    if not path.is_file():
        return False
    rows = _read(path)
    with db.transaction() as connection:
        for name, table in TABLES.items():
            if rows[name]:
                connection.execute(insert_or_ignore(connection, table), rows[name])
    path.rename(path.with_name(path.name + IMPORTED_SUFFIX))
    log.info("imported the chat state of %s into %s", path, db.name)
    return True


def _read(path: Path) -> dict[str, list[dict[str, object]]]:
    """Every row of the file, as its last version has them."""
    try:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as old:
            old.row_factory = sqlite3.Row
            old.execute("BEGIN IMMEDIATE")
            try:
                upgrade_legacy(old, MIGRATIONS)
                return {name: [dict(row) for row in old.execute(f"SELECT * FROM {name}")] for name in TABLES}
            finally:
                old.execute("ROLLBACK")
    except (sqlite3.Error, ValueError) as error:
        raise InputError(
            "I can't read the old chat state in {path} ({reason}).", path=str(path), reason=str(error)
        ) from None


def import_beside(storage: StorageConfig, db: Database) -> bool:
    """Import the old state file beside a SQLite database, if there is one. A PostgreSQL
    database has none beside it: ``briefbot migrate-to`` imports it into SQLite first."""
    if storage.url:
        return False
    return import_legacy_state(legacy_state_path(storage.db_path()), db)
