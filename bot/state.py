"""What the bot remembers per chat, in its own SQLite file next to the engine's database.

Articles, feeds, topics and the digest log belong to the engine; this file only holds the
bot's own state, so it survives restarts: each chat's summary settings, its last article,
which of the bot's messages show which article (a reply to one of them asks about that
article), when and how it wants its digest and alerts, which of its messages were already
handled (Telegram delivers an update again when the bot stopped before confirming it).
Chats are :class:`Owner` values, stored as kind and id.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from retrieval.owners import Owner, OwnerKind
from retrieval.storage.database import Database, owner_columns, stored_owner

# How many "this message shows article N" rows to keep per chat; replies to older
# messages simply stop being scoped.
SHOWN_PER_CHAT = 1000
# How many handled message ids to keep per chat. Telegram re-delivers only the updates
# of the last getUpdates batch (at most 100) that the bot did not confirm.
HANDLED_PER_CHAT = 200

_CHAT = "owner_kind = ? AND owner_id = ?"

# Each entry upgrades the file by one version (see retrieval.storage.database.Database).
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


class ChatSettings(BaseModel):
    """A chat's choices; ``None`` means the configured default."""

    sentences: int | None = None
    algorithm: str | None = None


class DigestSettings(BaseModel):
    """When a chat gets its daily digest; ``None`` means the configured default."""

    time: str | None = None
    zone: str | None = None
    enabled: bool = True
    nothing_new_note: bool = True


class Delivery(BaseModel):
    """A chat as the scheduled jobs see it."""

    chat: Owner
    digest: DigestSettings = DigestSettings()
    # Telegram answered 403: the chat blocked the bot. Nothing is sent until it writes again.
    paused: bool = False
    last_alert_at: datetime | None = None


_DELIVERY_COLUMNS = (
    "owner_kind, owner_id, digest_time, time_zone, digest_enabled, nothing_new_note, paused, last_alert_at"
)


class ChatState:
    """Thread-safe; every method is one short transaction."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, MIGRATIONS)

    def close(self) -> None:
        self._db.close()

    def settings(self, chat: Owner) -> ChatSettings:
        with self._db.reading() as db:
            query = f"SELECT sentences, algorithm FROM chats WHERE {_CHAT}"
            row = db.execute(query, owner_columns(chat)).fetchone()
        return ChatSettings(sentences=row[0], algorithm=row[1]) if row else ChatSettings()

    def save_settings(self, chat: Owner, settings: ChatSettings) -> None:
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO chats (owner_kind, owner_id, sentences, algorithm) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (owner_kind, owner_id) DO UPDATE SET"
                " sentences = excluded.sentences, algorithm = excluded.algorithm",
                (*owner_columns(chat), settings.sentences, settings.algorithm),
            )

    # --- language ----------------------------------------------------------------------

    def language(self, chat: Owner) -> str | None:
        """The language the chat chose with /language, if it chose one."""
        with self._db.reading() as db:
            row = db.execute(f"SELECT language FROM chats WHERE {_CHAT}", owner_columns(chat)).fetchone()
        return row[0] if row else None

    def set_language(self, chat: Owner, language: str | None) -> None:
        self._set_chat_column(chat, "language", language)

    def note_language(self, chat: Owner, language: str | None) -> None:
        """The Telegram language of the person who just wrote in the chat."""
        if language is not None:
            self._set_chat_column(chat, "seen_language", language)

    def reply_language(self, chat: Owner) -> str | None:
        """The language of what the bot sends the chat on its own: the one it chose, else
        the one last seen there."""
        with self._db.reading() as db:
            row = db.execute(
                f"SELECT COALESCE(language, seen_language) FROM chats WHERE {_CHAT}", owner_columns(chat)
            ).fetchone()
        return row[0] if row else None

    def _set_chat_column(self, chat: Owner, column: str, value: object) -> None:
        with self._db.transaction() as db:
            db.execute(
                f"INSERT INTO chats (owner_kind, owner_id, {column}) VALUES (?, ?, ?)"
                f" ON CONFLICT (owner_kind, owner_id) DO UPDATE SET {column} = excluded.{column}",
                (*owner_columns(chat), value),
            )

    def last_article(self, chat: Owner) -> int | None:
        with self._db.reading() as db:
            row = db.execute(f"SELECT last_article FROM chats WHERE {_CHAT}", owner_columns(chat)).fetchone()
        return row[0] if row else None

    def set_last_article(self, chat: Owner, article_id: int | None) -> None:
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO chats (owner_kind, owner_id, last_article) VALUES (?, ?, ?)"
                " ON CONFLICT (owner_kind, owner_id) DO UPDATE SET last_article = excluded.last_article",
                (*owner_columns(chat), article_id),
            )

    def remember_shown(self, chat: Owner, message_ids: list[int], article_id: int) -> None:
        """Note that the bot's messages ``message_ids`` show article ``article_id``."""
        with self._db.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO shown (owner_kind, owner_id, message_id, article_id)"
                " VALUES (?, ?, ?, ?)",
                [(*owner_columns(chat), message_id, article_id) for message_id in message_ids],
            )
            db.execute(
                f"DELETE FROM shown WHERE {_CHAT} AND message_id NOT IN"
                f" (SELECT message_id FROM shown WHERE {_CHAT} ORDER BY message_id DESC LIMIT ?)",
                (*owner_columns(chat), *owner_columns(chat), SHOWN_PER_CHAT),
            )

    def shown_article(self, chat: Owner, message_id: int) -> int | None:
        with self._db.reading() as db:
            row = db.execute(
                f"SELECT article_id FROM shown WHERE {_CHAT} AND message_id = ?",
                (*owner_columns(chat), message_id),
            ).fetchone()
        return row[0] if row else None

    # --- re-delivered messages ---------------------------------------------------------

    def was_handled(self, chat: Owner, message_id: int) -> bool:
        with self._db.reading() as db:
            row = db.execute(
                f"SELECT 1 FROM handled WHERE {_CHAT} AND message_id = ?", (*owner_columns(chat), message_id)
            ).fetchone()
        return row is not None

    def mark_handled(self, chat: Owner, message_id: int) -> None:
        """Note that the chat's message ``message_id`` was answered; keeps the newest ones."""
        with self._db.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO handled (owner_kind, owner_id, message_id) VALUES (?, ?, ?)",
                (*owner_columns(chat), message_id),
            )
            db.execute(
                f"DELETE FROM handled WHERE {_CHAT} AND message_id <"
                f" (SELECT MIN(message_id) FROM (SELECT message_id FROM handled WHERE {_CHAT}"
                " ORDER BY message_id DESC LIMIT ?))",
                (*owner_columns(chat), *owner_columns(chat), HANDLED_PER_CHAT),
            )

    def count_chats(self) -> int:
        """Chats that ever wrote to the bot."""
        with self._db.reading() as db:
            return db.execute("SELECT COUNT(*) FROM delivery").fetchone()[0]

    # --- digests and alerts ------------------------------------------------------------

    def note_active(self, chat: Owner) -> None:
        """The chat wrote to the bot: it is known from now on, and no longer paused."""
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO delivery (owner_kind, owner_id) VALUES (?, ?)"
                " ON CONFLICT (owner_kind, owner_id) DO UPDATE SET paused = 0 WHERE paused",
                owner_columns(chat),
            )

    def delivery(self, chat: Owner) -> Delivery:
        with self._db.reading() as db:
            query = f"SELECT {_DELIVERY_COLUMNS} FROM delivery WHERE {_CHAT}"
            row = db.execute(query, owner_columns(chat)).fetchone()
        return _delivery(row) if row else Delivery(chat=chat)

    def deliveries(self, kind: OwnerKind) -> list[Delivery]:
        """Every known chat of ``kind`` that is not paused."""
        with self._db.reading() as db:
            rows = db.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM delivery WHERE NOT paused AND owner_kind = ?"
                " ORDER BY owner_id",
                (kind.value,),
            ).fetchall()
        return [_delivery(row) for row in rows]

    def save_digest_settings(self, chat: Owner, settings: DigestSettings) -> None:
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO delivery (owner_kind, owner_id, digest_time, time_zone, digest_enabled,"
                " nothing_new_note) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (owner_kind, owner_id) DO UPDATE SET"
                " digest_time = excluded.digest_time, time_zone = excluded.time_zone,"
                " digest_enabled = excluded.digest_enabled, nothing_new_note = excluded.nothing_new_note",
                (
                    *owner_columns(chat), settings.time, settings.zone, settings.enabled,
                    settings.nothing_new_note,
                ),
            )

    def set_last_alert(self, chat: Owner, at: datetime) -> None:
        self._upsert(chat, "last_alert_at", at.isoformat())

    def pause(self, chat: Owner) -> None:
        self._upsert(chat, "paused", 1)

    def _upsert(self, chat: Owner, column: str, value: object) -> None:
        with self._db.transaction() as db:
            db.execute(
                f"INSERT INTO delivery (owner_kind, owner_id, {column}) VALUES (?, ?, ?)"
                f" ON CONFLICT (owner_kind, owner_id) DO UPDATE SET {column} = excluded.{column}",
                (*owner_columns(chat), value),
            )

    def rename_chat(self, old: Owner, new: Owner) -> None:
        """Move a chat's state to its new name (a group that became a supergroup).

        Message ids start again in the supergroup, so what was remembered by message id
        (which message showed which article, which were handled) is dropped, not moved.
        """
        with self._db.transaction() as db:
            for table in ("chats", "delivery"):
                db.execute(
                    f"UPDATE OR REPLACE {table} SET owner_kind = ?, owner_id = ? WHERE {_CHAT}",
                    (*owner_columns(new), *owner_columns(old)),
                )
            for table in ("shown", "handled"):
                db.execute(f"DELETE FROM {table} WHERE {_CHAT}", owner_columns(old))
            db.execute(
                "INSERT OR IGNORE INTO renamed (old_kind, old_id, new_kind, new_id) VALUES (?, ?, ?, ?)",
                (*owner_columns(old), *owner_columns(new)),
            )

    def former_names(self, chat: Owner) -> list[Owner]:
        """What a supergroup was called before it was one (so access given to it carries over)."""
        with self._db.reading() as db:
            query = "SELECT old_kind, old_id FROM renamed WHERE new_kind = ? AND new_id = ?"
            rows = db.execute(query, owner_columns(chat))
            return [stored_owner(kind, owner_id) for kind, owner_id in rows]


def _delivery(row: tuple) -> Delivery:
    kind, owner_id, time, zone, enabled, note, paused, last_alert_at = row
    return Delivery(
        chat=stored_owner(kind, owner_id),
        digest=DigestSettings(time=time, zone=zone, enabled=bool(enabled), nothing_new_note=bool(note)),
        paused=bool(paused),
        last_alert_at=datetime.fromisoformat(last_alert_at) if last_alert_at else None,
    )
