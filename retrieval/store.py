"""SQLite storage: the source of truth for articles, their sentences and who may see them.

An article is stored once however many chats send it; ``ownership`` says which owners
("local", "chat:42", "feed:7", ...) hold it. The search index is derived from this
database and can always be rebuilt from it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import courlan

from retrieval.errors import InputError
from retrieval.models import ArticleInfo, Extracted

# Each entry upgrades the schema by one version (PRAGMA user_version). Never edit an
# entry once a release has shipped it: append a new one.
MIGRATIONS: list[str] = [
    """
    -- dedupe_key: the hash of the text for a public article (one our fetcher read at its
    -- URL), of the owner and the text for anything else, so identical private texts are
    -- never shared between chats. AUTOINCREMENT: ids are never reused, so an id a chat
    -- once saw cannot come to mean another article.
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        url TEXT,
        canonical_url TEXT,
        public INTEGER NOT NULL DEFAULT 0,
        site TEXT,
        author TEXT,
        published TEXT,
        language TEXT,
        text TEXT NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE,
        sentence_count INTEGER NOT NULL,
        added_at TEXT NOT NULL,
        indexed INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX articles_canonical_url ON articles(canonical_url);
    CREATE INDEX articles_unindexed ON articles(id) WHERE indexed = 0;

    CREATE TABLE sentences (
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        paragraph INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (article_id, position)
    ) WITHOUT ROWID;

    CREATE TABLE ownership (
        owner TEXT NOT NULL,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        PRIMARY KEY (owner, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX ownership_article ON ownership(article_id);

    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT NOT NULL UNIQUE,
        title TEXT,
        site_url TEXT,
        etag TEXT,
        last_modified TEXT,
        last_fetched_at TEXT,
        last_error TEXT,
        error_count INTEGER NOT NULL DEFAULT 0,
        next_poll_at TEXT NOT NULL,
        added_at TEXT NOT NULL
    );

    -- owner "*" is every chat. from_config: listed in the config file (re-applied at start).
    CREATE TABLE subscriptions (
        owner TEXT NOT NULL,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        from_config INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (owner, feed_id)
    ) WITHOUT ROWID;
    CREATE INDEX subscriptions_feed ON subscriptions(feed_id);

    CREATE TABLE feed_entries (
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        entry_key TEXT NOT NULL,
        article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (feed_id, entry_key)
    ) WITHOUT ROWID;

    CREATE TABLE topics (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        owner TEXT NOT NULL,
        query TEXT NOT NULL,
        mode TEXT NOT NULL DEFAULT 'daily' CHECK (mode IN ('instant', 'daily', 'off')),
        added_at TEXT NOT NULL,
        UNIQUE (owner, query)
    );

    CREATE TABLE topic_anchors (
        stem TEXT NOT NULL,
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
        PRIMARY KEY (stem, topic_id)
    ) WITHOUT ROWID;
    CREATE INDEX topic_anchors_topic ON topic_anchors(topic_id);

    CREATE TABLE topic_matches (
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        matched_at TEXT NOT NULL,
        alerted_at TEXT,
        PRIMARY KEY (topic_id, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX topic_matches_article ON topic_matches(article_id);

    CREATE TABLE digests (
        owner TEXT NOT NULL,
        day TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        items INTEGER NOT NULL,
        PRIMARY KEY (owner, day)
    ) WITHOUT ROWID;
    """,
]


@dataclass(frozen=True)
class StoredSentence:
    article_id: int
    position: int  # 1-based
    paragraph: int
    text: str


def canonical_url(url: str | None) -> str | None:
    """The URL that identifies an article: tracking parameters and the fragment removed,
    every other query parameter kept (``?story=1`` and ``?story=2`` are two articles)."""
    if not url:
        return None
    try:
        return urlunsplit(urlsplit(courlan.normalize_url(url, strict=False))._replace(fragment=""))
    except ValueError:
        return url


def text_hash(text: str) -> str:
    normalised = " ".join(text.lower().split())
    return hashlib.sha256(normalised.encode("utf-8", "replace")).hexdigest()


def dedupe_key(text: str, owner: str, *, public: bool) -> str:
    """What makes two articles the same: the text alone if public, else owner and text."""
    return text_hash(text) if public else f"{owner}:{text_hash(text)}"


def timestamp(moment: datetime) -> str:
    """How times are stored: UTC, to the microsecond, so they sort as text and no two
    events of the same second tie (a digest's boundary relies on it)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now() -> str:
    return timestamp(datetime.now(UTC))


class Store:
    """A thin, typed layer over one SQLite file. Thread-safe: one connection behind a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._migrate()
        except (sqlite3.DatabaseError, OSError) as error:
            raise InputError(
                "I can't use {path} as a database ({reason}).", path=str(path), reason=_reason(error)
            ) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db

    # --- articles -------------------------------------------------------------------

    def find_duplicate(self, extracted: Extracted, owner: str, *, public: bool) -> int | None:
        """An article that already holds this one: the same public text or page, or the
        same text or URL among ``owner``'s own articles. A chat's private article is never
        found for another chat, whatever it sends."""
        keys = [dedupe_key(extracted.text, owner, public=p) for p in (False, True)]
        with self.reading() as db:
            row = db.execute("SELECT id FROM articles WHERE dedupe_key IN (?, ?) LIMIT 1", keys).fetchone()
        if row is not None:
            return row[0]
        return self.find_by_url(extracted.url, owner, public=public) if extracted.url else None

    def find_by_url(self, url: str, owner: str, *, public: bool = True) -> int | None:
        """A stored article for ``url``: one ``owner`` itself stored under that URL or, when
        ``public``, one our fetcher read there."""
        own = "id IN (SELECT article_id FROM ownership WHERE owner = ?)"
        condition = f"(public = 1 OR {own})" if public else own
        with self.reading() as db:
            try:
                row = db.execute(
                    f"SELECT id FROM articles WHERE canonical_url = ? AND {condition} LIMIT 1",
                    (canonical_url(url), owner),
                ).fetchone()
            except UnicodeEncodeError:  # a lone surrogate cannot match any stored URL
                return None
        return row[0] if row else None

    def add_article(
        self,
        extracted: Extracted,
        title: str,
        sentences: Sequence[tuple[int, str]],
        owner: str,
        *,
        public: bool,
    ) -> int:
        """Store a new article with its sentences (paragraph, text) and its first owner.

        ``public``: the text is what our fetcher read at ``extracted.url``, so any chat that
        sends that URL or text may share this copy.
        """
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO articles (title, url, canonical_url, public, site, author, published,"
                " language, text, dedupe_key, sentence_count, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    title, extracted.url, canonical_url(extracted.url), int(public), extracted.site,
                    extracted.author, extracted.published, extracted.language, extracted.text,
                    dedupe_key(extracted.text, owner, public=public), len(sentences), now(),
                ),
            )
            article_id = cursor.lastrowid
            assert article_id is not None
            db.executemany(
                "INSERT INTO sentences (article_id, position, paragraph, text) VALUES (?, ?, ?, ?)",
                [
                    (article_id, position, paragraph, text)
                    for position, (paragraph, text) in enumerate(sentences, start=1)
                ],
            )
            db.execute(
                "INSERT INTO ownership (owner, article_id, added_at) VALUES (?, ?, ?)",
                (owner, article_id, now()),
            )
        return article_id

    def add_owner(self, article_id: int, owner: str) -> bool:
        """Give ``owner`` access; True if it is new (the index must then learn it)."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO ownership (owner, article_id, added_at) VALUES (?, ?, ?)",
                (owner, article_id, now()),
            )
            if cursor.rowcount:
                db.execute("UPDATE articles SET indexed = 0 WHERE id = ?", (article_id,))
        return bool(cursor.rowcount)

    def remove_owner(self, article_id: int, owner: str) -> bool:
        """Take access away; the article itself goes when nobody holds it any more.

        Returns True when the article was deleted.
        """
        with self.transaction() as db:
            db.execute(
                "DELETE FROM ownership WHERE owner = ? AND article_id = ?", (owner, article_id)
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
        with self.transaction() as db:
            db.executemany("UPDATE articles SET indexed = 1 WHERE id = ?", [(i,) for i in article_ids])

    def mark_all_unindexed(self) -> None:
        with self.transaction() as db:
            db.execute("UPDATE articles SET indexed = 0")

    def unindexed_ids(self) -> list[int]:
        with self.reading() as db:
            return [row[0] for row in db.execute("SELECT id FROM articles WHERE indexed = 0")]

    def indexed_sentence_count(self) -> int:
        with self.reading() as db:
            return db.execute(
                "SELECT COALESCE(SUM(sentence_count), 0) FROM articles WHERE indexed = 1"
            ).fetchone()[0]

    def owned_by(self, owner: str) -> list[int]:
        with self.reading() as db:
            return [r[0] for r in db.execute("SELECT article_id FROM ownership WHERE owner = ?", (owner,))]

    def owned_beyond(self, owner: str, keep: int) -> list[int]:
        """The owner's articles after its newest ``keep``."""
        with self.reading() as db:
            rows = db.execute(
                "SELECT article_id FROM ownership WHERE owner = ?"
                " ORDER BY added_at DESC, article_id DESC LIMIT -1 OFFSET ?",
                (owner, keep),
            )
            return [r[0] for r in rows]

    def owners_of(self, article_id: int) -> list[str]:
        with self.reading() as db:
            return [
                row[0]
                for row in db.execute(
                    "SELECT owner FROM ownership WHERE article_id = ? ORDER BY owner", (article_id,)
                )
            ]

    def visible(self, article_id: int, owners: Sequence[str]) -> bool:
        with self.reading() as db:
            row = db.execute(
                f"SELECT 1 FROM ownership WHERE article_id = ? AND owner IN ({_marks(owners)})",
                (article_id, *owners),
            ).fetchone()
        return row is not None

    def article(self, article_id: int) -> ArticleInfo | None:
        with self.reading() as db:
            row = db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _article_info(row, row["added_at"]) if row else None

    def articles(self, owners: Sequence[str], limit: int, offset: int = 0) -> list[ArticleInfo]:
        """Articles the owners hold, newest first (by when they got them)."""
        with self.reading() as db:
            rows = db.execute(
                "SELECT a.*, MAX(o.added_at) AS owned_at FROM articles a"
                f" JOIN ownership o ON o.article_id = a.id AND o.owner IN ({_marks(owners)})"
                " GROUP BY a.id ORDER BY owned_at DESC, a.id DESC LIMIT ? OFFSET ?",
                (*owners, limit, offset),
            ).fetchall()
        return [_article_info(row, row["owned_at"]) for row in rows]

    def count_articles(self, owners: Sequence[str]) -> int:
        with self.reading() as db:
            return db.execute(
                f"SELECT COUNT(DISTINCT article_id) FROM ownership WHERE owner IN ({_marks(owners)})",
                tuple(owners),
            ).fetchone()[0]

    def arrived_since(self, owners: Sequence[str], since: str, limit: int) -> list[int]:
        """Articles the owners received after ``since`` (ISO time), newest first."""
        with self.reading() as db:
            rows = db.execute(
                "SELECT article_id, MAX(added_at) AS arrived FROM ownership"
                f" WHERE owner IN ({_marks(owners)}) AND added_at > ?"
                " GROUP BY article_id ORDER BY arrived DESC, article_id DESC LIMIT ?",
                (*owners, since, limit),
            ).fetchall()
        return [row[0] for row in rows]

    # --- sentences ------------------------------------------------------------------

    def sentences(self, article_id: int) -> list[StoredSentence]:
        with self.reading() as db:
            rows = db.execute(
                "SELECT article_id, position, paragraph, text FROM sentences"
                " WHERE article_id = ? ORDER BY position",
                (article_id,),
            ).fetchall()
        return [StoredSentence(*row) for row in rows]

    def sentences_at(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """Texts of the given (article_id, position) pairs."""
        if not keys:
            return {}
        with self.reading() as db:
            rows = db.execute(
                "SELECT s.article_id, s.position, s.text FROM sentences s"
                " JOIN (SELECT value ->> 0 AS a, value ->> 1 AS p FROM json_each(?)) k"
                " ON s.article_id = k.a AND s.position = k.p",
                (_json_pairs(keys),),
            ).fetchall()
        return {(row[0], row[1]): row[2] for row in rows}


def _reason(error: BaseException) -> str:
    return str(error).rstrip(".") or type(error).__name__


def _json_pairs(keys: Sequence[tuple[int, int]]) -> str:
    return "[" + ",".join(f"[{int(a)},{int(p)}]" for a, p in keys) + "]"


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values)) or "NULL"


def _article_info(row: sqlite3.Row, added: str) -> ArticleInfo:
    return ArticleInfo(
        id=row["id"], title=row["title"], url=row["url"], site=row["site"],
        author=row["author"], published=row["published"], language=row["language"],
        sentences=row["sentence_count"], added=datetime.fromisoformat(added),
    )
