"""Storage, one store per concern over one :class:`Database` (a SQLite file or PostgreSQL).

The database is the source of truth; the search index is derived from it.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.owners import Owner
from retrieval.storage.articles import ArticleStore
from retrieval.storage.catchup import CatchupStore
from retrieval.storage.database import Database
from retrieval.storage.feeds import FeedStore
from retrieval.storage.upgrade import upgrade_schema

if TYPE_CHECKING:
    from retrieval.storage.digests import DigestLog
    from retrieval.storage.topics import TopicStore


class Storage:
    """``location``: a SQLite file, or a ``postgresql://`` URL. Opening it brings its
    schema up to date."""

    def __init__(self, location: str | Path) -> None:
        self.db = Database(location)
        try:
            upgrade_schema(self.db)
        except BaseException:
            self.db.close()
            raise
        self.articles = ArticleStore(self.db)
        self.feeds = FeedStore(self.db)
        self.catchup = CatchupStore(self.db)

    # The stores no reading command uses, with their queries, load when first used.

    @cached_property
    def topics(self) -> TopicStore:
        from retrieval.storage.topics import TopicStore

        return TopicStore(self.db)

    @cached_property
    def digests(self) -> DigestLog:
        from retrieval.storage.digests import DigestLog

        return DigestLog(self.db)

    def close(self) -> None:
        self.db.close()

    def rename_owner(self, old: Owner, new: Owner) -> list[int]:
        """Move everything ``old`` holds to ``new`` in one transaction; returns the ids of
        the articles that moved (the search index must learn their owners again)."""
        with self.db.transaction() as db:
            moved = self.articles.move_owner(db, old, new)
            self.feeds.move_owner(db, old, new)
            self.topics.move_owner(db, old, new)
            self.digests.move_owner(db, old, new)
        return moved
