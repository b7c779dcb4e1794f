"""Articles, their sentences and who holds them (``articles``, ``sentences``, ``ownership``).

An article is stored once however many chats send it; ``ownership`` says which owners
hold it. The search index is derived from these tables and can always be rebuilt from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from retrieval.models import ArticleInfo, Extracted
from retrieval.owners import EVERYONE, Owner, OwnerKind
from retrieval.storage.database import Database, now, owners_value, read, stored_owner

if TYPE_CHECKING:
    from sqlalchemy import Column, Connection, Select, Table


class StoredSentence(NamedTuple):
    """A stored sentence, as an article is indexed from."""

    article_id: int
    position: int  # 1-based
    paragraph: int
    text: str
    language: str | None = None  # its own language; None: the article's
    terms: str | None = None  # what the search index holds of it (retrieval.index.sentence_terms)


# A sentence as the answer path reads it (:meth:`ArticleStore.sentences_in`): (article_id,
# position from 1, text, language, terms). Its paragraph is not read (each column costs about
# a microsecond a row in the driver); its language is its own or else its article's; its terms
# are what the search index holds of it (retrieval.index.sentence_terms), if any. The
# database's row as it comes: the answer path reads some fifty per question, and making each
# a NamedTuple cost 2 % of a question's instructions.
FoundSentence = tuple[int, int, str, str | None, str | None]


def canonical_url(url: str | None) -> str | None:
    """The URL that identifies an article: tracking parameters and the fragment removed,
    every other query parameter kept (``?story=1`` and ``?story=2`` are two articles)."""
    if not url:
        return None
    import courlan  # about 0.07 s to import: only when a URL is stored

    try:
        return urlunsplit(urlsplit(courlan.normalize_url(url, strict=False))._replace(fragment=""))
    except ValueError:
        return url


def text_hash(text: str) -> str:
    import hashlib  # 3 ms to import (OpenSSL): only when an article is stored

    normalised = " ".join(text.lower().split())
    return hashlib.sha256(normalised.encode("utf-8", "replace")).hexdigest()


def copy_of(owner: Owner, *, public: bool) -> Owner:
    """Whose copy an article is, for de-duplication: everyone's if public (any chat that
    sends the same page or text shares it), else the owner's that sent it."""
    return EVERYONE if public else owner


@dataclass(frozen=True)
class ArticleTotals:
    articles: int
    sentences: int
    owners: int  # owners other than feeds holding at least one article


# The statements are built inside the functions that use them, which import SQLAlchemy and
# the tables: reading commands on SQLite run the reads below compiled ahead of time
# (retrieval.storage.sqlite_reads) and never load SQLAlchemy.


def _owner(table: Table) -> tuple[Column, Column]:
    return table.c.owner_kind, table.c.owner_id


def _info(articles: Table) -> tuple[Column, ...]:
    """What ArticleInfo shows (then comes when the article came, to its owner or at all)."""
    return tuple(
        articles.c[name]
        for name in ("id", "title", "url", "site", "author", "published", "language", "sentence_count")
    )


def _set_indexed() -> Any:
    from sqlalchemy import bindparam

    from retrieval.storage.schema import articles

    return articles.update().where(articles.c.id == bindparam("article_id"))


@read
def _article() -> Select:
    from sqlalchemy import bindparam, select

    from retrieval.storage.schema import articles

    return select(*_info(articles), articles.c.added_at).where(articles.c.id == bindparam("id"))


@read
def _sentences() -> Select:
    from sqlalchemy import bindparam, select

    from retrieval.storage.schema import sentences

    return (
        select(*_sentence_columns(sentences))
        .where(sentences.c.article_id == bindparam("id"))
        .order_by(sentences.c.position)
    )


@read
def _owners_of() -> Select:
    from sqlalchemy import bindparam, select

    from retrieval.storage.schema import ownership

    owner = _owner(ownership)
    return select(*owner).where(ownership.c.article_id == bindparam("id")).order_by(*owner)


@read
def _visible() -> Select:
    from sqlalchemy import bindparam, select, true

    from retrieval.storage.core import owners_in
    from retrieval.storage.schema import ownership

    return (
        select(true())
        .where(ownership.c.article_id == bindparam("id"), owners_in("owners", *_owner(ownership)))
        .limit(1)
    )


def _sentence_columns(sentences: Table) -> tuple[Column, ...]:
    return tuple(
        sentences.c[name] for name in ("article_id", "position", "paragraph", "text", "language", "terms")
    )


@read
def _sentences_in() -> Select:
    """The sentences in (article_id, first, last) position ranges, each with its language or
    else its article's."""
    from sqlalchemy import Column, Integer, func, select

    from retrieval.storage.core import listed_rows
    from retrieval.storage.schema import articles, sentences

    ranges = listed_rows("ranges", sentences.c.article_id, Column("first", Integer), Column("last", Integer))
    # The article's row is looked up once a range, not once a sentence. An outer join
    # (an article gone meanwhile has no sentences left either: the inner join drops it)
    # because after one SQLite reads the ranges in step with the rest of the query rather
    # than copying them into a temporary table first: 6 % fewer instructions a read.
    return (
        select(
            sentences.c.article_id, sentences.c.position, sentences.c.text,
            func.coalesce(sentences.c.language, articles.c.language), sentences.c.terms,
        )
        .select_from(ranges)
        .outerjoin(articles, articles.c.id == ranges.c.article_id)
        .join(
            sentences,
            (sentences.c.article_id == ranges.c.article_id)
            & sentences.c.position.between(ranges.c.first, ranges.c.last),
        )
    )


@read
def _titles_and_urls() -> Select:
    """What a citation shows of each article: its title and link; a null title for an
    article no longer stored (titles are never null). An outer join, as in
    :func:`_sentences_in`: with an inner one SQLite first copies the listed ids into a
    temporary table, a third of this read's instructions."""
    from sqlalchemy import select

    from retrieval.storage.core import listed_rows
    from retrieval.storage.schema import articles

    ids = listed_rows("ids", articles.c.id)
    return select(ids.c.id, articles.c.title, articles.c.url).outerjoin_from(
        ids, articles, articles.c.id == ids.c.id
    )


def _set_terms() -> Any:
    from sqlalchemy import bindparam

    from retrieval.storage.schema import sentences

    return (
        sentences.update()
        .where(sentences.c.article_id == bindparam("a"), sentences.c.position == bindparam("p"))
        .values(terms=bindparam("t"))
    )


@read
def _listing() -> Select:
    """Articles the owners hold, newest first (by when they got them)."""
    from sqlalchemy import bindparam, func, select

    from retrieval.storage.core import owners_in
    from retrieval.storage.schema import articles, ownership

    owned_at = func.max(ownership.c.added_at).label("owned_at")
    return (
        select(*_info(articles), owned_at)
        .select_from(articles)
        .join(ownership, (ownership.c.article_id == articles.c.id) & owners_in("owners", *_owner(ownership)))
        .group_by(articles.c.id)
        .order_by(owned_at.desc(), articles.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@read
def _count() -> Select:
    from sqlalchemy import distinct, func, select

    from retrieval.storage.core import owners_in
    from retrieval.storage.schema import ownership

    return select(func.count(distinct(ownership.c.article_id))).where(owners_in("owners", *_owner(ownership)))


@read
def _unindexed_ids() -> Select:
    from sqlalchemy import false, select

    from retrieval.storage.schema import articles

    # A literal false, not a parameter: only then does SQLite use the partial index.
    return select(articles.c.id).where(articles.c.indexed == false())


@read
def _indexed_sentence_count() -> Select:
    from sqlalchemy import func, select, true

    from retrieval.storage.schema import articles

    return select(func.coalesce(func.sum(articles.c.sentence_count), 0)).where(articles.c.indexed == true())


class ArticleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def find_duplicate(self, extracted: Extracted, owner: Owner, *, public: bool) -> int | None:
        """An article that already holds this one: the same public text or page, or the
        same text or URL among ``owner``'s own articles. A chat's private article is never
        found for another chat, whatever it sends."""
        from sqlalchemy import select

        from retrieval.storage.core import owners_in
        from retrieval.storage.schema import articles

        copy = (articles.c.copy_of_kind, articles.c.copy_of_id)
        query = (
            select(articles.c.id)
            .where(articles.c.text_hash == text_hash(extracted.text), owners_in([owner, EVERYONE], *copy))
            .limit(1)
        )
        with self._db.reading() as db:
            found = db.execute(query).scalar()
        if found is not None:
            return found
        return self.find_by_url(extracted.url, owner, public=public) if extracted.url else None

    def find_by_url(self, url: str, owner: Owner, *, public: bool = True) -> int | None:
        """A stored article for ``url``: one ``owner`` itself stored under that URL or, when
        ``public``, one our fetcher read there."""
        from sqlalchemy import select, true

        from retrieval.storage.core import owner_is
        from retrieval.storage.schema import articles, ownership

        canonical = canonical_url(url)
        if canonical is None:  # no URL: nothing is stored under it
            return None
        own = articles.c.id.in_(select(ownership.c.article_id).where(owner_is(owner, *_owner(ownership))))
        condition = (articles.c.public == true()) | own if public else own
        query = select(articles.c.id).where(articles.c.canonical_url == canonical, condition)
        with self._db.reading() as db:
            try:
                return db.execute(query.limit(1)).scalar()
            except UnicodeEncodeError:  # a lone surrogate cannot match any stored URL
                return None

    def add_article(
        self,
        extracted: Extracted,
        title: str,
        sentences: Sequence[tuple[int, str, str | None, str]],
        owner: Owner,
        *,
        public: bool,
    ) -> int:
        """Store a new article with its sentences (paragraph, text, own language or None
        for the article's, terms) and its first owner.

        ``public``: the text is what our fetcher read at ``extracted.url``, so any chat that
        sends that URL or text may share this copy.
        """
        from sqlalchemy import insert

        from retrieval.storage.changes import log_changes
        from retrieval.storage.schema import articles, ownership
        from retrieval.storage.schema import sentences as sentence_table

        copy = copy_of(owner, public=public)
        with self._db.transaction() as db:
            article_id = db.execute(
                insert(articles).values(
                    title=title, url=extracted.url, canonical_url=canonical_url(extracted.url),
                    public=public, site=extracted.site, author=extracted.author,
                    published=extracted.published, language=extracted.language, text=extracted.text,
                    text_hash=text_hash(extracted.text), copy_of_kind=copy.kind.value,
                    copy_of_id=copy.id, sentence_count=len(sentences), added_at=now(),
                )
            ).inserted_primary_key[0]
            db.execute(
                insert(sentence_table),
                [
                    {
                        "article_id": article_id, "position": position, "paragraph": paragraph,
                        "text": text, "language": language, "terms": terms,
                    }
                    for position, (paragraph, text, language, terms) in enumerate(sentences, start=1)
                ],
            )
            db.execute(
                insert(ownership).values(
                    owner_kind=owner.kind.value, owner_id=owner.id, article_id=article_id, added_at=now()
                )
            )
            log_changes(db, "article", [article_id])
        return article_id

    def add_owner(self, article_id: int, owner: Owner) -> bool:
        """Give ``owner`` access; True if it is new (the index must then learn it)."""
        from retrieval.storage.changes import log_changes
        from retrieval.storage.core import insert_or_ignore
        from retrieval.storage.schema import articles, ownership

        with self._db.transaction() as db:
            added = db.execute(
                insert_or_ignore(db, ownership).values(
                    owner_kind=owner.kind.value, owner_id=owner.id, article_id=article_id, added_at=now()
                )
            ).rowcount
            if added:
                db.execute(articles.update().where(articles.c.id == article_id).values(indexed=False))
                log_changes(db, "article", [article_id])
        return bool(added)

    def remove_owner(self, article_id: int, owner: Owner) -> bool:
        """Take access away; the article itself goes when nobody holds it any more.

        Returns True when the article was deleted.
        """
        from sqlalchemy import func, select

        from retrieval.storage.changes import log_changes
        from retrieval.storage.core import owner_is
        from retrieval.storage.schema import articles, ownership

        with self._db.transaction() as db:
            db.execute(
                ownership.delete().where(
                    owner_is(owner, *_owner(ownership)), ownership.c.article_id == article_id
                )
            )
            log_changes(db, "article", [article_id])
            remaining = db.execute(
                select(func.count()).select_from(ownership).where(ownership.c.article_id == article_id)
            ).scalar_one()
            if remaining == 0:
                db.execute(articles.delete().where(articles.c.id == article_id))
                return True
            db.execute(articles.update().where(articles.c.id == article_id).values(indexed=False))
            return False

    def mark_indexed(self, article_ids: Sequence[int]) -> None:
        if not article_ids:
            return
        with self._db.transaction() as db:
            db.execute(_set_indexed().values(indexed=True), [{"article_id": i} for i in article_ids])

    def set_language(self, article_id: int, language: str | None) -> None:
        from retrieval.storage.schema import articles

        with self._db.transaction() as db:
            db.execute(articles.update().where(articles.c.id == article_id).values(language=language))

    def mark_all_unindexed(self) -> None:
        from retrieval.storage.schema import articles

        with self._db.transaction() as db:
            db.execute(articles.update().values(indexed=False))

    def unindexed_ids(self) -> list[int]:
        return [row[0] for row in self._db.rows(_unindexed_ids)]

    def indexed_sentence_count(self) -> int:
        return self._db.rows(_indexed_sentence_count)[0][0]

    def ids(self) -> list[int]:
        from sqlalchemy import select

        from retrieval.storage.schema import articles

        with self._db.reading() as db:
            return list(db.execute(select(articles.c.id).order_by(articles.c.id)).scalars())

    def owned_by(self, owner: Owner) -> list[int]:
        from sqlalchemy import select

        from retrieval.storage.core import owner_is
        from retrieval.storage.schema import ownership

        query = select(ownership.c.article_id).where(owner_is(owner, *_owner(ownership)))
        with self._db.reading() as db:
            return list(db.execute(query).scalars())

    def owned_beyond(self, owner: Owner, keep: int) -> list[int]:
        """The owner's articles after its newest ``keep``."""
        from sqlalchemy import select

        from retrieval.storage.core import owner_is
        from retrieval.storage.schema import ownership

        query = (
            select(ownership.c.article_id)
            .where(owner_is(owner, *_owner(ownership)))
            .order_by(ownership.c.added_at.desc(), ownership.c.article_id.desc())
            .offset(keep)
        )
        with self._db.reading() as db:
            return list(db.execute(query).scalars())

    def owners_of(self, article_id: int) -> list[Owner]:
        return [stored_owner(kind, owner_id) for kind, owner_id in self._db.rows(_owners_of, id=article_id)]

    def visible(self, article_id: int, owners: Sequence[Owner]) -> bool:
        return bool(owners) and bool(self._db.rows(_visible, id=article_id, owners=owners_value(owners)))

    def article(self, article_id: int) -> ArticleInfo | None:
        rows = self._db.rows(_article, id=article_id)
        return _article_info(rows[0]) if rows else None

    def titles_and_urls(self, article_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """The title and link of each of the given articles still stored, in one read."""
        if not article_ids:
            return {}
        rows = self._db.rows(_titles_and_urls, ids=[(int(i),) for i in article_ids])
        return {row[0]: (row[1], row[2]) for row in rows if row[1] is not None}

    def articles(self, owners: Sequence[Owner], limit: int, offset: int = 0) -> list[ArticleInfo]:
        """Articles the owners hold, newest first (by when they got them)."""
        if not owners:
            return []
        rows = self._db.rows(_listing, owners=owners_value(owners), limit=limit, offset=offset)
        return [_article_info(row) for row in rows]

    def count_articles(self, owners: Sequence[Owner]) -> int:
        return self._db.rows(_count, owners=owners_value(owners))[0][0] if owners else 0

    def arrived_since(self, owners: Sequence[Owner], since: str, limit: int) -> list[int]:
        """Articles the owners received after ``since`` (a stored time), newest first."""
        from sqlalchemy import func, select

        from retrieval.storage.core import owners_in
        from retrieval.storage.schema import ownership

        arrived = func.max(ownership.c.added_at).label("arrived")
        query = (
            select(ownership.c.article_id, arrived)
            .where(owners_in(owners, *_owner(ownership)), ownership.c.added_at > since)
            .group_by(ownership.c.article_id)
            .order_by(arrived.desc(), ownership.c.article_id.desc())
            .limit(limit)
        )
        with self._db.reading() as db:
            return [row[0] for row in db.execute(query)]

    def totals(self) -> ArticleTotals:
        from sqlalchemy import func, select

        from retrieval.storage.schema import articles, ownership

        holders = (
            select(ownership.c.owner_kind, ownership.c.owner_id)
            .where(ownership.c.owner_kind != OwnerKind.FEED.value)
            .distinct()
            .subquery()
        )
        query = select(
            select(func.count()).select_from(articles).scalar_subquery(),
            select(func.coalesce(func.sum(articles.c.sentence_count), 0)).scalar_subquery(),
            select(func.count()).select_from(holders).scalar_subquery(),
        )
        with self._db.reading() as db:
            row = db.execute(query).one()
        return ArticleTotals(articles=row[0], sentences=row[1], owners=row[2])

    def owned_texts(self, owner: Owner) -> list[dict[str, Any]]:
        """Every article ``owner`` itself holds, with its text, oldest first."""
        from sqlalchemy import select

        from retrieval.storage.core import owner_is
        from retrieval.storage.schema import articles, ownership

        a = articles.c
        query = (
            select(a.id, a.title, a.url, a.site, a.author, a.published, a.text, ownership.c.added_at)
            .select_from(articles)
            .join(ownership, (ownership.c.article_id == a.id) & owner_is(owner, *_owner(ownership)))
            .order_by(a.id)
        )
        with self._db.reading() as db:
            return [dict(row._mapping) for row in db.execute(query)]

    @staticmethod
    def move_owner(db: Connection, old: Owner, new: Owner) -> list[int]:
        """Inside a transaction: give ``old``'s articles to ``new``; returns their ids, which
        the index must learn again. ``old``'s private copies become ``new``'s, so what it
        sent before is still found when it sends it again."""
        from sqlalchemy import select

        from retrieval.storage.changes import log_changes
        from retrieval.storage.core import move_owner_rows, owner_is
        from retrieval.storage.schema import articles, ownership

        query = select(ownership.c.article_id).where(owner_is(old, *_owner(ownership)))
        moved = list(db.execute(query).scalars())
        move_owner_rows(db, ownership, old, new, unique=("article_id",))
        move_owner_rows(
            db, articles, old, new, unique=("text_hash",), columns=("copy_of_kind", "copy_of_id"),
            keep_clashes=True,
        )
        if moved:
            db.execute(_set_indexed().values(indexed=False), [{"article_id": a} for a in moved])
        log_changes(db, "article", moved)
        return moved

    # --- sentences ------------------------------------------------------------------

    def sentences(self, article_id: int) -> list[StoredSentence]:
        return list(map(StoredSentence._make, self._db.rows(_sentences, id=article_id)))

    def set_terms(self, article_id: int, terms: dict[int, str]) -> None:
        """Store what the search index now holds of the article's sentences, by position."""
        with self._db.transaction() as db:
            db.execute(_set_terms(), [{"a": article_id, "p": p, "t": t} for p, t in terms.items()])

    def sentences_in(self, ranges: Sequence[tuple[int, int, int]]) -> list[FoundSentence]:
        """The sentences in the given (article_id, first, last) position ranges, in one
        read, each with its own language or else its article's."""
        if not ranges:
            return []
        return self._db.rows(_sentences_in, ranges=ranges)


def _article_info(row: Sequence[Any]) -> ArticleInfo:
    """An article from its :func:`_info` columns and the time it came."""
    article_id, title, url, site, author, published, language, sentences, added = row
    return ArticleInfo(
        id=article_id, title=title, url=url, site=site, author=author, published=published,
        language=language, sentences=sentences, added=datetime.fromisoformat(added),
    )
