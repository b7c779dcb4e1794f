"""Which digest each owner was sent, and when (``digests``)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from retrieval.owners import Owner
from retrieval.storage.database import Database, owner_columns, timestamp

_OWNER = "owner_kind = ? AND owner_id = ?"


class DigestLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, owner: Owner, day: str, items: int, sent_at: datetime) -> bool:
        """Note that ``owner``'s digest for ``day`` went out; False if it already had."""
        with self._db.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO digests (owner_kind, owner_id, day, sent_at, items)"
                " VALUES (?, ?, ?, ?, ?)",
                (*owner_columns(owner), day, timestamp(sent_at), items),
            )
        return bool(cursor.rowcount)

    def sent(self, owner: Owner, day: str) -> bool:
        with self._db.reading() as db:
            query = f"SELECT 1 FROM digests WHERE {_OWNER} AND day = ?"
            return db.execute(query, (*owner_columns(owner), day)).fetchone() is not None

    def last_sent(self, owner: Owner) -> datetime | None:
        with self._db.reading() as db:
            query = f"SELECT MAX(sent_at) FROM digests WHERE {_OWNER}"
            last = db.execute(query, owner_columns(owner)).fetchone()[0]
        return datetime.fromisoformat(last) if last else None

    @staticmethod
    def move_owner(db: sqlite3.Connection, old: Owner, new: Owner) -> None:
        """Inside a transaction: ``old``'s digests become ``new``'s."""
        db.execute(
            f"UPDATE OR IGNORE digests SET owner_kind = ?, owner_id = ? WHERE {_OWNER}",
            (*owner_columns(new), *owner_columns(old)),
        )
        db.execute(f"DELETE FROM digests WHERE {_OWNER}", owner_columns(old))
