"""Feeds as documents: parsing (feedparser), discovery from web pages, OPML.

Articles from a feed are owned by the feed; a chat sees them through its subscription.
Following and polling feeds is :mod:`retrieval.services.feeds`; their records are
:mod:`retrieval.storage.feeds`.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin
from xml.etree import ElementTree

from retrieval.errors import NP_, InputError
from retrieval.models import FeedInfo

if TYPE_CHECKING:  # feedparser and lxml are imported where a feed or page is parsed
    import feedparser

MAX_OPML_FEEDS = 500

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/xml",
    "text/xml",
)
_BLOCKS = ("p", "li", "blockquote", "h1", "h2", "h3", "h4", "pre", "div", "td")


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
    import feedparser

    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    # A stream, never bytes or str: feedparser treats those as a file name or URL to open.
    parsed = feedparser.parse(io.BytesIO(content), response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        raise InputError("That address does not serve an RSS or Atom feed I can read.")
    entries = [e for e in map(_entry, parsed.entries) if e.link or e.paragraphs]
    problem = parsed.get("bozo_exception")
    # What feedparser flags but reads fine: a charset or content type other than declared.
    harmless = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    if problem is not None and not isinstance(problem, harmless) and not entries:
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
    import lxml.html
    from lxml.etree import ParserError

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
    import lxml.html
    from lxml.etree import ParserError

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


def http_date(value: str | None) -> str | None:
    """A Last-Modified header worth sending back (dropped when it does not parse)."""
    if not value:
        return None
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return value
