"""The engine: one object that takes articles in and gives cited summaries and answers out.

Everything the CLI prints and the bot says comes through here. Every method is
synchronous and thread-safe; the bot calls them from worker threads.

Owners name who holds an article: ``"local"`` for the command line, ``"chat:<id>"`` for
a Telegram chat, ``"feed:<id>"`` for a feed. :meth:`Engine.scope` is the one place that
decides which owners' articles a requester may see (its own, and its feeds').
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from retrieval.answer import rank_answers
from retrieval.config import EngineConfig
from retrieval.digest import Sketch, group_stories
from retrieval.errors import BriefbotError, FetchError, InputError, NotFound
from retrieval.extract import PDF_TYPES, extract_bytes, extract_text, scrub
from retrieval.feeds import (
    EVERYONE,
    FeedBook,
    FeedEntry,
    ParsedFeed,
    discover_feeds,
    feed_owner,
    http_date,
    opml_feeds,
    parse_feed,
    to_opml,
)
from retrieval.fetch import FEEDS, HTML_AND_TEXT, FetchedPage, Fetcher
from retrieval.index import IndexBusy, IndexUnavailable, PassageIndex
from retrieval.models import (
    Alert,
    Answer,
    ArticleInfo,
    ArticleRef,
    CitedSentence,
    Digest,
    DigestItem,
    DigestSection,
    Export,
    Extracted,
    FeedInfo,
    HighlightedSentence,
    IngestResult,
    PollResult,
    Stats,
    Summary,
    TopicInfo,
    TopicMode,
)
from retrieval.sentences import split_paragraphs
from retrieval.store import Store, StoredSentence, canonical_url, text_hash, timestamp
from retrieval.store import now as now_text
from retrieval.summarize import select_sentences, sentence_count
from retrieval.topics import ArticleText, TopicBook, matched_sentences
from retrieval.urls import site_of

log = logging.getLogger(__name__)

LOCAL_OWNER = "local"
TITLE_CHARS = 90
# A feed entry shorter than this is a teaser: the article page itself is fetched.
TEASER_WORDS = 150
DIGEST_WINDOW = timedelta(hours=24)
DIGEST_CANDIDATES = 500
SKETCH_CACHE = 20_000
EXPORT_TEXT_CHARS = 20_000_000


class Engine:
    """``read_only=True`` searches beside another process that writes (the running bot):
    anything that would change the index raises :class:`IndexBusy` before it changes anything."""

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        fetcher: Fetcher | None = None,
        read_only: bool = False,
    ) -> None:
        self.config = config or EngineConfig()
        self.read_only = read_only
        db_path = self.config.storage.db_path()
        self.store = Store(db_path)
        self.feeds = FeedBook(self.store)
        self.topics = TopicBook(self.store)
        self.fetcher = fetcher or Fetcher(self.config.fetch)
        self._sketch: Callable[[int], Sketch] = lru_cache(maxsize=SKETCH_CACHE)(self._compute_sketch)
        self._digest_summary: Callable[[int, str], list[CitedSentence]] = lru_cache(maxsize=SKETCH_CACHE)(
            self._summary_sentences
        )
        self._write_lock = threading.RLock()
        self._index_path = db_path.with_name(db_path.name + ".index")
        self._lock_fd: int | None = None
        self.index: PassageIndex | None = None  # type: ignore[assignment]
        try:
            if read_only:
                self.index = self._open_index_for_reading()
            else:
                self._lock_fd = _lock_database(db_path)
                self.index = self._open_index()
                self.reconcile()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release everything; safe to call twice, and after a failed start."""
        with self._write_lock:
            try:
                if self.index is not None:
                    self.index.close()
                    self.index = None  # type: ignore[assignment]
            finally:
                self.fetcher.close()
                self.store.close()
                if self._lock_fd is not None:
                    os.close(self._lock_fd)  # releases the lock
                    self._lock_fd = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- visibility -----------------------------------------------------------------

    def scope(self, owner: str) -> list[str]:
        """The owners whose articles ``owner`` may see: its own and its feeds'."""
        return [owner, *(feed_owner(f) for f in self.feeds.owners_feeds(owner))]

    # --- intake ---------------------------------------------------------------------

    def ingest(
        self, extracted: Extracted, owner: str, *, commit: bool = True, public: bool = False
    ) -> IngestResult:
        """Store an extracted article for ``owner``; an article already stored is reused.

        ``public`` marks text our fetcher read at ``extracted.url`` (any chat sending that
        URL may share it); anything else is private to ``owner`` even if another chat sends
        the same text. With ``commit=False`` the article is stored but reaches the search
        index only at the next :meth:`commit` (bulk ingests commit once per batch).
        """
        self._check_writable()
        self._check_size(extracted.text)
        if public:  # shown to every chat that sends the link: without the first one's trackers
            extracted = extracted.model_copy(update={"url": canonical_url(extracted.url)})
        paragraphs = extracted.paragraphs
        sentences = split_paragraphs(paragraphs)
        if not sentences:
            raise InputError("I couldn't find any sentences in that.")
        limit = self.config.limits.max_sentences
        if len(sentences) > limit:
            raise InputError(
                f"That text has {len(sentences):,} sentences; I keep articles of up to {limit:,}."
            )
        title = extracted.title or _title_from(sentences[0].text)
        with self._write_lock:
            existing = self.store.find_duplicate(extracted, owner, public=public)
            if existing is None or not self.store.visible(existing, [owner]):
                self._check_room(owner)
            if existing is not None:
                return self._share(existing, owner, commit=commit)
            article_id = self.store.add_article(
                extracted, title, [(s.paragraph, s.text) for s in sentences], owner, public=public
            )
            stored = [
                StoredSentence(article_id, position, s.paragraph, s.text)
                for position, s in enumerate(sentences, start=1)
            ]
            self.index.add(stored, [owner])
            if commit:
                self.commit()
        site = extracted.site or site_of(extracted.url)
        self._match_topics(article_id, owner, [s.text for s in stored], site)
        return IngestResult(id=article_id, title=title, sentences=len(sentences))

    def ingest_text(
        self,
        text: str,
        owner: str,
        *,
        title: str | None = None,
        url: str | None = None,
        site: str | None = None,
    ) -> IngestResult:
        """Pasted or forwarded text; page furniture around the article is removed.

        ``site`` names where the text came from when there is no URL (a forwarded post).
        """
        if not text.strip():
            raise InputError("That is empty: there is no text to read.")
        self._check_size(text)
        return self.ingest(extract_text(text, title=title, url=url, site=site), owner)

    def ingest_bytes(
        self,
        data: bytes,
        owner: str,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        url: str | None = None,
    ) -> IngestResult:
        """A file's bytes (.txt, .md, .html)."""
        extracted = self.extract_bytes(data, filename=filename, content_type=content_type, url=url)
        return self.ingest(extracted, owner)

    def ingest_file(self, path: Path, owner: str, *, commit: bool = True) -> IngestResult:
        return self.ingest(self.extract_file(path), owner, commit=commit)

    def ingest_url(self, url: str, owner: str) -> IngestResult:
        """A link: a page fetched before (by anyone) is not fetched again."""
        with self._write_lock:
            known = self.store.find_by_url(url, owner)
            if known is not None:
                if not self.store.visible(known, [owner]):
                    self._check_room(owner)
                return self._share(known, owner, commit=True)
        return self.ingest(self.extract_url(url), owner, public=True)

    def extract_bytes(
        self,
        data: bytes,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        url: str | None = None,
        encoding: str | None = None,
    ) -> Extracted:
        if len(data) > self.config.limits.max_text_chars * 4:
            raise InputError(self._too_large_message())
        return extract_bytes(
            data, filename=filename, content_type=content_type, url=url, encoding=encoding
        )

    def extract_file(self, path: Path) -> Extracted:
        try:
            size = path.stat().st_size
            if size > self.config.limits.max_text_chars * 4:
                raise InputError(self._too_large_message())
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"There is no file {path}.") from None
        except IsADirectoryError:
            raise InputError(f"{path} is a directory, not a file.") from None
        except PermissionError:
            raise InputError(f"I may not read {path}.") from None
        return self.extract_bytes(data, filename=path.name)

    def extract_url(self, url: str) -> Extracted:
        page = self.fetcher.fetch(url, accept=HTML_AND_TEXT | PDF_TYPES)
        return self.extract_bytes(
            page.content, content_type=page.content_type, url=page.url, encoding=page.encoding
        )

    def commit(self) -> None:
        """Make everything stored so far searchable."""
        with self._write_lock:
            pending = self.store.unindexed_ids()
            self.index.commit()
            self.store.mark_indexed(pending)

    def _share(self, article_id: int, owner: str, *, commit: bool) -> IngestResult:
        self._check_writable()
        if self.store.add_owner(article_id, owner):
            self.index.delete(article_id)
            self.index.add(self.store.sentences(article_id), self.store.owners_of(article_id))
            if commit:
                self.commit()
            self._match_topics(article_id, owner)
        info = self.store.article(article_id)
        assert info is not None
        return IngestResult(id=info.id, title=info.title, sentences=info.sentences, duplicate=True)

    def _check_writable(self) -> None:
        if self.read_only:
            raise IndexBusy("Another Briefbot process is using this database; I can only read now.")

    def _check_room(self, owner: str) -> None:
        limit = self.config.limits.max_articles_per_owner
        if not owner.startswith("feed:") and self.store.count_articles([owner]) >= limit:
            raise InputError(f"This chat already keeps {limit:,} articles; forget some to add more.")

    def _check_size(self, text: str) -> None:
        if len(text) > self.config.limits.max_text_chars:
            raise InputError(self._too_large_message())

    def _too_large_message(self) -> str:
        return (
            "That is too long for one article: I keep up to "
            f"{self.config.limits.max_text_chars:,} characters."
        )

    # --- reading --------------------------------------------------------------------

    def article(self, article_id: int, owner: str) -> ArticleInfo:
        """An article ``owner`` may see; :class:`NotFound` otherwise (also for others' ids)."""
        info = self.store.article(article_id) if 0 < article_id < 2**63 else None
        if info is None or not self.store.visible(article_id, self.scope(owner)):
            raise NotFound(f"There is no article {article_id}.")
        return info

    def articles(self, owner: str, *, limit: int = 20, offset: int = 0) -> list[ArticleInfo]:
        return self.store.articles(self.scope(owner), limit, offset)

    def count_articles(self, owner: str) -> int:
        return self.store.count_articles(self.scope(owner))

    def summarize(
        self,
        article_id: int,
        owner: str,
        *,
        sentences: int | None = None,
        percent: float | None = None,
        algorithm: str | None = None,
    ) -> Summary:
        info = self.article(article_id, owner)
        stored = self.store.sentences(article_id)
        algorithm = algorithm or self.config.summary.algorithm
        if sentences is None and percent is None:
            sentences = self.config.summary.sentences
        count = sentence_count(len(stored), sentences=sentences, percent=percent)
        chosen = select_sentences([s.text for s in stored], count, algorithm, title=info.title)
        return Summary(
            article_id=info.id,
            title=info.title,
            url=info.url,
            algorithm=algorithm,
            total_sentences=len(stored),
            sentences=[
                CitedSentence(
                    article_id=info.id, index=stored[i].position, text=stored[i].text,
                    title=info.title, url=info.url,
                )
                for i in chosen
            ],
        )

    def ask(
        self, question: str, owner: str, *, article_id: int | None = None, max_sentences: int = 3
    ) -> Answer:
        """1–3 stored sentences that answer ``question``, or ``abstained=True``."""
        if article_id is not None:
            self.article(article_id, owner)
        ranked = rank_answers(
            question, self.index, self.store.sentences_at, self.scope(owner),
            article_id=article_id, max_sentences=max_sentences,
        )
        infos = {aid: self.store.article(aid) for aid in {r.article_id for r in ranked}}
        cited = [
            CitedSentence(
                article_id=r.article_id, index=r.position, text=r.text, score=round(r.score, 4),
                title=info.title, url=info.url,
            )
            for r in ranked
            if (info := infos[r.article_id]) is not None
        ]
        return Answer(question=question, abstained=not cited, sentences=cited)

    # --- removal and maintenance ----------------------------------------------------

    def forget(self, article_id: int, owner: str) -> ArticleInfo:
        """Take the article away from ``owner`` (and delete it if nobody else holds it)."""
        self._check_writable()
        info = self.article(article_id, owner)
        if owner not in self.store.owners_of(article_id):
            raise NotFound(f"Article {article_id} comes from a feed; it is not yours to forget.")
        with self._write_lock:
            self._release(article_id, owner)
            self.commit()
        return info

    def _release(self, article_id: int, owner: str) -> None:
        """``owner`` no longer holds the article: delete it, or re-index it for those who do."""
        self.index.delete(article_id)
        if not self.store.remove_owner(article_id, owner):
            self.index.add(self.store.sentences(article_id), self.store.owners_of(article_id))

    def stats(self) -> Stats:
        """Sizes for an admin: what is stored, what is watched, what waits."""
        with self.store.reading() as db:
            counts = db.execute(
                "SELECT (SELECT COUNT(*) FROM articles),"
                " (SELECT COALESCE(SUM(sentence_count), 0) FROM articles),"
                " (SELECT COUNT(DISTINCT owner) FROM ownership WHERE owner NOT LIKE 'feed:%'),"
                " (SELECT COUNT(*) FROM feeds), (SELECT COUNT(*) FROM feeds WHERE error_count > 0),"
                " (SELECT COUNT(*) FROM topics),"
                " (SELECT COUNT(*) FROM topic_matches m JOIN topics t ON t.id = m.topic_id"
                "  WHERE m.alerted_at IS NULL AND t.mode = 'instant')"
            ).fetchone()
        db_path = self.store.path
        database_bytes = sum(_size(p) for p in db_path.parent.glob(db_path.name + "*"))
        index_bytes = sum(_size(p) for p in self.index.path.iterdir())
        return Stats(
            articles=counts[0], sentences=counts[1], owners=counts[2], feeds=counts[3],
            failing_feeds=counts[4], topics=counts[5], pending_alerts=counts[6],
            index_passages=self.index.num_docs(), index_bytes=index_bytes, database_bytes=database_bytes,
        )

    def rename_owner(self, old: str, new: str) -> None:
        """Move everything ``old`` holds to ``new`` (a group that became a supergroup)."""
        with self._write_lock:
            with self.store.transaction() as db:
                moved = [r[0] for r in db.execute("SELECT article_id FROM ownership WHERE owner = ?", (old,))]
                for table in ("ownership", "subscriptions", "topics", "digests"):
                    db.execute(f"UPDATE OR IGNORE {table} SET owner = ? WHERE owner = ?", (new, old))
                    db.execute(f"DELETE FROM {table} WHERE owner = ?", (old,))
                db.execute(  # private articles are de-duplicated under their owner's name
                    "UPDATE OR IGNORE articles SET dedupe_key = ? || substr(dedupe_key, ?)"
                    " WHERE substr(dedupe_key, 1, ?) = ?",
                    (f"{new}:", len(old) + 2, len(old) + 1, f"{old}:"),
                )
                db.executemany("UPDATE articles SET indexed = 0 WHERE id = ?", [(a,) for a in moved])
            self._index_unindexed()

    def reindex(self) -> int:
        """Rebuild the search index from SQLite; returns the number of articles indexed."""
        self._check_writable()
        with self._write_lock:
            self.index.delete_all()
            self.store.mark_all_unindexed()
            return self._index_unindexed()

    def reconcile(self) -> None:
        """Bring the index in line with SQLite after a crash or a lost index directory."""
        with self._write_lock:
            caught_up = self._index_unindexed()
            expected = self.store.indexed_sentence_count()
            if self.index.num_docs() != expected:
                log.warning(
                    "search index holds %d passages, database %d: rebuilding",
                    self.index.num_docs(), expected,
                )
                self.reindex()
            elif caught_up:
                log.info("indexed %d articles missing from the search index", caught_up)

    def _index_unindexed(self) -> int:
        pending = self.store.unindexed_ids()
        for article_id in pending:
            self.index.delete(article_id)
            self.index.add(self.store.sentences(article_id), self.store.owners_of(article_id))
        if pending:
            self.index.commit()
            self.store.mark_indexed(pending)
        return len(pending)

    def _open_index_for_reading(self) -> PassageIndex:
        try:
            return PassageIndex(self._index_path, writable=False)
        except IndexUnavailable:
            raise IndexBusy(
                "The running Briefbot is rebuilding its search index; try again in a moment."
            ) from None

    def _open_index(self) -> PassageIndex:
        try:
            return PassageIndex(self._index_path)
        except IndexUnavailable as exc:
            log.warning("search index unusable (%s): rebuilding from the database", exc)
            self.store.mark_all_unindexed()
            return PassageIndex.recreate(self._index_path)


    # --- feeds ----------------------------------------------------------------------

    def add_feed(self, url: str, owner: str) -> tuple[FeedInfo, PollResult]:
        """Follow a feed (or the feed a web page announces); its newest entries come in now.

        ``owner`` ``"*"`` adds the feed for every chat.
        """
        self.feeds.check_room(owner)
        page = self.fetcher.fetch(url, accept=FEEDS | HTML_AND_TEXT)
        if page.content_type in {"text/html", "application/xhtml+xml"}:
            announced = discover_feeds(page.text(), page.url)
            if not announced:
                raise InputError("I found no RSS or Atom feed on that page.")
            page = self.fetcher.fetch(announced[0], accept=FEEDS | HTML_AND_TEXT)
        parsed = parse_feed(page.content, page.url, page.content_type)
        with self._write_lock:  # not between another chat's removal of the feed and its deletion
            feed_id = self.feeds.find(page.url) or self.feeds.find(url)
            if feed_id is None:
                feed_id = self.feeds.add(page.url, parsed.title, parsed.site_url)
            self.feeds.subscribe(owner, feed_id)
        result = PollResult(feed_id=feed_id)
        if self.feeds.state(feed_id).first_poll:
            result = self._take_feed(feed_id, parsed, page)
        return self._feed_info(feed_id, owner), result

    def remove_feed(self, feed_id: int, owner: str) -> FeedInfo:
        info = self._feed_info(feed_id, owner)
        self._unsubscribe_feed(owner, feed_id)
        return info

    def feeds_of(self, owner: str) -> list[FeedInfo]:
        return self.feeds.list(owner)

    def set_config_feeds(self, urls: list[str]) -> None:
        """Make ``urls`` (the config's ``feeds.urls``) feeds for every chat, replacing the
        config's previous list; feeds an admin added for everyone are left alone."""
        current = self.feeds.config_feeds()
        for url in urls:
            if url not in current:
                self.feeds.subscribe(EVERYONE, self.feeds.add(url), from_config=True)
        for url, feed_id in current.items():
            if url not in urls:
                self._unsubscribe_feed(EVERYONE, feed_id)

    def _unsubscribe_feed(self, owner: str, feed_id: int) -> None:
        """A feed nobody follows is deleted, and with it what only the feed held."""
        with self._write_lock:
            if self.feeds.unsubscribe(owner, feed_id):
                self._drop_owner(feed_owner(feed_id))

    def _drop_owner(self, owner: str) -> None:
        with self._write_lock:
            for article_id in self.store.owned_by(owner):
                self._release(article_id, owner)
            self.commit()

    def due_feeds(self, at: datetime | None = None) -> list[int]:
        return self.feeds.due(at or datetime.now(UTC))

    def poll_feed(self, feed_id: int) -> PollResult:
        """Fetch one feed (conditional GET) and ingest its new entries."""
        state = self.feeds.state(feed_id)
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        interval = timedelta(seconds=self.config.feeds.poll_seconds)
        try:
            page = self.fetcher.fetch(state.url, headers=headers, accept=FEEDS | HTML_AND_TEXT)
            if page.status == 304:
                self.feeds.record_success(
                    feed_id, interval, etag=state.etag, last_modified=state.last_modified
                )
                return PollResult(feed_id=feed_id, not_modified=True)
            parsed = parse_feed(page.content, page.url, page.content_type)
        except BriefbotError as error:
            self.feeds.record_failure(feed_id, interval, str(error))
            return PollResult(feed_id=feed_id, error=str(error))
        return self._take_feed(feed_id, parsed, page)

    def import_opml(
        self, data: bytes, owner: str, progress: Callable[[int, int], None] | None = None
    ) -> list[tuple[str, FeedInfo | str]]:
        """Follow every feed an OPML file lists: (url, feed or the reason it failed)."""
        listed = opml_feeds(data)
        results: list[tuple[str, FeedInfo | str]] = []
        for number, (_, url) in enumerate(listed, start=1):
            try:
                results.append((url, self.add_feed(url, owner)[0]))
            except BriefbotError as error:
                results.append((url, str(error)))
            if progress:
                progress(number, len(listed))
        return results

    def _take_feed(self, feed_id: int, parsed: ParsedFeed, page: FetchedPage) -> PollResult:
        new_articles = self._take_entries(feed_id, parsed.entries)
        self.feeds.record_success(
            feed_id,
            timedelta(seconds=self.config.feeds.poll_seconds),
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
        cap = self.config.feeds.max_entries_per_poll
        with self._write_lock:
            if not self.feeds.exists(feed_id):
                return []
            for entry in entries[cap:]:
                self.feeds.mark_seen(feed_id, _entry_keys(entry), None)
        new_articles = []
        for entry in reversed(entries[:cap]):
            keys = _entry_keys(entry)
            if self.feeds.seen(feed_id, keys):
                continue
            try:
                extracted, public = self._entry_article(entry)
            except FetchError as error:
                log.info("feed %d: entry page not fetched (%s); will retry", feed_id, error.reason)
                continue
            except InputError:
                self.feeds.mark_seen(feed_id, keys, None)
                continue
            keys.append("text:" + text_hash(extracted.text))
            with self._write_lock:
                if not self.feeds.exists(feed_id):
                    break
                if self.feeds.seen(feed_id, keys[-1:]):
                    self.feeds.mark_seen(feed_id, keys, None)
                    continue
                try:
                    result = self.ingest(extracted, feed_owner(feed_id), public=public)
                except InputError:
                    self.feeds.mark_seen(feed_id, keys, None)
                    continue
                self.feeds.mark_seen(feed_id, keys, result.id)
            new_articles.append(result.id)
        self._prune_feed(feed_id)
        return new_articles

    def _prune_feed(self, feed_id: int) -> None:
        """A feed keeps its newest ``feeds.max_articles_per_feed`` articles."""
        owner = feed_owner(feed_id)
        with self._write_lock:
            old = self.store.owned_beyond(owner, self.config.feeds.max_articles_per_feed)
            for article_id in old:
                self._release(article_id, owner)
            if old:
                self.commit()

    def _entry_article(self, entry: FeedEntry) -> tuple[Extracted, bool]:
        """The entry's article, and whether it is a page our fetcher read (public)."""
        if entry.words < TEASER_WORDS and entry.link:
            try:
                page = self.extract_url(entry.link)
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

    def _feed_info(self, feed_id: int, owner: str) -> FeedInfo:
        for info in self.feeds.list(owner):
            if info.id == feed_id:
                return info
        raise NotFound(f"You don't follow a feed {feed_id}.")

    # --- topics and alerts ------------------------------------------------------------

    def subscribe(self, owner: str, query: str, mode: TopicMode = "daily") -> TopicInfo:
        return self.topics.add(owner, query, mode)

    def topics_of(self, owner: str) -> list[TopicInfo]:
        return self.topics.list(owner)

    def unsubscribe(self, topic_id: int, owner: str) -> TopicInfo:
        return self.topics.remove(topic_id, owner)

    def set_topic_mode(self, topic_id: int, owner: str, mode: TopicMode) -> TopicInfo:
        return self.topics.set_mode(topic_id, owner, mode)

    def _match_topics(
        self,
        article_id: int,
        owner: str,
        sentences: list[str] | None = None,
        site: str | None = None,
    ) -> None:
        """Record which topics of the article's audience it matches (for alerts and digests)."""
        if owner.startswith("feed:"):
            audience = self.feeds.audience(int(owner.removeprefix("feed:")))
        else:
            audience = [owner]
        if not self.topics.any_active(audience):
            return
        if sentences is None:
            info = self.store.article(article_id)
            if info is None:
                return
            sentences = [s.text for s in self.store.sentences(article_id)]
            site = info.site or site_of(info.url)
        self.topics.match(article_id, ArticleText(sentences, site), audience)

    def pending_alerts(self, owner_prefix: str = "") -> list[Alert]:
        """Instant-topic matches not yet delivered, oldest first, still visible to their chat.

        ``owner_prefix`` limits them to owners of one kind (the bot asks for ``"chat:"``).
        """
        with self.store.reading() as db:
            rows = db.execute(
                "SELECT t.id, t.owner, t.query, t.mode, m.article_id FROM topic_matches m"
                " JOIN topics t ON t.id = m.topic_id"
                " WHERE m.alerted_at IS NULL AND t.mode = 'instant' AND substr(t.owner, 1, ?) = ?"
                " ORDER BY m.matched_at",
                (len(owner_prefix), owner_prefix),
            ).fetchall()
        alerts = []
        for topic_id, owner, query, mode, article_id in rows:
            info = self.store.article(article_id)
            if info is None or not self.store.visible(article_id, self.scope(owner)):
                continue
            topic = TopicInfo(id=topic_id, query=query, mode=mode)
            alerts.append(
                Alert(
                    owner=owner, topic=topic, article_id=article_id, title=info.title, url=info.url,
                    sentences=self._why_matched(topic, article_id, info),
                )
            )
        return alerts

    def mark_alerted(self, alerts: list[Alert]) -> None:
        with self.store.transaction() as db:
            db.executemany(
                "UPDATE topic_matches SET alerted_at = ? WHERE topic_id = ? AND article_id = ?",
                [(now_text(), a.topic.id, a.article_id) for a in alerts],
            )

    def _why_matched(self, topic: TopicInfo, article_id: int, info: ArticleInfo) -> list[HighlightedSentence]:
        sentences = [s.text for s in self.store.sentences(article_id)]
        article = ArticleText(sentences, info.site)
        return [
            HighlightedSentence(
                article_id=article_id, index=m.position, text=m.text, highlights=list(m.spans)
            )
            for m in matched_sentences(self.topics.query(topic), article)
        ]

    # --- digest -----------------------------------------------------------------------

    def digest(self, owner: str, *, since: datetime | None = None, now: datetime | None = None) -> Digest:
        """What arrived for ``owner`` since its last digest: daily topics first, then feeds."""
        until = now or datetime.now(UTC)
        since = since or self.last_digest(owner) or until - DIGEST_WINDOW
        since_text = timestamp(since)
        budget = self.config.digest.max_items
        scope = self.scope(owner)
        sections: list[DigestSection] = []
        shown: set[int] = set()
        for topic in self.topics.list(owner):
            if topic.mode != "daily" or budget <= 0:
                continue
            with self.store.reading() as db:
                matched = [
                    r[0]
                    for r in db.execute(
                        "SELECT article_id FROM topic_matches WHERE topic_id = ? AND matched_at > ?"
                        " ORDER BY matched_at DESC LIMIT ?",
                        (topic.id, since_text, DIGEST_CANDIDATES),
                    )
                ]
            visible = [a for a in matched if a not in shown and self.store.visible(a, scope)]
            items = self._digest_items(visible, budget, topic)
            if items:
                sections.append(DigestSection(heading=topic.query, topic_id=topic.id, items=items))
                shown.update(i.article_id for i in items)
                shown.update(o.article_id for i in items for o in i.also_reported_by)
                budget -= len(items)
        feed_owners = [o for o in scope if o.startswith("feed:")]
        if feed_owners and budget > 0:
            arrived = self.store.arrived_since(feed_owners, since_text, DIGEST_CANDIDATES)
            items = self._digest_items([a for a in arrived if a not in shown], budget, None)
            if items:
                sections.append(DigestSection(heading="From your feeds", items=items))
        return Digest(owner=owner, since=since, until=until, sections=sections)

    def record_digest(self, owner: str, day: str, items: int, *, now: datetime | None = None) -> bool:
        """Note that ``owner``'s digest for ``day`` went out; False if it already had."""
        sent = timestamp(now or datetime.now(UTC))
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO digests (owner, day, sent_at, items) VALUES (?, ?, ?, ?)",
                (owner, day, sent, items),
            )
        return bool(cursor.rowcount)

    def digest_sent(self, owner: str, day: str) -> bool:
        with self.store.reading() as db:
            row = db.execute("SELECT 1 FROM digests WHERE owner = ? AND day = ?", (owner, day)).fetchone()
        return row is not None

    def last_digest(self, owner: str) -> datetime | None:
        with self.store.reading() as db:
            row = db.execute("SELECT MAX(sent_at) FROM digests WHERE owner = ?", (owner,)).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def _digest_items(self, candidates: list[int], budget: int, topic: TopicInfo | None) -> list[DigestItem]:
        stories = group_stories(candidates, self._sketch, budget)
        stories.sort(key=lambda story: len(story.others), reverse=True)  # stable: newest first among equals
        items = []
        for story in stories:
            info = self.store.article(story.lead)
            if info is None:
                continue
            if topic is not None:
                sentences = [
                    CitedSentence(
                        article_id=info.id, index=s.index, text=s.text, title=info.title, url=info.url
                    )
                    for s in self._why_matched(topic, info.id, info)
                ]
            else:
                sentences = self._digest_summary(info.id, info.title)
            others = [o for o in (self.store.article(a) for a in story.others) if o is not None]
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
        stored = self.store.sentences(article_id)
        chosen = select_sentences(
            [s.text for s in stored], min(2, len(stored)), self.config.summary.algorithm, title=title
        )
        info = self.store.article(article_id)
        url = info.url if info else None
        return [
            CitedSentence(
                article_id=article_id, index=stored[i].position, text=stored[i].text, title=title, url=url
            )
            for i in chosen
        ]

    def _compute_sketch(self, article_id: int) -> Sketch:
        return Sketch.of(" ".join(s.text for s in self.store.sentences(article_id)[:40]))

    # --- export -----------------------------------------------------------------------

    def export(self, owner: str, *, max_text_chars: int = EXPORT_TEXT_CHARS) -> Export:
        """Everything a chat keeps here: its feeds as OPML, its topics and own articles as JSON.

        Article texts fill up to ``max_text_chars`` (a Telegram document holds 50 MB); past
        that, articles are listed without their text (``text`` is null).
        """
        feeds = self.feeds.list(owner)
        with self.store.reading() as db:
            rows = db.execute(
                "SELECT a.id, a.title, a.url, a.site, a.author, a.published, a.text, o.added_at"
                " FROM articles a JOIN ownership o ON o.article_id = a.id AND o.owner = ? ORDER BY a.id",
                (owner,),
            ).fetchall()
        articles = []
        room = max_text_chars
        for row in rows:
            article = dict(row)
            room -= len(article["text"])
            if room < 0:
                article["text"] = None
            articles.append(article)
        return Export(
            opml=to_opml(feeds, "Briefbot feeds"),
            feeds=feeds,
            topics=self.topics.list(owner),
            articles=articles,
        )

def _size(path: Path) -> int:
    """A file's size; 0 for a directory or a file just deleted (a finished index merge)."""
    try:
        return path.stat().st_size if path.is_file() else 0
    except FileNotFoundError:
        return 0


def _lock_database(db_path: Path) -> int:
    """Hold ``<db file>.lock`` for the engine's lifetime: one writing process per database, so
    no process ever rebuilds an index another one is using."""
    fd = os.open(db_path.with_name(db_path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise IndexBusy("Another Briefbot process is already using this database.") from None
    return fd


def _entry_keys(entry: FeedEntry) -> list[str]:
    keys = []
    if entry.guid:
        keys.append("guid:" + entry.guid)
    if entry.link:
        keys.append("link:" + (canonical_url(entry.link) or entry.link))
    return keys


def _title_from(sentence: str) -> str:
    if len(sentence) <= TITLE_CHARS:
        return sentence
    return sentence[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


__all__ = ["LOCAL_OWNER", "Engine"]
