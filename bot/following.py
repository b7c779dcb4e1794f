"""Layouts of the replies about following: feeds, OPML imports, topics, alerts, digests
and their settings. Briefbot's words come from the translator; what it quotes (titles,
sentences, queries, feed names) is shown as it is."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time, timedelta
from typing import get_args

from bot.i18n import N_, NP_, Translator
from bot.layout import (
    MAX_BUTTON_ROWS,
    Keyboard,
    Layout,
    Line,
    Span,
    checked,
    citation,
    feed_name,
    quoted,
    rows_of,
    source_name,
    styled,
)
from bot.replies import (
    MODE_MEANING,
    MODE_NAME,
    Action,
    AlertView,
    DigestSettingsView,
    DigestView,
    FeedAdded,
    FeedImport,
    FeedList,
    TopicList,
    remove_feed,
    remove_topic,
    set_digest_enabled,
    set_nothing_new_note,
    set_topic_mode,
)
from retrieval.bot_models import Alert, DigestItem
from retrieval.models import CitedSentence, TopicInfo, TopicMode

FEED_BUTTONS_PER_ROW = 4
TOPIC_MODES: tuple[TopicMode, ...] = get_args(TopicMode)
NOTHING_NEW = N_("Nothing new since your last digest.")
_MINUTE = timedelta(minutes=1)


def feed_added(reply: FeedAdded, t: Translator) -> Layout:
    feed, count = reply.feed, reply.new_articles
    name = {"feed": quoted(feed_name(feed), "bold", feed.url)}
    if count and feed.for_everyone:
        message = NP_("Following {feed} for every chat (#{feed_id}): {count} new article stored.",
                      "Following {feed} for every chat (#{feed_id}): {count} new articles stored.")
    elif count:
        message = NP_("Following {feed} (#{feed_id}): {count} new article stored.",
                      "Following {feed} (#{feed_id}): {count} new articles stored.")
    elif feed.for_everyone:
        message = N_("Following {feed} for every chat (#{feed_id}): no new articles yet.")
    else:
        message = N_("Following {feed} (#{feed_id}): no new articles yet.")
    sentence = styled(t, message, name, feed_id=feed.id, count=count)
    return Layout([
        tuple(sentence),
        (Span(t.gettext("/feeds lists your feeds; /subscribe QUERY tells you about a topic."), "italic"),),
    ])


def feeds(reply: FeedList, t: Translator) -> Layout:
    if not reply.feeds:
        return Layout([(Span(t.gettext(
            "You follow no feeds yet. /addfeed URL follows one (RSS, Atom, or a web page that "
            "announces its feed); you can also send me an OPML file."
        )),)])
    lines: list[Line] = [(Span(t.gettext("Your feeds"), "bold"), Span(f" · {len(reply.feeds)}"))]
    for feed in reply.feeds:
        details = []
        if feed.for_everyone:
            details.append(t.gettext("for every chat"))
        if feed.last_fetched_at and reply.now - feed.last_fetched_at < _MINUTE:
            details.append(t.gettext("fetched just now"))
        elif feed.last_fetched_at:
            details.append(t.gettext("fetched {ago}", ago=t.relative(feed.last_fetched_at - reply.now)))
        else:
            details.append(t.gettext("not fetched yet"))
        if feed.error_count:
            details.append(t.ngettext(
                "{count} error in a row: {error}", "{count} errors in a row: {error}", feed.error_count,
                error=t.error(feed.last_error.error()) if feed.last_error else "",
            ))
        lines.append((Span(f"#{feed.id} "), quoted(feed_name(feed), url=feed.url),
                      Span(" · " + " · ".join(details), "italic")))
    footer = t.gettext("/removefeed ID stops one; /addfeed URL adds one; /export downloads them.")
    lines += [(), (Span(footer),)]
    removable = [feed for feed in reply.feeds if not feed.for_everyone]
    buttons = [(f"✕ #{feed.id}", remove_feed(feed.id))
               for feed in removable[: MAX_BUTTON_ROWS * FEED_BUTTONS_PER_ROW]]
    return Layout(lines, rows_of(buttons, FEED_BUTTONS_PER_ROW))


def feed_import(reply: FeedImport, t: Translator) -> Layout:
    total = len(reply.added) + len(reply.failed)
    lines: list[Line] = [(Span(t.ngettext(
        "Imported {added} of {count} feed.", "Imported {added} of {count} feeds.", total,
        added=len(reply.added),
    ), "bold"),)]
    lines += [(Span(f"#{feed.id} "), quoted(feed_name(feed), url=feed.url)) for feed in reply.added]
    if reply.failed:
        lines += [(), (Span(t.gettext("Not imported:"), "bold"),)]
        lines += [(quoted(url), Span(f" — {reason}")) for url, reason in reply.failed]
    return Layout(lines)


def topics(reply: TopicList, t: Translator) -> Layout:
    if reply.added is not None:
        topic = reply.added
        lines: list[Line] = [
            tuple(styled(t, N_("Watching {query} (#{topic_id}): {meaning}."),
                         {"query": quoted(f"“{topic.query}”", "bold")},
                         topic_id=topic.id, meaning=t.gettext(MODE_MEANING[topic.mode]))),
            (Span(t.gettext("Instant sends each match as it arrives; daily gathers them in your digest."),
                  "italic"),),
        ]
        return Layout(lines, [_topic_row(topic, t)])
    if not reply.topics:
        return Layout([(Span(t.gettext(
            "You watch no topics yet. /subscribe QUERY watches one: words (all must appear), "
            "\"exact phrases\", OR between alternatives, -excluded words, site:example.com."
        )),)])
    lines = [(Span(t.gettext("Your topics"), "bold"), Span(f" · {len(reply.topics)}"))]
    lines += [(Span(f"#{topic.id} "), quoted(f"“{topic.query}”", "bold"),
               Span(f" · {t.gettext(MODE_MEANING[topic.mode])}", "italic")) for topic in reply.topics]
    footer = t.gettext("Change how each alerts you with the buttons; /unsubscribe ID stops one.")
    lines += [(), (Span(footer),)]
    return Layout(lines, [_topic_row(topic, t) for topic in reply.topics[:MAX_BUTTON_ROWS]])


def _topic_row(topic: TopicInfo, t: Translator) -> list[tuple[str, Action]]:
    row = [(checked(t.gettext(MODE_NAME[mode]), mode == topic.mode), set_topic_mode(topic.id, mode))
           for mode in TOPIC_MODES]
    return [*row, (f"✕ #{topic.id}", remove_topic(topic.id))]


def alerts(reply: AlertView, t: Translator) -> Layout:
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
        lines.append((quoted(first.title, "bold", first.url),))
        for sentence in first.sentences:
            cited = CitedSentence(article_id=first.article_id, index=sentence.index, text=sentence.text,
                                  title=first.title, url=first.url)
            lines.append((*_highlighted(sentence.text, sentence.highlights), quoted(" "),
                          citation(cited, str(sentence.index))))
        queries = ", ".join(dict.fromkeys(f"“{alert.topic.query}”" for alert in alerts))
        lines.append((Span(t.ngettext(
            "Topic: {queries} · #{article_id}", "Topics: {queries} · #{article_id}", len(alerts),
            queries=queries, article_id=first.article_id,
        ), "italic"),))
    if reply.more:
        lines += [(), (Span(t.ngettext(
            "…and {count} more. /topics changes how often you hear about them.",
            "…and {count} more. /topics changes how often you hear about them.", reply.more,
        )),)]
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
            spans.append(quoted(text[position:start]))
        spans.append(quoted(text[start:end], "bold"))
        position = end
    if position < len(text):
        spans.append(quoted(text[position:]))
    return spans


def digest(reply: DigestView, t: Translator) -> Layout:
    lines: list[Line] = [(Span(t.gettext("Your digest"), "bold"), Span(f" · {t.day(reply.day)}"))]
    starts: list[int] = []
    for section in reply.digest.sections:
        heading = quoted(f"“{section.heading}”", "bold") if section.topic_id is not None else \
            Span(t.gettext(section.heading), "bold")
        for number, item in enumerate(section.items):
            lines.append(())
            starts.append(len(lines))
            if number == 0:
                lines.append((heading,))
            lines += _digest_item(item, t)
    return Layout(lines, block_starts=starts)


def _digest_item(item: DigestItem, t: Translator) -> list[Line]:
    title: Line = (Span("• "), quoted(item.title, "bold", item.url))
    if item.site:
        title += (Span(" · ", "italic"), quoted(item.site, "italic"))
    lines = [title]
    lines += [(quoted(f"{sentence.text} "), citation(sentence, str(sentence.index)))
              for sentence in item.sentences]
    if item.also_reported_by:
        others: list[Span] = [Span(t.gettext("Also reported by:") + " ", "italic")]
        for number, ref in enumerate(item.also_reported_by):
            if number:
                others.append(Span(", "))
            others.append(quoted(source_name(ref), url=ref.url))
        lines.append(tuple(others))
    return lines


def digest_settings(reply: DigestSettingsView, t: Translator) -> Layout:
    if not reply.enabled:
        status = t.gettext("The daily digest is off. /digest_at HH:MM [Area/City] turns it back on.")
    elif reply.next_at is None:
        status = t.gettext(
            "Daily digest at {time} ({zone}).", time=t.time(_clock(reply.time)), zone=reply.zone
        )
    else:
        next_one = {"time": t.time(reply.next_at), "day": t.day(reply.next_at, short=True)}
        status = t.gettext(
            "Daily digest at {time} ({zone}); the next one {day} at {time}, {relative}.",
            zone=reply.zone, relative=t.relative(reply.next_at - reply.now), **next_one,
        ) if reply.now else t.gettext(
            "Daily digest at {time} ({zone}); the next one {day} at {time}.", zone=reply.zone, **next_one,
        )
    note = (t.gettext("When nothing is new: a one-line note. /digest sends what is new now.")
            if reply.nothing_new_note else
            t.gettext("When nothing is new: nothing. /digest sends what is new now."))
    lines: list[Line] = [(Span(t.gettext("Digest"), "bold"),), (Span(status),), (Span(note, "italic"),)]
    keyboard: Keyboard = [[
        (checked(t.gettext("Note when nothing is new"), reply.nothing_new_note),
         set_nothing_new_note(not reply.nothing_new_note)),
        (t.gettext("Turn off") if reply.enabled else t.gettext("Turn on"),
         set_digest_enabled(not reply.enabled)),
    ]]
    return Layout(lines, keyboard)


def _clock(hours_minutes: str) -> time:
    """``07:30`` as a time of day."""
    hours, minutes = hours_minutes.split(":")
    return time(int(hours), int(minutes))
