"""Feeds, who follows them and which of their entries were seen (``feeds``,
``subscriptions``, ``feed_entries``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from retrieval.errors import NP_, InputError, NotFound
from retrieval.models import FeedInfo
from retrieval.owners import EVERYONE, Owner
from retrieval.storage.database import (
    Database,
    now,
    owner_columns,
    owners_in,
    stored_owner,
    timestamp,
)

MAX_BACKOFF = timedelta(hours=24)
MAX_FEEDS_PER_OWNER = 200


@dataclass(frozen=True)
class FeedState:
    id: int
    url: str
    etag: str | None
    last_modified: str | None
    error_count: int
    first_poll: bool


class FeedStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, url: str, title: str | None = None, site_url: str | None = None) -> int:
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO feeds (url, title, site_url, next_poll_at, added_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET title = COALESCE(excluded.title, title),"
                " site_url = COALESCE(excluded.site_url, site_url)",
                (url, title, site_url, now(), now()),
            )
            return db.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()[0]

    def exists(self, feed_id: int) -> bool:
        with self._db.reading() as db:
            return db.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchone() is not None

    def find(self, url: str) -> int | None:
        with self._db.reading() as db:
            row = db.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def check_room(self, owner: Owner) -> None:
        if owner == EVERYONE:
            return
        with self._db.reading() as db:
            count = db.execute(
                "SELECT COUNT(*) FROM subscriptions WHERE owner_kind = ? AND owner_id = ?",
                owner_columns(owner),
            ).fetchone()[0]
        if count >= MAX_FEEDS_PER_OWNER:
            raise InputError(
                NP_("A chat can follow up to {count} feed; remove one first.",
                    "A chat can follow up to {count} feeds; remove one first."),
                count=MAX_FEEDS_PER_OWNER,
            )

    def subscribe(self, owner: Owner, feed_id: int, *, from_config: bool = False) -> bool:
        self.check_room(owner)
        with self._db.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO subscriptions (owner_kind, owner_id, feed_id, added_at, from_config)"
                " VALUES (?, ?, ?, ?, ?)",
                (*owner_columns(owner), feed_id, now(), int(from_config)),
            )
        return bool(cursor.rowcount)

    def unsubscribe(self, owner: Owner, feed_id: int) -> bool:
        """Drop the subscription; a feed nobody follows any more is deleted (returns True)."""
        with self._db.transaction() as db:
            cursor = db.execute(
                "DELETE FROM subscriptions WHERE owner_kind = ? AND owner_id = ? AND feed_id = ?",
                (*owner_columns(owner), feed_id),
            )
            if not cursor.rowcount:
                raise NotFound("You don't follow a feed {feed_id}.", feed_id=feed_id)
            left = db.execute(
                "SELECT COUNT(*) FROM subscriptions WHERE feed_id = ?", (feed_id,)
            ).fetchone()[0]
            if not left:
                db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
        return not left

    def owners_feeds(self, owner: Owner) -> list[int]:
        """Feeds whose articles ``owner`` sees: its own subscriptions and everyone's."""
        followers, params = owners_in([owner, EVERYONE])
        with self._db.reading() as db:
            rows = db.execute(f"SELECT DISTINCT feed_id FROM subscriptions WHERE {followers}", params)
            return [row[0] for row in rows]

    def list(self, owner: Owner) -> list[FeedInfo]:
        followers, params = owners_in([owner, EVERYONE], ("s.owner_kind", "s.owner_id"))
        everyone = "s.owner_kind = ?"
        with self._db.reading() as db:
            rows = db.execute(
                f"SELECT f.*, MAX({everyone}) AS everyone, MAX({everyone} AND s.from_config) AS config"
                f" FROM feeds f JOIN subscriptions s ON s.feed_id = f.id AND {followers}"
                " GROUP BY f.id ORDER BY f.id",
                (EVERYONE.kind.value, EVERYONE.kind.value, *params),
            ).fetchall()
        return [
            FeedInfo(
                id=r["id"], url=r["url"], title=r["title"], site_url=r["site_url"],
                last_fetched_at=r["last_fetched_at"], last_error=r["last_error"],
                error_count=r["error_count"], for_everyone=bool(r["everyone"]),
                from_config=bool(r["config"]),
            )
            for r in rows
        ]

    def audience(self, feed_id: int) -> list[Owner] | None:
        """Owners who see the feed's articles; ``None`` when every chat does."""
        with self._db.reading() as db:
            rows = db.execute("SELECT owner_kind, owner_id FROM subscriptions WHERE feed_id = ?", (feed_id,))
            owners = [stored_owner(kind, owner_id) for kind, owner_id in rows]
        return None if EVERYONE in owners else owners

    def config_feeds(self) -> dict[str, int]:
        """Feeds for every chat that the config file lists (url -> id)."""
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT f.url, f.id FROM feeds f JOIN subscriptions s ON s.feed_id = f.id"
                " AND s.owner_kind = ? AND s.owner_id = ? AND s.from_config",
                owner_columns(EVERYONE),
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def due(self, at: datetime) -> list[int]:
        with self._db.reading() as db:
            return [
                r[0]
                for r in db.execute(
                    "SELECT id FROM feeds WHERE next_poll_at <= ?"
                    " AND id IN (SELECT feed_id FROM subscriptions) ORDER BY next_poll_at",
                    (timestamp(at),),
                )
            ]

    def state(self, feed_id: int) -> FeedState:
        with self._db.reading() as db:
            row = db.execute(
                "SELECT id, url, etag, last_modified, error_count, last_fetched_at FROM feeds WHERE id = ?",
                (feed_id,),
            ).fetchone()
        if row is None:
            raise NotFound("There is no feed {feed_id}.", feed_id=feed_id)
        return FeedState(row[0], row[1], row[2], row[3], row[4], first_poll=row[5] is None)

    def record_success(
        self, feed_id: int, interval: timedelta, *, etag: str | None, last_modified: str | None,
        title: str | None = None, site_url: str | None = None,
    ) -> None:
        fetched = datetime.now(UTC)
        with self._db.transaction() as db:
            db.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_fetched_at = ?, last_error = NULL,"
                " error_count = 0, next_poll_at = ?, title = COALESCE(?, title),"
                " site_url = COALESCE(?, site_url) WHERE id = ?",
                (
                    etag, last_modified, timestamp(fetched),
                    timestamp(fetched + interval), title, site_url, feed_id,
                ),
            )

    def record_failure(self, feed_id: int, interval: timedelta, error: str) -> None:
        """Back off exponentially: the interval doubles with each failure in a row."""
        with self._db.transaction() as db:
            errors = db.execute("SELECT error_count FROM feeds WHERE id = ?", (feed_id,)).fetchone()[0] + 1
            delay = min(interval * 2 ** min(errors, 16), MAX_BACKOFF)
            fetched = datetime.now(UTC)
            db.execute(
                "UPDATE feeds SET last_fetched_at = ?, last_error = ?, error_count = ?, next_poll_at = ?"
                " WHERE id = ?",
                (
                    timestamp(fetched), error, errors,
                    timestamp(fetched + delay), feed_id,
                ),
            )

    def seen(self, feed_id: int, keys: Sequence[str]) -> bool:
        if not keys:
            return False
        with self._db.reading() as db:
            marks = ",".join("?" * len(keys))
            row = db.execute(
                f"SELECT 1 FROM feed_entries WHERE feed_id = ? AND entry_key IN ({marks})",
                (feed_id, *keys),
            ).fetchone()
        return row is not None

    def mark_seen(self, feed_id: int, keys: Sequence[str], article_id: int | None) -> None:
        with self._db.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO feed_entries (feed_id, entry_key, article_id, seen_at)"
                " VALUES (?, ?, ?, ?)",
                [(feed_id, key, article_id, now()) for key in keys],
            )

    def totals(self) -> tuple[int, int]:
        """Feeds, and feeds whose last poll failed."""
        with self._db.reading() as db:
            row = db.execute(
                "SELECT (SELECT COUNT(*) FROM feeds), (SELECT COUNT(*) FROM feeds WHERE error_count > 0)"
            ).fetchone()
        return row[0], row[1]

    @staticmethod
    def move_owner(db: sqlite3.Connection, old: Owner, new: Owner) -> None:
        """Inside a transaction: ``old``'s subscriptions become ``new``'s."""
        db.execute(
            "UPDATE OR IGNORE subscriptions SET owner_kind = ?, owner_id = ?"
            " WHERE owner_kind = ? AND owner_id = ?",
            (*owner_columns(new), *owner_columns(old)),
        )
        db.execute("DELETE FROM subscriptions WHERE owner_kind = ? AND owner_id = ?", owner_columns(old))
