"""Which digest each owner was sent, and when (``digests``)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from retrieval.owners import Owner
from retrieval.storage.database import Database, timestamp


class DigestLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, owner: Owner, day: str, items: int, sent_at: datetime) -> bool:
        """Note that ``owner``'s digest for ``day`` went out; False if it already had."""
        with self._db.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO digests (owner, day, sent_at, items) VALUES (?, ?, ?, ?)",
                (str(owner), day, timestamp(sent_at), items),
            )
        return bool(cursor.rowcount)

    def sent(self, owner: Owner, day: str) -> bool:
        with self._db.reading() as db:
            row = db.execute(
                "SELECT 1 FROM digests WHERE owner = ? AND day = ?", (str(owner), day)
            ).fetchone()
        return row is not None

    def last_sent(self, owner: Owner) -> datetime | None:
        with self._db.reading() as db:
            row = db.execute("SELECT MAX(sent_at) FROM digests WHERE owner = ?", (str(owner),)).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    @staticmethod
    def move_owner(db: sqlite3.Connection, old: Owner, new: Owner) -> None:
        """Inside a transaction: ``old``'s digests become ``new``'s."""
        db.execute("UPDATE OR IGNORE digests SET owner = ? WHERE owner = ?", (str(new), str(old)))
        db.execute("DELETE FROM digests WHERE owner = ?", (str(old),))
