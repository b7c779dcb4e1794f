"""Intake: turn HTML, Markdown, plain or pasted text, and raw bytes into an :class:`Extracted`.

HTML goes through trafilatura (F1 0.96 on the Zyte benchmark); flat text goes through
our own page-text cleaner, since trafilatura cannot tell boilerplate from prose once
the markup is gone.
"""

from __future__ import annotations

import io
import re
from pathlib import PurePath
from urllib.parse import urlsplit

from retrieval.errors import InputError
from retrieval.language.detect import body_language
from retrieval.language.words import base_language
from retrieval.models import Extracted

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown"}
TEXT_SUFFIXES = {".txt", ".text", ""}
PDF_SUFFIXES = {".pdf"}
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
# pypdf inflates a stream up to 75 MB by default, and parsing that many bytes of page
# operators takes minutes: a 50 KB upload could tie up a worker. No page of text needs this.
PDF_LIMITS = {
    name: 10_000_000
    for name in (
        "zlib_maximum_output_length", "lzw_maximum_output_length",
        "run_length_maximum_output_length", "array_based_stream_maximum_output_length",
    )
}
READABLE = "I can read .txt, .md, .html and .pdf files"
# trafilatura's time grows faster than linearly with the number of elements (about 2 s for
# 20,000 on our machines); real article pages have a few thousand.
MAX_HTML_TAGS = 50_000

_HTML_LANG = re.compile(rb"<html[^>]*\blang=[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_LOOKS_LIKE_HTML = re.compile(r"^\s*(<!doctype html|<html|<head|<body|<meta|<div|<article|<p[ >])", re.I)
# Control characters (but tab, line breaks and form feed), lone surrogates and the two
# non-characters: not text. A surrogate cannot even be encoded for SQLite, and lxml
# silently drops everything after one.
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def scrub(text: str) -> str:
    """``text`` without the characters that are not text (see ``_NOT_TEXT``)."""
    return _NOT_TEXT.sub("", text)


def extract_html(html: str, url: str | None = None) -> Extracted:
    """Main text and metadata of an HTML page."""
    if html.count("<") > MAX_HTML_TAGS:
        raise InputError("That page is too big and complex for me to read.")
    import trafilatura  # about 0.3 s to import: only when a page is read

    from retrieval.clean import clean_page_text

    html = scrub(html)
    document = trafilatura.bare_extraction(
        html, url=url, include_comments=False, with_metadata=True, favor_precision=False
    )
    if document is None or not (document.text or "").strip():
        raise InputError("I couldn't find an article in that page.")
    title = _clean_title(document.title)
    paragraphs = [line.strip() for line in document.text.splitlines() if line.strip()]
    if title and paragraphs and _same_words(paragraphs[0], title):
        paragraphs = paragraphs[1:] or paragraphs
    # trafilatura falls back to any text it finds: on a page that is only navigation,
    # the menu. The text cleaner keeps nothing of a list of short link labels.
    if not clean_page_text("\n".join(paragraphs)).paragraphs:
        raise InputError("I couldn't find an article in that page.")
    # The body's language, not the page's: templates declare their own language, and a
    # page may wrap a Russian article in an English site. The declaration is the fallback.
    language = body_language(paragraphs)
    if language is None:
        match = _HTML_LANG.search(html[:5000].encode("utf-8", "ignore"))
        language = base_language(document.language or (match.group(1).decode() if match else None))
    return Extracted(
        title=title,
        text="\n\n".join(paragraphs),
        url=url or document.url,
        site=document.sitename or document.hostname or _site_of(url),
        author=document.author,
        published=document.date,
        language=language,
    )


def extract_text(
    text: str, *, title: str | None = None, url: str | None = None, site: str | None = None
) -> Extracted:
    """Pasted or forwarded text: page furniture removed, title detected if none is given."""
    from retrieval.clean import clean_page_text  # compiles many patterns: only when used

    text = scrub(text)
    title = scrub(title) if title else title
    url = scrub(url) if url else url
    # The page's language chooses the cleaner's stop words; the body's is decided after,
    # from the paragraphs kept (those read here already are not read again).
    blocks = [block.strip() for block in text.split("\n\n") if block.strip()]
    cleaned = clean_page_text(text, body_language(blocks))
    if not cleaned.paragraphs:
        raise InputError("I couldn't find any article text in that.")
    return Extracted(
        title=title or cleaned.title,
        text="\n\n".join(cleaned.paragraphs),
        url=url,
        site=site or _site_of(url),
        language=body_language(cleaned.paragraphs),
    )


def extract_pdf(data: bytes, *, url: str | None = None) -> Extracted:
    """A PDF's text layer (pypdf), cleaned like pasted text; scanned PDFs have none."""
    from pypdf import PdfReader, apply_configuration  # imported only when a PDF comes

    try:
        with apply_configuration(**PDF_LIMITS):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise InputError("That PDF is password-protected.")
            pages = [page.extract_text() or "" for page in reader.pages]
            title = (reader.metadata.title if reader.metadata else None) or None
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - on hostile files pypdf raises far more than PdfReadError
        # (LimitReachedError, NotImplementedError for unknown encryption, KeyError, RecursionError...)
        raise InputError("That PDF is damaged; I couldn't read it.") from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise InputError("That PDF has no text layer (a scan?); I can only read text.")
    return extract_text(text, title=_clean_title(title), url=url)


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_QUOTE = re.compile(r"^\s*>\s?")
_MD_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")


def extract_markdown(text: str, *, url: str | None = None) -> Extracted:
    """Markdown: the first heading becomes the title, markup is removed, code blocks dropped."""
    text = scrub(text)
    title: str | None = None
    paragraphs: list[str] = []
    block: list[str] = []
    in_code = False

    def flush() -> None:
        if block:
            paragraphs.append(" ".join(block))
            block.clear()

    for raw_line in text.splitlines():
        if raw_line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            flush()
            continue
        if in_code or _MD_RULE.match(raw_line):
            continue
        heading = _MD_HEADING.match(raw_line)
        if heading:
            flush()
            if title is None and not paragraphs:
                title = _strip_inline_markdown(heading.group(1))
            else:
                paragraphs.append(_strip_inline_markdown(heading.group(1)))
            continue
        line = _strip_inline_markdown(_MD_QUOTE.sub("", _MD_LIST.sub("", raw_line))).strip()
        if not line:
            flush()
        elif _MD_LIST.match(raw_line):
            flush()
            block.append(line)
        else:
            block.append(line)
    flush()
    paragraphs = [p for p in paragraphs if p.strip()]
    if not paragraphs:
        raise InputError("I couldn't find any article text in that Markdown.")
    return Extracted(
        title=title, text="\n\n".join(paragraphs), url=url, site=_site_of(url),
        language=body_language(paragraphs),
    )


def _strip_inline_markdown(line: str) -> str:
    line = _MD_IMAGE.sub(r"\1", line)
    line = _MD_LINK.sub(r"\1", line)
    return _MD_EMPHASIS.sub(r"\2", line)


def extract_bytes(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    url: str | None = None,
    encoding: str | None = None,
) -> Extracted:
    """A file or a downloaded body: refuse binaries, decode, then pick HTML, Markdown or text."""
    suffix = PurePath(filename).suffix.lower() if filename else ""
    media = (content_type or "").split(";")[0].strip().lower()
    if suffix in PDF_SUFFIXES or media in PDF_TYPES or data.startswith(b"%PDF-"):
        return extract_pdf(data, url=url)
    text = decode_text(data, encoding)
    if media in {"text/html", "application/xhtml+xml"} or suffix in HTML_SUFFIXES:
        return extract_html(text, url=url)
    if media == "text/markdown" or suffix in MARKDOWN_SUFFIXES:
        return extract_markdown(text, url=url)
    if suffix not in TEXT_SUFFIXES and not media.startswith("text/"):
        raise InputError(f"{READABLE}, not {suffix or 'this kind of'} files.")
    if _LOOKS_LIKE_HTML.match(text):
        return extract_html(text, url=url)
    return extract_text(text, url=url)


def can_read(filename: str | None, content_type: str | None = None) -> bool:
    """Whether :func:`extract_bytes` reads files of this name or type (checked before downloading)."""
    suffix = PurePath(filename).suffix.lower() if filename else ""
    media = (content_type or "").split(";")[0].strip().lower()
    known = HTML_SUFFIXES | MARKDOWN_SUFFIXES | TEXT_SUFFIXES | PDF_SUFFIXES
    return suffix in known or media.startswith("text/") or media in PDF_TYPES


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _declared_charset(head: bytes) -> str | None:
    """The charset an HTML page declares in a ``<meta>`` tag, if any."""
    match = _META_CHARSET.search(head[:4096])
    return match.group(1).decode("ascii") if match else None


def decode_text(data: bytes, encoding: str | None = None) -> str:
    """Bytes to text; raises :class:`InputError` for binary data."""
    if not data.strip():
        raise InputError("That is empty: there is no text to read.")
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in head:
        raise InputError("That looks like a binary file, not text.")
    for candidate in (encoding, "utf-8-sig", _declared_charset(head)):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeError, LookupError):  # a server's charset can name any codec
            continue
    text = data.decode("utf-8", errors="replace")
    if not any(ord(ch) > 127 and ch != "\ufffd" for ch in text):
        # No valid multi-byte sequence at all: a legacy single-byte page, usually cp1252.
        text = data.decode("cp1252", errors="replace")
    sample = text[:8192]
    noise = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f") or ch == "\ufffd")
    if noise > len(sample) // 20:
        raise InputError("That looks like a binary file, not text.")
    return text


def _same_words(first: str, second: str) -> bool:
    return first.casefold().split() == second.casefold().split()


def _clean_title(title: str | None) -> str | None:
    if not title:
        return None
    return " ".join(title.split()) or None


def _site_of(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None
