"""The one renderer: replies to Telegram HTML messages (with keyboards) or plain text, in
the reader's language.

Each reply is first laid out as lines of styled spans (:mod:`bot.reading`,
:mod:`bot.following`, with the translator for the reply's language); :func:`to_html`
escapes them into Telegram HTML and packs whole lines into messages under Telegram's
4096-character limit, :func:`to_plain` writes the same lines as plain text for
``briefbot chat``.

Right-to-left languages (Persian, Arabic): a line that holds Briefbot's words starts with
a right-to-left mark, so the client lays the whole line out right to left even when it
begins with "#12", a Latin title or a command; what is quoted on such a line (a title, a
URL, a command) is wrapped in Unicode isolates, so it keeps its own direction and does not
pull the punctuation next to it along. A line of quoted text alone (an article's
sentence and its ``[1]``) keeps the direction of its own script.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from bot import following, groups, reading
from bot.i18n import ENGLISH, FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE, Translator
from bot.layout import Layout, Line, Span, is_web
from bot.replies import Reply

MAX_MESSAGE = 4096
RIGHT_TO_LEFT_MARK = "\u200f"


@dataclass(frozen=True)
class Message:
    """One Telegram message: HTML text and what goes under it."""

    text: str
    markup: InlineKeyboardMarkup | ForceReply | None = None


# The layout of each kind of reply.
_LAYOUTS: dict[str, Callable[[Any, Translator], Layout]] = {
    "notice": reading.notice, "help": reading.help_text, "summary": reading.summary,
    "answer": reading.answer, "articles": reading.articles, "settings": reading.settings,
    "language": reading.language, "ask_prompt": reading.ask_prompt, "stats": reading.stats,
    "feed_added": following.feed_added, "feeds": following.feeds, "feed_import": following.feed_import,
    "topics": following.topics, "alerts": following.alerts, "digest": following.digest,
    "digest_settings": following.digest_settings, "catch_up": groups.catch_up,
}


def lay_out(reply: Reply, t: Translator = ENGLISH) -> Layout:
    layout = _LAYOUTS[reply.kind](reply, t)
    if t.right_to_left:
        layout.lines = [_right_to_left(line) for line in layout.lines]
    return layout


def _right_to_left(line: Line) -> Line:
    if not any(not span.quoted and span.style != "cite" and span.text.strip() for span in line):
        return line
    isolated = [
        replace(span, text=f"{FIRST_STRONG_ISOLATE}{span.text}{POP_DIRECTIONAL_ISOLATE}")
        if span.quoted else span
        for span in line
    ]
    return (Span(RIGHT_TO_LEFT_MARK), *isolated)


# --- output formats ------------------------------------------------------------------


def to_html(reply: Reply, t: Translator = ENGLISH) -> list[Message]:
    """Telegram HTML messages in ``t``'s language, split between lines; the keyboard goes
    under the last."""
    layout = lay_out(reply, t)
    chunks = _pack([[_html_line(line) for line in block] for block in layout.blocks()])
    markup: InlineKeyboardMarkup | ForceReply | None = None
    if layout.force_reply:
        markup = reading.force_reply(t)
    elif layout.keyboard:
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=action.encode()) for label, action in row]
             for row in layout.keyboard]
        )
    messages = [Message(text) for text in chunks]
    messages[-1] = Message(messages[-1].text, markup)
    return messages


def line_html(line: Line, t: Translator = ENGLISH) -> str:
    """One laid-out line as Telegram HTML in ``t``'s direction (an inline result's text)."""
    return _html_line(_right_to_left(line) if t.right_to_left else line)


def to_plain(reply: Reply, t: Translator = ENGLISH) -> str:
    return "\n".join(_plain_line(line) for line in lay_out(reply, t).lines).strip("\n")


def _html_line(line: Line) -> str:
    parts = []
    for span in line:
        text = html.escape(span.text, quote=False)
        if span.url and is_web(span.url):
            text = f'<a href="{html.escape(span.url)}">{text}</a>'
        if span.style == "bold":
            text = f"<b>{text}</b>"
        elif span.style == "italic":
            text = f"<i>{text}</i>"
        parts.append(text)
    return "".join(parts)


def _plain_line(line: Line) -> str:
    parts = []
    for span in line:
        parts.append(span.text)
        if span.url and span.style != "cite" and is_web(span.url):
            parts.append(f" <{span.url}>")
    return "".join(parts)


def _pack(blocks: list[list[str]]) -> list[str]:
    """Join lines into messages of at most MAX_MESSAGE characters. A block stays in one
    message when it fits in one; a line is split only when it alone is too long, and
    then it is cut as plain text."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0

    def add(piece: str, length: int) -> None:
        nonlocal current, size
        added = length + (1 if current else 0)
        if current and size + added > MAX_MESSAGE:
            chunks.append("\n".join(current).strip("\n"))
            current, size, added = [], 0, length
        current.append(piece)
        size += added

    for block in blocks:
        block_length = sum(_length(line) for line in block) + len(block) - 1
        if block_length <= MAX_MESSAGE:
            add("\n".join(block), block_length)
            continue
        for line in block:
            for piece in [line] if _length(line) <= MAX_MESSAGE else _cut_plain(line):
                add(piece, _length(piece))
    chunks.append("\n".join(current).strip("\n"))
    # Telegram refuses a message of only spaces (a long run of them cut out of a line).
    return [chunk for chunk in chunks if chunk.strip()] or [""]


def _cut_plain(html_line: str) -> list[str]:
    plain = _strip_tags(html_line)
    pieces: list[str] = []
    start = 0
    while start < len(plain):
        end = start + MAX_MESSAGE // 2  # leaves room for escaping (& becomes &amp;)
        while _length(html.escape(plain[start:end], quote=False)) > MAX_MESSAGE:
            end -= MAX_MESSAGE // 8
        pieces.append(html.escape(plain[start:end], quote=False))
        start = end
    return pieces


def _strip_tags(html_line: str) -> str:
    out: list[str] = []
    inside = False
    for char in html_line:
        if char == "<":
            inside = True
        elif char == ">":
            inside = False
        elif not inside:
            out.append(char)
    return html.unescape("".join(out))


def _length(text: str) -> int:
    """Telegram counts UTF-16 code units (an emoji can count as two)."""
    return len(text.encode("utf-16-le")) // 2


