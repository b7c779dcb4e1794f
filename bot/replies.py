"""What the conversation says, before it is rendered for Telegram or the terminal.

The conversation returns these; :mod:`bot.render` turns them into Telegram HTML or
plain text. Button presses come back as the short strings :class:`Action` encodes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from bot.i18n import N_
from retrieval.bot_models import Alert, CatchUp, Digest, Stats
from retrieval.models import Answer, ArticleInfo, FeedInfo, Summary, TopicInfo, TopicMode

# Telegram refuses callback data longer than 64 bytes.
MAX_CALLBACK_BYTES = 64
# How a topic alerts its chat, and the mode's name on its button (English message ids).
MODE_MEANING: dict[TopicMode, str] = {
    "instant": N_("alerts at once"), "daily": N_("in the daily digest"), "off": N_("paused"),
}
MODE_NAME: dict[TopicMode, str] = {"instant": N_("instant"), "daily": N_("daily"), "off": N_("off")}


class Notice(BaseModel):
    """A plain sentence or two: a confirmation, a hint, an error."""

    kind: Literal["notice"] = "notice"
    text: str


class HelpView(BaseModel):
    kind: Literal["help"] = "help"
    greeting: bool = False
    # Asked in a group (its menu is shown), and whether that group keeps its messages.
    group: bool = False
    catchup_on: bool = False
    # How many days a group's messages are kept; None where there are no groups (the terminal).
    catchup_days: int | None = None


class SummaryView(BaseModel):
    kind: Literal["summary"] = "summary"
    summary: Summary
    saved: Literal["new", "duplicate"] | None = None
    source: str | None = None


class AnswerView(BaseModel):
    kind: Literal["answer"] = "answer"
    answer: Answer
    scope_title: str | None = None
    # Asked in a group that keeps its messages: they were searched too (and the time of a
    # message cited is shown in ``zone``).
    group_messages: bool = False
    zone: str = "UTC"


class ArticlePage(BaseModel):
    kind: Literal["articles"] = "articles"
    articles: list[ArticleInfo]
    offset: int
    total: int
    page_size: int


class SettingsView(BaseModel):
    kind: Literal["settings"] = "settings"
    sentences: int
    algorithm: str
    algorithms: tuple[str, ...]
    # The language replies are written in, and whether the chat chose it (else it follows
    # the language of each person's Telegram).
    language: str = "en"
    language_chosen: bool = False


class LanguageView(BaseModel):
    """/language: the language this chat's replies are written in, and the others to choose."""

    kind: Literal["language"] = "language"
    language: str
    chosen: bool
    languages: tuple[str, ...]
    changed: bool = False


class AskPrompt(BaseModel):
    """Asks for a question about one article; a reply to it is scoped to that article."""

    kind: Literal["ask_prompt"] = "ask_prompt"
    article: ArticleInfo


class FeedAdded(BaseModel):
    kind: Literal["feed_added"] = "feed_added"
    feed: FeedInfo
    new_articles: int


class FeedList(BaseModel):
    kind: Literal["feeds"] = "feeds"
    feeds: list[FeedInfo]
    now: datetime


class FeedImport(BaseModel):
    """The end of an OPML import: what was added, and what failed and why."""

    kind: Literal["feed_import"] = "feed_import"
    added: list[FeedInfo]
    failed: list[tuple[str, str]]


class TopicList(BaseModel):
    kind: Literal["topics"] = "topics"
    topics: list[TopicInfo]
    added: TopicInfo | None = None


class AlertView(BaseModel):
    """New articles that matched a chat's instant topics, in one message."""

    kind: Literal["alerts"] = "alerts"
    alerts: list[Alert]
    more: int = 0


class DigestView(BaseModel):
    kind: Literal["digest"] = "digest"
    digest: Digest
    day: datetime


class DigestSettingsView(BaseModel):
    kind: Literal["digest_settings"] = "digest_settings"
    time: str
    zone: str
    enabled: bool
    nothing_new_note: bool
    next_at: datetime | None = None
    # When the view was made: the next digest is shown as "in 3 hours" from it.
    now: datetime | None = None


class CatchUpView(BaseModel):
    """/tldr: what a group said, quoted thread by thread; times are shown in ``zone``, and
    a window of time is measured up to ``now``."""

    kind: Literal["catch_up"] = "catch_up"
    catch_up: CatchUp
    zone: str = "UTC"
    now: datetime


class InlineView(BaseModel):
    """What an inline query offers: the cited sentences that answer it, or (an empty query)
    short summaries of the asker's latest articles; ``has_articles`` is False for someone
    who has none yet. Not a message: :mod:`bot.inline` turns it into inline results."""

    answer: Answer | None = None
    summaries: list[Summary] = []
    has_articles: bool = True


class BotLoad(BaseModel):
    """What the Telegram side is busy with right now."""

    chats_in_progress: int
    updates_waiting: int
    most_waiting_in_one_chat: int
    updates_not_dispatched: int
    updates_in_memory: int  # of ``room``: [limits] updates_in_memory
    room: int
    updates_not_done: int  # kept in the database, by every replica
    scheduled_jobs: int
    chats_told_to_slow_down: int


class StatsView(BaseModel):
    """/stats, for admins: the engine's sizes and the bot's queues."""

    kind: Literal["stats"] = "stats"
    engine: Stats
    known_chats: int
    load: BotLoad | None = None


Reply = (
    Notice | HelpView | SummaryView | AnswerView | ArticlePage | SettingsView | AskPrompt
    | FeedAdded | FeedList | FeedImport | TopicList | AlertView | DigestView | DigestSettingsView
    | StatsView | LanguageView | CatchUpView
)


class Action(BaseModel):
    """A button's callback data: ``verb:arg[:arg]`` (``length:12:5``, ``page:10``...)."""

    verb: Literal[
        "length", "ask", "page", "sentences", "algorithm", "mode", "untopic", "unfeed", "dnote", "dsend",
        "language",
    ]
    args: tuple[str, ...]

    def encode(self) -> str:
        data = ":".join((self.verb, *self.args))
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data

    @classmethod
    def decode(cls, data: str) -> Action | None:
        verb, *args = data.split(":")
        try:
            return cls(verb=verb, args=tuple(args))
        except ValueError:
            return None


def show_length(article_id: int, sentences: int) -> Action:
    return Action(verb="length", args=(str(article_id), str(sentences)))


def ask_about(article_id: int) -> Action:
    return Action(verb="ask", args=(str(article_id),))


def show_page(offset: int) -> Action:
    return Action(verb="page", args=(str(offset),))


def set_sentences(sentences: int) -> Action:
    return Action(verb="sentences", args=(str(sentences),))


def set_algorithm(algorithm: str) -> Action:
    return Action(verb="algorithm", args=(algorithm,))


def set_topic_mode(topic_id: int, mode: TopicMode) -> Action:
    return Action(verb="mode", args=(str(topic_id), mode))


def remove_topic(topic_id: int) -> Action:
    return Action(verb="untopic", args=(str(topic_id),))


def remove_feed(feed_id: int) -> Action:
    return Action(verb="unfeed", args=(str(feed_id),))


def set_nothing_new_note(on: bool) -> Action:
    return Action(verb="dnote", args=("on" if on else "off",))


def set_digest_enabled(on: bool) -> Action:
    return Action(verb="dsend", args=("on" if on else "off",))


def set_language(language: str) -> Action:
    """Choose the chat's language; ``auto`` follows each person's Telegram language again."""
    return Action(verb="language", args=(language,))
