"""Data that crosses the engine's boundary: results for the CLI (as JSON) and the bot."""

# Annotations are objects, not strings (no `from __future__ import annotations`): pydantic
# would evaluate each string when the class is built, at every command's start.

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, field_validator

from retrieval.errors import BriefbotError, Plural
from retrieval.owners import Owner
from retrieval.sizes import ByteSize


class Model(BaseModel):
    """The base of the engine's models: each builds its validator when first used rather
    than when imported, so a command pays only for the models it uses (start-up time)."""

    model_config = ConfigDict(defer_build=True)


class Extracted(Model):
    """An article as it comes out of intake, before it is stored."""

    title: str | None = None
    text: str = Field(description="Body paragraphs separated by a blank line.")
    url: str | None = None
    site: str | None = None
    author: str | None = None
    published: str | None = None
    language: str | None = None

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]


class ArticleInfo(Model):
    """A stored article's metadata (no body)."""

    id: int
    title: str
    url: str | None = None
    site: str | None = None
    author: str | None = None
    published: str | None = None
    language: str | None = None
    sentences: int
    added: datetime


class IngestResult(Model):
    id: int
    title: str
    sentences: int
    duplicate: bool = Field(False, description="True when the article was already stored.")


class MessageRef(Model):
    """A message a group's catch-up kept, as a quote of it is cited: who wrote it, when,
    and its link (none where Telegram has none: basic groups)."""

    chat_id: int
    message_id: int
    author: str
    author_id: int
    sent_at: datetime
    link: str | None = None


class CitedSentence(Model):
    """One sentence quoted verbatim from a stored article, or from a message a group
    kept (then ``message`` says which, ``article_id`` is None and ``title`` is the author),
    with what is needed to cite it."""

    article_id: int | None
    index: int = Field(description="Position of the sentence in its article (or message), from 1.")
    text: str
    title: str
    url: str | None = None
    score: float | None = None
    message: MessageRef | None = None


class Summary(Model):
    article_id: int
    title: str
    url: str | None = None
    algorithm: str
    sentences: list[CitedSentence]
    total_sentences: int


class Answer(Model):
    question: str
    abstained: bool
    sentences: list[CitedSentence]


class StoredError(Model):
    """An error kept with what it happened to (a feed's last poll): the sentence's template
    and parameters rather than its English text, so that it is shown later in the language of
    whoever reads it."""

    template: str
    plural: str | None = Field(None, description="The plural template, for a sentence with a {count}.")
    params: dict[str, str | int | float] = Field(default_factory=dict)
    sizes: list[str] = Field(default_factory=list, description="The parameters that are byte counts.")

    @classmethod
    def of(cls, error: BriefbotError) -> "StoredError":
        template = error.template
        params: dict[str, str | int | float] = {}
        sizes = []
        for name, value in error.params.items():
            if isinstance(value, ByteSize):
                params[name], sizes = value.count, [*sizes, name]
            else:
                params[name] = value if isinstance(value, int | float) else str(value)
        if isinstance(template, Plural):
            return cls(template=template.singular, plural=template.plural, params=params, sizes=sizes)
        return cls(template=template, params=params, sizes=sizes)

    @classmethod
    def read(cls, stored: str) -> "StoredError":
        """Parse what :meth:`model_dump_json` wrote; a sentence stored before errors were kept
        this way is its own template."""
        if stored.startswith("{"):
            try:
                return cls.model_validate_json(stored)
            except ValidationError:
                pass
        return cls(template=stored)

    def error(self) -> BriefbotError:
        """The error again, for :meth:`bot.i18n.Translator.error`."""
        template = Plural(self.template, self.plural) if self.plural else self.template
        params = {name: ByteSize(int(value)) if name in self.sizes else value
                  for name, value in self.params.items()}
        return BriefbotError(template, **params)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def message(self) -> str:
        """The sentence in English."""
        return str(self.error())


class FeedInfo(Model):
    id: int
    url: str
    title: str | None = None
    site_url: str | None = None
    last_fetched_at: datetime | None = None
    last_error: StoredError | None = None
    error_count: int = 0
    for_everyone: bool = Field(False, description="Every chat receives it.")
    from_config: bool = Field(False, description="For every chat because the config file lists it.")

    @field_validator("last_error", mode="before")
    @classmethod
    def _stored_error(cls, value: object) -> object:
        return StoredError.read(value) if isinstance(value, str) else value


class PollResult(Model):
    feed_id: int
    not_modified: bool = False
    new_articles: list[int] = Field(default_factory=list)
    error: str | None = None


TopicMode = Literal["instant", "daily", "off"]


class TopicInfo(Model):
    id: int
    query: str
    mode: TopicMode


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


class GroupMessage(Model):
    """A text message (or a caption) posted in a group, as its catch-up keeps it. ``link``
    opens it in Telegram (``https://t.me/c/<id>/<message id>`` in a supergroup)."""

    chat_id: int
    message_id: int
    author_id: int
    author: str = Field(description="The author's display name.")
    text: str
    sent_at: datetime
    edited_at: datetime | None = None
    thread_id: int | None = Field(None, description="The forum topic it was posted in.")
    reply_to: int | None = Field(None, description="The message (in the same chat) it answers.")
    link: str | None = None


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
