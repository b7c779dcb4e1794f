"""Topics, the inverted index that finds candidate topics for an article, and what they
matched (``topics``, ``topic_anchors``, ``topic_matches``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from retrieval.errors import NP_, InputError, NotFound
from retrieval.models import TopicInfo, TopicMode
from retrieval.owners import Owner, OwnerKind
from retrieval.storage.database import Database, now, owner_columns, owners_in, stored_owner

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


class TopicStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, owner: Owner, query: str, anchors: Iterable[str], mode: TopicMode) -> TopicInfo:
        """The owner's topic for ``query`` (filed under ``anchors``), new or as it was."""
        with self._db.transaction() as db:
            count = db.execute(
                "SELECT COUNT(*) FROM topics WHERE owner_kind = ? AND owner_id = ?", owner_columns(owner)
            ).fetchone()[0]
            existing = db.execute(
                "SELECT id, mode FROM topics WHERE owner_kind = ? AND owner_id = ? AND query = ?",
                (*owner_columns(owner), query),
            ).fetchone()
            if existing:
                return TopicInfo(id=existing[0], query=query, mode=existing[1])
            if count >= MAX_TOPICS_PER_OWNER:
                raise InputError(
                    NP_("A chat can watch up to {count} topic; remove one first.",
                        "A chat can watch up to {count} topics; remove one first."),
                    count=MAX_TOPICS_PER_OWNER,
                )
            topic_id = db.execute(
                "INSERT INTO topics (owner_kind, owner_id, query, mode, added_at) VALUES (?, ?, ?, ?, ?)",
                (*owner_columns(owner), query, mode, now()),
            ).lastrowid
            db.executemany(
                "INSERT INTO topic_anchors (stem, topic_id) VALUES (?, ?)",
                [(anchor, topic_id) for anchor in anchors],
            )
        assert topic_id is not None
        return TopicInfo(id=topic_id, query=query, mode=mode)

    def list(self, owner: Owner) -> list[TopicInfo]:
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT id, query, mode FROM topics WHERE owner_kind = ? AND owner_id = ? ORDER BY id",
                owner_columns(owner),
            ).fetchall()
        return [TopicInfo(id=r[0], query=r[1], mode=r[2]) for r in rows]

    def get(self, topic_id: int, owner: Owner) -> TopicInfo:
        if not 0 < topic_id < 2**63:
            raise NotFound("There is no topic {topic_id}.", topic_id=topic_id)
        with self._db.reading() as db:
            row = db.execute(
                "SELECT id, query, mode FROM topics WHERE id = ? AND owner_kind = ? AND owner_id = ?",
                (topic_id, *owner_columns(owner)),
            ).fetchone()
        if row is None:
            raise NotFound("There is no topic {topic_id}.", topic_id=topic_id)
        return TopicInfo(id=row[0], query=row[1], mode=row[2])

    def remove(self, topic_id: int, owner: Owner) -> TopicInfo:
        info = self.get(topic_id, owner)
        with self._db.transaction() as db:
            db.execute("DELETE FROM topics WHERE id = ?", (topic_id,))
        return info

    def set_mode(self, topic_id: int, owner: Owner, mode: TopicMode) -> TopicInfo:
        info = self.get(topic_id, owner)
        with self._db.transaction() as db:
            db.execute("UPDATE topics SET mode = ? WHERE id = ?", (mode, topic_id))
        return info.model_copy(update={"mode": mode})

    def any_active(self, audience: Sequence[Owner] | None) -> bool:
        """Whether anyone in the audience (``None``: everyone) watches a topic at all."""
        if audience is not None and not audience:
            return False
        owners, params = _audience_in(audience, ("owner_kind", "owner_id"))
        with self._db.reading() as db:
            row = db.execute(
                f"SELECT 1 FROM topics WHERE mode != 'off' AND {owners} LIMIT 1", params
            ).fetchone()
        return row is not None

    def candidates(self, stems: Iterable[str], audience: Sequence[Owner] | None) -> list[OwnedTopic]:
        """Active topics of the audience (``None``: everyone) filed under one of ``stems``."""
        if audience is not None and not audience:
            return []
        owners, params = _audience_in(audience, ("t.owner_kind", "t.owner_id"))
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT DISTINCT t.id, t.owner_kind, t.owner_id, t.query, t.mode FROM topic_anchors a"
                " JOIN topics t ON t.id = a.topic_id"
                f" WHERE a.stem IN (SELECT value FROM json_each(?)) AND t.mode != 'off' AND {owners}",
                (json.dumps(sorted(stems)), *params),
            ).fetchall()
        return [
            OwnedTopic(TopicInfo(id=r[0], query=r[3], mode=r[4]), stored_owner(r[1], r[2])) for r in rows
        ]

    def record_matches(self, article_id: int, topic_ids: Sequence[int]) -> None:
        with self._db.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO topic_matches (topic_id, article_id, matched_at) VALUES (?, ?, ?)",
                [(topic_id, article_id, now()) for topic_id in topic_ids],
            )

    def matched_since(self, topic_id: int, since: str, limit: int) -> list[int]:
        """Articles the topic matched after ``since`` (a stored time), newest first."""
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT article_id FROM topic_matches WHERE topic_id = ? AND matched_at > ?"
                " ORDER BY matched_at DESC LIMIT ?",
                (topic_id, since, limit),
            )
            return [r[0] for r in rows]

    def pending_alerts(self, kind: OwnerKind | None) -> list[PendingAlert]:
        """Instant-topic matches not yet alerted, oldest first (of owners of ``kind``)."""
        of_kind, params = (" AND t.owner_kind = ?", [kind.value]) if kind else ("", [])
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT t.id, t.owner_kind, t.owner_id, t.query, t.mode, m.article_id"
                " FROM topic_matches m JOIN topics t ON t.id = m.topic_id"
                f" WHERE m.alerted_at IS NULL AND t.mode = 'instant'{of_kind} ORDER BY m.matched_at",
                params,
            ).fetchall()
        return [
            PendingAlert(TopicInfo(id=r[0], query=r[3], mode=r[4]), stored_owner(r[1], r[2]), r[5])
            for r in rows
        ]

    def mark_alerted(self, matches: Iterable[tuple[int, int]]) -> None:
        """Note that the (topic id, article id) matches were alerted."""
        with self._db.transaction() as db:
            db.executemany(
                "UPDATE topic_matches SET alerted_at = ? WHERE topic_id = ? AND article_id = ?",
                [(now(), topic_id, article_id) for topic_id, article_id in matches],
            )

    def totals(self) -> tuple[int, int]:
        """Topics, and instant-topic matches not yet alerted."""
        with self._db.reading() as db:
            row = db.execute(
                "SELECT (SELECT COUNT(*) FROM topics),"
                " (SELECT COUNT(*) FROM topic_matches m JOIN topics t ON t.id = m.topic_id"
                "  WHERE m.alerted_at IS NULL AND t.mode = 'instant')"
            ).fetchone()
        return row[0], row[1]

    @staticmethod
    def move_owner(db: sqlite3.Connection, old: Owner, new: Owner) -> None:
        """Inside a transaction: ``old``'s topics become ``new``'s."""
        db.execute(
            "UPDATE OR IGNORE topics SET owner_kind = ?, owner_id = ? WHERE owner_kind = ? AND owner_id = ?",
            (*owner_columns(new), *owner_columns(old)),
        )
        db.execute("DELETE FROM topics WHERE owner_kind = ? AND owner_id = ?", owner_columns(old))


def _audience_in(audience: Sequence[Owner] | None, columns: tuple[str, str]) -> tuple[str, list[object]]:
    """A condition that the owner in ``columns`` is in the audience (``None``: anyone)."""
    return ("1", []) if audience is None else owners_in(audience, columns)
