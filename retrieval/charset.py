"""Bytes to text: the one decoder for files, fetched pages and feed look-ups.

The order is a browser's, with one exception: a byte-order mark, then the charset the
sender declared (HTTP header or caller), then UTF-8 when the bytes are valid UTF-8, then
the page's ``<meta charset>`` (a stale one, copied with a template, is common on pages
that are really UTF-8), then a guess.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from retrieval.errors import InputError

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# As browsers do: pages labelled latin-1 or ascii are really windows-1252.
_WINDOWS_1252_LABELS = frozenset({"iso8859-1", "ascii"})
# Labels Python decodes that no web page is in; some of them rewrite the text (escapes).
_NOT_A_CHARSET = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape", "utf-7"})
_SAMPLE = 8192
# charset-normalizer confuses code pages on a few bytes; below this many non-ASCII bytes
# its guess is not taken.
MIN_GUESS_BYTES = 32


def decode_text(data: bytes, encoding: str | None = None) -> str:
    """``data`` as text, ``encoding`` being the charset the sender declared, if any.

    Raises :class:`InputError` for empty or binary data.
    """
    if not data.strip():
        raise InputError("That is empty: there is no text to read.")
    head = data[:_SAMPLE]
    bom = next((codec for mark, codec in _BOMS if data.startswith(mark)), None)
    if bom is None and b"\x00" in head:
        raise InputError("That looks like a binary file, not text.")
    for candidate in (bom, encoding, "utf-8", _declared_in_page(head)):
        text = _decode(data, candidate) if candidate else None
        if text is not None:
            return text
    text = _guess(data)
    sample = text[:_SAMPLE]
    noise = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f") or ch == "\ufffd")
    if noise > len(sample) // 20:
        raise InputError("That looks like a binary file, not text.")
    return text


def _decode(data: bytes, label: str) -> str | None:
    """``data`` decoded as ``label`` says, or None when the label is unknown or wrong."""
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        return None
    if codec in _NOT_A_CHARSET:
        return None
    if codec in _WINDOWS_1252_LABELS:
        codec = "cp1252"
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError):  # LookupError: a label for a codec that is not text
        return None


def _declared_in_page(head: bytes) -> str | None:
    """The charset an HTML page declares in a ``<meta>`` tag, if any."""
    match = _META_CHARSET.search(head[:4096])
    return match.group(1).decode("ascii") if match else None


def _guess(data: bytes) -> str:
    """Undeclared and not UTF-8: charset-normalizer's guess when it reads as a script other
    than Latin (Cyrillic, Arabic, Greek, CJK...); otherwise windows-1252, the web's default
    for unlabelled pages, since charset-normalizer mixes up the Latin code pages."""
    if sum(byte > 0x7F for byte in data[:_SAMPLE]) >= MIN_GUESS_BYTES:
        import charset_normalizer  # about 0.1 s to import: only for a page that needs a guess

        best = charset_normalizer.from_bytes(data).best()
        if best is not None:
            text = str(best)
            if not _mostly_latin(text[:_SAMPLE]):
                return text
    return data.decode("cp1252", "replace")


def _mostly_latin(text: str) -> bool:
    letters = [ch for ch in text if ord(ch) > 0x7F and ch.isalpha()]
    latin = sum(1 for ch in letters if unicodedata.name(ch, "").startswith("LATIN"))
    return latin * 2 >= len(letters)
