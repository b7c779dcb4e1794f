"""Feeds: parsing (feedparser), discovery from web pages, OPML, and their SQLite records.

Articles from a feed are owned by ``"feed:<id>"``; a chat sees them through its
subscription (see :meth:`retrieval.engine.Engine.scope`). The owner ``"*"`` subscribes
every chat (feeds an admin adds for all).
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urljoin
from xml.etree import ElementTree

import feedparser
import lxml.html
from lxml.etree import ParserError

from retrieval.errors import NP_, InputError, NotFound
from retrieval.models import FeedInfo
from retrieval.store import Store, now, timestamp

EVERYONE = "*"
MAX_BACKOFF = timedelta(hours=24)
MAX_FEEDS_PER_OWNER = 200
MAX_OPML_FEEDS = 500

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/xml",
    "text/xml",
)
# What feedparser flags but reads fine: a charset or content type other than declared.
_HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_BLOCKS = ("p", "li", "blockquote", "h1", "h2", "h3", "h4", "pre", "div", "td")


def feed_owner(feed_id: int) -> str:
    return f"feed:{feed_id}"


@dataclass(frozen=True)
class FeedEntry:
    guid: str | None
    link: str | None
    title: str | None
    published: str | None
    paragraphs: list[str]

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    site_url: str | None
    entries: list[FeedEntry]  # newest first, as feeds list them


def parse_feed(content: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """RSS 0.9x/1.0/2.0 or Atom; raises :class:`InputError` when it is not a feed."""
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    # A stream, never bytes or str: feedparser treats those as a file name or URL to open.
    parsed = feedparser.parse(io.BytesIO(content), response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        raise InputError("That address does not serve an RSS or Atom feed I can read.")
    entries = [e for e in map(_entry, parsed.entries) if e.link or e.paragraphs]
    problem = parsed.get("bozo_exception")
    if problem is not None and not isinstance(problem, _HARMLESS) and not entries:
        raise InputError("That feed is malformed: I could not read any entry in it.")
    info = parsed.feed
    return ParsedFeed(title=_one_line(info.get("title")), site_url=info.get("link"), entries=entries)


def _entry(raw: feedparser.FeedParserDict) -> FeedEntry:
    body = ""
    if raw.get("content"):
        body = max((c.get("value", "") for c in raw.content), key=len)
    summary = raw.get("summary", "")
    if len(summary) > len(body):
        body = summary
    published = raw.get("published_parsed") or raw.get("updated_parsed")
    return FeedEntry(
        guid=raw.get("id") or None,
        link=raw.get("link") or None,
        title=_one_line(raw.get("title")),
        published=datetime(*published[:6], tzinfo=UTC).isoformat() if published else None,
        paragraphs=fragment_paragraphs(body),
    )


def fragment_paragraphs(fragment: str) -> list[str]:
    """The text of an HTML fragment (a feed entry's content), one paragraph per block."""
    if not fragment.strip():
        return []
    if "<" not in fragment:
        return [" ".join(p.split()) for p in html.unescape(fragment).split("\n\n") if p.strip()]
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return []
    for junk in root.xpath("//script|//style|//figure|//img|//iframe"):
        junk.drop_tree()
    paragraphs: list[str] = []
    leaves = [el for el in root.iter(*_BLOCKS) if not any(True for _ in el.iter(*_BLOCKS) if _ is not el)]
    for element in leaves or [root]:
        text = " ".join(element.text_content().split())
        if text:
            paragraphs.append(text)
    if not leaves:
        return paragraphs
    # Text outside any block element (a plain-text summary with <br>s) is kept too.
    loose = " ".join((root.text or "").split())
    return ([loose] if loose else []) + paragraphs


def discover_feeds(page_html: str, base_url: str) -> list[str]:
    """Feed URLs a web page announces with ``<link rel="alternate" type="...">``."""
    try:
        root = lxml.html.document_fromstring(page_html)
    except (ParserError, ValueError):
        return []
    found = []
    for link in root.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES:
            found.append(urljoin(base_url, link.get("href").strip()))
    return list(dict.fromkeys(found))


def opml_feeds(data: bytes) -> list[tuple[str | None, str]]:
    """(title, url) of every feed an OPML file lists."""
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - expat does not resolve external entities
    except ElementTree.ParseError:
        raise InputError("That file is not valid OPML.") from None
    feeds = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if url:
            feeds.append((outline.get("title") or outline.get("text"), url.strip()))
    if not feeds:
        raise InputError("That OPML file lists no feeds.")
    if len(feeds) > MAX_OPML_FEEDS:
        raise InputError(
            NP_("That OPML file lists {count} feed; I import up to {limit} at once.",
                "That OPML file lists {count} feeds; I import up to {limit} at once."),
            count=len(feeds), limit=MAX_OPML_FEEDS,
        )
    return feeds


def to_opml(feeds: Sequence[FeedInfo], title: str) -> str:
    outlines = "\n".join(
        f'    <outline type="rss" text="{html.escape(f.title or f.url)}"'
        f' title="{html.escape(f.title or f.url)}" xmlUrl="{html.escape(f.url)}"'
        + (f' htmlUrl="{html.escape(f.site_url)}"' if f.site_url else "")
        + "/>"
        for f in feeds
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n'
        f"  <head><title>{html.escape(title)}</title>"
        f"<dateCreated>{format_datetime(datetime.now(UTC))}</dateCreated></head>\n"
        f"  <body>\n{outlines}\n  </body>\n</opml>\n"
    )


def _one_line(text: str | None) -> str | None:
    return " ".join(text.split()) or None if text else None


@dataclass(frozen=True)
class FeedState:
    id: int
    url: str
    etag: str | None
    last_modified: str | None
    error_count: int
    first_poll: bool


class FeedBook:
    """Feeds, subscriptions and seen entries in SQLite."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, url: str, title: str | None = None, site_url: str | None = None) -> int:
        with self._store.transaction() as db:
            db.execute(
                "INSERT INTO feeds (url, title, site_url, next_poll_at, added_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET title = COALESCE(excluded.title, title),"
                " site_url = COALESCE(excluded.site_url, site_url)",
                (url, title, site_url, now(), now()),
            )
            return db.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()[0]

    def exists(self, feed_id: int) -> bool:
        with self._store.reading() as db:
            return db.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchone() is not None

    def find(self, url: str) -> int | None:
        with self._store.reading() as db:
            row = db.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def check_room(self, owner: str) -> None:
        if owner == EVERYONE:
            return
        with self._store.reading() as db:
            count = db.execute("SELECT COUNT(*) FROM subscriptions WHERE owner = ?", (owner,)).fetchone()[0]
        if count >= MAX_FEEDS_PER_OWNER:
            raise InputError(
                    NP_("A chat can follow up to {count} feed; remove one first.",
                        "A chat can follow up to {count} feeds; remove one first."),
                    count=MAX_FEEDS_PER_OWNER,
                )

    def subscribe(self, owner: str, feed_id: int, *, from_config: bool = False) -> bool:
        self.check_room(owner)
        with self._store.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO subscriptions (owner, feed_id, added_at, from_config)"
                " VALUES (?, ?, ?, ?)",
                (owner, feed_id, now(), int(from_config)),
            )
        return bool(cursor.rowcount)

    def unsubscribe(self, owner: str, feed_id: int) -> bool:
        """Drop the subscription; a feed nobody follows any more is deleted (returns True)."""
        with self._store.transaction() as db:
            cursor = db.execute(
                "DELETE FROM subscriptions WHERE owner = ? AND feed_id = ?", (owner, feed_id)
            )
            if not cursor.rowcount:
                raise NotFound("You don't follow a feed {feed_id}.", feed_id=feed_id)
            left = db.execute(
                "SELECT COUNT(*) FROM subscriptions WHERE feed_id = ?", (feed_id,)
            ).fetchone()[0]
            if not left:
                db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
        return not left

    def owners_feeds(self, owner: str) -> list[int]:
        """Feeds whose articles ``owner`` sees: its own subscriptions and everyone's."""
        with self._store.reading() as db:
            return [
                row[0]
                for row in db.execute(
                    "SELECT DISTINCT feed_id FROM subscriptions WHERE owner IN (?, ?)", (owner, EVERYONE)
                )
            ]

    def list(self, owner: str) -> list[FeedInfo]:
        with self._store.reading() as db:
            rows = db.execute(
                "SELECT f.*, MAX(s.owner = ?) AS everyone, MAX(s.owner = ? AND s.from_config) AS config"
                " FROM feeds f JOIN subscriptions s ON s.feed_id = f.id AND s.owner IN (?, ?)"
                " GROUP BY f.id ORDER BY f.id",
                (EVERYONE, EVERYONE, owner, EVERYONE),
            ).fetchall()
        return [
            FeedInfo(
                id=r["id"], url=r["url"], title=r["title"], site_url=r["site_url"],
                last_fetched_at=r["last_fetched_at"], last_error=r["last_error"],
                error_count=r["error_count"], for_everyone=bool(r["everyone"]),
                from_config=bool(r["config"]),
            )
            for r in rows
        ]

    def audience(self, feed_id: int) -> list[str] | None:
        """Owners who see the feed's articles; ``None`` when every chat does."""
        with self._store.reading() as db:
            rows = db.execute("SELECT owner FROM subscriptions WHERE feed_id = ?", (feed_id,))
            owners = [r[0] for r in rows]
        return None if EVERYONE in owners else owners

    def config_feeds(self) -> dict[str, int]:
        """Feeds for every chat that the config file lists (url -> id)."""
        with self._store.reading() as db:
            rows = db.execute(
                "SELECT f.url, f.id FROM feeds f JOIN subscriptions s ON s.feed_id = f.id"
                " AND s.owner = ? AND s.from_config",
                (EVERYONE,),
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def due(self, at: datetime) -> list[int]:
        with self._store.reading() as db:
            return [
                r[0]
                for r in db.execute(
                    "SELECT id FROM feeds WHERE next_poll_at <= ?"
                    " AND id IN (SELECT feed_id FROM subscriptions) ORDER BY next_poll_at",
                    (timestamp(at),),
                )
            ]

    def state(self, feed_id: int) -> FeedState:
        with self._store.reading() as db:
            row = db.execute(
                "SELECT id, url, etag, last_modified, error_count, last_fetched_at FROM feeds WHERE id = ?",
                (feed_id,),
            ).fetchone()
        if row is None:
            raise NotFound("There is no feed {feed_id}.", feed_id=feed_id)
        return FeedState(row[0], row[1], row[2], row[3], row[4], first_poll=row[5] is None)

    def record_success(
        self, feed_id: int, interval: timedelta, *, etag: str | None, last_modified: str | None,
        title: str | None = None, site_url: str | None = None,
    ) -> None:
        fetched = datetime.now(UTC)
        with self._store.transaction() as db:
            db.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_fetched_at = ?, last_error = NULL,"
                " error_count = 0, next_poll_at = ?, title = COALESCE(?, title),"
                " site_url = COALESCE(?, site_url) WHERE id = ?",
                (
                    etag, last_modified, timestamp(fetched),
                    timestamp(fetched + interval), title, site_url, feed_id,
                ),
            )

    def record_failure(self, feed_id: int, interval: timedelta, error: str) -> None:
        """Back off exponentially: the interval doubles with each failure in a row."""
        with self._store.transaction() as db:
            errors = db.execute("SELECT error_count FROM feeds WHERE id = ?", (feed_id,)).fetchone()[0] + 1
            delay = min(interval * 2 ** min(errors, 16), MAX_BACKOFF)
            fetched = datetime.now(UTC)
            db.execute(
                "UPDATE feeds SET last_fetched_at = ?, last_error = ?, error_count = ?, next_poll_at = ?"
                " WHERE id = ?",
                (
                    timestamp(fetched), error, errors,
                    timestamp(fetched + delay), feed_id,
                ),
            )

    def seen(self, feed_id: int, keys: Sequence[str]) -> bool:
        if not keys:
            return False
        with self._store.reading() as db:
            marks = ",".join("?" * len(keys))
            row = db.execute(
                f"SELECT 1 FROM feed_entries WHERE feed_id = ? AND entry_key IN ({marks})",
                (feed_id, *keys),
            ).fetchone()
        return row is not None

    def mark_seen(self, feed_id: int, keys: Sequence[str], article_id: int | None) -> None:
        with self._store.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO feed_entries (feed_id, entry_key, article_id, seen_at)"
                " VALUES (?, ?, ?, ?)",
                [(feed_id, key, article_id, now()) for key in keys],
            )


def http_date(value: str | None) -> str | None:
    """A Last-Modified header worth sending back (dropped when it does not parse)."""
    if not value:
        return None
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return value
