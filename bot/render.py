"""The one renderer: replies to Telegram HTML messages (with keyboards) or plain text.

Each reply is first laid out as lines of styled spans; :func:`to_html` escapes them into
Telegram HTML and packs whole lines into messages under Telegram's 4096-character
limit, :func:`to_plain` writes the same lines as plain text for ``briefbot chat``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, urlsplit

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from bot.replies import (
    COMMANDS,
    Action,
    AnswerView,
    ArticlePage,
    AskPrompt,
    HelpView,
    Notice,
    Reply,
    SettingsView,
    SummaryView,
    ask_about,
    set_algorithm,
    set_sentences,
    show_length,
    show_page,
)
from retrieval.models import CitedSentence

MAX_MESSAGE = 4096
SENTENCE_CHOICES = (1, 2, 3, 5, 7, 10)
# Words of a sentence put in a link's text fragment (#:~:text=start,end), which makes
# browsers scroll to the cited sentence and highlight it.
FRAGMENT_WORDS = 4


@dataclass(frozen=True)
class Span:
    text: str
    style: Literal["plain", "bold", "italic", "cite"] = "plain"
    url: str | None = None


Line = tuple[Span, ...]
Keyboard = list[list[tuple[str, Action]]]


@dataclass
class Layout:
    lines: list[Line]
    keyboard: Keyboard = field(default_factory=list)
    force_reply: bool = False


@dataclass(frozen=True)
class Message:
    """One Telegram message: HTML text and what goes under it."""

    text: str
    markup: InlineKeyboardMarkup | ForceReply | None = None


# --- output formats ------------------------------------------------------------------


def to_html(reply: Reply) -> list[Message]:
    """Telegram HTML messages, split between lines; the keyboard goes under the last."""
    layout = lay_out(reply)
    chunks = _pack([_html_line(line) for line in layout.lines])
    markup: InlineKeyboardMarkup | ForceReply | None = None
    if layout.force_reply:
        markup = ForceReply(selective=True, input_field_placeholder="Your question")
    elif layout.keyboard:
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=action.encode()) for label, action in row]
             for row in layout.keyboard]
        )
    messages = [Message(text) for text in chunks]
    messages[-1] = Message(messages[-1].text, markup)
    return messages


def to_plain(reply: Reply) -> str:
    return "\n".join(_plain_line(line) for line in lay_out(reply).lines).strip("\n")


def _html_line(line: Line) -> str:
    parts = []
    for span in line:
        text = html.escape(span.text, quote=False)
        if span.url and _is_web(span.url):
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
        if span.url and span.style != "cite" and _is_web(span.url):
            parts.append(f" <{span.url}>")
    return "".join(parts)


def _pack(lines: list[str]) -> list[str]:
    """Join lines into messages of at most MAX_MESSAGE characters, never splitting a line
    unless it alone is too long; such a line is cut as plain text."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        pieces = [line] if _length(line) <= MAX_MESSAGE else _cut_plain(line)
        for piece in pieces:
            added = _length(piece) + (1 if current else 0)
            if current and size + added > MAX_MESSAGE:
                chunks.append("\n".join(current).strip("\n"))
                current, size = [], 0
                added = _length(piece)
            current.append(piece)
            size += added
    chunks.append("\n".join(current).strip("\n"))
    return [chunk for chunk in chunks if chunk] or [""]


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


def _is_web(url: str) -> bool:
    return urlsplit(url).scheme in {"http", "https"}


# --- layouts ---------------------------------------------------------------------------


def lay_out(reply: Reply) -> Layout:
    match reply:
        case Notice():
            return Layout([(Span(reply.text),)])
        case HelpView():
            return _help(reply)
        case SummaryView():
            return _summary(reply)
        case AnswerView():
            return _answer(reply)
        case ArticlePage():
            return _articles(reply)
        case SettingsView():
            return _settings(reply)
        case AskPrompt():
            return Layout(
                [(Span("What would you like to know about "), Span(reply.article.title, "bold"),
                  Span("? Reply to this message with your question."))],
                force_reply=True,
            )


def _help(reply: HelpView) -> Layout:
    lines: list[Line] = []
    if reply.greeting:
        lines += [(Span("Hi! I'm Briefbot. I read articles for you.", "bold"),), ()]
    lines += [
        (Span("Send me a link, paste or forward text, or send a .txt, .md or .html file: "
              "I keep it and reply with a short summary."),),
        (Span("Then ask questions in plain words. I answer only with sentences quoted from "
              "your articles, each cited, or tell you I found nothing."),),
        (Span("Reply to one of my summaries to ask about that article only."),),
        (),
    ]
    lines += [(Span(command.usage or f"/{command.name}", "bold"), Span(f" — {command.description}"))
              for command in COMMANDS]
    return Layout(lines)


def _summary(reply: SummaryView) -> Layout:
    summary = reply.summary
    meta = [f"#{summary.article_id}"]
    if reply.source:
        meta.append(f"from {reply.source}")
    meta.append(f"{len(summary.sentences)} of {summary.total_sentences} sentences")
    meta.append(summary.algorithm)
    if reply.saved == "duplicate":
        meta.append("already saved")
    lines: list[Line] = [
        (Span(summary.title, "bold", summary.url),),
        (Span(" · ".join(meta), "italic"),),
        (),
    ]
    for number, sentence in enumerate(summary.sentences, 1):
        lines.append((Span(f"{number}. {sentence.text} "), _citation(sentence, str(sentence.index))))

    shown, total = len(summary.sentences), summary.total_sentences
    buttons: list[tuple[str, Action]] = []
    if shown < total:
        buttons.append(("More", show_length(summary.article_id, min(total, shown + 2))))
    if shown > 1:
        buttons.append(("Fewer", show_length(summary.article_id, max(1, shown - 2))))
    buttons.append(("Ask about this", ask_about(summary.article_id)))
    return Layout(lines, [buttons])


def _answer(reply: AnswerView) -> Layout:
    answer = reply.answer
    if answer.abstained:
        where = f"“{reply.scope_title}”" if reply.scope_title else "your articles"
        return Layout([(Span(f"I found nothing about that in {where}."),)])
    sources: dict[int, list[CitedSentence]] = {}
    lines: list[Line] = []
    for sentence in answer.sentences:
        sources.setdefault(sentence.article_id, []).append(sentence)
        number = list(sources).index(sentence.article_id) + 1
        lines.append((Span(f"{sentence.text} "), _citation(sentence, str(number))))
    lines += [(), (Span("Sources", "bold"),)]
    for number, cited in enumerate(sources.values(), 1):
        first = cited[0]
        positions = ", ".join(str(s.index) for s in cited)
        noun = "sentence" if len(cited) == 1 else "sentences"
        lines.append((Span(f"[{number}] "), Span(first.title, url=first.url),
                      Span(f" · #{first.article_id}, {noun} {positions}", "italic")))
    return Layout(lines)


def _articles(reply: ArticlePage) -> Layout:
    if not reply.articles:
        return Layout([(Span("You have no articles yet: send me a link, some text or a file."),)])
    last = reply.offset + len(reply.articles)
    lines: list[Line] = [(Span("Your articles", "bold"),
                          Span(f" · {reply.offset + 1}–{last} of {reply.total}"),)]
    for info in reply.articles:
        details = [info.site] if info.site else []
        details += [f"{info.sentences} sentences", info.added.strftime("%-d %b %Y")]
        lines.append((Span(f"#{info.id} "), Span(info.title, url=info.url),
                      Span(" · " + " · ".join(details), "italic")))
    lines += [(), (Span("/summary #ID to read one, /forget ID to delete one."),)]
    buttons: list[tuple[str, Action]] = []
    if reply.offset > 0:
        buttons.append(("« Newer", show_page(max(0, reply.offset - reply.page_size))))
    if last < reply.total:
        buttons.append(("Older »", show_page(last)))
    return Layout(lines, [buttons] if buttons else [])


def _settings(reply: SettingsView) -> Layout:
    lines: list[Line] = [
        (Span("Settings", "bold"),),
        (Span(f"Summaries: {reply.sentences} sentences, chosen by {reply.algorithm}."),),
        (Span("Change them with the buttons, or with /settings sentences N and /settings "
              "algorithm NAME. lead takes the first sentences; the others pick the most "
              "representative ones.", "italic"),),
    ]
    sentences_row = [
        (_checked(str(n), n == reply.sentences), set_sentences(n)) for n in SENTENCE_CHOICES
    ]
    algorithm_buttons = [
        (_checked(name, name == reply.algorithm), set_algorithm(name)) for name in reply.algorithms
    ]
    rows = [sentences_row] + [algorithm_buttons[i : i + 3] for i in range(0, len(algorithm_buttons), 3)]
    return Layout(lines, rows)


def _checked(label: str, chosen: bool) -> str:
    return f"✓ {label}" if chosen else label


def _citation(sentence: CitedSentence, label: str) -> Span:
    url = _sentence_url(sentence.url, sentence.text) if sentence.url else None
    return Span(f"[{label}]", "cite", url)


def _sentence_url(url: str, sentence: str) -> str:
    """The source URL with a text fragment pointing at the sentence."""
    words = sentence.split()
    if not _is_web(url) or not words:
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
