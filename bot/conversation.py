"""The conversation, independent of any transport.

Telegram handlers (:mod:`bot.handlers`) and the terminal (:mod:`bot.chat`) both turn
what the user sent into an :class:`Incoming` (or a command or a button press), call
:class:`Conversation`, and give it an :class:`Outbox` to reply through. Everything the
bot knows about articles comes from the engine, called in worker threads.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import PurePath
from typing import ClassVar, Literal, Protocol, get_args

from pydantic import BaseModel

from bot import commands, schedule
from bot.commands import CommandCall, UsageError
from bot.replies import (
    MODE_MEANING,
    Action,
    AnswerView,
    ArticlePage,
    AskPrompt,
    BotLoad,
    DigestSettingsView,
    DigestView,
    FeedAdded,
    FeedImport,
    FeedList,
    HelpView,
    Notice,
    Reply,
    SettingsView,
    StatsView,
    SummaryView,
    TopicList,
)
from bot.state import ChatState, DigestSettings
from bot.workers import Workers
from retrieval.config import EngineConfig
from retrieval.engine import Engine
from retrieval.errors import BriefbotError, NotFound
from retrieval.extract import READABLE, can_read
from retrieval.language.questions import is_question
from retrieval.models import FeedInfo, IngestResult, Summary, TopicMode
from retrieval.owners import EVERYONE, Owner
from retrieval.summarize import ALGORITHMS

log = logging.getLogger(__name__)

# Telegram lets bots download files up to 20 MB.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
# Files from this size on get a progress message that is edited as the work goes on.
PROGRESS_FROM_BYTES = 256 * 1024
# A one-line message shorter than this is a question; longer text is an article.
QUESTION_CHARS = 300
MAX_LINKS = 5
MAX_SUMMARY_SENTENCES = 50
PAGE_SIZE = 10

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'«»]+", re.IGNORECASE)
_URL_TAIL = ".,;:!?)]}’”"
NO_ARTICLES = "You have no articles yet: send me a link, some text or a file."
NOTHING_NEW = "Nothing new since your last digest."
# An OPML import edits its progress message at most this often.
PROGRESS_EVERY_S = 2.0
OPML_TYPES = frozenset({"text/x-opml", "application/xml", "text/xml"})
EXPORT_OPML = "briefbot-feeds.opml"
EXPORT_JSON = "briefbot-export.json"


class SettingError(BriefbotError):
    """A /settings value out of range."""


class Forward(BaseModel):
    """Where a forwarded message came from."""

    source: str
    url: str | None = None


class Attachment(BaseModel):
    name: str
    size: int | None = None
    mime_type: str | None = None
    download: Callable[[], Awaitable[bytes]]


class Incoming(BaseModel):
    """A message addressed to the bot. ``chat`` is the engine owner (a Telegram chat, or
    the terminal's local owner); ``admin`` says whether its sender may change what every
    chat receives."""

    chat: Owner
    admin: bool = False
    text: str = ""
    reply_to: int | None = None
    forward: Forward | None = None
    attachment: Attachment | None = None
    unsupported: str | None = None


class Outbox(Protocol):
    """Where replies go. Message ids let replies to the bot's messages be traced back."""

    async def send(self, reply: Reply) -> list[int]: ...

    async def edit(self, message_id: int, reply: Reply) -> list[int]: ...

    async def send_file(self, name: str, data: bytes, caption: str) -> None: ...

    def working(self) -> AbstractAsyncContextManager[None]: ...


MessageKind = Literal["links", "question", "article"]


def classify(text: str, *, forwarded: bool = False) -> MessageKind:
    """Links to fetch, a question to answer, or text to keep as an article."""
    urls = find_urls(text)
    if urls and len(_URL.sub("", text).strip()) < 100 and not _is_question(text):
        return "links"
    if forwarded or len(text) >= QUESTION_CHARS or "\n" in text.strip():
        return "article"
    return "question"


def find_urls(text: str) -> list[str]:
    urls = []
    for match in _URL.findall(text):
        url = match.rstrip(_URL_TAIL)
        urls.append(url if url.lower().startswith("http") else f"https://{url}")
    return list(dict.fromkeys(urls))


def _is_question(text: str) -> bool:
    """One line that asks, in any language (question marks of every script, or a first
    word that asks in the line's language)."""
    stripped = text.strip()
    return "\n" not in stripped and is_question(stripped)


# A command's handler: (the conversation, the arguments, the message, where replies go).
CommandHandler = Callable[["Conversation", list[str], Incoming, Outbox], Awaitable[None]]
# A button's handler: (the conversation, the chat, the message pressed, the action, where
# replies go); it returns a short notice, if any.
ButtonHandler = Callable[["Conversation", str, int, Action, Outbox], Awaitable[str | None]]


class Conversation:
    def __init__(
        self,
        engine: Engine,
        state: ChatState,
        config: EngineConfig,
        workers: Workers,
        load: Callable[[], BotLoad] | None = None,
    ) -> None:
        self.engine = engine
        self.state = state
        self.workers = workers
        self.defaults = config.summary
        self.digest_defaults = config.digest
        # What the transport is busy with, for /stats; the terminal has no queues.
        self.load = load

    # --- entry points ------------------------------------------------------------------

    async def message(self, incoming: Incoming, outbox: Outbox) -> None:
        await asyncio.to_thread(self.state.note_active, incoming.chat)
        try:
            await self._message(incoming, outbox)
        except BriefbotError as error:
            await outbox.send(Notice(text=str(error)))

    async def command(self, call: CommandCall, incoming: Incoming, outbox: Outbox) -> None:
        await asyncio.to_thread(self.state.note_active, incoming.chat)
        try:
            await self._command(call, incoming, outbox)
        except BriefbotError as error:
            await outbox.send(Notice(text=str(error)))

    async def button(self, chat: Owner, message_id: int, data: str, outbox: Outbox) -> str | None:
        """Handle a button press on message ``message_id``; returns a short notice, if any."""
        action = Action.decode(data)
        if action is None:
            return "That button no longer works."
        await asyncio.to_thread(self.state.note_active, chat)
        try:
            return await self._button(chat, message_id, action, outbox)
        except BriefbotError as error:
            return str(error)
        except ValueError:
            return "That button no longer works."

    async def chat_moved(self, old: Owner, new: Owner) -> None:
        await move_chat(self.engine, self.state, old, new)

    # --- messages ----------------------------------------------------------------------

    async def _message(self, incoming: Incoming, outbox: Outbox) -> None:
        if incoming.attachment is not None:
            await self._file(incoming.chat, incoming.attachment, outbox)
            return
        text = incoming.text.strip()
        if incoming.unsupported or not text:
            what = incoming.unsupported or "that"
            await outbox.send(Notice(text=(
                f"I can't read {what}. Send me a link, some text, or a .txt, .md, .html or .pdf "
                "file, and ask me questions about them."
            )))
            return
        match classify(text, forwarded=incoming.forward is not None):
            case "links":
                await self._links(incoming.chat, find_urls(text), outbox)
            case "question":
                await self._ask(incoming.chat, text, incoming.reply_to, outbox)
            case "article":
                await self._text(incoming.chat, text, incoming.forward, outbox)

    async def _links(self, chat: Owner, urls: list[str], outbox: Outbox) -> None:
        if len(urls) > MAX_LINKS:
            await outbox.send(Notice(text=f"That's {len(urls)} links; I'll read the first {MAX_LINKS}."))
        for url in urls[:MAX_LINKS]:
            try:
                async with outbox.working():
                    result = await self.workers.fetch(self.engine.ingest_url, url, chat)
                    await self._show_saved(chat, result, outbox)
            except BriefbotError as error:
                prefix = f"{url}: " if len(urls) > 1 else ""
                await outbox.send(Notice(text=f"{prefix}{error}"))

    async def _text(self, chat: Owner, text: str, forward: Forward | None, outbox: Outbox) -> None:
        async with outbox.working():
            result = await asyncio.to_thread(
                self.engine.ingest_text, text, chat,
                url=forward.url if forward else None, site=forward.source if forward else None,
            )
            await self._show_saved(chat, result, outbox, source=forward.source if forward else None)

    async def _file(self, chat: Owner, attachment: Attachment, outbox: Outbox) -> None:
        size = attachment.size or 0
        if size > MAX_DOWNLOAD_BYTES:
            await outbox.send(Notice(text=(
                f"{attachment.name} is {_megabytes(size)}; Telegram lets me download files "
                f"of up to {_megabytes(MAX_DOWNLOAD_BYTES)}."
            )))
            return
        suffix = PurePath(attachment.name).suffix.lower()
        if suffix == ".opml" or (attachment.mime_type in OPML_TYPES and suffix in {".xml", ""}):
            data = await attachment.download()
            if suffix == ".opml" or b"<opml" in data[:4096].lower():
                await self._import_opml(chat, data, outbox)
                return
        if not can_read(attachment.name, attachment.mime_type):
            suffix = PurePath(attachment.name).suffix or "this kind of"
            await outbox.send(Notice(text=f"{READABLE}, not {suffix} files."))
            return
        async with outbox.working():
            if size < PROGRESS_FROM_BYTES:
                data = await attachment.download()
                result = await asyncio.to_thread(
                    self.engine.ingest_bytes, data, chat,
                    filename=attachment.name, content_type=attachment.mime_type,
                )
                await self._show_saved(chat, result, outbox)
                return
            notice = Notice(text=f"Downloading {attachment.name} ({_megabytes(size)})…")
            progress = (await outbox.send(notice))[0]
            try:
                data = await attachment.download()
                await outbox.edit(progress, Notice(text=f"Reading {attachment.name}…"))
                result = await asyncio.to_thread(
                    self.engine.ingest_bytes, data, chat,
                    filename=attachment.name, content_type=attachment.mime_type,
                )
            except BriefbotError as error:
                await outbox.edit(progress, Notice(text=str(error)))
                return
            await self._show_saved(chat, result, outbox, replace=progress)

    async def _show_saved(
        self,
        chat: Owner,
        result: IngestResult,
        outbox: Outbox,
        *,
        source: str | None = None,
        replace: int | None = None,
    ) -> None:
        summary = await asyncio.to_thread(self._summarize, chat, result.id, None)
        view = SummaryView(
            summary=summary, saved="duplicate" if result.duplicate else "new", source=source
        )
        ids = await (outbox.edit(replace, view) if replace is not None else outbox.send(view))
        await asyncio.to_thread(self._remember, chat, ids, result.id)

    async def _ask(self, chat: Owner, question: str, reply_to: int | None, outbox: Outbox) -> None:
        article_id = None
        if reply_to is not None:
            article_id = await asyncio.to_thread(self.state.shown_article, chat, reply_to)
        async with outbox.working():
            view = await asyncio.to_thread(self._answer, chat, question, article_id)
            ids = await outbox.send(view)
        if isinstance(view, AnswerView):
            cited = {sentence.article_id for sentence in view.answer.sentences}
            if len(cited) == 1:
                await asyncio.to_thread(self.state.remember_shown, chat, ids, cited.pop())

    # --- commands ----------------------------------------------------------------------

    async def _command(self, call: CommandCall, incoming: Incoming, outbox: Outbox) -> None:
        command = commands.allowed(call.name, admin=incoming.admin)
        await self._COMMAND_HANDLERS[command.name](self, call.args, incoming, outbox)

    async def _start(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        await outbox.send(HelpView(greeting=True))

    async def _help(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        await outbox.send(HelpView())

    async def _ask_command(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        if not args:
            raise UsageError("ask")
        await self._ask(incoming.chat, " ".join(args), incoming.reply_to, outbox)

    async def _summary_command(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        chat = incoming.chat
        article_id: int | None = None
        sentences: int | None = None
        for arg in args:
            if arg.startswith("#") and arg[1:].isdigit():
                article_id = int(arg[1:])
            elif arg.isdigit():
                sentences = min(int(arg), MAX_SUMMARY_SENTENCES)
            else:
                raise UsageError("summary")
        if article_id is None:
            article_id = await asyncio.to_thread(self._current_article, chat, incoming.reply_to)
        if article_id is None:
            await outbox.send(Notice(text=NO_ARTICLES))
            return
        summary = await asyncio.to_thread(self._summarize, chat, article_id, sentences)
        ids = await outbox.send(SummaryView(summary=summary))
        await asyncio.to_thread(self._remember, chat, ids, article_id)

    async def _articles(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        await outbox.send(await asyncio.to_thread(self._page, incoming.chat, 0))

    async def _forget(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        chat = incoming.chat
        if len(args) == 1 and args[0].lstrip("#").isdigit():
            article_id: int | None = int(args[0].lstrip("#"))
        elif not args and incoming.reply_to is not None:
            article_id = await asyncio.to_thread(self.state.shown_article, chat, incoming.reply_to)
        else:
            article_id = None
        if article_id is None:
            raise UsageError("forget")
        info = await asyncio.to_thread(self.engine.forget, article_id, chat)
        if await asyncio.to_thread(self.state.last_article, chat) == article_id:
            await asyncio.to_thread(self.state.set_last_article, chat, None)
        await outbox.send(Notice(text=f"Forgot #{info.id}, “{info.title}”."))

    async def _settings_command(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        if args:
            if len(args) != 2 or args[0] not in {"sentences", "algorithm"}:
                raise UsageError("settings")
            await asyncio.to_thread(self._change_setting, incoming.chat, args[0], args[1])
        await outbox.send(await asyncio.to_thread(self._settings_view, incoming.chat))

    async def _add_feed(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        await self._follow("addfeed", args, incoming.chat, outbox)

    async def _add_feed_for_everyone(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        await self._follow("addfeed_all", args, EVERYONE, outbox)

    async def _follow(self, command: str, args: list[str], owner: Owner, outbox: Outbox) -> None:
        urls = find_urls(" ".join(args))
        if len(urls) != 1:
            raise UsageError(command)
        async with outbox.working():
            feed, result = await self.workers.fetch(self.engine.add_feed, urls[0], owner)
            await outbox.send(FeedAdded(feed=feed, new_articles=len(result.new_articles)))

    async def _feeds(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        await outbox.send(await asyncio.to_thread(self._feed_list, incoming.chat))

    async def _remove_feed(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        feed_id = _id_argument(args, "removefeed")
        feed = await asyncio.to_thread(self._unfollow, incoming.chat, feed_id, incoming.admin)
        await outbox.send(Notice(text=f"Stopped following {feed.title or feed.url} (#{feed.id})."))

    async def _subscribe(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        if not args:
            raise UsageError("subscribe")
        topic = await asyncio.to_thread(self.engine.subscribe, incoming.chat, " ".join(args))
        await outbox.send(TopicList(topics=[topic], added=topic))

    async def _topics(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        await outbox.send(await asyncio.to_thread(self._topic_list, incoming.chat))

    async def _unsubscribe(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        topic_id = _id_argument(args, "unsubscribe")
        topic = await asyncio.to_thread(self.engine.unsubscribe, topic_id, incoming.chat)
        await outbox.send(Notice(text=f"Stopped watching “{topic.query}” (#{topic.id})."))

    async def _digest(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        async with outbox.working():
            await outbox.send(await asyncio.to_thread(self._digest_now, incoming.chat))

    async def _digest_at(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        """``/digest_at 07:30 Europe/Paris``; the time or the zone alone changes only that."""
        if len(args) > 2:
            raise UsageError("digest_at")
        if args:
            changes: dict[str, object] = {"enabled": True}
            for arg in args:
                if "/" in arg or arg.isalpha():
                    changes["zone"] = schedule.parse_zone(arg)
                else:
                    changes["time"] = schedule.parse_time(arg)
            await asyncio.to_thread(self._change_digest, incoming.chat, changes)
        await outbox.send(await asyncio.to_thread(self._digest_settings_view, incoming.chat))

    async def _digest_off(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        await asyncio.to_thread(self._change_digest, incoming.chat, {"enabled": False})
        await outbox.send(await asyncio.to_thread(self._digest_settings_view, incoming.chat))

    async def _import_opml(self, chat: Owner, data: bytes, outbox: Outbox) -> None:
        progress_id = (await outbox.send(Notice(text="Importing feeds…")))[0]
        loop = asyncio.get_running_loop()
        last_edit = 0.0

        def progress(done: int, total: int) -> None:
            """Called in the worker thread after each feed; edits the message now and then."""
            nonlocal last_edit
            if done == total or time.monotonic() - last_edit < PROGRESS_EVERY_S:
                return
            last_edit = time.monotonic()
            notice = Notice(text=f"Importing feeds: {done} of {total}…")
            try:
                asyncio.run_coroutine_threadsafe(outbox.edit(progress_id, notice), loop).result()
            except Exception as error:  # a progress message that fails to update is no reason to stop
                log.warning("could not show the import's progress: %s", type(error).__name__)
                log.debug("the error in full", exc_info=error)

        async with outbox.working():
            try:
                results = await self.workers.fetch(self.engine.import_opml, data, chat, progress)
            except BriefbotError as error:
                await outbox.edit(progress_id, Notice(text=str(error)))
                return
        added = [outcome for _, outcome in results if isinstance(outcome, FeedInfo)]
        failed = [(url, outcome) for url, outcome in results if isinstance(outcome, str)]
        await outbox.edit(progress_id, FeedImport(added=added, failed=failed))

    async def _export(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        chat = incoming.chat
        async with outbox.working():
            export = await asyncio.to_thread(self.engine.export, chat)
            document = json.dumps(
                export.model_dump(mode="json", exclude={"opml"}), ensure_ascii=False, indent=2
            )
            await outbox.send_file(
                EXPORT_OPML, export.opml.encode(), f"Your {len(export.feeds)} feeds, as OPML."
            )
            await outbox.send_file(
                EXPORT_JSON, document.encode(),
                f"Your {len(export.topics)} topics, {len(export.feeds)} feeds and "
                f"{len(export.articles)} articles with their texts, as JSON.",
            )

    async def _stats(self, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        await outbox.send(await asyncio.to_thread(self._stats_view))

    # Each command of bot.commands.COMMANDS, by name.
    _COMMAND_HANDLERS: ClassVar[dict[str, CommandHandler]] = {
        "start": _start, "help": _help, "ask": _ask_command, "summary": _summary_command,
        "articles": _articles, "forget": _forget, "settings": _settings_command,
        "addfeed": _add_feed, "addfeed_all": _add_feed_for_everyone, "feeds": _feeds,
        "removefeed": _remove_feed, "subscribe": _subscribe, "topics": _topics,
        "unsubscribe": _unsubscribe, "digest": _digest, "digest_at": _digest_at,
        "digest_off": _digest_off, "export": _export, "stats": _stats,
    }

    # --- buttons -----------------------------------------------------------------------
    # A button whose data doesn't fit its verb (a wrong number of arguments, a word where an
    # id belongs) raises ValueError: it "no longer works".

    async def _button(self, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> str | None:
        return await self._BUTTON_HANDLERS[action.verb](self, chat, message_id, action, outbox)

    async def _length_button(self, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> None:
        article, sentences = (int(arg) for arg in action.args)
        summary = await asyncio.to_thread(self._summarize, chat, article, sentences)
        ids = await outbox.edit(message_id, SummaryView(summary=summary))
        await asyncio.to_thread(self._remember, chat, ids, article)

    async def _ask_button(self, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> None:
        [article] = action.args
        info = await asyncio.to_thread(self.engine.article, int(article), chat)
        ids = await outbox.send(AskPrompt(article=info))
        await asyncio.to_thread(self.state.remember_shown, chat, ids, info.id)

    async def _page_button(self, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> None:
        [offset] = action.args
        await outbox.edit(message_id, await asyncio.to_thread(self._page, chat, int(offset)))

    async def _setting_button(self, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> str:
        [value] = action.args
        changed = await asyncio.to_thread(self._change_setting, chat, action.verb, value)
        if changed:
            await outbox.edit(message_id, await asyncio.to_thread(self._settings_view, chat))
        return f"Summaries: {value} sentences." if action.verb == "sentences" else f"Method: {value}."

    async def _mode_button(self, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> str:
        topic_id, mode = action.args
        topic = await asyncio.to_thread(
            self.engine.set_topic_mode, int(topic_id), chat, _one_of(mode, get_args(TopicMode))
        )
        await outbox.edit(message_id, await asyncio.to_thread(self._topic_list, chat))
        return f"“{topic.query}”: {MODE_MEANING[topic.mode]}."

    async def _untopic_button(self, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> str:
        [topic_id] = action.args
        topic = await asyncio.to_thread(self.engine.unsubscribe, int(topic_id), chat)
        await outbox.edit(message_id, await asyncio.to_thread(self._topic_list, chat))
        return f"Stopped watching “{topic.query}”."

    async def _unfeed_button(self, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> str:
        [feed_id] = action.args
        feed = await asyncio.to_thread(self._unfollow, chat, int(feed_id), False)
        await outbox.edit(message_id, await asyncio.to_thread(self._feed_list, chat))
        return f"Stopped following {feed.title or feed.url}."

    async def _digest_button(self, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> None:
        [value] = action.args
        field = "nothing_new_note" if action.verb == "dnote" else "enabled"
        on = _one_of(value, ("on", "off")) == "on"
        await asyncio.to_thread(self._change_digest, chat, {field: on})
        await outbox.edit(message_id, await asyncio.to_thread(self._digest_settings_view, chat))

    # Each verb of Action, by name.
    _BUTTON_HANDLERS: ClassVar[dict[str, ButtonHandler]] = {
        "length": _length_button, "ask": _ask_button, "page": _page_button,
        "sentences": _setting_button, "algorithm": _setting_button, "mode": _mode_button,
        "untopic": _untopic_button, "unfeed": _unfeed_button, "dnote": _digest_button,
        "dsend": _digest_button,
    }

    # --- synchronous helpers, run in worker threads ------------------------------------

    def _summarize(self, chat: Owner, article_id: int, sentences: int | None) -> Summary:
        settings = self.state.settings(chat)
        return self.engine.summarize(
            article_id, chat,
            sentences=sentences or settings.sentences or self.defaults.sentences,
            algorithm=settings.algorithm or self.defaults.algorithm,
        )

    def _answer(self, chat: Owner, question: str, article_id: int | None) -> Reply:
        answer = self.engine.ask(question, chat, article_id=article_id)
        if not answer.abstained:
            return AnswerView(answer=answer)
        if article_id is not None:
            return AnswerView(answer=answer, scope_title=self.engine.article(article_id, chat).title)
        if self.engine.count_articles(chat) == 0:
            return Notice(text=NO_ARTICLES)
        return AnswerView(answer=answer)

    def _remember(self, chat: Owner, message_ids: list[int], article_id: int) -> None:
        self.state.remember_shown(chat, message_ids, article_id)
        self.state.set_last_article(chat, article_id)

    def _current_article(self, chat: Owner, reply_to: int | None) -> int | None:
        if reply_to is not None and (shown := self.state.shown_article(chat, reply_to)) is not None:
            return shown
        last = self.state.last_article(chat)
        if last is not None:
            return last
        newest = self.engine.articles(chat, limit=1)
        return newest[0].id if newest else None

    def _page(self, chat: Owner, offset: int) -> ArticlePage:
        offset = max(0, offset)
        return ArticlePage(
            articles=self.engine.articles(chat, limit=PAGE_SIZE, offset=offset),
            offset=offset,
            total=self.engine.count_articles(chat),
            page_size=PAGE_SIZE,
        )

    def _settings_view(self, chat: Owner) -> SettingsView:
        settings = self.state.settings(chat)
        return SettingsView(
            sentences=settings.sentences or self.defaults.sentences,
            algorithm=settings.algorithm or self.defaults.algorithm,
            algorithms=ALGORITHMS,
        )

    def _change_setting(self, chat: Owner, key: str, value: str) -> bool:
        """Store one setting; returns whether it changed."""
        settings = self.state.settings(chat)
        if key == "sentences":
            if not value.isdigit() or not 1 <= int(value) <= MAX_SUMMARY_SENTENCES:
                raise SettingError(f"Summaries can have 1 to {MAX_SUMMARY_SENTENCES} sentences.")
            updated = settings.model_copy(update={"sentences": int(value)})
        else:
            if value not in ALGORITHMS:
                raise SettingError(f"The methods are {', '.join(ALGORITHMS)}.")
            updated = settings.model_copy(update={"algorithm": value})
        if updated == settings:
            return False
        self.state.save_settings(chat, updated)
        return True

    def _stats_view(self) -> StatsView:
        return StatsView(
            engine=self.engine.stats(),
            known_chats=self.state.count_chats(),
            load=self.load() if self.load else None,
        )

    def _feed_list(self, chat: Owner) -> FeedList:
        return FeedList(feeds=self.engine.feeds_of(chat), now=datetime.now(UTC))

    def _topic_list(self, chat: Owner) -> TopicList:
        return TopicList(topics=self.engine.topics_of(chat))

    def _unfollow(self, chat: Owner, feed_id: int, admin: bool) -> FeedInfo:
        """Stop following a feed; a feed for every chat only an admin can remove, for all."""
        feed = next((f for f in self.engine.feeds_of(chat) if f.id == feed_id), None)
        if feed is None:
            raise NotFound(f"You don't follow a feed {feed_id}.")
        if not feed.for_everyone:
            return self.engine.remove_feed(feed_id, chat)
        if not admin:
            raise NotFound(f"Feed {feed_id} comes to every chat; only the bot's admins can remove it.")
        if feed.from_config:
            raise NotFound(f"Feed {feed_id} is in the configuration (feeds.urls); remove it there.")
        self.engine.remove_feed(feed_id, EVERYONE)
        return feed

    def _digest_now(self, chat: Owner) -> Reply:
        digest = self.engine.digest(chat)
        if digest.empty:
            return Notice(text=NOTHING_NEW)
        settings = self.state.delivery(chat).digest
        day = schedule.local_now(settings, self.digest_defaults, datetime.now(UTC))
        return DigestView(digest=digest, day=day)

    def _change_digest(self, chat: Owner, changes: dict[str, object]) -> None:
        """Store new digest settings; a time that already passed today starts tomorrow."""
        delivery = self.state.delivery(chat)
        settings = delivery.digest.model_copy(update=changes)
        handled_day = delivery.handled_day
        defaults = self.digest_defaults
        if schedule.digest_zone(settings, defaults) != schedule.digest_zone(delivery.digest, defaults):
            # The day handled was a date in the old zone; in the new one, the last digest
            # sent falls on this date.
            last = self.engine.last_digest(chat)
            handled_day = schedule.local_now(settings, defaults, last).date().isoformat() if last else None
        if "time" in changes or "zone" in changes:
            passed = schedule.already_past_day(settings, defaults, datetime.now(UTC))
            handled_day = max(filter(None, (handled_day, passed)), default=None)
        self.state.save_digest_settings(chat, settings, handled_day)

    def _digest_settings_view(self, chat: Owner) -> DigestSettingsView:
        delivery = self.state.delivery(chat)
        settings: DigestSettings = delivery.digest
        defaults = self.digest_defaults
        return DigestSettingsView(
            time=schedule.digest_time(settings, defaults),
            zone=schedule.digest_zone(settings, defaults),
            enabled=settings.enabled,
            nothing_new_note=settings.nothing_new_note,
            next_at=schedule.next_digest_at(settings, defaults, delivery.handled_day, datetime.now(UTC)),
        )


async def move_chat(engine: Engine, state: ChatState, old: Owner, new: Owner) -> None:
    """A group became a supergroup: everything it had moves to its new id."""
    await asyncio.to_thread(engine.rename_owner, old, new)
    await asyncio.to_thread(state.rename_chat, old, new)


def _id_argument(args: list[str], command: str) -> int:
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        raise UsageError(command)
    return int(args[0].lstrip("#"))


def _one_of(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {allowed}")
    return value


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
