"""Leases: work that one process at a time does when several processes (replicas of the
bot) share one database. A lease names the work and its holder and runs out at a time;
the holder renews it while it works, and once it has run out (its holder died or hangs)
any other process may take it. Each process is one :func:`replica_name`.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_

from retrieval.storage.core import dialect_insert
from retrieval.storage.database import Database, timestamp
from retrieval.storage.schema import leases


def replica_name() -> str:
    """A new name for a replica, as leases name their holders: host, process id and a
    random part (a restarted container may get the same process id; a test runs two
    replicas in one process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Leases:
    def __init__(self, db: Database, holder: str | None = None) -> None:
        self._db = db
        self.holder = holder or replica_name()

    def take(self, name: str, duration: timedelta, now: datetime | None = None) -> bool:
        """Hold ``name`` for ``duration`` from now: True when this process holds it now
        (it was free, ran out, or was already this process's, which renews it)."""
        now = now or datetime.now(UTC)
        until = timestamp(now + duration)
        with self._db.transaction() as db:
            new = dialect_insert(db, leases).values(name=name, holder=self.holder, until=until)
            taken = db.execute(
                new.on_conflict_do_update(
                    index_elements=[leases.c.name],
                    set_={"holder": self.holder, "until": until},
                    where=or_(leases.c.holder == self.holder, leases.c.until < timestamp(now)),
                ).execution_options(preserve_rowcount=True)
            ).rowcount
        return bool(taken)

    def release(self, name: str) -> None:
        """Let another process take ``name`` at once (this one is done or stopping)."""
        with self._db.transaction() as db:
            db.execute(leases.delete().where(leases.c.name == name, leases.c.holder == self.holder))
