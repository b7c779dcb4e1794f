"""The one renderer: replies to Telegram HTML messages (with keyboards) or plain text.

Each reply is first laid out as lines of styled spans; :func:`to_html` escapes them into
Telegram HTML and packs whole lines into messages under Telegram's 4096-character
limit, :func:`to_plain` writes the same lines as plain text for ``briefbot chat``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args
from urllib.parse import quote, urlsplit

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from bot.replies import (
    COMMANDS,
    MODE_MEANING,
    Action,
    AlertView,
    AnswerView,
    ArticlePage,
    AskPrompt,
    DigestSettingsView,
    DigestView,
    FeedAdded,
    FeedImport,
    FeedList,
    HelpView,
    Notice,
    Reply,
    SettingsView,
    StatsView,
    SummaryView,
    TopicList,
    ask_about,
    remove_feed,
    remove_topic,
    set_algorithm,
    set_digest_enabled,
    set_nothing_new_note,
    set_sentences,
    set_topic_mode,
    show_length,
    show_page,
)
from retrieval.models import Alert, ArticleRef, CitedSentence, DigestItem, FeedInfo, TopicInfo, TopicMode
from retrieval.sizes import byte_size
from retrieval.urls import site_of

MAX_MESSAGE = 4096
SENTENCE_CHOICES = (1, 2, 3, 5, 7, 10)
# Words of a sentence put in a link's text fragment (#:~:text=start,end), which makes
# browsers scroll to the cited sentence and highlight it.
FRAGMENT_WORDS = 4
# Telegram allows 100 buttons under a message; lists longer than this get commands only.
MAX_BUTTON_ROWS = 20
FEED_BUTTONS_PER_ROW = 4
TOPIC_MODES: tuple[TopicMode, ...] = get_args(TopicMode)
QUERY_SYNTAX = (
    "words (all must appear), \"exact phrases\", OR between alternatives, -excluded words, "
    "site:example.com"
)


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
    # Indices of the lines that start a block (an item of a list): a long reply is split
    # between blocks when it can be. Without any, it is split between lines.
    block_starts: list[int] = field(default_factory=list)

    def blocks(self) -> list[list[Line]]:
        if not self.block_starts:
            return [[line] for line in self.lines]
        starts = sorted({0, *self.block_starts})
        ends = [*starts[1:], len(self.lines)]
        return [self.lines[start:end] for start, end in zip(starts, ends, strict=True)]


@dataclass(frozen=True)
class Message:
    """One Telegram message: HTML text and what goes under it."""

    text: str
    markup: InlineKeyboardMarkup | ForceReply | None = None


# --- output formats ------------------------------------------------------------------


def to_html(reply: Reply) -> list[Message]:
    """Telegram HTML messages, split between lines; the keyboard goes under the last."""
    layout = lay_out(reply)
    chunks = _pack([[_html_line(line) for line in block] for block in layout.blocks()])
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


def _is_web(url: str) -> bool:
    try:
        return urlsplit(url).scheme in {"http", "https"}
    except ValueError:  # a URL Python can't parse (an unclosed "[" in the host)
        return False


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
        case FeedAdded():
            return _feed_added(reply)
        case FeedList():
            return _feeds(reply)
        case FeedImport():
            return _feed_import(reply)
        case TopicList():
            return _topics(reply)
        case AlertView():
            return _alerts(reply)
        case DigestView():
            return _digest(reply)
        case DigestSettingsView():
            return _digest_settings(reply)
        case StatsView():
            return _stats(reply)


def _help(reply: HelpView) -> Layout:
    lines: list[Line] = []
    if reply.greeting:
        lines += [(Span("Hi! I'm Briefbot. I read articles for you.", "bold"),), ()]
    lines += [
        (Span("Send me a link, paste or forward text, or send a .txt, .md, .html or .pdf file: "
              "I keep it and reply with a short summary."),),
        (Span("Then ask questions in plain words. I answer only with sentences quoted from "
              "your articles, each cited, or tell you I found nothing."),),
        (Span("Reply to one of my summaries to ask about that article only."),),
        (Span("Follow feeds with /addfeed (or send me an OPML file), watch topics with /subscribe, "
              "and get what is new in a daily digest."),),
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


def _feed_added(reply: FeedAdded) -> Layout:
    feed = reply.feed
    count = reply.new_articles
    stored = f"{count} new article{'s' if count != 1 else ''} stored" if count else "no new articles yet"
    audience = " for every chat" if feed.for_everyone else ""
    return Layout([
        (Span("Following "), Span(_feed_name(feed), "bold", feed.url),
         Span(f"{audience} (#{feed.id}): {stored}.")),
        (Span("/feeds lists your feeds; /subscribe QUERY tells you about a topic.", "italic"),),
    ])


def _feeds(reply: FeedList) -> Layout:
    if not reply.feeds:
        return Layout([(Span("You follow no feeds yet. /addfeed URL follows one (RSS, Atom, or a web "
                             "page that announces its feed); you can also send me an OPML file."),)])
    lines: list[Line] = [(Span("Your feeds", "bold"), Span(f" · {len(reply.feeds)}"))]
    for feed in reply.feeds:
        details = []
        if feed.for_everyone:
            details.append("for every chat")
        details.append(f"fetched {_ago(feed.last_fetched_at, reply.now)}" if feed.last_fetched_at
                       else "not fetched yet")
        if feed.error_count:
            noun = "error" if feed.error_count == 1 else "errors"
            details.append(f"{feed.error_count} {noun} in a row: {feed.last_error}")
        lines.append((Span(f"#{feed.id} "), Span(_feed_name(feed), url=feed.url),
                      Span(" · " + " · ".join(details), "italic")))
    lines += [(), (Span("/removefeed ID stops one; /addfeed URL adds one; /export downloads them."),)]
    removable = [feed for feed in reply.feeds if not feed.for_everyone]
    buttons = [(f"✕ #{feed.id}", remove_feed(feed.id))
               for feed in removable[: MAX_BUTTON_ROWS * FEED_BUTTONS_PER_ROW]]
    rows = [buttons[i : i + FEED_BUTTONS_PER_ROW] for i in range(0, len(buttons), FEED_BUTTONS_PER_ROW)]
    return Layout(lines, rows)


def _feed_import(reply: FeedImport) -> Layout:
    total = len(reply.added) + len(reply.failed)
    lines: list[Line] = [(Span(f"Imported {len(reply.added)} of {total} feeds.", "bold"),)]
    lines += [(Span(f"#{feed.id} "), Span(_feed_name(feed), url=feed.url)) for feed in reply.added]
    if reply.failed:
        lines += [(), (Span("Not imported:", "bold"),)]
        lines += [(Span(f"{url} — {reason}"),) for url, reason in reply.failed]
    return Layout(lines)


def _topics(reply: TopicList) -> Layout:
    if reply.added is not None:
        topic = reply.added
        lines: list[Line] = [
            (Span("Watching "), Span(f"“{topic.query}”", "bold"),
             Span(f" (#{topic.id}): {MODE_MEANING[topic.mode]}.")),
            (Span("Instant sends each match as it arrives; daily gathers them in your digest.",
                  "italic"),),
        ]
        return Layout(lines, [_topic_row(topic)])
    if not reply.topics:
        return Layout([(Span(f"You watch no topics yet. /subscribe QUERY watches one: {QUERY_SYNTAX}."),)])
    lines = [(Span("Your topics", "bold"), Span(f" · {len(reply.topics)}"))]
    lines += [(Span(f"#{topic.id} "), Span(f"“{topic.query}”", "bold"),
               Span(f" · {MODE_MEANING[topic.mode]}", "italic")) for topic in reply.topics]
    lines += [(), (Span("Change how each alerts you with the buttons; /unsubscribe ID stops one."),)]
    return Layout(lines, [_topic_row(topic) for topic in reply.topics[:MAX_BUTTON_ROWS]])


def _topic_row(topic: TopicInfo) -> list[tuple[str, Action]]:
    row = [(_checked(mode, mode == topic.mode), set_topic_mode(topic.id, mode)) for mode in TOPIC_MODES]
    return [*row, (f"✕ #{topic.id}", remove_topic(topic.id))]


def _alerts(reply: AlertView) -> Layout:
    by_article: dict[int, list[Alert]] = {}
    for alert in reply.alerts:
        by_article.setdefault(alert.article_id, []).append(alert)
    lines: list[Line] = []
    starts: list[int] = []
    for alerts in by_article.values():
        first = alerts[0]
        if lines:
            lines.append(())
        starts.append(len(lines))
        lines.append((Span(first.title, "bold", first.url),))
        for sentence in first.sentences:
            cited = CitedSentence(article_id=first.article_id, index=sentence.index, text=sentence.text,
                                  title=first.title, url=first.url)
            lines.append((*_highlighted(sentence.text, sentence.highlights), Span(" "),
                          _citation(cited, str(sentence.index))))
        queries = ", ".join(dict.fromkeys(f"“{alert.topic.query}”" for alert in alerts))
        noun = "Topic" if len(alerts) == 1 else "Topics"
        lines.append((Span(f"{noun}: {queries} · #{first.article_id}", "italic"),))
    if reply.more:
        lines += [(), (Span(f"…and {reply.more} more. /topics changes how often you hear about them."),)]
        starts.append(len(lines) - 2)
    return Layout(lines, block_starts=starts)


def _highlighted(text: str, ranges: Iterable[tuple[int, int]]) -> list[Span]:
    """The text with the character ranges in bold (overlapping ranges merged)."""
    spans: list[Span] = []
    position = 0
    for start, end in sorted(ranges):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        if start > position:
            spans.append(Span(text[position:start]))
        spans.append(Span(text[start:end], "bold"))
        position = end
    if position < len(text):
        spans.append(Span(text[position:]))
    return spans


def _digest(reply: DigestView) -> Layout:
    lines: list[Line] = [(Span("Your digest", "bold"), Span(f" · {reply.day.strftime('%A %-d %B')}"))]
    starts: list[int] = []
    for section in reply.digest.sections:
        heading = f"“{section.heading}”" if section.topic_id is not None else section.heading
        for number, item in enumerate(section.items):
            lines.append(())
            starts.append(len(lines))
            if number == 0:
                lines.append((Span(heading, "bold"),))
            lines += _digest_item(item)
    return Layout(lines, block_starts=starts)


def _digest_item(item: DigestItem) -> list[Line]:
    title: Line = (Span("• "), Span(item.title, "bold", item.url))
    if item.site:
        title += (Span(f" · {item.site}", "italic"),)
    lines = [title]
    lines += [(Span(f"{sentence.text} "), _citation(sentence, str(sentence.index)))
              for sentence in item.sentences]
    if item.also_reported_by:
        others: list[Span] = [Span("Also reported by: ", "italic")]
        for number, ref in enumerate(item.also_reported_by):
            if number:
                others.append(Span(", "))
            others.append(Span(_source_name(ref), url=ref.url))
        lines.append(tuple(others))
    return lines


def _digest_settings(reply: DigestSettingsView) -> Layout:
    if reply.enabled:
        when = f"Daily digest at {reply.time} ({reply.zone})"
        if reply.next_at is not None:
            when += f"; the next one {reply.next_at.strftime('%a %-d %b')} at {reply.time}"
        status = (Span(when + "."),)
    else:
        status = (Span("The daily digest is off. /digest_at HH:MM [Area/City] turns it back on."),)
    note = "a one-line note" if reply.nothing_new_note else "nothing"
    lines: list[Line] = [
        (Span("Digest", "bold"),),
        status,
        (Span(f"When nothing is new: {note}. /digest sends what is new now.", "italic"),),
    ]
    keyboard: Keyboard = [[
        (_checked("Note when nothing is new", reply.nothing_new_note),
         set_nothing_new_note(not reply.nothing_new_note)),
        ("Turn off" if reply.enabled else "Turn on", set_digest_enabled(not reply.enabled)),
    ]]
    return Layout(lines, keyboard)


def _stats(reply: StatsView) -> Layout:
    stats = reply.engine
    rows = [
        ("Chats", f"{reply.known_chats:,} known, {stats.owners:,} with articles"),
        ("Articles", f"{stats.articles:,} ({stats.sentences:,} sentences)"),
        ("Feeds", f"{stats.feeds:,} ({stats.failing_feeds:,} failing)"),
        ("Topics", f"{stats.topics:,} ({stats.pending_alerts:,} alerts pending)"),
        ("Search index", f"{stats.index_passages:,} passages, {byte_size(stats.index_bytes)}"),
        ("Database", byte_size(stats.database_bytes)),
    ]
    if load := reply.load:
        rows += [
            ("Updates", f"{load.chats_in_progress:,} chats in progress, {load.updates_waiting:,} waiting "
                        f"(at most {load.most_waiting_in_one_chat:,} in one chat), "
                        f"{load.updates_not_dispatched:,} not dispatched yet"),
            ("Jobs", f"{load.scheduled_jobs:,} scheduled"),
            ("Slowed down", f"{load.chats_told_to_slow_down:,} chats"),
        ]
    lines: list[Line] = [(Span("Briefbot stats", "bold"),)]
    lines += [(Span(f"{label}: ", "bold"), Span(value)) for label, value in rows]
    return Layout(lines)


def _feed_name(feed: FeedInfo) -> str:
    return feed.title or site_of(feed.url) or feed.url


def _source_name(ref: ArticleRef) -> str:
    return ref.site or site_of(ref.url) or ref.title


def _ago(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


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
