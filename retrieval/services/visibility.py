"""Who may see what: the one place that decides which owners' articles a requester sees.

A requester (an :class:`Owner`) sees its own articles and those of the feeds it follows
(its own subscriptions and the feeds for every chat).
"""

from __future__ import annotations

from retrieval.errors import NotFound
from retrieval.models import ArticleInfo
from retrieval.owners import Owner
from retrieval.storage import Storage


class Visibility:
    def __init__(self, storage: Storage) -> None:
        self._articles = storage.articles
        self._feeds = storage.feeds

    def scope(self, owner: Owner) -> list[Owner]:
        """The owners whose articles ``owner`` may see: its own and its feeds'."""
        return [owner, *(Owner.feed(f) for f in self._feeds.owners_feeds(owner))]

    def can_see(self, owner: Owner, article_id: int) -> bool:
        return self._articles.visible(article_id, self.scope(owner))

    def article(self, article_id: int, owner: Owner) -> ArticleInfo:
        """An article ``owner`` may see; :class:`NotFound` otherwise (also for others' ids)."""
        info = self._articles.article(article_id) if 0 < article_id < 2**63 else None
        if info is None or not self.can_see(owner, article_id):
            raise NotFound("There is no article {article_id}.", article_id=article_id)
        return info
