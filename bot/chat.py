"""``briefbot chat``: the bot's conversation in the terminal, no Telegram needed.

It runs the same :class:`Conversation` as the Telegram bot and prints the same replies
as plain text, in the language chosen with ``--language`` (by default the terminal's,
from LC_ALL, LC_MESSAGES or LANG). Each line is a message; ``/paste`` takes several lines (ended by a line
holding only ``.``), ``/file PATH`` sends a file, ``/quit`` or end of input leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

from bot.commands import CommandCall, parse_command
from bot.config import BotConfig
from bot.conversation import Attachment, Conversation, Incoming, find_links
from bot.handlers import SOMETHING_WENT_WRONG
from bot.i18n import N_, Translator, translator
from bot.logs import log_failure
from bot.render import to_plain
from bot.replies import HelpView, Reply
from bot.state import ChatState
from bot.workers import Workers
from retrieval.engine import Engine
from retrieval.errors import InputError
from retrieval.owners import LOCAL

log = logging.getLogger(__name__)

TERMINAL_HELP = N_(
    "In this terminal: /paste starts a multi-line message (end it with a line holding only "
    "\".\"), /file PATH sends a file, /quit leaves."
)


class TerminalOutbox:
    """Prints replies in ``translator``'s language; files (/export) are saved in ``directory``."""

    def __init__(self, output: TextIO, translator: Translator, directory: Path | None = None) -> None:
        self.output = output
        self.translator = translator
        self.directory = directory or Path.cwd()
        self._last_id = 0

    async def send(self, reply: Reply) -> list[int]:
        self._last_id += 1
        self.write(to_plain(reply, self.translator))
        return [self._last_id]

    async def edit(self, message_id: int, reply: Reply) -> list[int]:
        self.write(to_plain(reply, self.translator))
        return [message_id]

    async def send_file(self, name: str, data: bytes, caption: str) -> None:
        path = self.directory / name
        await asyncio.to_thread(path.write_bytes, data)
        self.write(self.translator.gettext("{caption} Saved as {path}.", caption=caption, path=str(path)))

    def write(self, text: str) -> None:
        self.output.write(text + "\n\n")
        self.output.flush()

    @contextlib.asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        yield


async def run_chat(config: BotConfig, source: TextIO, output: TextIO, language: str | None = None) -> int:
    engine = await asyncio.to_thread(Engine, config)
    state = ChatState(config.state_path())
    workers = Workers(config.feeds.max_concurrent)
    conversation = Conversation(engine, state, config, workers)
    outbox = TerminalOutbox(output, translator(language))
    interactive = source.isatty()
    try:
        await outbox.send(HelpView(greeting=True))
        outbox.write(outbox.translator.gettext(TERMINAL_HELP))
        while True:
            if interactive:
                output.write("you> ")
                output.flush()
            line = await asyncio.to_thread(source.readline)
            if not line:
                return 0
            text = line.strip()
            call = parse_command(text)
            if call is not None and call.name in {"quit", "exit"}:
                return 0
            if text:
                await _handle(conversation, text, call, source, outbox, outbox.translator.language)
    finally:
        await asyncio.to_thread(workers.close)
        await asyncio.to_thread(engine.close)
        state.close()


async def _handle(
    conversation: Conversation, text: str, call: CommandCall | None, source: TextIO, outbox: TerminalOutbox,
    language: str,
) -> None:
    """One line: a message, a command, or one of the terminal's own (/paste, /file)."""
    try:
        if call is None:
            typed = Incoming(chat=LOCAL, language=language, text=text, links=find_links(text))
            await conversation.message(typed, outbox)
        elif call.name == "paste":
            lines = []
            while (line := await asyncio.to_thread(source.readline)) and line.rstrip("\n") != ".":
                lines.append(line)
            pasted = "".join(lines)
            message = Incoming(chat=LOCAL, language=language, text=pasted, links=find_links(pasted))
            await conversation.message(message, outbox)
        elif call.name == "file":
            await conversation.message(_file_message(call.rest, language), outbox)
        else:
            # The terminal's user runs the bot: an admin.
            admin = Incoming(chat=LOCAL, language=language, admin=True)
            await conversation.command(call, admin, outbox)
    except Exception as error:
        log_failure(log, "error while handling a message", error=error)
        outbox.write(outbox.translator.gettext(SOMETHING_WENT_WRONG))


def _file_message(typed_path: str, language: str) -> Incoming:
    path = Path(typed_path).expanduser()
    size = path.stat().st_size if path.is_file() else None

    async def read() -> bytes:
        try:
            return await asyncio.to_thread(path.read_bytes)
        except OSError as error:
            raise InputError(
                "I can't read {path}: {reason}.", path=str(path), reason=error.strerror
            ) from None

    return Incoming(
        chat=LOCAL,
        language=language,
        attachment=Attachment(name=path.name or str(path), size=size, download=read),
    )
