"""Topics a chat watches, what new articles match them, and the instant alerts they make.

The query language and matching are :mod:`retrieval.topics`; the records are
:mod:`retrieval.storage.topics`. Matches are recorded as articles arrive; daily topics
are read back by the digest, instant ones become :class:`Alert`s.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from retrieval.bot_models import Alert, HighlightedSentence
from retrieval.models import ArticleInfo, TopicInfo, TopicMode
from retrieval.owners import Owner, OwnerKind
from retrieval.services.visibility import Visibility
from retrieval.storage import Storage
from retrieval.topics import ArticleText, TopicQuery, matched_sentences, matches, parse_query
from retrieval.urls import site_of

# Topic queries kept parsed (each new article is matched against its audience's topics):
# as many as a busy bot's active topics, and no more however many topics come and go.
PARSED_TOPICS = 20_000


class Topics:
    def __init__(self, storage: Storage, visibility: Visibility) -> None:
        self._store = storage.topics
        self._articles = storage.articles
        self._feeds = storage.feeds
        self._visibility = visibility
        self._parsed: Callable[[str], TopicQuery] = lru_cache(maxsize=PARSED_TOPICS)(parse_query)

    def subscribe(self, owner: Owner, query: str, mode: TopicMode = "daily") -> TopicInfo:
        parsed = parse_query(query)
        return self._store.add(owner, parsed.text, parsed.anchor_stems(), mode)

    def topics_of(self, owner: Owner) -> list[TopicInfo]:
        return self._store.list(owner)

    def unsubscribe(self, topic_id: int, owner: Owner) -> TopicInfo:
        return self._store.remove(topic_id, owner)

    def set_mode(self, topic_id: int, owner: Owner, mode: TopicMode) -> TopicInfo:
        return self._store.set_mode(topic_id, owner, mode)

    def match_article(
        self,
        article_id: int,
        owner: Owner,
        sentences: list[str] | None = None,
        *,
        site: str | None = None,
        url: str | None = None,
        language: str | None = None,
    ) -> None:
        """Record which topics of the article's audience it matches (for alerts and digests).

        ``owner`` has just received the article; without ``sentences`` (and its ``site`` or
        ``url``) they are read back.
        """
        audience = self._feeds.audience(owner.id) if owner.kind is OwnerKind.FEED else [owner]
        if not self._store.any_active(audience):
            return
        if sentences is None:
            info = self._articles.article(article_id)
            if info is None:
                return
            sentences = [s.text for s in self._articles.sentences(article_id)]
            site, url, language = info.site, info.url, info.language
        self.match(article_id, ArticleText(sentences, site or site_of(url), language), audience)

    def match(self, article_id: int, article: ArticleText, audience: list[Owner] | None) -> list[int]:
        """Record and return the topics the article matches among those of ``audience``
        (the owners who can see it; ``None``: every chat, for a feed every chat receives)."""
        matched = [
            candidate.topic.id
            for candidate in self._store.candidates(article.stems, audience)
            if matches(self.query(candidate.topic), article)
        ]
        if matched:
            self._store.record_matches(article_id, matched)
        return matched

    def pending_alerts(self, kind: OwnerKind | None = None) -> list[Alert]:
        """Instant-topic matches not yet delivered, oldest first, still visible to their chat;
        with ``kind``, only those of owners of that kind (the bot asks for chats')."""
        alerts = []
        for pending in self._store.pending_alerts(kind):
            info = self._articles.article(pending.article_id)
            if info is None or not self._visibility.can_see(pending.owner, pending.article_id):
                continue
            alerts.append(
                Alert(
                    owner=pending.owner, topic=pending.topic, article_id=info.id, title=info.title,
                    url=info.url, sentences=self.why_matched(pending.topic, info),
                )
            )
        return alerts

    def mark_alerted(self, alerts: list[Alert]) -> None:
        self._store.mark_alerted((alert.topic.id, alert.article_id) for alert in alerts)

    def why_matched(self, topic: TopicInfo, info: ArticleInfo) -> list[HighlightedSentence]:
        """The article's sentences that made it match, with the matching words marked."""
        sentences = [s.text for s in self._articles.sentences(info.id)]
        article = ArticleText(sentences, info.site, info.language)
        return [
            HighlightedSentence(article_id=info.id, index=m.position, text=m.text, highlights=list(m.spans))
            for m in matched_sentences(self.query(topic), article)
        ]

    def query(self, topic: TopicInfo) -> TopicQuery:
        return self._parsed(topic.query)
