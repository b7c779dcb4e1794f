"""Catch-up: which groups keep their messages, and the messages they keep
(``catchup_groups``, ``kept_messages``, ``kept_sentences``).

A kept message is stored with its sentences, split as an article's are, so a quote of it
is verbatim and the search index can be rebuilt from these tables. Every method that
deletes messages returns their ids: the search index must forget them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from retrieval.models import GroupMessage, MessageRef
from retrieval.storage.database import Database, marks, now, timestamp

_COLUMNS = (
    "id, chat_id, message_id, thread_id, reply_to, author_id, author, sent_at, link, language, text"
)


@dataclass(frozen=True)
class KeptMessage:
    id: int
    chat_id: int
    message_id: int
    thread_id: int | None
    reply_to: int | None
    author_id: int
    author: str
    sent_at: datetime
    link: str | None
    language: str | None
    text: str
    sentences: tuple[str, ...]

    @property
    def ref(self) -> MessageRef:
        return MessageRef(
            chat_id=self.chat_id, message_id=self.message_id, author=self.author,
            author_id=self.author_id, sent_at=self.sent_at, link=self.link,
        )


@dataclass(frozen=True)
class Kept:
    """A message just kept, and the message it replaced (an earlier version of it)."""

    id: int
    replaced: int | None


class CatchupStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- groups ---------------------------------------------------------------------

    def start(self, chat_id: int) -> bool:
        """Keep the group's messages from now on; False when it already did."""
        with self._db.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO catchup_groups (chat_id, started_at) VALUES (?, ?)", (chat_id, now())
            )
        return bool(cursor.rowcount)

    def stop(self, chat_id: int) -> list[int]:
        """Stop keeping the group's messages and delete those kept; returns their ids."""
        with self._db.transaction() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM kept_messages WHERE chat_id = ?", (chat_id,))]
            db.execute("DELETE FROM catchup_groups WHERE chat_id = ?", (chat_id,))
        return ids

    def is_on(self, chat_id: int) -> bool:
        with self._db.reading() as db:
            row = db.execute("SELECT 1 FROM catchup_groups WHERE chat_id = ?", (chat_id,)).fetchone()
        return row is not None

    def move_group(self, old_chat_id: int, new_chat_id: int) -> list[int]:
        """A group became a supergroup: catch-up stays on under its new id; what it kept is
        deleted (message ids start again in the supergroup). Returns the deleted ids."""
        with self._db.transaction() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM kept_messages WHERE chat_id = ?", (old_chat_id,))]
            db.execute("DELETE FROM kept_messages WHERE chat_id = ?", (old_chat_id,))
            db.execute(
                "UPDATE OR IGNORE catchup_groups SET chat_id = ? WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            db.execute("DELETE FROM catchup_groups WHERE chat_id = ?", (old_chat_id,))
        return ids

    # --- messages -------------------------------------------------------------------

    def keep(self, message: GroupMessage, sentences: Sequence[str], language: str | None) -> Kept | None:
        """Store a message of a group that keeps its messages (None for any other group);
        an edit replaces the version kept before."""
        with self._db.transaction() as db:
            on = db.execute("SELECT 1 FROM catchup_groups WHERE chat_id = ?", (message.chat_id,)).fetchone()
            if on is None:
                return None
            earlier = db.execute(
                "SELECT id FROM kept_messages WHERE chat_id = ? AND message_id = ?",
                (message.chat_id, message.message_id),
            ).fetchone()
            if earlier is not None:
                db.execute("DELETE FROM kept_messages WHERE id = ?", (earlier[0],))
            message_row = db.execute(
                "INSERT INTO kept_messages (chat_id, message_id, thread_id, reply_to, author_id, author,"
                " sent_at, edited_at, link, language, text, sentence_count)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message.chat_id, message.message_id, message.thread_id, message.reply_to,
                    message.author_id, message.author, timestamp(message.sent_at),
                    timestamp(message.edited_at) if message.edited_at else None, message.link, language,
                    message.text, len(sentences),
                ),
            ).lastrowid
            assert message_row is not None
            db.executemany(
                "INSERT INTO kept_sentences (message, position, text) VALUES (?, ?, ?)",
                [(message_row, position, text) for position, text in enumerate(sentences, start=1)],
            )
        return Kept(message_row, earlier[0] if earlier else None)

    def forget_author(self, chat_id: int, author_id: int) -> list[int]:
        """Delete what one member said in the group; returns the ids deleted."""
        return self._delete("chat_id = ? AND author_id = ?", (chat_id, author_id))

    def expire(self, before: datetime, chat_id: int | None = None) -> list[int]:
        """Delete every message (of one group, or of all) sent before ``before``; returns
        the ids deleted."""
        if chat_id is None:
            return self._delete("sent_at < ?", (timestamp(before),))
        return self._delete("chat_id = ? AND sent_at < ?", (chat_id, timestamp(before)))

    def _delete(self, condition: str, params: tuple[object, ...]) -> list[int]:
        with self._db.transaction() as db:
            ids = [r[0] for r in db.execute(f"SELECT id FROM kept_messages WHERE {condition}", params)]
            db.execute(f"DELETE FROM kept_messages WHERE {condition}", params)
        return ids

    def window(
        self, chat_id: int, *, since: datetime | None = None, last: int | None = None, limit: int
    ) -> list[KeptMessage]:
        """The group's messages sent after ``since`` (or its last ``last``), at most the
        newest ``limit`` of them, oldest first."""
        count = min(last, limit) if last is not None else limit
        after = "" if since is None else " AND sent_at > ?"
        params = (chat_id, *([] if since is None else [timestamp(since)]), count)
        with self._db.reading() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM kept_messages WHERE chat_id = ?{after}"
                " ORDER BY sent_at DESC, message_id DESC LIMIT ?",
                params,
            ).fetchall()
        return self._with_sentences(list(reversed(rows)))

    def messages(self, ids: Sequence[int]) -> dict[int, KeptMessage]:
        with self._db.reading() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM kept_messages WHERE id IN ({marks(ids)})", tuple(ids)
            ).fetchall()
        return {message.id: message for message in self._with_sentences(rows)}

    def last_sent_by(self, chat_id: int, author_id: int, before: datetime) -> datetime | None:
        """When the member last wrote in the group before ``before``."""
        with self._db.reading() as db:
            last = db.execute(
                "SELECT MAX(sent_at) FROM kept_messages WHERE chat_id = ? AND author_id = ? AND sent_at < ?",
                (chat_id, author_id, timestamp(before)),
            ).fetchone()[0]
        return datetime.fromisoformat(last) if last else None

    def sentences_at(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """Texts of the given (message id, position) pairs."""
        if not keys:
            return {}
        pairs = "[" + ",".join(f"[{int(m)},{int(p)}]" for m, p in keys) + "]"
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT s.message, s.position, s.text FROM kept_sentences s"
                " JOIN (SELECT value ->> 0 AS m, value ->> 1 AS p FROM json_each(?)) k"
                " ON s.message = k.m AND s.position = k.p",
                (pairs,),
            ).fetchall()
        return {(row[0], row[1]): row[2] for row in rows}

    def _with_sentences(self, rows: Sequence[Sequence]) -> list[KeptMessage]:
        ids = [row[0] for row in rows]
        sentences: dict[int, list[str]] = {message_row: [] for message_row in ids}
        with self._db.reading() as db:
            for message_row, text in db.execute(
                f"SELECT message, text FROM kept_sentences WHERE message IN ({marks(ids)})"
                " ORDER BY message, position",
                tuple(ids),
            ):
                sentences[message_row].append(text)
        return [
            KeptMessage(
                id=row[0], chat_id=row[1], message_id=row[2], thread_id=row[3], reply_to=row[4],
                author_id=row[5], author=row[6], sent_at=datetime.fromisoformat(row[7]), link=row[8],
                language=row[9], text=row[10], sentences=tuple(sentences[row[0]]),
            )
            for row in rows
        ]

    # --- the search index -----------------------------------------------------------

    def unindexed_ids(self, chat_ids: Sequence[int] | None = None) -> list[int]:
        """Messages not yet in the committed search index (of these groups, or of any)."""
        groups = "" if chat_ids is None else f" AND chat_id IN ({marks(chat_ids)})"
        with self._db.reading() as db:
            rows = db.execute(
                f"SELECT id FROM kept_messages WHERE indexed = 0{groups}", tuple(chat_ids or ())
            )
            return [row[0] for row in rows]

    def mark_indexed(self, ids: Sequence[int]) -> None:
        with self._db.transaction() as db:
            db.executemany("UPDATE kept_messages SET indexed = 1 WHERE id = ?", [(i,) for i in ids])

    def mark_all_unindexed(self) -> None:
        with self._db.transaction() as db:
            db.execute("UPDATE kept_messages SET indexed = 0")

    def indexed_sentence_count(self) -> int:
        with self._db.reading() as db:
            return db.execute(
                "SELECT COALESCE(SUM(sentence_count), 0) FROM kept_messages WHERE indexed = 1"
            ).fetchone()[0]

    def totals(self) -> tuple[int, int]:
        """Groups with catch-up on, and the messages they keep."""
        with self._db.reading() as db:
            row = db.execute(
                "SELECT (SELECT COUNT(*) FROM catchup_groups), (SELECT COUNT(*) FROM kept_messages)"
            ).fetchone()
        return row[0], row[1]
