"""The conversation, independent of any transport.

Telegram handlers (:mod:`bot.handlers`) and the terminal (:mod:`bot.chat`) both turn
what the user sent into an :class:`Incoming` (or a command or a button press), call
:class:`Conversation`, and give it an :class:`Outbox` to reply through. Everything the
bot knows about articles comes from the engine, called in worker threads.

:class:`Conversation` is the one entry point; it dispatches to the handlers of each
concern: :mod:`.intake` (links, text, files), :mod:`.reading` (questions, summaries, the
article list), :mod:`.following` (feeds, topics, digests) and :mod:`.settings` (summary
settings, language, export, stats).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import ClassVar

from bot import commands
from bot.commands import CommandCall
from bot.conversation import catchup, following, inline, intake, reading, settings
from bot.conversation.context import ButtonHandler, CommandHandler, Context
from bot.conversation.incoming import (
    QUESTION_CHARS,
    Attachment,
    Forward,
    Group,
    Incoming,
    Link,
    Outbox,
    classify,
    find_links,
)
from bot.i18n import N_
from bot.logs import log_failure
from bot.replies import Action, BotLoad, HelpView, InlineView, Notice
from bot.state import ChatState
from bot.workers import Workers
from retrieval.config import EngineConfig
from retrieval.engine import Engine
from retrieval.errors import BriefbotError
from retrieval.models import GroupMessage
from retrieval.owners import Owner, OwnerKind

__all__ = [
    "NO_LONGER_WORKS", "Attachment", "Conversation", "Forward", "Group", "Incoming", "Link", "Outbox",
    "classify", "find_links", "move_chat",
]

log = logging.getLogger(__name__)

NO_LONGER_WORKS = N_("That button no longer works.")


async def _start(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    await outbox.send(await asyncio.to_thread(_help_view, ctx, incoming, True))


async def _help(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    await outbox.send(await asyncio.to_thread(_help_view, ctx, incoming, False))


def _help_view(ctx: Context, incoming: Incoming, greeting: bool) -> HelpView:
    """Help for where it is asked: a Telegram chat hears about catch-up (a group, whether it
    keeps its messages); the terminal has no groups."""
    in_group = incoming.group is not None
    return HelpView(
        greeting=greeting, group=in_group,
        catchup_on=in_group and ctx.engine.catchup_on(incoming.chat),
        catchup_days=ctx.catchup.retention_days if incoming.chat.kind is OwnerKind.CHAT else None,
    )


class Conversation:
    # Each command of bot.commands.COMMANDS, by name.
    _COMMAND_HANDLERS: ClassVar[dict[str, CommandHandler]] = {
        "start": _start, "help": _help,
        "ask": reading.ask_command, "summary": reading.summary_command, "articles": reading.articles,
        "forget": reading.forget,
        "addfeed": following.add_feed, "addfeed_all": following.add_feed_for_everyone,
        "feeds": following.feeds, "removefeed": following.remove_feed,
        "subscribe": following.subscribe, "topics": following.topics, "unsubscribe": following.unsubscribe,
        "digest": following.digest, "digest_at": following.digest_at, "digest_off": following.digest_off,
        "settings": settings.settings_command, "language": settings.language_command,
        "export": settings.export, "stats": settings.stats,
        "catchup": catchup.catchup_command, "tldr": catchup.tldr, "forgetme": catchup.forgetme,
    }
    # Each verb of Action, by name.
    _BUTTON_HANDLERS: ClassVar[dict[str, ButtonHandler]] = {
        "length": reading.length_button, "ask": reading.ask_button, "page": reading.page_button,
        "unfeed": following.unfeed_button, "mode": following.mode_button,
        "untopic": following.untopic_button, "dnote": following.digest_button,
        "dsend": following.digest_button,
        "sentences": settings.setting_button, "algorithm": settings.setting_button,
        "language": settings.language_button,
    }

    def __init__(
        self,
        engine: Engine,
        state: ChatState,
        config: EngineConfig,
        workers: Workers,
        load: Callable[[], BotLoad] | None = None,
    ) -> None:
        self.context = Context(
            engine=engine, state=state, workers=workers,
            summary_defaults=config.summary, digest_defaults=config.digest, catchup=config.catchup,
            load=load,
        )

    async def message(self, incoming: Incoming, outbox: Outbox) -> None:
        await asyncio.to_thread(self._note_active, incoming)
        try:
            await self._message(incoming, outbox)
        except BriefbotError as error:
            await outbox.send(Notice(text=outbox.translator.error(error)))

    async def command(self, call: CommandCall, incoming: Incoming, outbox: Outbox) -> None:
        await asyncio.to_thread(self._note_active, incoming)
        try:
            command = commands.allowed(call.name, admin=incoming.admin)
            await self._COMMAND_HANDLERS[command.name](self.context, call.args, incoming, outbox)
        except BriefbotError as error:
            await outbox.send(Notice(text=outbox.translator.error(error)))

    async def button(self, chat: Owner, message_id: int, data: str, outbox: Outbox) -> str | None:
        """Handle a button press on message ``message_id``; returns a short notice, if any."""
        t = outbox.translator
        action = Action.decode(data)
        if action is None:
            return t.gettext(NO_LONGER_WORKS)
        await asyncio.to_thread(self.context.state.note_active, chat)
        try:
            return await self._BUTTON_HANDLERS[action.verb](self.context, chat, message_id, action, outbox)
        except BriefbotError as error:
            return t.error(error)
        except ValueError:
            return t.gettext(NO_LONGER_WORKS)

    async def keep(self, message: GroupMessage) -> None:
        """A message a group said among itself: kept, if the group keeps its messages, and
        never answered, not even when keeping it fails."""
        try:
            await asyncio.to_thread(self.context.engine.keep_message, message)
        except Exception as error:  # the group must not hear of it: logged, not replied
            log_failure(log, "could not keep a group message", error=error)

    async def inline(self, asker: Owner, query: str) -> InlineView:
        """What an inline query from ``asker`` (their private chat with the bot) is offered."""
        return await asyncio.to_thread(inline.inline_view, self.context, asker, query)

    async def chat_moved(self, old: Owner, new: Owner) -> None:
        await move_chat(self.context.engine, self.context.state, old, new)

    def _note_active(self, incoming: Incoming) -> None:
        self.context.state.note_active(incoming.chat)
        self.context.state.note_language(incoming.chat, incoming.language)

    async def _message(self, incoming: Incoming, outbox: Outbox) -> None:
        ctx, chat = self.context, incoming.chat
        text = incoming.text.strip()
        kind = classify(text, incoming.links, forwarded=incoming.forward is not None) if text else None
        # A photo, a video or a file that isn't text is passed over for its caption's links,
        # or for a caption long enough to be an article; nothing is said of the thing itself.
        read_caption = kind == "links" or (kind == "article" and len(text) >= QUESTION_CHARS)
        attachment = incoming.attachment
        if attachment is not None and (intake.readable(attachment) or not read_caption):
            await intake.file(ctx, chat, attachment, outbox)
            return
        if kind is None or (incoming.unsupported and not read_caption):
            await intake.cant_read(incoming, outbox)
            return
        match kind:
            case "links":
                await intake.links(ctx, chat, [link.url for link in incoming.links], outbox)
            case "question":
                await reading.ask(ctx, chat, text, incoming.reply_to, outbox)
            case "article":
                await intake.text_message(ctx, chat, text, incoming.forward, outbox)


async def move_chat(engine: Engine, state: ChatState, old: Owner, new: Owner) -> None:
    """A group became a supergroup: everything it had moves to its new id."""
    await asyncio.to_thread(engine.rename_owner, old, new)
    await asyncio.to_thread(state.rename_chat, old, new)
