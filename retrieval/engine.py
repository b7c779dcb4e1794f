"""The engine: one object that takes articles in and gives cited summaries and answers out.

Everything the CLI prints and the bot says comes through here. :class:`Engine` is a
facade: it builds the services (``retrieval/services``) over one database, a SQLite file
or PostgreSQL (``retrieval/storage``), and hands each call to the service that owns it.
Every method is synchronous and thread-safe; the bot calls them from worker threads.

Every call names its requester, an :class:`~retrieval.owners.Owner` (the command line,
a Telegram chat, a feed). :meth:`Engine.scope` (:mod:`retrieval.services.visibility`)
is the one place that decides which owners' articles a requester may see: its own, and
its feeds' (and a group with catch-up on searches the messages it keeps).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.config import EngineConfig
from retrieval.owners import Owner, OwnerKind
from retrieval.services.reading import Reading
from retrieval.services.search_index import SearchIndex
from retrieval.services.visibility import Visibility
from retrieval.storage import Storage

if TYPE_CHECKING:
    from retrieval.bot_models import Alert, CatchUp, Digest, Export, PollResult, Stats
    from retrieval.errors import BriefbotError
    from retrieval.fetch import Fetcher
    from retrieval.index import PassageIndex
    from retrieval.models import (
        Answer,
        ArticleInfo,
        Extracted,
        FeedInfo,
        GroupMessage,
        IngestResult,
        Summary,
        TopicInfo,
        TopicMode,
    )
    from retrieval.services.catchup import Catchups
    from retrieval.services.digests import Digests
    from retrieval.services.feeds import Feeds
    from retrieval.services.intake import Intake
    from retrieval.services.topics import Topics


class Engine:
    """``read_only=True`` searches beside another process that writes (the running bot):
    anything that would change the index raises :class:`IndexBusy` before it changes anything.

    ``index_on_demand=True`` (the command line) opens the search index when a call first
    needs it, and then read-only if another process holds it: listing or summarizing stored
    articles never opens it. The services other than reading are then built, and their
    libraries loaded, when first used.
    """

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        fetcher: Fetcher | None = None,
        read_only: bool = False,
        index_on_demand: bool = False,
    ) -> None:
        self.config = config = config or EngineConfig()
        self.read_only = read_only
        self.storage = Storage(config.storage.database())
        if fetcher is not None:
            self.fetcher = fetcher
        self.search = SearchIndex(
            self.storage, config.storage.index_path(), read_only=read_only,
            read_when_busy=index_on_demand,
        )
        self.visibility = Visibility(self.storage)
        self.reading = Reading(config, self.storage, self.search, self.visibility)
        if index_on_demand:
            return
        try:
            # Threads (the bot's) share the services: all of them are built before any runs.
            for service in ("intake", "feeds", "digests", "catchups"):
                getattr(self, service)
            self.search.open()
        except BaseException:
            self.close()
            raise

    @cached_property
    def fetcher(self) -> Fetcher:
        from retrieval.fetch import Fetcher

        return Fetcher(self.config.fetch)

    @cached_property
    def topics(self) -> Topics:
        from retrieval.services.topics import Topics

        return Topics(self.storage, self.visibility)

    @cached_property
    def intake(self) -> Intake:
        from retrieval.services.intake import Intake

        return Intake(self.config, self.storage, self.search, self.topics, self.fetcher)

    @cached_property
    def feeds(self) -> Feeds:
        from retrieval.services.feeds import Feeds

        return Feeds(self.config, self.storage, self.search, self.intake, self.fetcher)

    @cached_property
    def digests(self) -> Digests:
        from retrieval.services.digests import Digests

        return Digests(self.config, self.storage, self.visibility, self.topics)

    @cached_property
    def catchups(self) -> Catchups:
        from retrieval.services.catchup import Catchups

        return Catchups(self.config, self.storage, self.search)

    def close(self) -> None:
        """Release everything; safe to call twice, and after a failed start."""
        if self.search.follower is not None:
            self.search.follower.stop()
        with self.search.writing():
            try:
                self.search.close()
            finally:
                if "fetcher" in self.__dict__:  # built (or given), so possibly holding connections
                    self.fetcher.close()
                self.storage.close()
                self.search.unlock()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def index(self) -> PassageIndex:
        return self.search.index

    def scope(self, owner: Owner) -> list[Owner]:
        """The owners whose articles ``owner`` may see: its own and its feeds'."""
        return self.visibility.scope(owner)

    # --- intake ---------------------------------------------------------------------

    def ingest(
        self, extracted: Extracted, owner: Owner, *, commit: bool = True, public: bool = False
    ) -> IngestResult:
        return self.intake.ingest(extracted, owner, commit=commit, public=public)

    def ingest_text(
        self, text: str, owner: Owner, *, title: str | None = None, url: str | None = None,
        site: str | None = None,
    ) -> IngestResult:
        return self.intake.ingest_text(text, owner, title=title, url=url, site=site)

    def ingest_bytes(
        self, data: bytes, owner: Owner, *, filename: str | None = None, content_type: str | None = None,
        url: str | None = None,
    ) -> IngestResult:
        return self.intake.ingest_bytes(data, owner, filename=filename, content_type=content_type, url=url)

    def ingest_file(self, path: Path, owner: Owner, *, commit: bool = True) -> IngestResult:
        return self.intake.ingest_file(path, owner, commit=commit)

    def ingest_url(self, url: str, owner: Owner) -> IngestResult:
        return self.intake.ingest_url(url, owner)

    def extract_bytes(
        self, data: bytes, *, filename: str | None = None, content_type: str | None = None,
        url: str | None = None, encoding: str | None = None,
    ) -> Extracted:
        return self.intake.extract_bytes(
            data, filename=filename, content_type=content_type, url=url, encoding=encoding
        )

    def extract_file(self, path: Path) -> Extracted:
        return self.intake.extract_file(path)

    def extract_url(self, url: str) -> Extracted:
        return self.intake.extract_url(url)

    def commit(self) -> None:
        """Make everything stored so far searchable."""
        self.search.commit()

    # --- reading --------------------------------------------------------------------

    def article(self, article_id: int, owner: Owner) -> ArticleInfo:
        return self.reading.article(article_id, owner)

    def articles(self, owner: Owner, *, limit: int = 20, offset: int = 0) -> list[ArticleInfo]:
        return self.reading.articles(owner, limit=limit, offset=offset)

    def count_articles(self, owner: Owner) -> int:
        return self.reading.count_articles(owner)

    def summarize(
        self, article_id: int, owner: Owner, *, sentences: int | None = None, percent: float | None = None,
        algorithm: str | None = None,
    ) -> Summary:
        return self.reading.summarize(
            article_id, owner, sentences=sentences, percent=percent, algorithm=algorithm
        )

    def ask(
        self, question: str, owner: Owner, *, article_id: int | None = None, max_sentences: int = 3
    ) -> Answer:
        return self.reading.ask(question, owner, article_id=article_id, max_sentences=max_sentences)

    def forget(self, article_id: int, owner: Owner) -> ArticleInfo:
        return self.reading.forget(article_id, owner)

    # --- maintenance ----------------------------------------------------------------

    def reindex(self) -> int:
        return self.search.reindex()

    def reconcile(self) -> None:
        self.search.reconcile()

    def rename_owner(self, old: Owner, new: Owner) -> None:
        self.search.rename_owner(old, new)
        self.catchups.move_group(old, new)

    def stats(self) -> Stats:
        from retrieval.services import reports

        return reports.stats(self.storage, self.search)

    def export(self, owner: Owner, *, max_text_chars: int | None = None) -> Export:
        from retrieval.services import reports

        if max_text_chars is None:
            max_text_chars = reports.EXPORT_TEXT_CHARS
        return reports.export(self.storage, owner, max_text_chars=max_text_chars)

    # --- feeds ----------------------------------------------------------------------

    def add_feed(self, url: str, owner: Owner) -> tuple[FeedInfo, PollResult]:
        return self.feeds.add_feed(url, owner)

    def remove_feed(self, feed_id: int, owner: Owner) -> FeedInfo:
        return self.feeds.remove_feed(feed_id, owner)

    def feeds_of(self, owner: Owner) -> list[FeedInfo]:
        return self.feeds.feeds_of(owner)

    def set_config_feeds(self, urls: list[str]) -> None:
        self.feeds.set_config_feeds(urls)

    def due_feeds(self, at: datetime | None = None) -> list[int]:
        return self.feeds.due_feeds(at)

    def take_feed(self, feed_id: int, at: datetime | None = None) -> bool:
        return self.feeds.take_feed(feed_id, at)

    def poll_feed(self, feed_id: int) -> PollResult:
        return self.feeds.poll_feed(feed_id)

    def import_opml(
        self, data: bytes, owner: Owner, progress: Callable[[int, int], None] | None = None
    ) -> list[tuple[str, FeedInfo | BriefbotError]]:
        return self.feeds.import_opml(data, owner, progress)

    # --- topics and alerts ------------------------------------------------------------

    def subscribe(self, owner: Owner, query: str, mode: TopicMode = "daily") -> TopicInfo:
        return self.topics.subscribe(owner, query, mode)

    def topics_of(self, owner: Owner) -> list[TopicInfo]:
        return self.topics.topics_of(owner)

    def unsubscribe(self, topic_id: int, owner: Owner) -> TopicInfo:
        return self.topics.unsubscribe(topic_id, owner)

    def set_topic_mode(self, topic_id: int, owner: Owner, mode: TopicMode) -> TopicInfo:
        return self.topics.set_mode(topic_id, owner, mode)

    def pending_alerts(self, kind: OwnerKind | None = None) -> list[Alert]:
        return self.topics.pending_alerts(kind)

    def mark_alerted(self, alerts: list[Alert]) -> None:
        self.topics.mark_alerted(alerts)

    # --- digests ----------------------------------------------------------------------

    def digest(self, owner: Owner, *, since: datetime | None = None, now: datetime | None = None) -> Digest:
        return self.digests.digest(owner, since=since, now=now)

    def record_digest(
        self, owner: Owner, day: date, zone: str, items: int, *, sent_at: datetime | None = None,
        on_demand: bool = False,
    ) -> bool:
        return self.digests.record_digest(owner, day, zone, items, sent_at=sent_at, on_demand=on_demand)

    def skip_digest(self, owner: Owner, day: date, zone: str) -> bool:
        return self.digests.skip_digest(owner, day, zone)

    def digest_handled_day(self, owner: Owner, zone: str) -> date | None:
        return self.digests.handled_day(owner, zone)

    def last_digest(self, owner: Owner) -> datetime | None:
        return self.digests.last_digest(owner)

    # --- group catch-up ---------------------------------------------------------------

    def start_catchup(self, owner: Owner) -> bool:
        return self.catchups.start(owner)

    def stop_catchup(self, owner: Owner) -> int:
        return self.catchups.stop(owner)

    def catchup_on(self, owner: Owner) -> bool:
        return self.catchups.is_on(owner)

    def keep_message(self, message: GroupMessage) -> bool:
        return self.catchups.keep(message)

    def forget_member(self, owner: Owner, member_id: int) -> int:
        return self.catchups.forget_member(owner, member_id)

    def expire_messages(self, now: datetime | None = None) -> int:
        return self.catchups.expire(now)

    def catch_up(
        self, owner: Owner, *, asker: int | None = None, since: datetime | None = None,
        last: int | None = None, now: datetime | None = None,
    ) -> CatchUp:
        return self.catchups.catch_up(owner, asker=asker, since=since, last=last, now=now)
