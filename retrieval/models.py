"""Data that crosses the engine's boundary: articles, summaries and answers (the command
line prints them, as JSON too), and the records the database holds (feeds, topics, kept
messages). What only the bot's features use is in :mod:`retrieval.bot_models`."""

# Annotations are objects, not strings (no `from __future__ import annotations`): pydantic
# would evaluate each string when the class is built, at every command's start.

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, field_validator

from retrieval.errors import BriefbotError, Plural
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


TopicMode = Literal["instant", "daily", "off"]


class TopicInfo(Model):
    id: int
    query: str
    mode: TopicMode


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


