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
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Literal, Protocol, get_args

from pydantic import BaseModel, Field

from bot import schedule
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
from retrieval.feeds import EVERYONE
from retrieval.models import FeedInfo, IngestResult, Summary, TopicMode
from retrieval.sizes import byte_size
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

QUESTION_WORDS = frozenset({
    "who", "whom", "whose", "what", "which", "when", "where", "why", "how", "is", "are", "was",
    "were", "do", "does", "did", "can", "could", "should", "would", "will", "has", "have", "had",
    "tell", "explain", "list", "name",
})
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


class UsageError(BriefbotError):
    """A command used the wrong way; the message shows the right way."""


class Forward(BaseModel):
    """Where a forwarded message came from."""

    source: str
    url: str | None = None


class Attachment(BaseModel):
    name: str
    size: int | None = None
    mime_type: str | None = None
    download: Callable[[], Awaitable[bytes]]


class Link(BaseModel):
    """A link in a message, as the transport found it (Telegram marks links as entities)."""

    url: str
    """The address to fetch."""
    written: str | None = None
    """The address as it stands in the text; None when words link to it (a ``text_link``)."""


class Incoming(BaseModel):
    """A message addressed to the bot. ``chat`` is the engine owner ("chat:42", "local");
    ``admin`` says whether its sender may change what every chat receives. ``text`` is
    the message's text or a photo's, video's or file's caption; ``links`` are the links
    in it."""

    chat: str
    admin: bool = False
    text: str = ""
    links: list[Link] = Field(default_factory=list)
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
    stripped = text.strip()
    first_word = stripped.split(maxsplit=1)[0].lower() if stripped else ""
    return "\n" not in stripped and (stripped.endswith("?") or first_word in QUESTION_WORDS)


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

    async def command(self, name: str, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        await asyncio.to_thread(self.state.note_active, incoming.chat)
        try:
            await self._command(name, args, incoming, outbox)
        except BriefbotError as error:
            await outbox.send(Notice(text=str(error)))

    async def button(self, chat: str, message_id: int, data: str, outbox: Outbox) -> str | None:
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

    async def chat_moved(self, old: str, new: str) -> None:
        await move_chat(self.engine, self.state, old, new)

    # --- messages ----------------------------------------------------------------------

    async def _message(self, incoming: Incoming, outbox: Outbox) -> None:
        text = incoming.text.strip()
        kind = classify(text, incoming.links, forwarded=incoming.forward is not None) if text else None
        # A photo, a video or a file that isn't text is passed over for its caption's links,
        # or for a caption long enough to be an article; nothing is said of the thing itself.
        read_caption = kind == "links" or (kind == "article" and len(text) >= QUESTION_CHARS)
        attachment = incoming.attachment
        if attachment is not None and (_readable(attachment) or not read_caption):
            await self._file(incoming.chat, attachment, outbox)
            return
        if kind is None or (incoming.unsupported and not read_caption):
            what = incoming.unsupported or "that"
            await outbox.send(Notice(text=(
                f"I can't read {what}. Send me a link, some text, or a .txt, .md, .html or .pdf "
                "file, and ask me questions about them."
            )))
            return
        match kind:
            case "links":
                await self._links(incoming.chat, [link.url for link in incoming.links], outbox)
            case "question":
                await self._ask(incoming.chat, text, incoming.reply_to, outbox)
            case "article":
                await self._text(incoming.chat, text, incoming.forward, outbox)

    async def _links(self, chat: str, urls: list[str], outbox: Outbox) -> None:
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

    async def _text(self, chat: str, text: str, forward: Forward | None, outbox: Outbox) -> None:
        async with outbox.working():
            result = await asyncio.to_thread(
                self.engine.ingest_text, text, chat,
                url=forward.url if forward else None, site=forward.source if forward else None,
            )
            await self._show_saved(chat, result, outbox, source=forward.source if forward else None)

    async def _file(self, chat: str, attachment: Attachment, outbox: Outbox) -> None:
        size = attachment.size or 0
        if size > MAX_DOWNLOAD_BYTES:
            await outbox.send(Notice(text=(
                f"{attachment.name} is {byte_size(size)}; Telegram lets me download files "
                f"of up to {byte_size(MAX_DOWNLOAD_BYTES)}."
            )))
            return
        suffix = PurePath(attachment.name).suffix.lower()
        if _may_be_opml(attachment):
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
            notice = Notice(text=f"Downloading {attachment.name} ({byte_size(size)})…")
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
        chat: str,
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

    async def _ask(self, chat: str, question: str, reply_to: int | None, outbox: Outbox) -> None:
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

    async def _command(self, name: str, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
        chat = incoming.chat
        match name:
            case "start" | "help":
                await outbox.send(HelpView(greeting=name == "start"))
            case "ask":
                if not args:
                    await outbox.send(Notice(text="Ask me something after /ask, for example: "
                                                  "/ask what did the minister promise?"))
                else:
                    await self._ask(chat, " ".join(args), incoming.reply_to, outbox)
            case "summary":
                await self._summary_command(chat, args, incoming.reply_to, outbox)
            case "articles":
                await outbox.send(await asyncio.to_thread(self._page, chat, 0))
            case "forget":
                await self._forget(chat, args, incoming.reply_to, outbox)
            case "settings":
                await self._settings_command(chat, args, outbox)
            case "addfeed" | "addfeed_all":
                await self._add_feed(incoming, args, outbox, everyone=name == "addfeed_all")
            case "feeds":
                await outbox.send(await asyncio.to_thread(self._feed_list, chat))
            case "removefeed":
                await self._remove_feed(incoming, args, outbox)
            case "subscribe":
                await self._subscribe(chat, args, outbox)
            case "topics":
                await outbox.send(await asyncio.to_thread(self._topic_list, chat))
            case "unsubscribe":
                topic_id = _id_argument(args, "Which one? Use /unsubscribe ID; /topics shows the ids.")
                topic = await asyncio.to_thread(self.engine.unsubscribe, topic_id, chat)
                await outbox.send(Notice(text=f"Stopped watching “{topic.query}” (#{topic.id})."))
            case "digest":
                async with outbox.working():
                    await outbox.send(await asyncio.to_thread(self._digest_now, chat))
            case "digest_at":
                await self._digest_at(chat, args, outbox)
            case "digest_off":
                await asyncio.to_thread(self._change_digest, chat, {"enabled": False})
                await outbox.send(await asyncio.to_thread(self._digest_settings_view, chat))
            case "export":
                await self._export(chat, outbox)
            case "stats" if incoming.admin:
                await outbox.send(await asyncio.to_thread(self._stats))
            case _:
                await outbox.send(Notice(text=f"I don't know /{name}. /help lists what I can do."))

    async def _summary_command(
        self, chat: str, args: list[str], reply_to: int | None, outbox: Outbox
    ) -> None:
        article_id: int | None = None
        sentences: int | None = None
        for arg in args:
            if arg.startswith("#") and arg[1:].isdigit():
                article_id = int(arg[1:])
            elif arg.isdigit():
                sentences = min(int(arg), MAX_SUMMARY_SENTENCES)
            else:
                await outbox.send(Notice(text="Use /summary [N] [#ID]: for example /summary 5, "
                                              "or /summary #12 for article 12."))
                return
        if article_id is None:
            article_id = await asyncio.to_thread(self._current_article, chat, reply_to)
        if article_id is None:
            await outbox.send(Notice(text=NO_ARTICLES))
            return
        summary = await asyncio.to_thread(self._summarize, chat, article_id, sentences)
        ids = await outbox.send(SummaryView(summary=summary))
        await asyncio.to_thread(self._remember, chat, ids, article_id)

    async def _forget(self, chat: str, args: list[str], reply_to: int | None, outbox: Outbox) -> None:
        if len(args) == 1 and args[0].lstrip("#").isdigit():
            article_id: int | None = int(args[0].lstrip("#"))
        elif not args and reply_to is not None:
            article_id = await asyncio.to_thread(self.state.shown_article, chat, reply_to)
        else:
            article_id = None
        if article_id is None:
            await outbox.send(Notice(text="Which one? Use /forget ID; /articles shows the ids."))
            return
        info = await asyncio.to_thread(self.engine.forget, article_id, chat)
        if await asyncio.to_thread(self.state.last_article, chat) == article_id:
            await asyncio.to_thread(self.state.set_last_article, chat, None)
        await outbox.send(Notice(text=f"Forgot #{info.id}, “{info.title}”."))

    async def _settings_command(self, chat: str, args: list[str], outbox: Outbox) -> None:
        if args:
            if len(args) != 2 or args[0] not in {"sentences", "algorithm"}:
                await outbox.send(Notice(text="Use /settings sentences N or /settings algorithm "
                                              f"NAME (one of {', '.join(ALGORITHMS)})."))
                return
            await asyncio.to_thread(self._change_setting, chat, args[0], args[1])
        await outbox.send(await asyncio.to_thread(self._settings_view, chat))

    async def _add_feed(self, incoming: Incoming, args: list[str], outbox: Outbox, *, everyone: bool) -> None:
        command = "/addfeed_all" if everyone else "/addfeed"
        urls = [link.url for link in find_links(" ".join(args))]
        if len(urls) != 1:
            await outbox.send(Notice(text=f"Use {command} URL: a feed (RSS or Atom) or a web page that "
                                          "announces one, for example /addfeed https://example.com/feed.xml"))
            return
        if everyone and not incoming.admin:
            await outbox.send(Notice(text="Only the bot's admins can add feeds for every chat."))
            return
        async with outbox.working():
            feed, result = await self.workers.fetch(
                self.engine.add_feed, urls[0], EVERYONE if everyone else incoming.chat
            )
            await outbox.send(FeedAdded(feed=feed, new_articles=len(result.new_articles)))

    async def _remove_feed(self, incoming: Incoming, args: list[str], outbox: Outbox) -> None:
        feed_id = _id_argument(args, "Which one? Use /removefeed ID; /feeds shows the ids.")
        feed = await asyncio.to_thread(self._unfollow, incoming.chat, feed_id, incoming.admin)
        await outbox.send(Notice(text=f"Stopped following {feed.title or feed.url} (#{feed.id})."))

    async def _subscribe(self, chat: str, args: list[str], outbox: Outbox) -> None:
        if not args:
            await outbox.send(Notice(text=(
                "Use /subscribe QUERY: words (all must appear), \"exact phrases\", OR between "
                "alternatives, -excluded words, site:example.com. For example: "
                '/subscribe volcano OR eruption "la palma" -tourism'
            )))
            return
        topic = await asyncio.to_thread(self.engine.subscribe, chat, " ".join(args))
        await outbox.send(TopicList(topics=[topic], added=topic))

    async def _digest_at(self, chat: str, args: list[str], outbox: Outbox) -> None:
        """``/digest_at 07:30 Europe/Paris``; the time or the zone alone changes only that."""
        if len(args) > 2:
            await outbox.send(Notice(text="Use /digest_at HH:MM [Area/City], for example "
                                          "/digest_at 07:30 Europe/Paris."))
            return
        if args:
            changes: dict[str, object] = {"enabled": True}
            for arg in args:
                if "/" in arg or arg.isalpha():
                    changes["zone"] = schedule.parse_zone(arg)
                else:
                    changes["time"] = schedule.parse_time(arg)
            await asyncio.to_thread(self._change_digest, chat, changes)
        await outbox.send(await asyncio.to_thread(self._digest_settings_view, chat))

    async def _import_opml(self, chat: str, data: bytes, outbox: Outbox) -> None:
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

    async def _export(self, chat: str, outbox: Outbox) -> None:
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

    # --- buttons -----------------------------------------------------------------------

    async def _button(self, chat: str, message_id: int, action: Action, outbox: Outbox) -> str | None:
        match action.verb, action.args:
            case "length", (article, sentences):
                summary = await asyncio.to_thread(
                    self._summarize, chat, int(article), int(sentences)
                )
                ids = await outbox.edit(message_id, SummaryView(summary=summary))
                await asyncio.to_thread(self._remember, chat, ids, int(article))
                return None
            case "ask", (article,):
                info = await asyncio.to_thread(self.engine.article, int(article), chat)
                ids = await outbox.send(AskPrompt(article=info))
                await asyncio.to_thread(self.state.remember_shown, chat, ids, info.id)
                return None
            case "page", (offset,):
                await outbox.edit(message_id, await asyncio.to_thread(self._page, chat, int(offset)))
                return None
            case ("sentences" | "algorithm") as key, (value,):
                changed = await asyncio.to_thread(self._change_setting, chat, key, value)
                if changed:
                    await outbox.edit(message_id, await asyncio.to_thread(self._settings_view, chat))
                return f"Summaries: {value} sentences." if key == "sentences" else f"Method: {value}."
            case "mode", (topic_id, mode) if mode in get_args(TopicMode):
                topic = await asyncio.to_thread(self.engine.set_topic_mode, int(topic_id), chat, mode)
                await outbox.edit(message_id, await asyncio.to_thread(self._topic_list, chat))
                return f"“{topic.query}”: {MODE_MEANING[topic.mode]}."
            case "untopic", (topic_id,):
                topic = await asyncio.to_thread(self.engine.unsubscribe, int(topic_id), chat)
                await outbox.edit(message_id, await asyncio.to_thread(self._topic_list, chat))
                return f"Stopped watching “{topic.query}”."
            case "unfeed", (feed_id,):
                feed = await asyncio.to_thread(self._unfollow, chat, int(feed_id), False)
                await outbox.edit(message_id, await asyncio.to_thread(self._feed_list, chat))
                return f"Stopped following {feed.title or feed.url}."
            case ("dnote" | "dsend") as key, (value,) if value in {"on", "off"}:
                field = "nothing_new_note" if key == "dnote" else "enabled"
                await asyncio.to_thread(self._change_digest, chat, {field: value == "on"})
                await outbox.edit(message_id, await asyncio.to_thread(self._digest_settings_view, chat))
                return None
        return "That button no longer works."

    # --- synchronous helpers, run in worker threads ------------------------------------

    def _summarize(self, chat: str, article_id: int, sentences: int | None) -> Summary:
        settings = self.state.settings(chat)
        return self.engine.summarize(
            article_id, chat,
            sentences=sentences or settings.sentences or self.defaults.sentences,
            algorithm=settings.algorithm or self.defaults.algorithm,
        )

    def _answer(self, chat: str, question: str, article_id: int | None) -> Reply:
        answer = self.engine.ask(question, chat, article_id=article_id)
        if not answer.abstained:
            return AnswerView(answer=answer)
        if article_id is not None:
            return AnswerView(answer=answer, scope_title=self.engine.article(article_id, chat).title)
        if self.engine.count_articles(chat) == 0:
            return Notice(text=NO_ARTICLES)
        return AnswerView(answer=answer)

    def _remember(self, chat: str, message_ids: list[int], article_id: int) -> None:
        self.state.remember_shown(chat, message_ids, article_id)
        self.state.set_last_article(chat, article_id)

    def _current_article(self, chat: str, reply_to: int | None) -> int | None:
        if reply_to is not None and (shown := self.state.shown_article(chat, reply_to)) is not None:
            return shown
        last = self.state.last_article(chat)
        if last is not None:
            return last
        newest = self.engine.articles(chat, limit=1)
        return newest[0].id if newest else None

    def _page(self, chat: str, offset: int) -> ArticlePage:
        offset = max(0, offset)
        return ArticlePage(
            articles=self.engine.articles(chat, limit=PAGE_SIZE, offset=offset),
            offset=offset,
            total=self.engine.count_articles(chat),
            page_size=PAGE_SIZE,
        )

    def _settings_view(self, chat: str) -> SettingsView:
        settings = self.state.settings(chat)
        return SettingsView(
            sentences=settings.sentences or self.defaults.sentences,
            algorithm=settings.algorithm or self.defaults.algorithm,
            algorithms=ALGORITHMS,
        )

    def _change_setting(self, chat: str, key: str, value: str) -> bool:
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

    def _stats(self) -> StatsView:
        return StatsView(
            engine=self.engine.stats(),
            known_chats=self.state.count_chats(),
            load=self.load() if self.load else None,
        )

    def _feed_list(self, chat: str) -> FeedList:
        return FeedList(feeds=self.engine.feeds_of(chat), now=datetime.now(UTC))

    def _topic_list(self, chat: str) -> TopicList:
        return TopicList(topics=self.engine.topics_of(chat))

    def _unfollow(self, chat: str, feed_id: int, admin: bool) -> FeedInfo:
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

    def _digest_now(self, chat: str) -> Reply:
        digest = self.engine.digest(chat)
        if digest.empty:
            return Notice(text=NOTHING_NEW)
        settings = self.state.delivery(chat).digest
        day = schedule.local_now(settings, self.digest_defaults, datetime.now(UTC))
        return DigestView(digest=digest, day=day)

    def _change_digest(self, chat: str, changes: dict[str, object]) -> None:
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

    def _digest_settings_view(self, chat: str) -> DigestSettingsView:
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


async def move_chat(engine: Engine, state: ChatState, old: str, new: str) -> None:
    """A group became a supergroup: everything it had moves to its new id."""
    await asyncio.to_thread(engine.rename_owner, old, new)
    await asyncio.to_thread(state.rename_chat, old, new)


def _may_be_opml(attachment: Attachment) -> bool:
    suffix = PurePath(attachment.name).suffix.lower()
    return suffix == ".opml" or (attachment.mime_type in OPML_TYPES and suffix in {".xml", ""})


def _readable(attachment: Attachment) -> bool:
    """Whether the bot reads files of this name and type (an OPML file imports feeds)."""
    return can_read(attachment.name, attachment.mime_type) or _may_be_opml(attachment)


def _id_argument(args: list[str], usage: str) -> int:
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        raise UsageError(usage)
    return int(args[0].lstrip("#"))
