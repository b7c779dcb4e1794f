"""Articles, their sentences and who holds them (``articles``, ``sentences``, ``ownership``).

An article is stored once however many chats send it; ``ownership`` says which owners
hold it. The search index is derived from these tables and can always be rebuilt from them.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from retrieval.models import ArticleInfo, Extracted
from retrieval.owners import EVERYONE, Owner, OwnerKind
from retrieval.storage.database import Database, now, owner_columns, owners_in, stored_owner


@dataclass(frozen=True)
class StoredSentence:
    article_id: int
    position: int  # 1-based
    paragraph: int
    text: str
    language: str | None = None  # its own language; None: the article's


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


class ArticleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def find_duplicate(self, extracted: Extracted, owner: Owner, *, public: bool) -> int | None:
        """An article that already holds this one: the same public text or page, or the
        same text or URL among ``owner``'s own articles. A chat's private article is never
        found for another chat, whatever it sends."""
        copies, params = owners_in([owner, EVERYONE], ("copy_of_kind", "copy_of_id"))
        with self._db.reading() as db:
            row = db.execute(
                f"SELECT id FROM articles WHERE text_hash = ? AND {copies} LIMIT 1",
                (text_hash(extracted.text), *params),
            ).fetchone()
        if row is not None:
            return row[0]
        return self.find_by_url(extracted.url, owner, public=public) if extracted.url else None

    def find_by_url(self, url: str, owner: Owner, *, public: bool = True) -> int | None:
        """A stored article for ``url``: one ``owner`` itself stored under that URL or, when
        ``public``, one our fetcher read there."""
        own = "id IN (SELECT article_id FROM ownership WHERE owner_kind = ? AND owner_id = ?)"
        condition = f"(public = 1 OR {own})" if public else own
        with self._db.reading() as db:
            try:
                row = db.execute(
                    f"SELECT id FROM articles WHERE canonical_url = ? AND {condition} LIMIT 1",
                    (canonical_url(url), *owner_columns(owner)),
                ).fetchone()
            except UnicodeEncodeError:  # a lone surrogate cannot match any stored URL
                return None
        return row[0] if row else None

    def add_article(
        self,
        extracted: Extracted,
        title: str,
        sentences: Sequence[tuple[int, str, str | None]],
        owner: Owner,
        *,
        public: bool,
    ) -> int:
        """Store a new article with its sentences (paragraph, text, own language or None
        for the article's) and its first owner.

        ``public``: the text is what our fetcher read at ``extracted.url``, so any chat that
        sends that URL or text may share this copy.
        """
        with self._db.transaction() as db:
            cursor = db.execute(
                "INSERT INTO articles (title, url, canonical_url, public, site, author, published,"
                " language, text, text_hash, copy_of_kind, copy_of_id, sentence_count, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    title, extracted.url, canonical_url(extracted.url), int(public), extracted.site,
                    extracted.author, extracted.published, extracted.language, extracted.text,
                    text_hash(extracted.text), *owner_columns(copy_of(owner, public=public)),
                    len(sentences), now(),
                ),
            )
            article_id = cursor.lastrowid
            assert article_id is not None
            db.executemany(
                "INSERT INTO sentences (article_id, position, paragraph, text, language)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (article_id, position, paragraph, text, language)
                    for position, (paragraph, text, language) in enumerate(sentences, start=1)
                ],
            )
            db.execute(
                "INSERT INTO ownership (owner_kind, owner_id, article_id, added_at) VALUES (?, ?, ?, ?)",
                (*owner_columns(owner), article_id, now()),
            )
        return article_id

    def add_owner(self, article_id: int, owner: Owner) -> bool:
        """Give ``owner`` access; True if it is new (the index must then learn it)."""
        with self._db.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO ownership (owner_kind, owner_id, article_id, added_at)"
                " VALUES (?, ?, ?, ?)",
                (*owner_columns(owner), article_id, now()),
            )
            if cursor.rowcount:
                db.execute("UPDATE articles SET indexed = 0 WHERE id = ?", (article_id,))
        return bool(cursor.rowcount)

    def remove_owner(self, article_id: int, owner: Owner) -> bool:
        """Take access away; the article itself goes when nobody holds it any more.

        Returns True when the article was deleted.
        """
        with self._db.transaction() as db:
            db.execute(
                "DELETE FROM ownership WHERE owner_kind = ? AND owner_id = ? AND article_id = ?",
                (*owner_columns(owner), article_id),
            )
            remaining = db.execute(
                "SELECT COUNT(*) FROM ownership WHERE article_id = ?", (article_id,)
            ).fetchone()[0]
            if remaining == 0:
                db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
                return True
            db.execute("UPDATE articles SET indexed = 0 WHERE id = ?", (article_id,))
            return False

    def mark_indexed(self, article_ids: Sequence[int]) -> None:
        with self._db.transaction() as db:
            db.executemany("UPDATE articles SET indexed = 1 WHERE id = ?", [(i,) for i in article_ids])

    def set_language(self, article_id: int, language: str | None) -> None:
        with self._db.transaction() as db:
            db.execute("UPDATE articles SET language = ? WHERE id = ?", (language, article_id))

    def mark_all_unindexed(self) -> None:
        with self._db.transaction() as db:
            db.execute("UPDATE articles SET indexed = 0")

    def unindexed_ids(self) -> list[int]:
        with self._db.reading() as db:
            return [row[0] for row in db.execute("SELECT id FROM articles WHERE indexed = 0")]

    def indexed_sentence_count(self) -> int:
        with self._db.reading() as db:
            return db.execute(
                "SELECT COALESCE(SUM(sentence_count), 0) FROM articles WHERE indexed = 1"
            ).fetchone()[0]

    def owned_by(self, owner: Owner) -> list[int]:
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT article_id FROM ownership WHERE owner_kind = ? AND owner_id = ?", owner_columns(owner)
            )
            return [r[0] for r in rows]

    def owned_beyond(self, owner: Owner, keep: int) -> list[int]:
        """The owner's articles after its newest ``keep``."""
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT article_id FROM ownership WHERE owner_kind = ? AND owner_id = ?"
                " ORDER BY added_at DESC, article_id DESC LIMIT -1 OFFSET ?",
                (*owner_columns(owner), keep),
            )
            return [r[0] for r in rows]

    def owners_of(self, article_id: int) -> list[Owner]:
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT owner_kind, owner_id FROM ownership WHERE article_id = ?"
                " ORDER BY owner_kind, owner_id",
                (article_id,),
            )
            return [stored_owner(kind, owner_id) for kind, owner_id in rows]

    def visible(self, article_id: int, owners: Sequence[Owner]) -> bool:
        holders, params = owners_in(owners)
        with self._db.reading() as db:
            row = db.execute(
                f"SELECT 1 FROM ownership WHERE article_id = ? AND {holders}", (article_id, *params)
            ).fetchone()
        return row is not None

    def article(self, article_id: int) -> ArticleInfo | None:
        with self._db.reading() as db:
            row = db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _article_info(row, row["added_at"]) if row else None

    def articles(self, owners: Sequence[Owner], limit: int, offset: int = 0) -> list[ArticleInfo]:
        """Articles the owners hold, newest first (by when they got them)."""
        holders, params = owners_in(owners, ("o.owner_kind", "o.owner_id"))
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT a.*, MAX(o.added_at) AS owned_at FROM articles a"
                f" JOIN ownership o ON o.article_id = a.id AND {holders}"
                " GROUP BY a.id ORDER BY owned_at DESC, a.id DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [_article_info(row, row["owned_at"]) for row in rows]

    def count_articles(self, owners: Sequence[Owner]) -> int:
        holders, params = owners_in(owners)
        with self._db.reading() as db:
            return db.execute(
                f"SELECT COUNT(DISTINCT article_id) FROM ownership WHERE {holders}", params
            ).fetchone()[0]

    def arrived_since(self, owners: Sequence[Owner], since: str, limit: int) -> list[int]:
        """Articles the owners received after ``since`` (a stored time), newest first."""
        holders, params = owners_in(owners)
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT article_id, MAX(added_at) AS arrived FROM ownership"
                f" WHERE {holders} AND added_at > ?"
                " GROUP BY article_id ORDER BY arrived DESC, article_id DESC LIMIT ?",
                (*params, since, limit),
            ).fetchall()
        return [row[0] for row in rows]

    def totals(self) -> ArticleTotals:
        with self._db.reading() as db:
            row = db.execute(
                "SELECT (SELECT COUNT(*) FROM articles),"
                " (SELECT COALESCE(SUM(sentence_count), 0) FROM articles),"
                " (SELECT COUNT(*) FROM (SELECT DISTINCT owner_kind, owner_id FROM ownership"
                "  WHERE owner_kind != ?))",
                (OwnerKind.FEED.value,),
            ).fetchone()
        return ArticleTotals(articles=row[0], sentences=row[1], owners=row[2])

    def owned_texts(self, owner: Owner) -> list[dict]:
        """Every article ``owner`` itself holds, with its text, oldest first."""
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT a.id, a.title, a.url, a.site, a.author, a.published, a.text, o.added_at"
                " FROM articles a JOIN ownership o ON o.article_id = a.id"
                " AND o.owner_kind = ? AND o.owner_id = ? ORDER BY a.id",
                owner_columns(owner),
            ).fetchall()
        return [dict(row) for row in rows]

    @staticmethod
    def move_owner(db: sqlite3.Connection, old: Owner, new: Owner) -> list[int]:
        """Inside a transaction: give ``old``'s articles to ``new``; returns their ids, which
        the index must learn again. ``old``'s private copies become ``new``'s, so what it
        sent before is still found when it sends it again."""
        moved = [
            r[0]
            for r in db.execute(
                "SELECT article_id FROM ownership WHERE owner_kind = ? AND owner_id = ?", owner_columns(old)
            )
        ]
        db.execute(
            "UPDATE OR IGNORE ownership SET owner_kind = ?, owner_id = ?"
            " WHERE owner_kind = ? AND owner_id = ?",
            (*owner_columns(new), *owner_columns(old)),
        )
        db.execute("DELETE FROM ownership WHERE owner_kind = ? AND owner_id = ?", owner_columns(old))
        db.execute(
            "UPDATE OR IGNORE articles SET copy_of_kind = ?, copy_of_id = ?"
            " WHERE copy_of_kind = ? AND copy_of_id = ?",
            (*owner_columns(new), *owner_columns(old)),
        )
        db.executemany("UPDATE articles SET indexed = 0 WHERE id = ?", [(a,) for a in moved])
        return moved

    # --- sentences ------------------------------------------------------------------

    def sentences(self, article_id: int) -> list[StoredSentence]:
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT article_id, position, paragraph, text, language FROM sentences"
                " WHERE article_id = ? ORDER BY position",
                (article_id,),
            ).fetchall()
        return [StoredSentence(*row) for row in rows]

    def sentences_at(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """Texts of the given (article_id, position) pairs."""
        if not keys:
            return {}
        with self._db.reading() as db:
            rows = db.execute(
                "SELECT s.article_id, s.position, s.text FROM sentences s"
                " JOIN (SELECT value ->> 0 AS a, value ->> 1 AS p FROM json_each(?)) k"
                " ON s.article_id = k.a AND s.position = k.p",
                (_json_pairs(keys),),
            ).fetchall()
        return {(row[0], row[1]): row[2] for row in rows}


def _json_pairs(keys: Sequence[tuple[int, int]]) -> str:
    return "[" + ",".join(f"[{int(a)},{int(p)}]" for a, p in keys) + "]"


def _article_info(row: sqlite3.Row, added: str) -> ArticleInfo:
    return ArticleInfo(
        id=row["id"], title=row["title"], url=row["url"], site=row["site"],
        author=row["author"], published=row["published"], language=row["language"],
        sentences=row["sentence_count"], added=datetime.fromisoformat(added),
    )
