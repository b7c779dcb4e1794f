"""The change log each replica's search index follows (``index_changes``).

On PostgreSQL several processes (replicas) share the database, each with a search index
of its own on its own disk. Every transaction that changes what an index must hold for an
article or a kept message (stored, given to or taken from an owner, deleted) notes it here,
in the same transaction; each replica applies the changes after the last one it applied
(:meth:`retrieval.services.search_index.SearchIndex.follow`).

Ids are given in commit order: a transaction takes an advisory lock before it writes its
changes and holds it until it commits, so a replica that read up to change N never later
finds an N - 1 committed behind it. On SQLite one process serves the database and updates
its own index as it writes: nothing is logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, func, insert, select, text

from retrieval.storage.database import Database, now, timestamp
from retrieval.storage.schema import index_changes

ChangeKind = Literal["article", "message"]
# pg_advisory_xact_lock key held from a transaction's first change to its commit.
CHANGE_LOCK = 0x6272696566636867  # "briefchg"
# Changes older than this are forgotten: a replica that was away longer rebuilds its index.
KEEP_CHANGES = timedelta(days=1)


def log_changes(db: Connection, kind: ChangeKind, item_ids: Iterable[int]) -> None:
    """Inside a write transaction: the index must learn ``item_ids`` again (or forget them)."""
    rows = [{"kind": kind, "item_id": item_id, "changed_at": now()} for item_id in item_ids]
    if not rows or db.dialect.name != "postgresql":
        return
    db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOCK})
    db.execute(insert(index_changes), rows)


class ChangeLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def last_id(self) -> int:
        """The newest change (0 when none was ever logged)."""
        with self._db.reading() as db:
            return db.execute(select(func.coalesce(func.max(index_changes.c.id), 0))).scalar_one()

    def oldest_id(self) -> int | None:
        with self._db.reading() as db:
            return db.execute(select(func.min(index_changes.c.id))).scalar()

    def since(self, after: int, limit: int) -> list[tuple[int, ChangeKind, int]]:
        """The changes (id, kind, item id) after the change ``after``, oldest first."""
        c = index_changes.c
        query = select(c.id, c.kind, c.item_id).where(c.id > after).order_by(c.id).limit(limit)
        with self._db.reading() as db:
            return [(row[0], row[1], row[2]) for row in db.execute(query)]

    def forget_old(self, moment: datetime | None = None) -> None:
        """Forget the changes older than :data:`KEEP_CHANGES`, but never the newest (it
        tells a replica how far the log went)."""
        before = timestamp((moment or datetime.now(UTC)) - KEEP_CHANGES)
        c = index_changes.c
        with self._db.transaction() as db:
            newest = select(func.max(c.id)).scalar_subquery()
            db.execute(index_changes.delete().where(c.changed_at < before, c.id < newest))
