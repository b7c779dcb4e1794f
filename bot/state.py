"""What the bot remembers per chat, in its own SQLite file next to the engine's database.

Articles belong to the engine; this file only holds the conversation's state, so it
survives restarts: each chat's summary settings, its last article, and which of the
bot's messages show which article (a reply to one of them asks about that article).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from pydantic import BaseModel

# How many "this message shows article N" rows to keep per chat; replies to older
# messages simply stop being scoped.
SHOWN_PER_CHAT = 1000

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
"""


class ChatSettings(BaseModel):
    """A chat's choices; ``None`` means the configured default."""

    sentences: int | None = None
    algorithm: str | None = None


class ChatState:
    """Thread-safe; every method is one short transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def settings(self, chat: str) -> ChatSettings:
        with self._lock:
            row = self._db.execute(
                "SELECT sentences, algorithm FROM chats WHERE chat = ?", (chat,)
            ).fetchone()
        return ChatSettings(sentences=row[0], algorithm=row[1]) if row else ChatSettings()

    def save_settings(self, chat: str, settings: ChatSettings) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO chats (chat, sentences, algorithm) VALUES (?, ?, ?) "
                "ON CONFLICT (chat) DO UPDATE SET "
                "sentences = excluded.sentences, algorithm = excluded.algorithm",
                (chat, settings.sentences, settings.algorithm),
            )

    def last_article(self, chat: str) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT last_article FROM chats WHERE chat = ?", (chat,)
            ).fetchone()
        return row[0] if row else None

    def set_last_article(self, chat: str, article_id: int | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO chats (chat, last_article) VALUES (?, ?) "
                "ON CONFLICT (chat) DO UPDATE SET last_article = excluded.last_article",
                (chat, article_id),
            )

    def remember_shown(self, chat: str, message_ids: list[int], article_id: int) -> None:
        """Note that the bot's messages ``message_ids`` show article ``article_id``."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO shown (chat, message_id, article_id) VALUES (?, ?, ?)",
                [(chat, message_id, article_id) for message_id in message_ids],
            )
            self._db.execute(
                "DELETE FROM shown WHERE chat = ? AND message_id NOT IN "
                "(SELECT message_id FROM shown WHERE chat = ? ORDER BY message_id DESC LIMIT ?)",
                (chat, chat, SHOWN_PER_CHAT),
            )

    def shown_article(self, chat: str, message_id: int) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT article_id FROM shown WHERE chat = ? AND message_id = ?",
                (chat, message_id),
            ).fetchone()
        return row[0] if row else None
