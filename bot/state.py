"""What the bot remembers per chat, in the engine's database (SQLite or PostgreSQL).

Articles, feeds, topics and the digest log belong to the engine; the chat tables
(:mod:`retrieval.storage.schema`) hold the bot's own state, so it survives restarts and is
the same for every process that serves the bot: each chat's summary settings and language,
its last article, which of the bot's messages show which article (a reply to one of them
asks about that article), when and how it wants its digest and alerts, which of its
messages were already handled (Telegram delivers an update again when the bot stopped
before confirming it). Chats are :class:`Owner` values, stored as kind and id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Row, Table, bindparam, false, func, select, true

from retrieval.owners import Owner, OwnerKind
from retrieval.storage.core import dialect_insert, insert_or_ignore, owner_is
from retrieval.storage.database import Database, Read, stored_owner, timestamp
from retrieval.storage.schema import chats, deliveries, handled_messages, renamed_chats, shown_messages

# How many "this message shows article N" rows to keep per chat; replies to older
# messages simply stop being scoped.
SHOWN_PER_CHAT = 1000
# How many handled message ids to keep per chat. Telegram re-delivers only the updates
# of the last getUpdates batch (at most 100) that the bot did not confirm.
HANDLED_PER_CHAT = 200

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


_CHAT = (chats.c.owner_kind, chats.c.owner_id)
_SHOWN = (shown_messages.c.owner_kind, shown_messages.c.owner_id)
_HANDLED = (handled_messages.c.owner_kind, handled_messages.c.owner_id)
_DELIVERY = (deliveries.c.owner_kind, deliveries.c.owner_id)
_DELIVERY_COLUMNS = tuple(
    deliveries.c[name]
    for name in (
        "owner_kind", "owner_id", "digest_time", "time_zone", "digest_enabled", "nothing_new_note",
        "paused", "last_alert_at",
    )
)
# Asked of every message the bot receives, built once.
_WAS_HANDLED = Read(
    select(true()).where(
        handled_messages.c.owner_kind == bindparam("kind"),
        handled_messages.c.owner_id == bindparam("id"),
        handled_messages.c.message_id == bindparam("message"),
    )
)


class ChatState:
    """Thread-safe; every method is one short transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def settings(self, chat: Owner) -> ChatSettings:
        row = self._chat_row(chat, chats.c.sentences, chats.c.algorithm)
        return ChatSettings(sentences=row[0], algorithm=row[1]) if row else ChatSettings()

    def save_settings(self, chat: Owner, settings: ChatSettings) -> None:
        self._upsert(chats, chat, sentences=settings.sentences, algorithm=settings.algorithm)

    # --- language ----------------------------------------------------------------------

    def language(self, chat: Owner) -> str | None:
        """The language the chat chose with /language, if it chose one."""
        row = self._chat_row(chat, chats.c.language)
        return row[0] if row else None

    def set_language(self, chat: Owner, language: str | None) -> None:
        self._upsert(chats, chat, language=language)

    def note_language(self, chat: Owner, language: str | None) -> None:
        """The Telegram language of the person who just wrote in the chat."""
        if language is not None:
            self._upsert(chats, chat, seen_language=language)

    def reply_language(self, chat: Owner) -> str | None:
        """The language of what the bot sends the chat on its own: the one it chose, else
        the one last seen there."""
        row = self._chat_row(chat, func.coalesce(chats.c.language, chats.c.seen_language))
        return row[0] if row else None

    def last_article(self, chat: Owner) -> int | None:
        row = self._chat_row(chat, chats.c.last_article)
        return row[0] if row else None

    def set_last_article(self, chat: Owner, article_id: int | None) -> None:
        self._upsert(chats, chat, last_article=article_id)

    def remember_shown(self, chat: Owner, message_ids: list[int], article_id: int) -> None:
        """Note that the bot's messages ``message_ids`` show article ``article_id``."""
        if not message_ids:
            return
        with self._db.transaction() as db:
            new = dialect_insert(db, shown_messages)
            db.execute(
                new.on_conflict_do_update(
                    index_elements=list(shown_messages.primary_key),
                    set_={"article_id": new.excluded.article_id},
                ),
                [
                    {"owner_kind": chat.kind.value, "owner_id": chat.id, "message_id": message_id,
                     "article_id": article_id}
                    for message_id in message_ids
                ],
            )
            newest = (
                select(shown_messages.c.message_id)
                .where(owner_is(chat, *_SHOWN))
                .order_by(shown_messages.c.message_id.desc())
                .limit(SHOWN_PER_CHAT)
            )
            db.execute(
                shown_messages.delete().where(
                    owner_is(chat, *_SHOWN), shown_messages.c.message_id.not_in(newest.scalar_subquery())
                )
            )

    def shown_article(self, chat: Owner, message_id: int) -> int | None:
        query = select(shown_messages.c.article_id).where(
            owner_is(chat, *_SHOWN), shown_messages.c.message_id == message_id
        )
        with self._db.reading() as db:
            return db.execute(query).scalar()

    # --- re-delivered messages ---------------------------------------------------------

    def was_handled(self, chat: Owner, message_id: int) -> bool:
        with self._db.reading() as db:
            return bool(_WAS_HANDLED.rows(db, kind=chat.kind.value, id=chat.id, message=message_id))

    def mark_handled(self, chat: Owner, message_id: int) -> None:
        """Note that the chat's message ``message_id`` was answered; keeps the newest ones."""
        with self._db.transaction() as db:
            db.execute(
                insert_or_ignore(db, handled_messages).values(
                    owner_kind=chat.kind.value, owner_id=chat.id, message_id=message_id
                )
            )
            newest = (
                select(handled_messages.c.message_id)
                .where(owner_is(chat, *_HANDLED))
                .order_by(handled_messages.c.message_id.desc())
                .limit(HANDLED_PER_CHAT)
                .subquery()
            )
            db.execute(
                handled_messages.delete().where(
                    owner_is(chat, *_HANDLED),
                    handled_messages.c.message_id < select(func.min(newest.c.message_id)).scalar_subquery(),
                )
            )

    def count_chats(self) -> int:
        """Chats that ever wrote to the bot."""
        with self._db.reading() as db:
            return db.execute(select(func.count()).select_from(deliveries)).scalar_one()

    # --- digests and alerts ------------------------------------------------------------

    def note_active(self, chat: Owner) -> None:
        """The chat wrote to the bot: it is known from now on, and no longer paused."""
        with self._db.transaction() as db:
            new = dialect_insert(db, deliveries).values(owner_kind=chat.kind.value, owner_id=chat.id)
            db.execute(
                new.on_conflict_do_update(
                    index_elements=list(deliveries.primary_key),
                    set_={"paused": False},
                    where=deliveries.c.paused == true(),
                )
            )

    def delivery(self, chat: Owner) -> Delivery:
        with self._db.reading() as db:
            row = db.execute(select(*_DELIVERY_COLUMNS).where(owner_is(chat, *_DELIVERY))).first()
        return _delivery(row) if row else Delivery(chat=chat)

    def deliveries(self, kind: OwnerKind) -> list[Delivery]:
        """Every known chat of ``kind`` that is not paused."""
        query = (
            select(*_DELIVERY_COLUMNS)
            .where(deliveries.c.paused == false(), deliveries.c.owner_kind == kind.value)
            .order_by(deliveries.c.owner_id)
        )
        with self._db.reading() as db:
            rows = db.execute(query).all()
        return [_delivery(row) for row in rows]

    def save_digest_settings(self, chat: Owner, settings: DigestSettings) -> None:
        self._upsert(
            deliveries, chat, digest_time=settings.time, time_zone=settings.zone,
            digest_enabled=settings.enabled, nothing_new_note=settings.nothing_new_note,
        )

    def set_last_alert(self, chat: Owner, at: datetime) -> None:
        self._upsert(deliveries, chat, last_alert_at=timestamp(at))

    def pause(self, chat: Owner) -> None:
        self._upsert(deliveries, chat, paused=True)

    def rename_chat(self, old: Owner, new: Owner) -> None:
        """Move a chat's state to its new name (a group that became a supergroup).

        Message ids start again in the supergroup, so what was remembered by message id
        (which message showed which article, which were handled) is dropped, not moved.
        What the new name already had is replaced by what the old one had.
        """
        with self._db.transaction() as db:
            for table in (chats, deliveries):
                kind, owner_id = table.c.owner_kind, table.c.owner_id
                if db.execute(select(true()).where(owner_is(old, kind, owner_id))).first() is not None:
                    db.execute(table.delete().where(owner_is(new, kind, owner_id)))
                    db.execute(
                        table.update()
                        .where(owner_is(old, kind, owner_id))
                        .values(owner_kind=new.kind.value, owner_id=new.id)
                    )
            for table in (shown_messages, handled_messages):
                db.execute(table.delete().where(owner_is(old, table.c.owner_kind, table.c.owner_id)))
            db.execute(
                insert_or_ignore(db, renamed_chats).values(
                    old_kind=old.kind.value, old_id=old.id, new_kind=new.kind.value, new_id=new.id
                )
            )

    def former_names(self, chat: Owner) -> list[Owner]:
        """What a supergroup was called before it was one (so access given to it carries over)."""
        query = select(renamed_chats.c.old_kind, renamed_chats.c.old_id).where(
            owner_is(chat, renamed_chats.c.new_kind, renamed_chats.c.new_id)
        )
        with self._db.reading() as db:
            return [stored_owner(kind, owner_id) for kind, owner_id in db.execute(query)]

    def _chat_row(self, chat: Owner, *columns: ColumnElement) -> Row | None:
        with self._db.reading() as db:
            return db.execute(select(*columns).where(owner_is(chat, *_CHAT))).first()

    def _upsert(self, table: Table, chat: Owner, **values: object) -> None:
        """Set ``values`` in the chat's row of ``table``, made if it is not there yet."""
        with self._db.transaction() as db:
            new = dialect_insert(db, table).values(owner_kind=chat.kind.value, owner_id=chat.id, **values)
            db.execute(
                new.on_conflict_do_update(
                    index_elements=list(table.primary_key),
                    set_={name: new.excluded[name] for name in values},
                )
            )


def _delivery(row: Sequence[Any]) -> Delivery:
    kind, owner_id, time, zone, enabled, note, paused, last_alert_at = row
    return Delivery(
        chat=stored_owner(kind, owner_id),
        digest=DigestSettings(time=time, zone=zone, enabled=bool(enabled), nothing_new_note=bool(note)),
        paused=bool(paused),
        last_alert_at=datetime.fromisoformat(last_alert_at) if last_alert_at else None,
    )
