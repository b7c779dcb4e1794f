"""Topics, the inverted index that finds candidate topics for an article, and what they
matched (``topics``, ``topic_anchors``, ``topic_matches``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, bindparam, func, insert, select, true

from retrieval.errors import NP_, InputError, NotFound
from retrieval.models import TopicInfo, TopicMode
from retrieval.owners import Owner, OwnerKind
from retrieval.storage.core import insert_or_ignore, move_owner_rows, one_of, owner_is, owners_in
from retrieval.storage.database import Database, now, stored_owner
from retrieval.storage.schema import topic_anchors, topic_matches, topics

MAX_TOPICS_PER_OWNER = 100


@dataclass(frozen=True)
class OwnedTopic:
    topic: TopicInfo
    owner: Owner


@dataclass(frozen=True)
class PendingAlert:
    topic: TopicInfo
    owner: Owner
    article_id: int


_OWNER = (topics.c.owner_kind, topics.c.owner_id)
_ACTIVE = topics.c.mode != "off"


class TopicStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, owner: Owner, query: str, anchors: Iterable[str], mode: TopicMode) -> TopicInfo:
        """The owner's topic for ``query`` (filed under ``anchors``), new or as it was."""
        with self._db.transaction() as db:
            count = db.execute(
                select(func.count()).select_from(topics).where(owner_is(owner, *_OWNER))
            ).scalar_one()
            existing = db.execute(
                select(topics.c.id, topics.c.mode).where(owner_is(owner, *_OWNER), topics.c.query == query)
            ).first()
            if existing:
                return TopicInfo(id=existing[0], query=query, mode=existing[1])
            if count >= MAX_TOPICS_PER_OWNER:
                raise InputError(
                    NP_("A chat can watch up to {count} topic; remove one first.",
                        "A chat can watch up to {count} topics; remove one first."),
                    count=MAX_TOPICS_PER_OWNER,
                )
            topic_id = db.execute(
                insert(topics).values(
                    owner_kind=owner.kind.value, owner_id=owner.id, query=query, mode=mode, added_at=now()
                )
            ).inserted_primary_key[0]
            stems = [{"stem": anchor, "topic_id": topic_id} for anchor in anchors]
            if stems:
                db.execute(insert(topic_anchors), stems)
        return TopicInfo(id=topic_id, query=query, mode=mode)

    def list(self, owner: Owner) -> list[TopicInfo]:
        query = select(topics.c.id, topics.c.query, topics.c.mode).where(owner_is(owner, *_OWNER))
        with self._db.reading() as db:
            rows = db.execute(query.order_by(topics.c.id)).all()
        return [TopicInfo(id=r[0], query=r[1], mode=r[2]) for r in rows]

    def get(self, topic_id: int, owner: Owner) -> TopicInfo:
        if not 0 < topic_id < 2**63:
            raise NotFound("There is no topic {topic_id}.", topic_id=topic_id)
        query = select(topics.c.id, topics.c.query, topics.c.mode).where(
            topics.c.id == topic_id, owner_is(owner, *_OWNER)
        )
        with self._db.reading() as db:
            row = db.execute(query).first()
        if row is None:
            raise NotFound("There is no topic {topic_id}.", topic_id=topic_id)
        return TopicInfo(id=row[0], query=row[1], mode=row[2])

    def remove(self, topic_id: int, owner: Owner) -> TopicInfo:
        info = self.get(topic_id, owner)
        with self._db.transaction() as db:
            db.execute(topics.delete().where(topics.c.id == topic_id))
        return info

    def set_mode(self, topic_id: int, owner: Owner, mode: TopicMode) -> TopicInfo:
        info = self.get(topic_id, owner)
        with self._db.transaction() as db:
            db.execute(topics.update().where(topics.c.id == topic_id).values(mode=mode))
        return info.model_copy(update={"mode": mode})

    def any_active(self, audience: Sequence[Owner] | None) -> bool:
        """Whether anyone in the audience (``None``: everyone) watches a topic at all."""
        if audience is not None and not audience:
            return False
        query = select(true()).where(_ACTIVE, _audience_in(audience))
        with self._db.reading() as db:
            return db.execute(query.limit(1)).first() is not None

    def candidates(self, stems: Iterable[str], audience: Sequence[Owner] | None) -> list[OwnedTopic]:
        """Active topics of the audience (``None``: everyone) filed under one of ``stems``."""
        if audience is not None and not audience:
            return []
        t = topics.c
        with self._db.reading() as db:
            rows = db.execute(
                select(t.id, t.owner_kind, t.owner_id, t.query, t.mode)
                .select_from(topics)
                .join(topic_anchors, topic_anchors.c.topic_id == t.id)
                .where(one_of(topic_anchors.c.stem, sorted(stems)), _ACTIVE, _audience_in(audience))
                .distinct()
            ).all()
        return [
            OwnedTopic(TopicInfo(id=r[0], query=r[3], mode=r[4]), stored_owner(r[1], r[2])) for r in rows
        ]

    def record_matches(self, article_id: int, topic_ids: Sequence[int]) -> None:
        if not topic_ids:
            return
        with self._db.transaction() as db:
            db.execute(
                insert_or_ignore(db, topic_matches),
                [{"topic_id": t, "article_id": article_id, "matched_at": now()} for t in topic_ids],
            )

    def matched_since(self, topic_id: int, since: str, limit: int) -> list[int]:
        """Articles the topic matched after ``since`` (a stored time), newest first."""
        query = (
            select(topic_matches.c.article_id)
            .where(topic_matches.c.topic_id == topic_id, topic_matches.c.matched_at > since)
            .order_by(topic_matches.c.matched_at.desc())
            .limit(limit)
        )
        with self._db.reading() as db:
            return list(db.execute(query).scalars())

    def pending_alerts(self, kind: OwnerKind | None) -> list[PendingAlert]:
        """Instant-topic matches not yet alerted, oldest first (of owners of ``kind``)."""
        t, m = topics.c, topic_matches.c
        query = (
            select(t.id, t.owner_kind, t.owner_id, t.query, t.mode, m.article_id)
            .select_from(topic_matches)
            .join(topics, t.id == m.topic_id)
            .where(m.alerted_at.is_(None), t.mode == "instant")
            .order_by(m.matched_at)
        )
        if kind is not None:
            query = query.where(t.owner_kind == kind.value)
        with self._db.reading() as db:
            rows = db.execute(query).all()
        return [
            PendingAlert(TopicInfo(id=r[0], query=r[3], mode=r[4]), stored_owner(r[1], r[2]), r[5])
            for r in rows
        ]

    def mark_alerted(self, matches: Iterable[tuple[int, int]]) -> None:
        """Note that the (topic id, article id) matches were alerted."""
        alerted = [{"topic": topic, "article": article, "at": now()} for topic, article in matches]
        if not alerted:
            return
        with self._db.transaction() as db:
            db.execute(
                topic_matches.update()
                .where(
                    topic_matches.c.topic_id == bindparam("topic"),
                    topic_matches.c.article_id == bindparam("article"),
                )
                .values(alerted_at=bindparam("at")),
                alerted,
            )

    def totals(self) -> tuple[int, int]:
        """Topics, and instant-topic matches not yet alerted."""
        pending = (
            select(func.count())
            .select_from(topic_matches.join(topics, topics.c.id == topic_matches.c.topic_id))
            .where(topic_matches.c.alerted_at.is_(None), topics.c.mode == "instant")
        )
        query = select(select(func.count()).select_from(topics).scalar_subquery(), pending.scalar_subquery())
        with self._db.reading() as db:
            row = db.execute(query).one()
        return row[0], row[1]

    @staticmethod
    def move_owner(db: Connection, old: Owner, new: Owner) -> None:
        """Inside a transaction: ``old``'s topics become ``new``'s."""
        move_owner_rows(db, topics, old, new, unique=("query",))


def _audience_in(audience: Sequence[Owner] | None) -> ColumnElement[bool]:
    """The topic's owner is in the audience (``None``: anyone)."""
    return true() if audience is None else owners_in(audience, *_OWNER)
