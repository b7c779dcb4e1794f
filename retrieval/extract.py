"""Intake: turn HTML, Markdown, plain or pasted text, and raw bytes into an :class:`Extracted`.

HTML goes through trafilatura (F1 0.96 on the Zyte benchmark); flat text goes through
our own page-text cleaner, since trafilatura cannot tell boilerplate from prose once
the markup is gone.
"""

from __future__ import annotations

import io
import re
from pathlib import PurePath

from retrieval.charset import decode_text
from retrieval.errors import InputError
from retrieval.language.detect import body_language
from retrieval.language.words import base_language
from retrieval.models import Extracted
from retrieval.urls import site_of

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
# trafilatura's time grows faster than linearly with the number of elements (about 2 s for
# 20,000 on our machines); real article pages have a few thousand.
MAX_HTML_TAGS = 50_000

_HTML_LANG = re.compile(rb"<html[^>]*\blang=[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_LOOKS_LIKE_HTML = re.compile(r"^\s*(<!doctype html|<html|<head|<body|<meta|<div|<article|<p[ >])", re.I)
# Control characters (but tab, line breaks and form feed), lone surrogates, the two
# non-characters and U+FEFF: not text. A surrogate cannot even be encoded for SQLite, and
# lxml silently drops everything after one. U+FEFF is a byte-order mark (at the start of a
# text, or where texts were joined) or the old zero width no-break space: invisible either
# way, it would only stick to the word it stands by in a quote.
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")


def scrub(text: str) -> str:
    """``text`` without the characters that are not text (see ``_NOT_TEXT``)."""
    return _NOT_TEXT.sub("", text)


def scrubbed(extracted: Extracted) -> Extracted:
    """``extracted`` with every field scrubbed: an article built by a caller rather than by
    this module may hold anything."""
    return extracted.model_copy(
        update={name: scrub(value) for name, value in extracted if isinstance(value, str)}
    )


def extract_html(html: str, url: str | None = None) -> Extracted:
    """Main text and metadata of an HTML page."""
    if html.count("<") > MAX_HTML_TAGS:
        raise InputError("That page is too big and complex for me to read.")
    import trafilatura  # about 0.3 s to import: only when a page is read

    from retrieval.clean import clean_page_text
    from retrieval.html_text import anchored, shown_paragraphs

    html = scrub(html)
    document = trafilatura.bare_extraction(
        html, url=url, include_comments=False, with_metadata=True, favor_precision=False
    )
    if document is None or not (document.text or "").strip():
        raise InputError("I couldn't find an article in that page.")
    title = _clean_title(document.title)
    paragraphs = anchored(shown_paragraphs(document.body), html)
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
        site=document.sitename or document.hostname or site_of(url),
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
        site=site or site_of(url),
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


def extract_markdown(text: str, *, url: str | None = None) -> Extracted:
    """Markdown: the text a reader of its rendered page sees (:mod:`retrieval.markdown`)."""
    from retrieval.markdown import read_markdown  # markdown-it: only when Markdown comes

    text = scrub(text)
    document = read_markdown(text)
    if not document.paragraphs:
        raise InputError("I couldn't find any article text in that Markdown.")
    return Extracted(
        title=document.title, text="\n\n".join(document.paragraphs), url=url, site=site_of(url),
        language=body_language(document.paragraphs),
    )


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
    html = media in {"text/html", "application/xhtml+xml"} or suffix in HTML_SUFFIXES
    markdown = media == "text/markdown" or suffix in MARKDOWN_SUFFIXES
    if not (html or markdown or suffix in TEXT_SUFFIXES or media.startswith("text/")):
        raise unreadable(suffix)
    text = decode_text(data, encoding)
    if html:
        return extract_html(text, url=url)
    if markdown:
        return extract_markdown(text, url=url)
    if _LOOKS_LIKE_HTML.match(text):
        return extract_html(text, url=url)
    return extract_text(text, url=url)


def unreadable(suffix: str) -> InputError:
    """What a file of a kind this module cannot read is answered (``suffix`` like ".docx")."""
    if not suffix:
        return InputError("I can read .txt, .md, .html and .pdf files, not this kind of file.")
    return InputError("I can read .txt, .md, .html and .pdf files, not {suffix} files.", suffix=suffix)


def can_read(filename: str | None, content_type: str | None = None) -> bool:
    """Whether :func:`extract_bytes` reads files of this name or type (checked before downloading)."""
    suffix = PurePath(filename).suffix.lower() if filename else ""
    media = (content_type or "").split(";")[0].strip().lower()
    known = HTML_SUFFIXES | MARKDOWN_SUFFIXES | TEXT_SUFFIXES | PDF_SUFFIXES
    return suffix in known or media.startswith("text/") or media in PDF_TYPES


def _same_words(first: str, second: str) -> bool:
    return first.casefold().split() == second.casefold().split()


def _clean_title(title: str | None) -> str | None:
    if not title:
        return None
    return " ".join(title.split()) or None

