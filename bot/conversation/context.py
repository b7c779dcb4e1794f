"""What every handler of the conversation works with, and the shapes of the handlers.

A handler is a plain function in the module of its concern (:mod:`.reading`,
:mod:`.intake`, :mod:`.following`, :mod:`.settings`) taking a :class:`Context` first;
:class:`~bot.conversation.Conversation` dispatches to them by command name or button verb.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.commands import UsageError
from bot.conversation.incoming import Incoming, Outbox
from bot.replies import Action, BotLoad
from bot.state import ChatState
from bot.workers import Workers
from retrieval.config import CatchupConfig, DigestConfig, SummaryConfig
from retrieval.engine import Engine
from retrieval.owners import Owner


@dataclass(frozen=True)
class Context:
    engine: Engine
    state: ChatState
    workers: Workers
    summary_defaults: SummaryConfig
    digest_defaults: DigestConfig
    catchup: CatchupConfig
    # What the transport is busy with, for /stats; the terminal has no queues.
    load: Callable[[], BotLoad] | None = None


# A command's handler: (the context, the arguments, the message, where replies go).
CommandHandler = Callable[[Context, list[str], Incoming, Outbox], Awaitable[None]]
# A button's handler: (the context, the chat, the message pressed, the action, where
# replies go); it returns a short notice, if any. A button whose data doesn't fit its verb
# (a wrong number of arguments, a word where an id belongs) raises ValueError: it "no
# longer works".
ButtonHandler = Callable[[Context, Owner, int, Action, Outbox], Awaitable[str | None]]


def id_argument(args: list[str], command: str) -> int:
    """The one ``ID`` (or ``#ID``) argument of ``command``."""
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        raise UsageError(command)
    return int(args[0].lstrip("#"))


def one_of(value: str, allowed: tuple[str, ...]) -> str:
    """A button's argument, if it is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {allowed}")
    return value
