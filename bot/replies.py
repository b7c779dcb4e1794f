"""What the conversation says, before it is rendered for Telegram or the terminal.

The conversation returns these; :mod:`bot.render` turns them into Telegram HTML or
plain text. Button presses come back as the short strings :class:`Action` encodes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from retrieval.models import Answer, ArticleInfo, Summary

# Telegram refuses callback data longer than 64 bytes.
MAX_CALLBACK_BYTES = 64


class Command(BaseModel):
    name: str
    description: str
    usage: str = ""


COMMANDS: tuple[Command, ...] = (
    Command(name="ask", description="Ask your articles a question", usage="/ask QUESTION"),
    Command(name="summary", description="Summarize the last article again", usage="/summary [N] [#ID]"),
    Command(name="articles", description="List your articles"),
    Command(name="forget", description="Delete an article", usage="/forget ID"),
    Command(name="settings", description="Summary length and method"),
    Command(name="help", description="What I can do"),
    Command(name="start", description="Say hello"),
)


class Notice(BaseModel):
    """A plain sentence or two: a confirmation, a hint, an error."""

    kind: Literal["notice"] = "notice"
    text: str


class HelpView(BaseModel):
    kind: Literal["help"] = "help"
    greeting: bool = False


class SummaryView(BaseModel):
    kind: Literal["summary"] = "summary"
    summary: Summary
    saved: Literal["new", "duplicate"] | None = None
    source: str | None = None


class AnswerView(BaseModel):
    kind: Literal["answer"] = "answer"
    answer: Answer
    scope_title: str | None = None


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


class AskPrompt(BaseModel):
    """Asks for a question about one article; a reply to it is scoped to that article."""

    kind: Literal["ask_prompt"] = "ask_prompt"
    article: ArticleInfo


Reply = Notice | HelpView | SummaryView | AnswerView | ArticlePage | SettingsView | AskPrompt


class Action(BaseModel):
    """A button's callback data: ``verb:arg[:arg]`` (``length:12:5``, ``page:10``...)."""

    verb: Literal["length", "ask", "page", "sentences", "algorithm"]
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
