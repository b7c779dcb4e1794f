"""What a transport hands the conversation: a message (:class:`Incoming`), and where its
replies go (:class:`Outbox`); what kind of message a text is (:func:`classify`), and the
links typed in it (:func:`find_links`)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from bot.i18n import Translator
from bot.replies import Reply
from retrieval.language.questions import is_question
from retrieval.owners import Owner

# A one-line message shorter than this is a question; longer text is an article.
QUESTION_CHARS = 300
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'«»]+", re.IGNORECASE)
_URL_TAIL = ".,;:!?)]}’”"


class Forward(BaseModel):
    """Where a forwarded message came from (``source`` is None when Telegram names no one)."""

    source: str | None = None
    url: str | None = None


class Attachment(BaseModel):
    name: str
    size: int | None = None
    mime_type: str | None = None
    download: Callable[[], Awaitable[bytes]]


class Group(BaseModel):
    """The group a message was posted in: who posted it, and what only the transport can
    tell, asked when a command needs it (each is a call to Telegram)."""

    member: int
    # Whether the member administers the group (may turn catch-up on or off).
    member_is_admin: Callable[[], Awaitable[bool]]
    # Whether the bot receives every message of the group (privacy mode off, or an admin).
    bot_sees_every_message: Callable[[], Awaitable[bool]]


class Link(BaseModel):
    """A link in a message, as the transport found it (Telegram marks links as entities)."""

    url: str
    """The address to fetch."""
    written: str | None = None
    """The address as it stands in the text; None when words link to it (a ``text_link``)."""


class Incoming(BaseModel):
    """A message addressed to the bot. ``chat`` is the engine owner (a Telegram chat, or
    the terminal's local owner); ``admin`` says whether its sender may change what every
    chat receives; ``language`` is its sender's (Telegram's ``language_code``, resolved to
    one Briefbot speaks); ``group`` is set when it was posted in a group. ``text`` is the
    message's text or a photo's, video's or file's caption; ``links`` are the links in it."""

    chat: Owner
    admin: bool = False
    group: Group | None = None
    language: str | None = None
    text: str = ""
    links: list[Link] = Field(default_factory=list)
    reply_to: int | None = None
    forward: Forward | None = None
    attachment: Attachment | None = None
    unsupported: str | None = None


class Outbox(Protocol):
    """Where replies go, written in ``translator``'s language. Message ids let replies to
    the bot's messages be traced back."""

    translator: Translator

    async def send(self, reply: Reply) -> list[int]: ...

    async def edit(self, message_id: int, reply: Reply) -> list[int]: ...

    async def send_file(self, name: str, data: bytes, caption: str) -> None: ...

    def working(self) -> AbstractAsyncContextManager[None]: ...


MessageKind = Literal["links", "question", "article"]


def classify(text: str, links: Sequence[Link], *, forwarded: bool = False) -> MessageKind:
    """Links to fetch, a question to answer, or text to keep as an article."""
    prose = text
    for link in links:
        if link.written:
            prose = prose.replace(link.written, "")
    if links and len(prose.strip()) < 100 and not _is_question(text):
        return "links"
    if forwarded or len(text) >= QUESTION_CHARS or "\n" in text.strip():
        return "article"
    return "question"


def find_links(text: str) -> list[Link]:
    """The addresses written in typed text (the terminal's; Telegram marks links itself)."""
    links: dict[str, Link] = {}
    for match in _URL.findall(text):
        written = match.rstrip(_URL_TAIL)
        url = written if written.lower().startswith("http") else f"https://{written}"
        links.setdefault(url, Link(url=url, written=written))
    return list(links.values())


def _is_question(text: str) -> bool:
    """One line that asks, in any language (question marks of every script, or a first
    word that asks in the line's language)."""
    stripped = text.strip()
    return "\n" not in stripped and is_question(stripped)
