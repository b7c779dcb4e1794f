"""Who may see what: the one place that decides which owners' articles a requester sees.

A requester (an :class:`Owner`) sees its own articles and those of the feeds it follows
(its own subscriptions and the feeds for every chat). A group with catch-up on also
searches the messages it keeps (its ``group`` owner): no other requester ever does, so
what a group said never reaches another chat, nor anyone's inline answers.
"""

from __future__ import annotations

from retrieval.errors import NotFound
from retrieval.models import ArticleInfo
from retrieval.owners import Owner, OwnerKind
from retrieval.storage import Storage


class Visibility:
    def __init__(self, storage: Storage) -> None:
        self._articles = storage.articles
        self._feeds = storage.feeds
        self._kept = storage.catchup

    def scope(self, owner: Owner) -> list[Owner]:
        """The owners whose articles ``owner`` may see: its own and its feeds'."""
        return [owner, *(Owner.feed(f) for f in self._feeds.owners_feeds(owner))]

    def search_scope(self, owner: Owner) -> list[Owner]:
        """The owners whose passages a question from ``owner`` searches: those of its
        :meth:`scope`, and the messages the chat keeps when it is a group with catch-up on."""
        scope = self.scope(owner)
        if owner.kind is OwnerKind.CHAT and self._kept.is_on(owner.id):
            scope.append(Owner.group(owner.id))
        return scope

    def can_see(self, owner: Owner, article_id: int) -> bool:
        return self._articles.visible(article_id, self.scope(owner))

    def article(self, article_id: int, owner: Owner) -> ArticleInfo:
        """An article ``owner`` may see; :class:`NotFound` otherwise (also for others' ids)."""
        info = self._articles.article(article_id) if 0 < article_id < 2**63 else None
        if info is None or not self.can_see(owner, article_id):
            raise NotFound("There is no article {article_id}.", article_id=article_id)
        return info
