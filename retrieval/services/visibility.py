"""Who may see what: the one place that decides which owners' articles a requester sees.

Owners name who holds an article: ``"local"`` for the command line, ``"chat:<id>"`` for
a Telegram chat, ``"feed:<id>"`` for a feed. A requester sees its own articles and those
of the feeds it follows (its own subscriptions and the feeds for every chat).
"""

from __future__ import annotations

from retrieval.errors import NotFound
from retrieval.feeds import feed_owner
from retrieval.models import ArticleInfo
from retrieval.storage import Storage


class Visibility:
    def __init__(self, storage: Storage) -> None:
        self._articles = storage.articles
        self._feeds = storage.feeds

    def scope(self, owner: str) -> list[str]:
        """The owners whose articles ``owner`` may see: its own and its feeds'."""
        return [owner, *(feed_owner(f) for f in self._feeds.owners_feeds(owner))]

    def can_see(self, owner: str, article_id: int) -> bool:
        return self._articles.visible(article_id, self.scope(owner))

    def article(self, article_id: int, owner: str) -> ArticleInfo:
        """An article ``owner`` may see; :class:`NotFound` otherwise (also for others' ids)."""
        info = self._articles.article(article_id) if 0 < article_id < 2**63 else None
        if info is None or not self.can_see(owner, article_id):
            raise NotFound(f"There is no article {article_id}.")
        return info
