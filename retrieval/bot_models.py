"""What the engine gives the bot's features alone: digests, instant alerts, group catch-ups,
feed polls, a chat's export and an admin's stats. The command line has no use for them, so
they are not in :mod:`retrieval.models`, which every command loads: each model costs
start-up time as its class is built."""

# Annotations are objects, not strings (no `from __future__ import annotations`): pydantic
# would evaluate each string when the class is built.

from datetime import UTC, datetime
from typing import Literal

from pydantic import Field

from retrieval.models import CitedSentence, FeedInfo, MessageRef, Model, TopicInfo
from retrieval.owners import Owner


class PollResult(Model):
    feed_id: int
    not_modified: bool = False
    new_articles: list[int] = Field(default_factory=list)
    error: str | None = None


class HighlightedSentence(Model):
    """A cited sentence with the character ranges of the words that made it match."""

    article_id: int
    index: int
    text: str
    highlights: list[tuple[int, int]] = Field(default_factory=list)


class Alert(Model):
    """A new article that matched one of a chat's instant topics."""

    owner: Owner
    topic: TopicInfo
    article_id: int
    title: str
    url: str | None = None
    sentences: list[HighlightedSentence]


class ArticleRef(Model):
    article_id: int
    title: str
    url: str | None = None
    site: str | None = None


class DigestItem(Model):
    article_id: int
    title: str
    url: str | None = None
    site: str | None = None
    sentences: list[CitedSentence]
    also_reported_by: list[ArticleRef] = Field(default_factory=list)


class DigestSection(Model):
    heading: str = Field(description="The topic's query, or the feeds' name for unmatched items.")
    topic_id: int | None = None
    items: list[DigestItem]


class Digest(Model):
    owner: Owner
    since: datetime | None
    until: datetime = Field(
        default_factory=lambda: datetime.now(UTC), description="When it was built; the next one starts here."
    )
    sections: list[DigestSection]

    @property
    def empty(self) -> bool:
        return not any(section.items for section in self.sections)


class Export(Model):
    opml: str
    feeds: list[FeedInfo]
    topics: list[TopicInfo]
    articles: list[dict]


class QuotedMessage(Model):
    """A kept message quoted verbatim: the whole of it, or its best sentence (``sentence``,
    from 1, of its ``sentences``)."""

    message: MessageRef
    text: str
    sentence: int | None = None
    sentences: int = 1

    @property
    def whole(self) -> bool:
        return self.sentence is None


class CatchUpSection(Model):
    """One thread of discussion: how much was said in it, and the messages that tell it."""

    messages: int
    people: int
    started: datetime
    ended: datetime
    quotes: list[QuotedMessage]


class CatchUp(Model):
    """What a group said in a window of its kept messages, as quotes grouped by thread.

    ``window`` is how the window was chosen: since the asker's last message, since a time
    (``since``; also when the asker never wrote), or the last ``messages`` messages.
    ``messages`` counts what was said in it."""

    chat_id: int
    window: Literal["since_asker", "since", "last"]
    since: datetime | None
    messages: int
    sections: list[CatchUpSection]

    @property
    def empty(self) -> bool:
        return not self.sections


class Stats(Model):
    articles: int
    sentences: int
    owners: int = Field(description="Chats (and other owners) holding at least one article.")
    feeds: int
    failing_feeds: int
    topics: int
    pending_alerts: int
    index_passages: int
    index_bytes: int
    database_bytes: int
    catchup_groups: int = Field(0, description="Groups with catch-up on.")
    kept_messages: int = Field(0, description="Messages those groups keep.")
