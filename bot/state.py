"""What the bot remembers per chat, in its own SQLite file next to the engine's database.

Articles, feeds and topics belong to the engine; this file only holds the bot's own
state, so it survives restarts: each chat's summary settings, its last article, which
of the bot's messages show which article (a reply to one of them asks about that
article), when and how it gets its digest and alerts, which of its messages were already
handled (Telegram delivers an update again when the bot stopped before confirming it).
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from retrieval.owners import Owner, OwnerKind

# How many "this message shows article N" rows to keep per chat; replies to older
# messages simply stop being scoped.
SHOWN_PER_CHAT = 1000
# How many handled message ids to keep per chat. Telegram re-delivers only the updates
# of the last getUpdates batch (at most 100) that the bot did not confirm.
HANDLED_PER_CHAT = 200

_SCHEMA = """
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
) WITHOUT ROWID;
"""
# Each entry upgrades the schema above by one version (PRAGMA user_version). Never edit an
# entry once a release has shipped it: append a new one.
_MIGRATIONS: list[str] = [
    # language: the one the chat chose with /language (None: each reply follows the language
    # of the person it answers); seen_language: the Telegram language of whoever wrote last,
    # for what the bot sends on its own (alerts, digests) when the chat chose none.
    """
    ALTER TABLE chats ADD COLUMN language TEXT;
    ALTER TABLE chats ADD COLUMN seen_language TEXT;
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
    # The last local day whose digest was sent or skipped.
    handled_day: str | None = None
    # Telegram answered 403: the chat blocked the bot. Nothing is sent until it writes again.
    paused: bool = False
    last_alert_at: datetime | None = None


_DELIVERY_COLUMNS = (
    "chat, digest_time, time_zone, digest_enabled, nothing_new_note, handled_day, paused, last_alert_at"
)


class ChatState:
    """Thread-safe; every method is one short transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._migrate()
        self._lock = threading.Lock()

    def _migrate(self) -> None:
        """Bring a state file written by an older Briefbot up to date, in one transaction
        (the version is read inside it: two processes starting at once upgrade it once)."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def settings(self, chat: Owner) -> ChatSettings:
        with self._lock:
            row = self._db.execute(
                "SELECT sentences, algorithm FROM chats WHERE chat = ?", (str(chat),)
            ).fetchone()
        return ChatSettings(sentences=row[0], algorithm=row[1]) if row else ChatSettings()

    def save_settings(self, chat: Owner, settings: ChatSettings) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO chats (chat, sentences, algorithm) VALUES (?, ?, ?) "
                "ON CONFLICT (chat) DO UPDATE SET "
                "sentences = excluded.sentences, algorithm = excluded.algorithm",
                (str(chat), settings.sentences, settings.algorithm),
            )

    # --- language ----------------------------------------------------------------------

    def language(self, chat: Owner) -> str | None:
        """The language the chat chose with /language, if it chose one."""
        with self._lock:
            row = self._db.execute("SELECT language FROM chats WHERE chat = ?", (str(chat),)).fetchone()
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
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(language, seen_language) FROM chats WHERE chat = ?", (str(chat),)
            ).fetchone()
        return row[0] if row else None

    def _set_chat_column(self, chat: Owner, column: str, value: object) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT INTO chats (chat, {column}) VALUES (?, ?)"
                f" ON CONFLICT (chat) DO UPDATE SET {column} = excluded.{column}",
                (str(chat), value),
            )

    def last_article(self, chat: Owner) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT last_article FROM chats WHERE chat = ?", (str(chat),)
            ).fetchone()
        return row[0] if row else None

    def set_last_article(self, chat: Owner, article_id: int | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO chats (chat, last_article) VALUES (?, ?) "
                "ON CONFLICT (chat) DO UPDATE SET last_article = excluded.last_article",
                (str(chat), article_id),
            )

    def remember_shown(self, chat: Owner, message_ids: list[int], article_id: int) -> None:
        """Note that the bot's messages ``message_ids`` show article ``article_id``."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO shown (chat, message_id, article_id) VALUES (?, ?, ?)",
                [(str(chat), message_id, article_id) for message_id in message_ids],
            )
            self._db.execute(
                "DELETE FROM shown WHERE chat = ? AND message_id NOT IN "
                "(SELECT message_id FROM shown WHERE chat = ? ORDER BY message_id DESC LIMIT ?)",
                (str(chat), str(chat), SHOWN_PER_CHAT),
            )

    def shown_article(self, chat: Owner, message_id: int) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT article_id FROM shown WHERE chat = ? AND message_id = ?",
                (str(chat), message_id),
            ).fetchone()
        return row[0] if row else None

    # --- re-delivered messages ---------------------------------------------------------

    def was_handled(self, chat: Owner, message_id: int) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM handled WHERE chat = ? AND message_id = ?", (str(chat), message_id)
            ).fetchone()
        return row is not None

    def mark_handled(self, chat: Owner, message_id: int) -> None:
        """Note that the chat's message ``message_id`` was answered; keeps the newest ones."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR IGNORE INTO handled (chat, message_id) VALUES (?, ?)", (str(chat), message_id)
            )
            self._db.execute(
                "DELETE FROM handled WHERE chat = ? AND message_id < "
                "(SELECT MIN(message_id) FROM (SELECT message_id FROM handled WHERE chat = ?"
                " ORDER BY message_id DESC LIMIT ?))",
                (str(chat), str(chat), HANDLED_PER_CHAT),
            )

    def count_chats(self) -> int:
        """Chats that ever wrote to the bot."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM delivery").fetchone()[0]

    # --- digests and alerts ------------------------------------------------------------

    def note_active(self, chat: Owner) -> None:
        """The chat wrote to the bot: it is known from now on, and no longer paused."""
        with self._lock:
            self._db.execute(
                "INSERT INTO delivery (chat) VALUES (?) ON CONFLICT (chat) DO UPDATE SET paused = 0"
                " WHERE paused",
                (str(chat),),
            )

    def delivery(self, chat: Owner) -> Delivery:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM delivery WHERE chat = ?", (str(chat),)
            ).fetchone()
        return _delivery(row) if row else Delivery(chat=chat)

    def deliveries(self, kind: OwnerKind) -> list[Delivery]:
        """Every known chat of ``kind`` that is not paused."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM delivery WHERE NOT paused ORDER BY chat"
            ).fetchall()
        return [d for d in map(_delivery, rows) if d.chat.kind is kind]

    def save_digest_settings(self, chat: Owner, settings: DigestSettings, handled_day: str | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO delivery (chat, digest_time, time_zone, digest_enabled, nothing_new_note,"
                " handled_day) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat) DO UPDATE SET"
                " digest_time = excluded.digest_time, time_zone = excluded.time_zone,"
                " digest_enabled = excluded.digest_enabled, nothing_new_note = excluded.nothing_new_note,"
                " handled_day = excluded.handled_day",
                (str(chat), settings.time, settings.zone, settings.enabled, settings.nothing_new_note,
                 handled_day),
            )

    def set_handled_day(self, chat: Owner, day: str) -> None:
        self._upsert(chat, "handled_day", day)

    def set_last_alert(self, chat: Owner, at: datetime) -> None:
        self._upsert(chat, "last_alert_at", at.isoformat())

    def pause(self, chat: Owner) -> None:
        self._upsert(chat, "paused", 1)

    def _upsert(self, chat: Owner, column: str, value: object) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT INTO delivery (chat, {column}) VALUES (?, ?)"
                f" ON CONFLICT (chat) DO UPDATE SET {column} = excluded.{column}",
                (str(chat), value),
            )

    def rename_chat(self, old: Owner, new: Owner) -> None:
        """Move a chat's state to its new name (a group that became a supergroup).

        Message ids start again in the supergroup, so what was remembered by message id
        (which message showed which article, which were handled) is dropped, not moved.
        """
        with self._lock, self._db:
            self._db.execute("BEGIN")
            for table in ("chats", "delivery"):
                self._db.execute(
                    f"UPDATE OR REPLACE {table} SET chat = ? WHERE chat = ?", (str(new), str(old))
                )
            for table in ("shown", "handled"):
                self._db.execute(f"DELETE FROM {table} WHERE chat = ?", (str(old),))
            self._db.execute("INSERT OR IGNORE INTO renamed (old, new) VALUES (?, ?)", (str(old), str(new)))

    def former_names(self, chat: Owner) -> list[Owner]:
        """What a supergroup was called before it was one (so access given to it carries over)."""
        with self._lock:
            rows = self._db.execute("SELECT old FROM renamed WHERE new = ?", (str(chat),))
            return [Owner.parse(r[0]) for r in rows]


def _delivery(row: tuple) -> Delivery:
    chat, time, zone, enabled, note, handled_day, paused, last_alert_at = row
    return Delivery(
        chat=Owner.parse(chat),
        digest=DigestSettings(time=time, zone=zone, enabled=bool(enabled), nothing_new_note=bool(note)),
        handled_day=handled_day,
        paused=bool(paused),
        last_alert_at=datetime.fromisoformat(last_alert_at) if last_alert_at else None,
    )
