"""The digest log: which digest each owner was sent, and when, and which days' scheduled
digests were skipped (``digests``)."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from enum import StrEnum

from retrieval.owners import Owner
from retrieval.storage.database import Database, marks, owner_columns, timestamp

_OWNER = "owner_kind = ? AND owner_id = ?"


class DigestKind(StrEnum):
    SCHEDULED = "scheduled"  # sent at the owner's time (or recorded empty, when it wants no note)
    ON_DEMAND = "on_demand"  # asked for (/digest): it moves the next digest's start, not the schedule
    SKIPPED = "skipped"  # the day's scheduled digest will not be sent


class DigestLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        owner: Owner,
        kind: DigestKind,
        day: date,
        zone: str,
        *,
        sent_at: datetime | None,
        items: int = 0,
    ) -> bool:
        """Note a digest sent (``sent_at``) or a day skipped; False when that day's scheduled
        digest was already sent or skipped in that zone."""
        with self._db.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO digests (owner_kind, owner_id, kind, day, zone, sent_at, items)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    *owner_columns(owner), kind.value, day.isoformat(), zone,
                    timestamp(sent_at) if sent_at else None, items,
                ),
            )
        return bool(cursor.rowcount)

    def last_day(self, owner: Owner, zone: str) -> date | None:
        """The last local day in ``zone`` whose scheduled digest was sent or skipped."""
        with self._db.reading() as db:
            query = f"SELECT MAX(day) FROM digests WHERE {_OWNER} AND zone = ? AND kind != ?"
            day = db.execute(query, (*owner_columns(owner), zone, DigestKind.ON_DEMAND.value)).fetchone()[0]
        return date.fromisoformat(day) if day else None

    def last_sent(
        self, owner: Owner, *, on_demand: bool = True, outside_zone: str | None = None
    ) -> datetime | None:
        """When the owner's last digest was built: any, or only scheduled ones; with
        ``outside_zone``, only among those sent in another zone."""
        kinds = [DigestKind.SCHEDULED.value, *([DigestKind.ON_DEMAND.value] if on_demand else [])]
        elsewhere = "" if outside_zone is None else " AND zone != ?"
        with self._db.reading() as db:
            query = f"SELECT MAX(sent_at) FROM digests WHERE {_OWNER} AND kind IN ({marks(kinds)}){elsewhere}"
            params = (*owner_columns(owner), *kinds, *([] if outside_zone is None else [outside_zone]))
            last = db.execute(query, params).fetchone()[0]
        return datetime.fromisoformat(last) if last else None

    @staticmethod
    def move_owner(db: sqlite3.Connection, old: Owner, new: Owner) -> None:
        """Inside a transaction: ``old``'s digests become ``new``'s."""
        db.execute(
            f"UPDATE OR IGNORE digests SET owner_kind = ?, owner_id = ? WHERE {_OWNER}",
            (*owner_columns(new), *owner_columns(old)),
        )
        db.execute(f"DELETE FROM digests WHERE {_OWNER}", owner_columns(old))
