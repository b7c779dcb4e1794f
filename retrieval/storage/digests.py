"""The digest log: which digest each owner was sent, and when, and which days' scheduled
digests were skipped (``digests``)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Connection, func, select

from retrieval.owners import Owner
from retrieval.storage.core import insert_or_ignore, move_owner_rows, owner_is
from retrieval.storage.database import Database, timestamp
from retrieval.storage.schema import digests

_OWNER = (digests.c.owner_kind, digests.c.owner_id)


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
            result = db.execute(
                insert_or_ignore(db, digests).values(
                    owner_kind=owner.kind.value, owner_id=owner.id, kind=kind.value, day=day.isoformat(),
                    zone=zone, sent_at=timestamp(sent_at) if sent_at else None, items=items,
                )
            )
        return bool(result.rowcount)

    def last_day(self, owner: Owner, zone: str) -> date | None:
        """The last local day in ``zone`` whose scheduled digest was sent or skipped."""
        query = select(func.max(digests.c.day)).where(
            owner_is(owner, *_OWNER), digests.c.zone == zone, digests.c.kind != DigestKind.ON_DEMAND.value
        )
        with self._db.reading() as db:
            day = db.execute(query).scalar()
        return date.fromisoformat(day) if day else None

    def last_sent(
        self, owner: Owner, *, on_demand: bool = True, outside_zone: str | None = None
    ) -> datetime | None:
        """When the owner's last digest was built: any, or only scheduled ones; with
        ``outside_zone``, only among those sent in another zone."""
        kinds = [DigestKind.SCHEDULED.value, *([DigestKind.ON_DEMAND.value] if on_demand else [])]
        query = select(func.max(digests.c.sent_at)).where(owner_is(owner, *_OWNER), digests.c.kind.in_(kinds))
        if outside_zone is not None:
            query = query.where(digests.c.zone != outside_zone)
        with self._db.reading() as db:
            last = db.execute(query).scalar()
        return datetime.fromisoformat(last) if last else None

    @staticmethod
    def move_owner(db: Connection, old: Owner, new: Owner) -> None:
        """Inside a transaction: ``old``'s digests become ``new``'s."""
        move_owner_rows(
            db, digests, old, new, unique=("zone", "day"),
            unique_where=digests.c.kind != DigestKind.ON_DEMAND.value,
        )
