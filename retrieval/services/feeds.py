"""Following feeds: adding and removing them, polling them, turning new entries into
articles, OPML import, and the feeds the config gives every chat.

A feed's articles are owned by the feed (``Owner.feed(id)``) and seen by its subscribers;
a feed nobody follows is deleted with what only it held. Parsing feeds, OPML and pages
is :mod:`retrieval.feeds`; the records are :mod:`retrieval.storage.feeds`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from retrieval.bot_models import PollResult
from retrieval.config import EngineConfig
from retrieval.errors import BriefbotError, FetchError, InputError, NotFound
from retrieval.extract import scrub
from retrieval.feeds import FeedEntry, ParsedFeed, discover_feeds, http_date, opml_feeds, parse_feed
from retrieval.fetch import FEEDS, HTML_AND_TEXT, FetchedPage, Fetcher
from retrieval.models import Extracted, FeedInfo, StoredError
from retrieval.owners import EVERYONE, Owner
from retrieval.services.intake import Intake
from retrieval.services.search_index import SearchIndex
from retrieval.storage import Storage
from retrieval.storage.articles import canonical_url, text_hash
from retrieval.urls import site_of

log = logging.getLogger(__name__)

# A feed entry shorter than this is a teaser: the article page itself is fetched.
TEASER_WORDS = 150
# A poll taken by a process that died before it finished is taken again after this.
POLL_LEASE = timedelta(minutes=5)


class Feeds:
    def __init__(
        self, config: EngineConfig, storage: Storage, search: SearchIndex, intake: Intake, fetcher: Fetcher
    ) -> None:
        self._config = config.feeds
        self._store = storage.feeds
        self._articles = storage.articles
        self._search = search
        self._intake = intake
        self._fetcher = fetcher

    def add_feed(self, url: str, owner: Owner) -> tuple[FeedInfo, PollResult]:
        """Follow a feed (or the feed a web page announces); its newest entries come in now.

        ``owner`` :data:`EVERYONE` adds the feed for every chat.
        """
        self._store.check_room(owner)
        page = self._fetcher.fetch(url, accept=FEEDS | HTML_AND_TEXT)
        if page.content_type in {"text/html", "application/xhtml+xml"}:
            announced = discover_feeds(page.text(), page.url)
            if not announced:
                raise InputError("I found no RSS or Atom feed on that page.")
            page = self._fetcher.fetch(announced[0], accept=FEEDS | HTML_AND_TEXT)
        parsed = parse_feed(page.content, page.url, page.content_type)
        with self._search.writing():  # not between another chat's removal of the feed and its deletion
            feed_id = self._store.find(page.url) or self._store.find(url)
            if feed_id is None:
                feed_id = self._store.add(page.url, parsed.title, parsed.site_url)
            self._store.subscribe(owner, feed_id)
        result = PollResult(feed_id=feed_id)
        if self._store.state(feed_id).first_poll:
            result = self._take_feed(feed_id, parsed, page)
        return self._feed_info(feed_id, owner), result

    def remove_feed(self, feed_id: int, owner: Owner) -> FeedInfo:
        info = self._feed_info(feed_id, owner)
        self._unsubscribe(owner, feed_id)
        return info

    def feeds_of(self, owner: Owner) -> list[FeedInfo]:
        return self._store.list(owner)

    def set_config_feeds(self, urls: list[str]) -> None:
        """Make ``urls`` (the config's ``feeds.urls``) feeds for every chat, replacing the
        config's previous list; feeds an admin added for everyone are left alone."""
        current = self._store.config_feeds()
        for url in urls:
            if url not in current:
                self._store.subscribe(EVERYONE, self._store.add(url), from_config=True)
        for url, feed_id in current.items():
            if url not in urls:
                self._unsubscribe(EVERYONE, feed_id)

    def due_feeds(self, at: datetime | None = None) -> list[int]:
        return self._store.due(at or datetime.now(UTC))

    def take_feed(self, feed_id: int, at: datetime | None = None) -> bool:
        """Take a due feed to poll it now; False when another process took it (several
        replicas poll the same feeds: each feed once per interval)."""
        return self._store.take(feed_id, at or datetime.now(UTC), POLL_LEASE)

    def poll_feed(self, feed_id: int) -> PollResult:
        """Fetch one feed (conditional GET) and ingest its new entries."""
        state = self._store.state(feed_id)
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        interval = timedelta(seconds=self._config.poll_seconds)
        try:
            page = self._fetcher.fetch(state.url, headers=headers, accept=FEEDS | HTML_AND_TEXT)
            if page.status == 304:
                self._store.record_success(
                    feed_id, interval, etag=state.etag, last_modified=state.last_modified
                )
                return PollResult(feed_id=feed_id, not_modified=True)
            parsed = parse_feed(page.content, page.url, page.content_type)
        except BriefbotError as error:
            self._store.record_failure(feed_id, interval, StoredError.of(error).model_dump_json())
            return PollResult(feed_id=feed_id, error=str(error))
        return self._take_feed(feed_id, parsed, page)

    def import_opml(
        self, data: bytes, owner: Owner, progress: Callable[[int, int], None] | None = None
    ) -> list[tuple[str, FeedInfo | BriefbotError]]:
        """Follow every feed an OPML file lists: (url, feed or the error that stopped it)."""
        listed = opml_feeds(data)
        results: list[tuple[str, FeedInfo | BriefbotError]] = []
        for number, (_, url) in enumerate(listed, start=1):
            try:
                results.append((url, self.add_feed(url, owner)[0]))
            except BriefbotError as error:
                results.append((url, error))
            if progress:
                progress(number, len(listed))
        return results

    def _unsubscribe(self, owner: Owner, feed_id: int) -> None:
        """A feed nobody follows is deleted, and with it what only the feed held."""
        with self._search.writing():
            if self._store.unsubscribe(owner, feed_id):
                self._search.drop_owner(Owner.feed(feed_id))

    def _take_feed(self, feed_id: int, parsed: ParsedFeed, page: FetchedPage) -> PollResult:
        new_articles = self._take_entries(feed_id, parsed.entries)
        self._store.record_success(
            feed_id,
            timedelta(seconds=self._config.poll_seconds),
            etag=page.headers.get("etag"),
            last_modified=http_date(page.headers.get("last-modified")),
            title=parsed.title,
            site_url=parsed.site_url,
        )
        return PollResult(feed_id=feed_id, new_articles=new_articles)

    def _take_entries(self, feed_id: int, entries: list[FeedEntry]) -> list[int]:
        """Ingest unseen entries, oldest first; entries beyond the per-poll cap are skipped.

        Entry pages are fetched outside the write lock; storing happens under it, and stops
        if the feed was removed meanwhile (nothing may be stored for a feed that is gone).
        """
        cap = self._config.max_entries_per_poll
        with self._search.writing():
            if not self._store.exists(feed_id):
                return []
            beyond = [key for entry in entries[cap:] for key in _entry_keys(entry)]
            self._store.mark_seen(feed_id, beyond, None)  # one transaction for them all
        new_articles = []
        for entry in reversed(entries[:cap]):
            keys = _entry_keys(entry)
            if self._store.seen(feed_id, keys):
                continue
            try:
                extracted, public = self._entry_article(entry)
            except FetchError as error:
                log.info("feed %d: entry page not fetched (%s); will retry", feed_id, error.reason)
                continue
            except InputError:
                self._store.mark_seen(feed_id, keys, None)
                continue
            keys.append("text:" + text_hash(extracted.text))
            with self._search.writing():
                if not self._store.exists(feed_id):
                    break
                if self._store.seen(feed_id, keys[-1:]):
                    self._store.mark_seen(feed_id, keys, None)
                    continue
                try:
                    result = self._intake.ingest(extracted, Owner.feed(feed_id), public=public)
                except InputError:
                    self._store.mark_seen(feed_id, keys, None)
                    continue
                self._store.mark_seen(feed_id, keys, result.id)
            new_articles.append(result.id)
        self._prune(feed_id)
        return new_articles

    def _prune(self, feed_id: int) -> None:
        """A feed keeps its newest ``feeds.max_articles_per_feed`` articles."""
        owner = Owner.feed(feed_id)
        with self._search.writing():
            old = self._articles.owned_beyond(owner, self._config.max_articles_per_feed)
            for article_id in old:
                self._search.release(article_id, owner)
            if old:
                self._search.commit()

    def _entry_article(self, entry: FeedEntry) -> tuple[Extracted, bool]:
        """The entry's article, and whether it is a page our fetcher read (public)."""
        if entry.words < TEASER_WORDS and entry.link:
            try:
                page = self._intake.extract_url(entry.link)
            except BriefbotError:
                if not entry.paragraphs:
                    raise
            else:
                article = page.model_copy(
                    update={
                        "title": page.title or entry.title,
                        "published": page.published or entry.published,
                    }
                )
                return article, True
        paragraphs = [p for p in map(scrub, entry.paragraphs) if p.strip()]
        if not paragraphs:
            raise InputError("The feed entry has no text.")
        article = Extracted(
            title=scrub(entry.title) if entry.title else None,
            text="\n\n".join(paragraphs),
            url=entry.link,
            site=site_of(entry.link),
            published=entry.published,
        )
        return article, False

    def _feed_info(self, feed_id: int, owner: Owner) -> FeedInfo:
        for info in self._store.list(owner):
            if info.id == feed_id:
                return info
        raise NotFound("You don't follow a feed {feed_id}.", feed_id=feed_id)


def _entry_keys(entry: FeedEntry) -> list[str]:
    keys = []
    if entry.guid:
        keys.append("guid:" + entry.guid)
    if entry.link:
        keys.append("link:" + (canonical_url(entry.link) or entry.link))
    return keys
