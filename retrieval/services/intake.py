"""Intake: text, files and links become stored, searchable articles.

An article already stored is shared, not stored twice: a page our fetcher read is public
(any chat that sends its URL or text shares it); anything else is private to the owner
that sent it, even when another chat sends the same text.
"""

from __future__ import annotations

from pathlib import Path

from retrieval.config import EngineConfig
from retrieval.errors import NP_, InputError
from retrieval.extract import PDF_TYPES, extract_bytes, extract_text, scrubbed
from retrieval.fetch import HTML_AND_TEXT, Fetcher
from retrieval.index import sentence_terms
from retrieval.language.detect import article_languages
from retrieval.models import Extracted, IngestResult
from retrieval.owners import Owner, OwnerKind
from retrieval.sentences import split_paragraphs
from retrieval.services.search_index import SearchIndex
from retrieval.services.topics import Topics
from retrieval.storage import Storage
from retrieval.storage.articles import StoredSentence, canonical_url

TITLE_CHARS = 90


class Intake:
    def __init__(
        self, config: EngineConfig, storage: Storage, search: SearchIndex, topics: Topics, fetcher: Fetcher
    ) -> None:
        self._limits = config.limits
        self._articles = storage.articles
        self._search = search
        self._topics = topics
        self._fetcher = fetcher

    def ingest(
        self, extracted: Extracted, owner: Owner, *, commit: bool = True, public: bool = False
    ) -> IngestResult:
        """Store an extracted article for ``owner``; an article already stored is reused.

        ``public`` marks text our fetcher read at ``extracted.url`` (any chat sending that
        URL may share it); anything else is private to ``owner`` even if another chat sends
        the same text. With ``commit=False`` the article is stored but reaches the search
        index only at the next commit (bulk ingests commit once per batch).
        """
        self._search.check_writable()
        self._check_size(extracted.text)
        extracted = scrubbed(extracted)
        if public:  # shown to every chat that sends the link: without the first one's trackers
            extracted = extracted.model_copy(update={"url": canonical_url(extracted.url)})
        paragraphs = extracted.paragraphs
        languages = article_languages(paragraphs, extracted.language)
        if extracted.language is None:  # built by a caller, not by intake
            extracted = extracted.model_copy(update={"language": languages.article})
        sentences = split_paragraphs(paragraphs, extracted.language, languages.paragraphs)
        if not sentences:
            raise InputError("I couldn't find any sentences in that.")
        limit = self._limits.max_sentences
        if len(sentences) > limit:
            raise InputError(
                NP_("That text has {count:,} sentence; I keep articles of up to {limit:,}.",
                    "That text has {count:,} sentences; I keep articles of up to {limit:,}."),
                count=len(sentences), limit=limit,
            )
        title = extracted.title or _title_from(sentences[0].text)
        terms = [sentence_terms(s.text, s.language or extracted.language) for s in sentences]
        with self._search.writing():
            existing = self._articles.find_duplicate(extracted, owner, public=public)
            if existing is None or not self._articles.visible(existing, [owner]):
                self._check_room(owner)
            if existing is not None:
                return self._share(existing, owner, commit=commit)
            article_id = self._articles.add_article(
                extracted, title,
                [(s.paragraph, s.text, s.language, t) for s, t in zip(sentences, terms, strict=True)],
                owner, public=public,
            )
            stored = [
                StoredSentence(article_id, position, s.paragraph, s.text, s.language, t)
                for position, (s, t) in enumerate(zip(sentences, terms, strict=True), start=1)
            ]
            self._search.index.add(stored, [owner], extracted.language)
            if commit:
                self._search.commit()
        self._topics.match_article(
            article_id, owner, [s.text for s in stored], site=extracted.site, url=extracted.url,
            language=extracted.language,
        )
        return IngestResult(id=article_id, title=title, sentences=len(sentences))

    def ingest_text(
        self,
        text: str,
        owner: Owner,
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
        owner: Owner,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        url: str | None = None,
    ) -> IngestResult:
        """A file's bytes (.txt, .md, .html, .pdf)."""
        extracted = self.extract_bytes(data, filename=filename, content_type=content_type, url=url)
        return self.ingest(extracted, owner)

    def ingest_file(self, path: Path, owner: Owner, *, commit: bool = True) -> IngestResult:
        return self.ingest(self.extract_file(path), owner, commit=commit)

    def ingest_url(self, url: str, owner: Owner) -> IngestResult:
        """A link: a page fetched before (by anyone) is not fetched again."""
        with self._search.writing():
            known = self._articles.find_by_url(url, owner)
            if known is not None:
                if not self._articles.visible(known, [owner]):
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
        """A file's bytes (.txt, .md, .html, .pdf) as an article, not stored."""
        if len(data) > self._limits.max_text_chars * 4:
            raise self._too_large()
        return extract_bytes(
            data, filename=filename, content_type=content_type, url=url, encoding=encoding
        )

    def extract_file(self, path: Path) -> Extracted:
        try:
            size = path.stat().st_size
            if size > self._limits.max_text_chars * 4:
                raise self._too_large()
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError("There is no file {path}.", path=str(path)) from None
        except IsADirectoryError:
            raise InputError("{path} is a directory, not a file.", path=str(path)) from None
        except PermissionError:
            raise InputError("I may not read {path}.", path=str(path)) from None
        return self.extract_bytes(data, filename=path.name)

    def extract_url(self, url: str) -> Extracted:
        page = self._fetcher.fetch(url, accept=HTML_AND_TEXT | PDF_TYPES)
        return self.extract_bytes(
            page.content, content_type=page.content_type, url=page.url, encoding=page.encoding
        )

    def _share(self, article_id: int, owner: Owner, *, commit: bool) -> IngestResult:
        self._search.check_writable()
        if self._articles.add_owner(article_id, owner):
            self._search.add(article_id)
            if commit:
                self._search.commit()
            self._topics.match_article(article_id, owner)
        info = self._articles.article(article_id)
        assert info is not None
        return IngestResult(id=info.id, title=info.title, sentences=info.sentences, duplicate=True)

    def _check_room(self, owner: Owner) -> None:
        limit = self._limits.max_articles_per_owner
        if owner.kind is not OwnerKind.FEED and self._articles.count_articles([owner]) >= limit:
            raise InputError(
                NP_("This chat already keeps {count:,} article; forget some to add more.",
                    "This chat already keeps {count:,} articles; forget some to add more."),
                count=limit,
            )

    def _check_size(self, text: str) -> None:
        if len(text) > self._limits.max_text_chars:
            raise self._too_large()

    def _too_large(self) -> InputError:
        return InputError(
            NP_("That is too long for one article: I keep up to {count:,} character.",
                "That is too long for one article: I keep up to {count:,} characters."),
            count=self._limits.max_text_chars,
        )


def _title_from(sentence: str) -> str:
    if len(sentence) <= TITLE_CHARS:
        return sentence
    return sentence[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
