"""Digests: what arrived for an owner since its last digest, and the one record of which
digest was sent when.

A digest shows the owner's daily topics first (each with the sentences that matched),
then what its feeds brought that no topic showed, each story once however many sources
told it (:mod:`retrieval.digest` groups them). The next digest starts where the last
one sent (scheduled or asked for) was built. When a chat's digest is due is the bot's
schedule (:mod:`bot.schedule`); it reads which days were handled from here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from retrieval.bot_models import ArticleRef, Digest, DigestItem, DigestSection
from retrieval.config import EngineConfig
from retrieval.digest import Sketch, group_stories
from retrieval.errors import N_
from retrieval.models import CitedSentence, TopicInfo
from retrieval.owners import Owner, OwnerKind
from retrieval.services.topics import Topics
from retrieval.services.visibility import Visibility
from retrieval.storage import Storage
from retrieval.storage.database import timestamp
from retrieval.storage.digests import DigestKind
from retrieval.summarize import select_sentences

DIGEST_WINDOW = timedelta(hours=24)
DIGEST_CANDIDATES = 500
SKETCH_CACHE = 20_000


class Digests:
    def __init__(
        self, config: EngineConfig, storage: Storage, visibility: Visibility, topics: Topics
    ) -> None:
        self._config = config
        self._articles = storage.articles
        self._topic_store = storage.topics
        self._log = storage.digests
        self._visibility = visibility
        self._topics = topics
        self._sketch: Callable[[int], Sketch] = lru_cache(maxsize=SKETCH_CACHE)(self._compute_sketch)
        self._summary: Callable[[int, str], list[CitedSentence]] = lru_cache(maxsize=SKETCH_CACHE)(
            self._summary_sentences
        )

    def digest(self, owner: Owner, *, since: datetime | None = None, now: datetime | None = None) -> Digest:
        """What arrived for ``owner`` since its last digest: daily topics first, then feeds."""
        until = now or datetime.now(UTC)
        since = since or self.last_digest(owner) or until - DIGEST_WINDOW
        since_text = timestamp(since)
        budget = self._config.digest.max_items
        scope = self._visibility.scope(owner)
        sections: list[DigestSection] = []
        shown: set[int] = set()
        for topic in self._topic_store.list(owner):
            if topic.mode != "daily" or budget <= 0:
                continue
            matched = self._topic_store.matched_since(topic.id, since_text, DIGEST_CANDIDATES)
            visible = [a for a in matched if a not in shown and self._articles.visible(a, scope)]
            items = self._items(visible, budget, topic)
            if items:
                sections.append(DigestSection(heading=topic.query, topic_id=topic.id, items=items))
                shown.update(i.article_id for i in items)
                shown.update(o.article_id for i in items for o in i.also_reported_by)
                budget -= len(items)
        feed_owners = [o for o in scope if o.kind is OwnerKind.FEED]
        if feed_owners and budget > 0:
            arrived = self._articles.arrived_since(feed_owners, since_text, DIGEST_CANDIDATES)
            items = self._items([a for a in arrived if a not in shown], budget, None)
            if items:
                sections.append(DigestSection(heading=N_("From your feeds"), items=items))
        return Digest(owner=owner, since=since, until=until, sections=sections)

    def record_digest(
        self,
        owner: Owner,
        day: date,
        zone: str,
        items: int,
        *,
        sent_at: datetime | None = None,
        on_demand: bool = False,
    ) -> bool:
        """Note that ``owner`` was sent a digest of ``items`` built at ``sent_at`` (the next one
        starts there), on the local ``day`` in ``zone``. A scheduled digest also takes that
        day's turn: False when the day was already sent or skipped. One asked for
        (``on_demand``) leaves the schedule as it is."""
        kind = DigestKind.ON_DEMAND if on_demand else DigestKind.SCHEDULED
        return self._log.record(owner, kind, day, zone, sent_at=sent_at or datetime.now(UTC), items=items)

    def skip_digest(self, owner: Owner, day: date, zone: str) -> bool:
        """The local ``day``'s scheduled digest in ``zone`` will not be sent; False when it
        was already sent or skipped."""
        return self._log.record(owner, DigestKind.SKIPPED, day, zone, sent_at=None)

    def handled_day(self, owner: Owner, zone: str) -> date | None:
        """The last local day in ``zone`` whose scheduled digest was sent or skipped.

        Digests sent in another zone (before the owner moved its digest) count by the date
        they were sent on here: after a move west that is an earlier date than it was
        there, so the next day still gets its digest.
        """
        recorded = self._log.last_day(owner, zone)
        elsewhere = self._log.last_sent(owner, on_demand=False, outside_zone=zone)
        sent_day = elsewhere.astimezone(ZoneInfo(zone)).date() if elsewhere and zone else None
        return max(filter(None, (recorded, sent_day)), default=None)

    def last_digest(self, owner: Owner) -> datetime | None:
        """When ``owner``'s last digest, scheduled or asked for, was built."""
        return self._log.last_sent(owner)

    def _items(self, candidates: list[int], budget: int, topic: TopicInfo | None) -> list[DigestItem]:
        stories = group_stories(candidates, self._sketch, budget)
        stories.sort(key=lambda story: len(story.others), reverse=True)  # stable: newest first among equals
        items = []
        for story in stories:
            info = self._articles.article(story.lead)
            if info is None:
                continue
            if topic is not None:
                sentences = [
                    CitedSentence(
                        article_id=info.id, index=s.index, text=s.text, title=info.title, url=info.url
                    )
                    for s in self._topics.why_matched(topic, info)
                ]
            else:
                sentences = self._summary(info.id, info.title)
            others = [o for o in (self._articles.article(a) for a in story.others) if o is not None]
            items.append(
                DigestItem(
                    article_id=info.id, title=info.title, url=info.url, site=info.site,
                    sentences=sentences,
                    also_reported_by=[
                        ArticleRef(article_id=o.id, title=o.title, url=o.url, site=o.site) for o in others
                    ],
                )
            )
        return items

    def _summary_sentences(self, article_id: int, title: str) -> list[CitedSentence]:
        stored = self._articles.sentences(article_id)
        info = self._articles.article(article_id)
        chosen = select_sentences(
            [s.text for s in stored], min(2, len(stored)), self._config.summary.algorithm, title=title,
            language=info.language if info else None,
        )
        url = info.url if info else None
        return [
            CitedSentence(
                article_id=article_id, index=stored[i].position, text=stored[i].text, title=title, url=url
            )
            for i in chosen
        ]

    def _compute_sketch(self, article_id: int) -> Sketch:
        info = self._articles.article(article_id)
        text = " ".join(s.text for s in self._articles.sentences(article_id)[:40])
        return Sketch.of(text, info.language if info else None)
