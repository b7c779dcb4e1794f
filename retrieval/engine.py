"""The engine: one object that takes articles in and gives cited summaries and answers out.

Everything the CLI prints and the bot says comes through here. Every method is
synchronous and thread-safe; the bot calls them from worker threads.

Owners name who holds an article: ``"local"`` for the command line, ``"chat:<id>"`` for
a Telegram chat. :meth:`Engine.scope` is the one place that decides which owners'
articles a requester may see.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from retrieval.answer import rank_answers
from retrieval.config import EngineConfig
from retrieval.errors import InputError, NotFound
from retrieval.extract import extract_bytes, extract_text
from retrieval.fetch import Fetcher
from retrieval.index import IndexUnavailable, PassageIndex
from retrieval.models import (
    Answer,
    ArticleInfo,
    CitedSentence,
    Extracted,
    IngestResult,
    Summary,
)
from retrieval.sentences import split_paragraphs
from retrieval.store import Store
from retrieval.summarize import select_sentences, sentence_count

log = logging.getLogger(__name__)

LOCAL_OWNER = "local"
TITLE_CHARS = 90


class Engine:
    def __init__(self, config: EngineConfig | None = None, *, fetcher: Fetcher | None = None) -> None:
        self.config = config or EngineConfig()
        db_path = self.config.storage.db_path()
        self.store = Store(db_path)
        self.fetcher = fetcher or Fetcher(self.config.fetch)
        self._write_lock = threading.RLock()
        self._index_path = db_path.with_name(db_path.stem + ".index")
        self.index = self._open_index()
        self.reconcile()

    def close(self) -> None:
        self.index.close()
        self.fetcher.close()
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- visibility -----------------------------------------------------------------

    def scope(self, owner: str) -> list[str]:
        """The owners whose articles ``owner`` may see."""
        return [owner]

    # --- intake ---------------------------------------------------------------------

    def ingest(self, extracted: Extracted, owner: str, *, commit: bool = True) -> IngestResult:
        """Store an extracted article for ``owner``; an article already stored is reused.

        With ``commit=False`` the article is stored but reaches the search index only at
        the next :meth:`commit` (bulk ingests commit once per batch).
        """
        self._check_size(extracted.text)
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
            existing = self.store.find_duplicate(extracted)
            if existing is not None:
                return self._share(existing, owner, commit=commit)
            article_id = self.store.add_article(
                extracted, title, [(s.paragraph, s.text) for s in sentences], owner
            )
            self.index.add(self.store.sentences(article_id), [owner])
            if commit:
                self.commit()
        return IngestResult(id=article_id, title=title, sentences=len(sentences))

    def ingest_text(
        self, text: str, owner: str, *, title: str | None = None, url: str | None = None
    ) -> IngestResult:
        """Pasted or forwarded text; page furniture around the article is removed."""
        if not text.strip():
            raise InputError("That is empty: there is no text to read.")
        self._check_size(text)
        return self.ingest(extract_text(text, title=title, url=url), owner)

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
        known = self.store.find_by_url(url)
        if known is not None:
            with self._write_lock:
                return self._share(known, owner, commit=True)
        return self.ingest(self.extract_url(url), owner)

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
        page = self.fetcher.fetch(url)
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
        if self.store.add_owner(article_id, owner):
            self.index.delete(article_id)
            self.index.add(self.store.sentences(article_id), self.store.owners_of(article_id))
            if commit:
                self.commit()
        info = self.store.article(article_id)
        assert info is not None
        return IngestResult(id=info.id, title=info.title, sentences=info.sentences, duplicate=True)

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
        info = self.store.article(article_id)
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
        info = self.article(article_id, owner)
        if owner not in self.store.owners_of(article_id):
            raise NotFound(f"Article {article_id} comes from a feed; it is not yours to forget.")
        with self._write_lock:
            deleted = self.store.remove_owner(article_id, owner)
            self.index.delete(article_id)
            if not deleted:
                self.index.add(self.store.sentences(article_id), self.store.owners_of(article_id))
            self.commit()
        return info

    def reindex(self) -> int:
        """Rebuild the search index from SQLite; returns the number of articles indexed."""
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

    def _open_index(self) -> PassageIndex:
        try:
            return PassageIndex(self._index_path)
        except IndexUnavailable as exc:
            log.warning("search index unusable (%s): rebuilding from the database", exc)
            self.store.mark_all_unindexed()
            return PassageIndex.recreate(self._index_path)


def _title_from(sentence: str) -> str:
    if len(sentence) <= TITLE_CHARS:
        return sentence
    return sentence[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"


__all__ = ["LOCAL_OWNER", "Engine"]
