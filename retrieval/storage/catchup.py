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
from typing import TYPE_CHECKING, Any

from retrieval.models import GroupMessage, MessageRef
from retrieval.storage.database import Database, now, read, timestamp

if TYPE_CHECKING:
    from sqlalchemy import Column, ColumnElement, Connection, Select

# The statements are built inside the functions that use them, which import SQLAlchemy and
# the tables: reading commands on SQLite run the reads compiled ahead of time
# (retrieval.storage.sqlite_reads) and never load SQLAlchemy.


def _columns() -> tuple[Column, ...]:
    from retrieval.storage.schema import kept_messages

    return tuple(
        kept_messages.c[name]
        for name in (
            "id", "chat_id", "message_id", "thread_id", "reply_to", "author_id", "author", "sent_at", "link",
            "language", "text",
        )
    )


@read
def _is_on() -> Select:
    from sqlalchemy import bindparam, select, true

    from retrieval.storage.schema import catchup_groups

    return select(true()).where(catchup_groups.c.chat_id == bindparam("chat_id"))


@read
def _sentences_at() -> Select:
    from sqlalchemy import select

    from retrieval.storage.core import listed_rows
    from retrieval.storage.schema import kept_sentences

    keys = listed_rows("keys", kept_sentences.c.message, kept_sentences.c.position)
    return select(kept_sentences.c.message, kept_sentences.c.position, kept_sentences.c.text).join_from(
        keys,
        kept_sentences,
        (kept_sentences.c.message == keys.c.message) & (kept_sentences.c.position == keys.c.position),
    )


@read
def _unindexed_ids() -> Select:
    from sqlalchemy import false, select

    from retrieval.storage.schema import kept_messages

    # A literal false, not a parameter: only then does SQLite use the partial index.
    return select(kept_messages.c.id).where(kept_messages.c.indexed == false())


@read
def _indexed_sentence_count() -> Select:
    from sqlalchemy import func, select, true

    from retrieval.storage.schema import kept_messages

    return select(func.coalesce(func.sum(kept_messages.c.sentence_count), 0)).where(
        kept_messages.c.indexed == true()
    )


def _set_indexed() -> Any:
    from sqlalchemy import bindparam

    from retrieval.storage.schema import kept_messages

    return kept_messages.update().where(kept_messages.c.id == bindparam("kept_id"))


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
        from retrieval.storage.core import insert_or_ignore
        from retrieval.storage.schema import catchup_groups

        with self._db.transaction() as db:
            added = db.execute(
                insert_or_ignore(db, catchup_groups).values(chat_id=chat_id, started_at=now())
            ).rowcount
        return bool(added)

    def stop(self, chat_id: int) -> list[int]:
        """Stop keeping the group's messages and delete those kept; returns their ids."""
        from retrieval.storage.changes import log_changes
        from retrieval.storage.schema import catchup_groups, kept_messages

        with self._db.transaction() as db:
            ids = _ids(db, kept_messages.c.chat_id == chat_id)
            db.execute(catchup_groups.delete().where(catchup_groups.c.chat_id == chat_id))
            log_changes(db, "message", ids)
        return ids

    def is_on(self, chat_id: int) -> bool:
        return bool(self._db.rows(_is_on, chat_id=chat_id))

    def move_group(self, old_chat_id: int, new_chat_id: int) -> list[int]:
        """A group became a supergroup: catch-up stays on under its new id; what it kept is
        deleted (message ids start again in the supergroup). Returns the deleted ids."""
        from sqlalchemy import select

        from retrieval.storage.changes import log_changes
        from retrieval.storage.core import insert_or_ignore
        from retrieval.storage.schema import catchup_groups, kept_messages

        with self._db.transaction() as db:
            ids = _ids(db, kept_messages.c.chat_id == old_chat_id)
            db.execute(kept_messages.delete().where(kept_messages.c.chat_id == old_chat_id))
            log_changes(db, "message", ids)
            started = db.execute(
                select(catchup_groups.c.started_at).where(catchup_groups.c.chat_id == old_chat_id)
            ).scalar()
            if started is not None:
                db.execute(catchup_groups.delete().where(catchup_groups.c.chat_id == old_chat_id))
                db.execute(
                    insert_or_ignore(db, catchup_groups).values(chat_id=new_chat_id, started_at=started)
                )
        return ids

    # --- messages -------------------------------------------------------------------

    def keep(self, message: GroupMessage, sentences: Sequence[str], language: str | None) -> Kept | None:
        """Store a message of a group that keeps its messages (None for any other group);
        an edit replaces the version kept before."""
        from sqlalchemy import insert, select

        from retrieval.storage.changes import log_changes
        from retrieval.storage.schema import kept_messages, kept_sentences

        m = kept_messages.c
        with self._db.transaction() as db:
            if not self._db.rows(_is_on, chat_id=message.chat_id):
                return None
            earlier = db.execute(
                select(m.id).where(m.chat_id == message.chat_id, m.message_id == message.message_id)
            ).scalar()
            if earlier is not None:
                db.execute(kept_messages.delete().where(m.id == earlier))
            message_row = db.execute(
                insert(kept_messages).values(
                    chat_id=message.chat_id, message_id=message.message_id, thread_id=message.thread_id,
                    reply_to=message.reply_to, author_id=message.author_id, author=message.author,
                    sent_at=timestamp(message.sent_at),
                    edited_at=timestamp(message.edited_at) if message.edited_at else None,
                    link=message.link, language=language, text=message.text, sentence_count=len(sentences),
                )
            ).inserted_primary_key[0]
            db.execute(
                insert(kept_sentences),
                [
                    {"message": message_row, "position": position, "text": text}
                    for position, text in enumerate(sentences, start=1)
                ],
            )
            log_changes(db, "message", [message_row] if earlier is None else [earlier, message_row])
        return Kept(message_row, earlier)

    def forget_author(self, chat_id: int, author_id: int) -> list[int]:
        """Delete what one member said in the group; returns the ids deleted."""
        from retrieval.storage.schema import kept_messages

        return self._delete((kept_messages.c.chat_id == chat_id) & (kept_messages.c.author_id == author_id))

    def expire(self, before: datetime, chat_id: int | None = None) -> list[int]:
        """Delete every message (of one group, or of all) sent before ``before``; returns
        the ids deleted."""
        from retrieval.storage.schema import kept_messages

        condition = kept_messages.c.sent_at < timestamp(before)
        if chat_id is not None:
            condition = condition & (kept_messages.c.chat_id == chat_id)
        return self._delete(condition)

    def _delete(self, condition: ColumnElement[bool]) -> list[int]:
        from retrieval.storage.changes import log_changes
        from retrieval.storage.schema import kept_messages

        with self._db.transaction() as db:
            ids = _ids(db, condition)
            db.execute(kept_messages.delete().where(condition))
            log_changes(db, "message", ids)
        return ids

    def window(
        self, chat_id: int, *, since: datetime | None = None, last: int | None = None, limit: int
    ) -> list[KeptMessage]:
        """The group's messages sent after ``since`` (or its last ``last``), at most the
        newest ``limit`` of them, oldest first."""
        from sqlalchemy import select

        from retrieval.storage.schema import kept_messages

        m = kept_messages.c
        query = select(*_columns()).where(m.chat_id == chat_id)
        if since is not None:
            query = query.where(m.sent_at > timestamp(since))
        query = query.order_by(m.sent_at.desc(), m.message_id.desc()).limit(
            min(last, limit) if last is not None else limit
        )
        with self._db.reading() as db:
            rows = db.execute(query).all()
        return self._with_sentences(list(reversed(rows)))

    def messages(self, ids: Sequence[int]) -> dict[int, KeptMessage]:
        if not ids:
            return {}
        from sqlalchemy import select

        from retrieval.storage.core import one_of
        from retrieval.storage.schema import kept_messages

        with self._db.reading() as db:
            rows = db.execute(select(*_columns()).where(one_of(kept_messages.c.id, ids))).all()
        return {message.id: message for message in self._with_sentences(rows)}

    def last_sent_by(self, chat_id: int, author_id: int, before: datetime) -> datetime | None:
        """When the member last wrote in the group before ``before``."""
        from sqlalchemy import func, select

        from retrieval.storage.schema import kept_messages

        m = kept_messages.c
        query = select(func.max(m.sent_at)).where(
            m.chat_id == chat_id, m.author_id == author_id, m.sent_at < timestamp(before)
        )
        with self._db.reading() as db:
            last = db.execute(query).scalar()
        return datetime.fromisoformat(last) if last else None

    def sentences_at(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """Texts of the given (message id, position) pairs."""
        if not keys:
            return {}
        rows = self._db.rows(_sentences_at, keys=[(int(m), int(p)) for m, p in keys])
        return {(row[0], row[1]): row[2] for row in rows}

    def _with_sentences(self, rows: Sequence[Sequence[Any]]) -> list[KeptMessage]:
        from sqlalchemy import select

        from retrieval.storage.core import one_of
        from retrieval.storage.schema import kept_sentences

        ids = [row[0] for row in rows]
        sentences: dict[int, list[str]] = {message_row: [] for message_row in ids}
        query = (
            select(kept_sentences.c.message, kept_sentences.c.text)
            .where(one_of(kept_sentences.c.message, ids))
            .order_by(kept_sentences.c.message, kept_sentences.c.position)
        )
        with self._db.reading() as db:
            for message_row, text in db.execute(query):
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

    def ids(self) -> list[int]:
        from sqlalchemy import select

        from retrieval.storage.schema import kept_messages

        with self._db.reading() as db:
            return list(db.execute(select(kept_messages.c.id).order_by(kept_messages.c.id)).scalars())

    def unindexed_ids(self, chat_ids: Sequence[int] | None = None) -> list[int]:
        """Messages not yet in the committed search index (of these groups, or of any)."""
        if chat_ids is None:
            return [row[0] for row in self._db.rows(_unindexed_ids)]
        from retrieval.storage.core import one_of
        from retrieval.storage.schema import kept_messages

        query = _unindexed_ids.statement.where(one_of(kept_messages.c.chat_id, chat_ids))
        with self._db.reading() as db:
            return list(db.execute(query).scalars())

    def mark_indexed(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self._db.transaction() as db:
            db.execute(_set_indexed().values(indexed=True), [{"kept_id": i} for i in ids])

    def mark_all_unindexed(self) -> None:
        from retrieval.storage.schema import kept_messages

        with self._db.transaction() as db:
            db.execute(kept_messages.update().values(indexed=False))

    def indexed_sentence_count(self) -> int:
        return self._db.rows(_indexed_sentence_count)[0][0]

    def totals(self) -> tuple[int, int]:
        """Groups with catch-up on, and the messages they keep."""
        from sqlalchemy import func, select

        from retrieval.storage.schema import catchup_groups, kept_messages

        query = select(
            select(func.count()).select_from(catchup_groups).scalar_subquery(),
            select(func.count()).select_from(kept_messages).scalar_subquery(),
        )
        with self._db.reading() as db:
            row = db.execute(query).one()
        return row[0], row[1]


def _ids(db: Connection, condition: ColumnElement[bool]) -> list[int]:
    from sqlalchemy import select

    from retrieval.storage.schema import kept_messages

    return list(db.execute(select(kept_messages.c.id).where(condition)).scalars())
