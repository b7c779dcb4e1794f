"""Layouts of the replies about a group's catch-up (/tldr), and the sentences that say what
a group keeps: the conversation, /help and /catchup all say it with the same words.

A quoted message is shown exactly as it was written (or its one quoted sentence, with
"…" where the message goes on), with its author linked to it in Telegram and its time in
the chat's time zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import N_, NP_, Translator
from bot.layout import Layout, Line, Span, quoted, styled
from bot.replies import CatchUpView
from retrieval.bot_models import CatchUpSection, QuotedMessage

KEEPS = NP_(
    "I keep this group's text messages and captions (not photos, files or voice messages) for "
    "{count} day, so that /tldr can quote what someone missed and /ask can answer from them. "
    "I never reply to the conversation itself. Anyone can delete what they wrote with "
    "/forgetme; /catchup off deletes everything.",
    "I keep this group's text messages and captions (not photos, files or voice messages) for "
    "{count} days, so that /tldr can quote what someone missed and /ask can answer from them. "
    "I never reply to the conversation itself. Anyone can delete what they wrote with "
    "/forgetme; /catchup off deletes everything.",
)
IS_ON = N_("Catch-up is on.")
IS_OFF = N_(
    "Catch-up is off in this group: I keep none of its messages. An admin can turn it on with /catchup on."
)
IN_A_GROUP = NP_(
    "In a group, an admin can turn on /catchup: I then keep the group's text messages for {count} "
    "day, so that /tldr can quote what someone missed, with who said it and a link to each message.",
    "In a group, an admin can turn on /catchup: I then keep the group's text messages for {count} "
    "days, so that /tldr can quote what someone missed, with who said it and a link to each message.",
)
# TRANSLATORS: a message quoted in /tldr: its text in your language's quotation marks, who
# wrote it (a link to the message) and when.
QUOTE = N_("“{text}” — {author}, {time}")
ELLIPSIS = "…"


def catch_up(reply: CatchUpView, t: Translator) -> Layout:
    result = reply.catch_up
    zone = ZoneInfo(reply.zone)
    duration = t.duration(reply.now - result.since) if result.since else ""
    if not result.messages:
        if result.window == "since_asker":
            text = t.gettext("Nothing was said here since your last message.")
        elif result.window == "since":
            text = t.gettext("Nothing was said here in the last {duration}.", duration=duration)
        else:
            text = t.gettext("I have kept no messages of this group yet.")
        return Layout([(Span(text),)])
    if result.window == "since_asker":
        said = t.ngettext("{count} message since your last one", "{count} messages since your last one",
                          result.messages)
    elif result.window == "since":
        said = t.ngettext("{count} message in the last {duration}", "{count} messages in the last {duration}",
                          result.messages, duration=duration)
    else:
        said = t.ngettext("The last message", "The last {count} messages", result.messages)
    lines: list[Line] = [(Span(t.gettext("What was said"), "bold"), Span(f" · {said}"))]
    if not result.sections:
        lines.append((Span(t.gettext("Nothing to quote: only short replies.")),))
        return Layout(lines)
    starts: list[int] = []
    for section in result.sections:
        lines.append(())
        starts.append(len(lines))
        lines.append((Span(_section_heading(section, zone, reply.now, t), "italic"),))
        lines += [_quote(quote, zone, reply.now, t) for quote in section.quotes]
    return Layout(lines, block_starts=starts)


def _section_heading(section: CatchUpSection, zone: ZoneInfo, now: datetime, t: Translator) -> str:
    messages = t.ngettext("{count} message", "{count} messages", section.messages)
    people = t.ngettext("{count} person", "{count} people", section.people)
    started, ended = _moment(section.started, zone, now, t), _moment(section.ended, zone, now, t)
    return f"{messages} · {people} · {started}–{ended}"


def _quote(quote: QuotedMessage, zone: ZoneInfo, now: datetime, t: Translator) -> Line:
    text = quote.text
    if quote.sentence is not None:  # one sentence of the message: "…" where it goes on
        before = ELLIPSIS if quote.sentence > 1 else ""
        after = ELLIPSIS if quote.sentence < quote.sentences else ""
        text = f"{before}{text}{after}"
    message = quote.message
    return tuple(styled(
        t, QUOTE, {"text": quoted(text), "author": quoted(message.author, url=message.link)},
        time=_moment(message.sent_at, zone, now, t),
    ))


def _moment(moment: datetime, zone: ZoneInfo, now: datetime, t: Translator) -> str:
    """A time within the last day as ``09:04``; an older one with its day."""
    local = moment.astimezone(zone)
    if now - moment < timedelta(hours=20):
        return t.time(local)
    return f"{t.day(local, short=True)} {t.time(local)}"
