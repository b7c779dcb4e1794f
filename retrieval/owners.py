"""Who holds an article, a feed subscription, a topic or a digest: an :class:`Owner`.

Kinds: ``local`` (the command line and the terminal chat), ``chat`` (a Telegram chat, by
its id), ``feed`` (a feed, by its id: its articles are seen through subscriptions),
``everyone`` (a feed subscription for every chat) and ``group`` (what a group said: the
messages kept for its catch-up, by the chat's id; seen only from that chat). This module is the one place that
writes an owner as text and reads it back; the text form (``"local"``, ``"chat:42"``,
``"feed:7"``, ``"*"``) is what the search index's owner field and the logs hold. The
databases store the kind and the id in columns of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_core import core_schema


class OwnerKind(StrEnum):
    LOCAL = "local"
    CHAT = "chat"
    FEED = "feed"
    EVERYONE = "everyone"
    GROUP = "group"


# Kinds that are one of many, so they carry an id; the others are one of a kind (id 0).
_NUMBERED = frozenset({OwnerKind.CHAT, OwnerKind.FEED, OwnerKind.GROUP})
_EVERYONE_TEXT = "*"


@dataclass(frozen=True, order=True)
class Owner:
    kind: OwnerKind
    id: int = 0

    def __post_init__(self) -> None:
        if (self.kind in _NUMBERED) != (self.id != 0):
            raise ValueError(f"{self.kind} owners {'need' if self.kind in _NUMBERED else 'have no'} id")

    @classmethod
    def chat(cls, chat_id: int) -> Owner:
        return cls(OwnerKind.CHAT, chat_id)

    @classmethod
    def feed(cls, feed_id: int) -> Owner:
        return cls(OwnerKind.FEED, feed_id)

    @classmethod
    def group(cls, chat_id: int) -> Owner:
        """The messages kept from the chat ``chat_id`` (a group with catch-up on)."""
        return cls(OwnerKind.GROUP, chat_id)

    @classmethod
    def parse(cls, text: str) -> Owner:
        """The owner a text form names; :class:`ValueError` when it names none."""
        if text == _EVERYONE_TEXT:
            return EVERYONE
        if text == OwnerKind.LOCAL:
            return LOCAL
        kind, _, number = text.partition(":")
        digits = number.removeprefix("-")
        if kind not in _NUMBERED or not (digits.isascii() and digits.isdigit()):
            raise ValueError(f"{text!r} names no owner")
        return cls(OwnerKind(kind), int(number))

    def __str__(self) -> str:
        if self.kind is OwnerKind.EVERYONE:
            return _EVERYONE_TEXT
        return f"{self.kind}:{self.id}" if self.kind in _NUMBERED else str(self.kind)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        """In pydantic models an owner is read from an :class:`Owner` or its text form, and
        dumped (to JSON or a dict) as its text form."""
        from pydantic_core import core_schema  # here: the command line's parser loads this module

        serialization = core_schema.plain_serializer_function_ser_schema(str)
        return core_schema.no_info_plain_validator_function(_validate, serialization=serialization)


def _validate(value: object) -> Owner:
    if isinstance(value, Owner):
        return value
    if isinstance(value, str):
        return Owner.parse(value)
    raise ValueError("an owner is an Owner or its text form")


LOCAL = Owner(OwnerKind.LOCAL)
EVERYONE = Owner(OwnerKind.EVERYONE)
