"""Feeds, who follows them and which of their entries were seen (``feeds``,
``subscriptions``, ``feed_entries``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from retrieval.errors import NP_, InputError, NotFound
from retrieval.models import FeedInfo
from retrieval.owners import EVERYONE, Owner
from retrieval.storage.database import Database, now, owners_value, read, stored_owner, timestamp

if TYPE_CHECKING:
    from sqlalchemy import Column, Connection, Select

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


# The statements are built inside the functions that use them, which import SQLAlchemy and
# the tables: reading commands on SQLite run the reads compiled ahead of time
# (retrieval.storage.sqlite_reads) and never load SQLAlchemy.


def _follower() -> tuple[Column, Column]:
    from retrieval.storage.schema import subscriptions

    return subscriptions.c.owner_kind, subscriptions.c.owner_id


@read
def _owners_feeds() -> Select:
    from sqlalchemy import select

    from retrieval.storage.core import owners_in
    from retrieval.storage.schema import subscriptions

    return select(subscriptions.c.feed_id).where(owners_in("owners", *_follower())).distinct()


class FeedStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, url: str, title: str | None = None, site_url: str | None = None) -> int:
        from sqlalchemy import func, select

        from retrieval.storage.core import dialect_insert
        from retrieval.storage.schema import feeds

        with self._db.transaction() as db:
            new = dialect_insert(db, feeds).values(
                url=url, title=title, site_url=site_url, next_poll_at=now(), added_at=now()
            )
            db.execute(
                new.on_conflict_do_update(
                    index_elements=[feeds.c.url],
                    set_={
                        "title": func.coalesce(new.excluded.title, feeds.c.title),
                        "site_url": func.coalesce(new.excluded.site_url, feeds.c.site_url),
                    },
                )
            )
            return db.execute(select(feeds.c.id).where(feeds.c.url == url)).scalar_one()

    def exists(self, feed_id: int) -> bool:
        from sqlalchemy import select, true

        from retrieval.storage.schema import feeds

        with self._db.reading() as db:
            return db.execute(select(true()).where(feeds.c.id == feed_id)).first() is not None

    def find(self, url: str) -> int | None:
        from sqlalchemy import select

        from retrieval.storage.schema import feeds

        with self._db.reading() as db:
            return db.execute(select(feeds.c.id).where(feeds.c.url == url)).scalar()

    def check_room(self, owner: Owner) -> None:
        from sqlalchemy import func, select

        from retrieval.storage.core import owner_is
        from retrieval.storage.schema import subscriptions

        if owner == EVERYONE:
            return
        query = select(func.count()).select_from(subscriptions).where(owner_is(owner, *_follower()))
        with self._db.reading() as db:
            count = db.execute(query).scalar_one()
        if count >= MAX_FEEDS_PER_OWNER:
            raise InputError(
                NP_("A chat can follow up to {count} feed; remove one first.",
                    "A chat can follow up to {count} feeds; remove one first."),
                count=MAX_FEEDS_PER_OWNER,
            )

    def subscribe(self, owner: Owner, feed_id: int, *, from_config: bool = False) -> bool:
        from retrieval.storage.core import insert_or_ignore
        from retrieval.storage.schema import subscriptions

        self.check_room(owner)
        with self._db.transaction() as db:
            added = db.execute(
                insert_or_ignore(db, subscriptions).values(
                    owner_kind=owner.kind.value, owner_id=owner.id, feed_id=feed_id, added_at=now(),
                    from_config=from_config,
                )
            ).rowcount
        return bool(added)

    def unsubscribe(self, owner: Owner, feed_id: int) -> bool:
        """Drop the subscription; a feed nobody follows any more is deleted (returns True)."""
        from sqlalchemy import func, select

        from retrieval.storage.core import owner_is
        from retrieval.storage.schema import feeds, subscriptions

        with self._db.transaction() as db:
            dropped = db.execute(
                subscriptions.delete().where(
                    owner_is(owner, *_follower()), subscriptions.c.feed_id == feed_id
                )
            ).rowcount
            if not dropped:
                raise NotFound("You don't follow a feed {feed_id}.", feed_id=feed_id)
            left = db.execute(
                select(func.count()).select_from(subscriptions).where(subscriptions.c.feed_id == feed_id)
            ).scalar_one()
            if not left:
                db.execute(feeds.delete().where(feeds.c.id == feed_id))
        return not left

    def owners_feeds(self, owner: Owner) -> list[int]:
        """Feeds whose articles ``owner`` sees: its own subscriptions and everyone's."""
        return [row[0] for row in self._db.rows(_owners_feeds, owners=owners_value([owner, EVERYONE]))]

    def list(self, owner: Owner) -> list[FeedInfo]:
        from sqlalchemy import case, func, select, true

        from retrieval.storage.core import owners_in
        from retrieval.storage.schema import feeds, subscriptions

        for_everyone = subscriptions.c.owner_kind == EVERYONE.kind.value
        everyone = func.max(case((for_everyone, 1), else_=0)).label("everyone")
        config = func.max(case((for_everyone & (subscriptions.c.from_config == true()), 1), else_=0))
        query = (
            select(feeds, everyone, config.label("config"))
            .select_from(feeds)
            .join(
                subscriptions,
                (subscriptions.c.feed_id == feeds.c.id) & owners_in([owner, EVERYONE], *_follower()),
            )
            .group_by(feeds.c.id)
            .order_by(feeds.c.id)
        )
        with self._db.reading() as db:
            rows = db.execute(query).all()
        return [
            FeedInfo(
                id=r.id, url=r.url, title=r.title, site_url=r.site_url,
                last_fetched_at=r.last_fetched_at, last_error=r.last_error,
                error_count=r.error_count, for_everyone=bool(r.everyone),
                from_config=bool(r.config),
            )
            for r in rows
        ]

    def audience(self, feed_id: int) -> list[Owner] | None:
        """Owners who see the feed's articles; ``None`` when every chat does."""
        from sqlalchemy import select

        from retrieval.storage.schema import subscriptions

        with self._db.reading() as db:
            rows = db.execute(select(*_follower()).where(subscriptions.c.feed_id == feed_id))
            owners = [stored_owner(kind, owner_id) for kind, owner_id in rows]
        return None if EVERYONE in owners else owners

    def config_feeds(self) -> dict[str, int]:
        """Feeds for every chat that the config file lists (url -> id)."""
        from sqlalchemy import select, true

        from retrieval.storage.core import owner_is
        from retrieval.storage.schema import feeds, subscriptions

        query = select(feeds.c.url, feeds.c.id).select_from(feeds).join(
            subscriptions,
            (subscriptions.c.feed_id == feeds.c.id)
            & owner_is(EVERYONE, *_follower())
            & (subscriptions.c.from_config == true()),
        )
        with self._db.reading() as db:
            return {url: feed_id for url, feed_id in db.execute(query)}

    def due(self, at: datetime) -> list[int]:
        from sqlalchemy import select

        from retrieval.storage.schema import feeds, subscriptions

        query = (
            select(feeds.c.id)
            .where(feeds.c.next_poll_at <= timestamp(at), feeds.c.id.in_(select(subscriptions.c.feed_id)))
            .order_by(feeds.c.next_poll_at)
        )
        with self._db.reading() as db:
            return list(db.execute(query).scalars())

    def take(self, feed_id: int, at: datetime, lease: timedelta) -> bool:
        """Take a due feed to poll it: its next poll moves ``lease`` on, so no other process
        polls it meanwhile, and one that died while polling it is polled again after that.
        False when it is not due (another process took it)."""
        from retrieval.storage.schema import feeds

        with self._db.transaction() as db:
            taken = db.execute(
                feeds.update()
                .where(feeds.c.id == feed_id, feeds.c.next_poll_at <= timestamp(at))
                .values(next_poll_at=timestamp(at + lease))
            ).rowcount
        return bool(taken)

    def state(self, feed_id: int) -> FeedState:
        from sqlalchemy import select

        from retrieval.storage.schema import feeds

        f = feeds.c
        query = select(f.id, f.url, f.etag, f.last_modified, f.error_count, f.last_fetched_at).where(
            f.id == feed_id
        )
        with self._db.reading() as db:
            row = db.execute(query).first()
        if row is None:
            raise NotFound("There is no feed {feed_id}.", feed_id=feed_id)
        return FeedState(row[0], row[1], row[2], row[3], row[4], first_poll=row[5] is None)

    def record_success(
        self, feed_id: int, interval: timedelta, *, etag: str | None, last_modified: str | None,
        title: str | None = None, site_url: str | None = None,
    ) -> None:
        from sqlalchemy import func

        from retrieval.storage.schema import feeds

        fetched = datetime.now(UTC)
        with self._db.transaction() as db:
            db.execute(
                feeds.update()
                .where(feeds.c.id == feed_id)
                .values(
                    etag=etag, last_modified=last_modified, last_fetched_at=timestamp(fetched),
                    last_error=None, error_count=0, next_poll_at=timestamp(fetched + interval),
                    title=func.coalesce(title, feeds.c.title),
                    site_url=func.coalesce(site_url, feeds.c.site_url),
                )
            )

    def record_failure(self, feed_id: int, interval: timedelta, error: str) -> None:
        """Back off exponentially: the interval doubles with each failure in a row."""
        from sqlalchemy import select

        from retrieval.storage.schema import feeds

        with self._db.transaction() as db:
            errors = db.execute(select(feeds.c.error_count).where(feeds.c.id == feed_id)).scalar_one() + 1
            delay = min(interval * 2 ** min(errors, 16), MAX_BACKOFF)
            fetched = datetime.now(UTC)
            db.execute(
                feeds.update()
                .where(feeds.c.id == feed_id)
                .values(
                    last_fetched_at=timestamp(fetched), last_error=error, error_count=errors,
                    next_poll_at=timestamp(fetched + delay),
                )
            )

    def seen(self, feed_id: int, keys: Sequence[str]) -> bool:
        from sqlalchemy import select, true

        from retrieval.storage.schema import feed_entries

        if not keys:
            return False
        query = select(true()).where(feed_entries.c.feed_id == feed_id, feed_entries.c.entry_key.in_(keys))
        with self._db.reading() as db:
            return db.execute(query.limit(1)).first() is not None

    def mark_seen(self, feed_id: int, keys: Sequence[str], article_id: int | None) -> None:
        from retrieval.storage.core import insert_or_ignore
        from retrieval.storage.schema import feed_entries

        if not keys:
            return
        with self._db.transaction() as db:
            rows = [dict(feed_id=feed_id, entry_key=k, article_id=article_id, seen_at=now()) for k in keys]
            db.execute(insert_or_ignore(db, feed_entries), rows)

    def totals(self) -> tuple[int, int]:
        """Feeds, and feeds whose last poll failed."""
        from sqlalchemy import func, select

        from retrieval.storage.schema import feeds

        query = select(
            select(func.count()).select_from(feeds).scalar_subquery(),
            select(func.count()).select_from(feeds).where(feeds.c.error_count > 0).scalar_subquery(),
        )
        with self._db.reading() as db:
            row = db.execute(query).one()
        return row[0], row[1]

    @staticmethod
    def move_owner(db: Connection, old: Owner, new: Owner) -> None:
        """Inside a transaction: ``old``'s subscriptions become ``new``'s."""
        from retrieval.storage.core import move_owner_rows
        from retrieval.storage.schema import subscriptions

        move_owner_rows(db, subscriptions, old, new, unique=("feed_id",))
