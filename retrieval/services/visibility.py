"""Who may see what: the one place that decides which owners' articles a requester sees.

A requester (an :class:`Owner`) sees its own articles and those of the feeds it follows
(its own subscriptions and the feeds for every chat). A group with catch-up on also
searches the messages it keeps (its ``group`` owner): no other requester ever does, so
what a group said never reaches another chat, nor anyone's inline answers.

Both are read once per owner while the data stays as it was (:meth:`Database.data_version`,
checked every time): a question would otherwise read the owner's feeds every time. On
PostgreSQL, where other replicas write without telling, they are read every time.
"""

from __future__ import annotations

from retrieval.errors import NotFound
from retrieval.models import ArticleInfo
from retrieval.owners import Owner, OwnerKind
from retrieval.storage import Storage

MAX_REMEMBERED_SCOPES = 10_000  # owners whose scopes are kept at most

# An owner's scope and search scope, as the data was at a data version.
_Scopes = tuple[object, tuple[Owner, ...], tuple[Owner, ...]]


class Visibility:
    def __init__(self, storage: Storage) -> None:
        self._db = storage.db
        self._articles = storage.articles
        self._feeds = storage.feeds
        self._kept = storage.catchup
        self._scopes: dict[Owner, _Scopes] = {}

    def scope(self, owner: Owner) -> list[Owner]:
        """The owners whose articles ``owner`` may see: its own and its feeds'."""
        return list(self._remembered(owner)[1])

    def search_scope(self, owner: Owner) -> list[Owner]:
        """The owners whose passages a question from ``owner`` searches: those of its
        :meth:`scope`, and the messages the chat keeps when it is a group with catch-up on."""
        return list(self._remembered(owner)[2])

    def _remembered(self, owner: Owner) -> _Scopes:
        """The owner's scopes, read again unless read at the data version of now. Each is
        kept with the version read before it, so one read while the data changed is never
        taken for the new data's (and threads need no lock)."""
        version = self._db.data_version()
        remembered = self._scopes.get(owner)
        if version is not None and remembered is not None and remembered[0] == version:
            return remembered
        scope = (owner, *(Owner.feed(f) for f in self._feeds.owners_feeds(owner)))
        searched = scope
        if owner.kind is OwnerKind.CHAT and self._kept.is_on(owner.id):
            searched = (*scope, Owner.group(owner.id))
        scopes = (version, scope, searched)
        if version is not None:
            if len(self._scopes) >= MAX_REMEMBERED_SCOPES:
                self._scopes.clear()
            self._scopes[owner] = scopes
        return scopes

    def can_see(self, owner: Owner, article_id: int) -> bool:
        return self._articles.visible(article_id, self.scope(owner))

    def article(self, article_id: int, owner: Owner) -> ArticleInfo:
        """An article ``owner`` may see; :class:`NotFound` otherwise (also for others' ids)."""
        info = self._articles.article(article_id) if 0 < article_id < 2**63 else None
        if info is None or not self.can_see(owner, article_id):
            raise NotFound("There is no article {article_id}.", article_id=article_id)
        return info
