"""What every reply is laid out with: lines of styled spans, a keyboard, and the small
pieces several kinds of reply share (citations, checked buttons, names of sources).

A span is either Briefbot's own words, already in the reader's language, or ``quoted``:
text that is not Briefbot's (a title, a sentence of an article, a URL, a topic's query),
shown exactly as it is and in its own direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, urlsplit

from bot.i18n import Plural, Translator
from bot.replies import Action
from retrieval.bot_models import ArticleRef
from retrieval.models import CitedSentence, FeedInfo
from retrieval.urls import site_of

# Words of a sentence put in a link's text fragment (#:~:text=start,end), which makes
# browsers scroll to the cited sentence and highlight it.
FRAGMENT_WORDS = 4
# Telegram allows 100 buttons under a message; lists longer than this get commands only.
MAX_BUTTON_ROWS = 20


@dataclass(frozen=True)
class Span:
    text: str
    style: Literal["plain", "bold", "italic", "cite"] = "plain"
    url: str | None = None
    quoted: bool = False


def quoted(text: str, style: Literal["plain", "bold", "italic"] = "plain", url: str | None = None) -> Span:
    """Text that is not Briefbot's own: shown as it is, never translated."""
    return Span(text, style, url, quoted=True)


Line = tuple[Span, ...]
Keyboard = list[list[tuple[str, Action]]]


@dataclass
class Layout:
    lines: list[Line]
    keyboard: Keyboard = field(default_factory=list)
    force_reply: bool = False
    # Indices of the lines that start a block (an item of a list): a long reply is split
    # between blocks when it can be. Without any, it is split between lines.
    block_starts: list[int] = field(default_factory=list)

    def blocks(self) -> list[list[Line]]:
        if not self.block_starts:
            return [[line] for line in self.lines]
        starts = sorted({0, *self.block_starts})
        ends = [*starts[1:], len(self.lines)]
        return [self.lines[start:end] for start, end in zip(starts, ends, strict=True)]


def styled(t: Translator, message: str | Plural, spans: dict[str, Span], /, **params: object) -> list[Span]:
    """The sentence ``message`` in ``t``'s language as spans: its placeholders named in
    ``spans`` become those spans (a bold title, a link), the rest is filled in from ``params``."""
    result: list[Span] = []
    for position, piece in enumerate(t.pieces(message, set(spans), **params)):
        if position % 2:
            result.append(spans[piece])
        elif piece:
            result.append(Span(piece))
    return result


def is_web(url: str) -> bool:
    try:
        return urlsplit(url).scheme in {"http", "https"}
    except ValueError:  # a URL Python can't parse (an unclosed "[" in the host)
        return False


def feed_name(feed: FeedInfo) -> str:
    return feed.title or site_of(feed.url) or feed.url


def source_name(ref: ArticleRef) -> str:
    return ref.site or site_of(ref.url) or ref.title


def checked(label: str, chosen: bool) -> str:
    return f"✓ {label}" if chosen else label


def rows_of(buttons: list[tuple[str, Action]], width: int) -> Keyboard:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def citation(sentence: CitedSentence, label: str) -> Span:
    """``[label]``, linked to the sentence in its article (or to the group message it quotes)."""
    url = sentence.url
    if url and sentence.message is None:
        url = sentence_url(url, sentence.text)
    return Span(f"[{label}]", "cite", url)


def sentence_url(url: str, sentence: str) -> str:
    """The source URL with a text fragment pointing at the sentence."""
    words = sentence.split()
    if not is_web(url) or not words:
        return url
    base = url.split("#", 1)[0]
    if len(words) <= 2 * FRAGMENT_WORDS:
        fragment = _fragment_text(" ".join(words))
    else:
        start = _fragment_text(" ".join(words[:FRAGMENT_WORDS]))
        end = _fragment_text(" ".join(words[-FRAGMENT_WORDS:]))
        fragment = f"{start},{end}"
    return f"{base}#:~:text={fragment}"


def _fragment_text(text: str) -> str:
    # "-" and "," are syntax inside a text fragment, so they are escaped too.
    return quote(text, safe="").replace("-", "%2D")
