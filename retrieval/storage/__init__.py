"""SQLite storage, one store per concern over one :class:`Database` file.

SQLite is the source of truth; the search index is derived from it.
"""

from __future__ import annotations

from pathlib import Path

from retrieval.owners import Owner
from retrieval.storage.articles import ArticleStore
from retrieval.storage.catchup import CatchupStore
from retrieval.storage.database import Database
from retrieval.storage.digests import DigestLog
from retrieval.storage.feeds import FeedStore
from retrieval.storage.migrations import MIGRATIONS
from retrieval.storage.topics import TopicStore


class Storage:
    def __init__(self, path: Path) -> None:
        self.db = Database(path, MIGRATIONS)
        self.articles = ArticleStore(self.db)
        self.feeds = FeedStore(self.db)
        self.topics = TopicStore(self.db)
        self.digests = DigestLog(self.db)
        self.catchup = CatchupStore(self.db)

    @property
    def path(self) -> Path:
        return self.db.path

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
