"""``briefbot chat``: the bot's conversation in the terminal, no Telegram needed.

It runs the same :class:`Conversation` as the Telegram bot and prints the same replies
as plain text. Each line is a message; ``/paste`` takes several lines (ended by a line
holding only ``.``), ``/file PATH`` sends a file, ``/quit`` or end of input leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

from bot.config import BotConfig
from bot.conversation import Attachment, Conversation, Incoming, find_links
from bot.logs import log_failure
from bot.render import to_plain
from bot.replies import HelpView, Reply
from bot.state import ChatState
from bot.workers import Workers
from retrieval.engine import LOCAL_OWNER, Engine
from retrieval.errors import InputError

log = logging.getLogger(__name__)

TERMINAL_HELP = (
    "In this terminal: /paste starts a multi-line message (end it with a line holding only "
    "\".\"), /file PATH sends a file, /quit leaves."
)


class TerminalOutbox:
    """Prints replies; files (/export) are saved in ``directory``."""

    def __init__(self, output: TextIO, directory: Path | None = None) -> None:
        self.output = output
        self.directory = directory or Path.cwd()
        self._last_id = 0

    async def send(self, reply: Reply) -> list[int]:
        self._last_id += 1
        self.output.write(to_plain(reply) + "\n\n")
        self.output.flush()
        return [self._last_id]

    async def edit(self, message_id: int, reply: Reply) -> list[int]:
        self.output.write(to_plain(reply) + "\n\n")
        self.output.flush()
        return [message_id]

    async def send_file(self, name: str, data: bytes, caption: str) -> None:
        path = self.directory / name
        await asyncio.to_thread(path.write_bytes, data)
        self.output.write(f"{caption} Saved as {path}.\n\n")
        self.output.flush()

    @contextlib.asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        yield


async def run_chat(config: BotConfig, source: TextIO, output: TextIO) -> int:
    engine = await asyncio.to_thread(Engine, config)
    state = ChatState(config.state_path())
    workers = Workers(config.feeds.max_concurrent)
    conversation = Conversation(engine, state, config, workers)
    outbox = TerminalOutbox(output)
    interactive = source.isatty()
    try:
        await outbox.send(HelpView(greeting=True))
        output.write(TERMINAL_HELP + "\n\n")
        while True:
            if interactive:
                output.write("you> ")
                output.flush()
            line = await asyncio.to_thread(source.readline)
            if not line:
                return 0
            text = line.strip()
            if text in {"/quit", "/exit"}:
                return 0
            if text:
                await _handle(conversation, text, source, outbox)
    finally:
        await asyncio.to_thread(workers.close)
        await asyncio.to_thread(engine.close)
        state.close()


async def _handle(conversation: Conversation, text: str, source: TextIO, outbox: TerminalOutbox) -> None:
    try:
        if text == "/paste":
            lines = []
            while (line := await asyncio.to_thread(source.readline)) and line.rstrip("\n") != ".":
                lines.append(line)
            pasted = "".join(lines)
            await conversation.message(
                Incoming(chat=LOCAL_OWNER, text=pasted, links=find_links(pasted)), outbox
            )
        elif text.startswith("/file"):
            await conversation.message(_file_message(text), outbox)
        elif text.startswith("/"):
            name, *args = text[1:].split() or [""]
            # The terminal's user runs the bot: an admin.
            await conversation.command(name.lower(), args, Incoming(chat=LOCAL_OWNER, admin=True), outbox)
        else:
            await conversation.message(Incoming(chat=LOCAL_OWNER, text=text, links=find_links(text)), outbox)
    except Exception as error:
        log_failure(log, "error while handling a message", error=error)
        outbox.output.write("Sorry, something went wrong on my side. Please try again.\n\n")


def _file_message(text: str) -> Incoming:
    path = Path(text.removeprefix("/file").strip()).expanduser()
    size = path.stat().st_size if path.is_file() else None

    async def read() -> bytes:
        try:
            return await asyncio.to_thread(path.read_bytes)
        except OSError as error:
            raise InputError(f"I can't read {path}: {error.strerror}.") from None

    return Incoming(
        chat=LOCAL_OWNER,
        attachment=Attachment(name=path.name or str(path), size=size, download=read),
    )
