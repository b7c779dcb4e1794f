"""Builds the python-telegram-bot Application in one place, and runs it."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable

from telegram import BotCommand, BotCommandScopeAllGroupChats, Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseUpdateProcessor

from bot.commands import menu
from bot.config import BotConfig
from bot.conversation import Conversation
from bot.handlers import TelegramHandlers
from bot.i18n import DEFAULT_LANGUAGE, languages, translator
from bot.inbox import DurableUpdateQueue, Inbox, handle_once, keep_inbox
from bot.jobs import JOBS_KEY, Jobs
from bot.legacy_state import import_beside
from bot.memory import limit_malloc_arenas, release_free_memory_regularly
from bot.ratelimit import ChatRateLimiter
from bot.replies import BotLoad
from bot.state import ChatState
from bot.workers import Workers
from retrieval.engine import Engine
from retrieval.storage.leases import Leases, replica_name

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
# Updates handled at once, across all chats.
MAX_CONCURRENT_UPDATES = 64
UNBOUNDED = 1_000_000


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Chats are served concurrently, but each chat's updates one after another in order:
    a question sent right after a link is answered after the link is stored.

    An update takes one of ``max_concurrent_updates`` slots only once its chat's turn has
    come, so a chat that sends a hundred messages at once cannot hold every slot while its
    updates wait for each other, and other chats are still served. It is handled only if
    this replica holds it in the ``inbox`` (:func:`bot.inbox.handle_once`)."""

    def __init__(self, max_concurrent_updates: int, inbox: Inbox) -> None:
        # The base class's semaphore is taken before the chat's lock: made too large to
        # matter, the real limit is ``_slots``, taken after it.
        super().__init__(UNBOUNDED)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._inbox = inbox

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        coroutine = handle_once(self._inbox, update, coroutine)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._slots:
                await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._users[chat.id] = self._users.get(chat.id, 0) + 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            self._users[chat.id] -= 1
            if not self._users[chat.id]:
                del self._users[chat.id], self._locks[chat.id]

    def load(self) -> tuple[int, int, int]:
        """Chats with updates in hand, updates waiting for their chat's previous one, and
        the longest such wait in one chat."""
        waiting = [users - 1 for users in self._users.values()]
        return len(waiting), sum(waiting), max(waiting, default=0)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def build_application(config: BotConfig, *, schedule_jobs: bool = True) -> Application:
    """The bot: engine, chat state, handlers, rate limiters, scheduled jobs (unless tests
    drive them by hand); resources close at shutdown, after the last update is handled."""
    telegram = config.telegram
    engine = Engine(config)
    try:
        import_beside(config.storage, engine.storage.db)
    except BaseException:
        engine.close()
        raise
    state = ChatState(engine.storage.db)
    workers = Workers(config.feeds.max_concurrent)
    replica = replica_name()
    queue = DurableUpdateQueue(
        Inbox(engine.storage.db, replica), config.limits.updates_in_memory,
        telegram.webhook_wait_s if telegram.mode == "webhook" else None,
    )
    processor = PerChatUpdateProcessor(MAX_CONCURRENT_UPDATES, queue.inbox)
    background: list[asyncio.Task[None]] = []  # for the bot's life: the inbox, memory
    limiter = ChatRateLimiter(config.limits.messages_per_minute)

    def load() -> BotLoad:
        in_progress, waiting, most_waiting = processor.load()
        return BotLoad(
            chats_in_progress=in_progress,
            updates_waiting=waiting,
            most_waiting_in_one_chat=most_waiting,
            updates_not_dispatched=application.update_queue.qsize(),
            updates_in_memory=queue.held,
            room=queue.room,
            updates_not_done=queue.inbox.count_not_done(),
            scheduled_jobs=len(application.job_queue.jobs()) if application.job_queue else 0,
            chats_told_to_slow_down=limiter.limited_chats(),
        )

    conversation = Conversation(engine, state, config, workers, load)
    jobs = Jobs(engine, state, config, workers, Leases(engine.storage.db, replica))

    async def start(application: Application) -> None:
        background.append(asyncio.create_task(keep_inbox(queue, application.bot)))
        background.append(asyncio.create_task(release_free_memory_regularly()))
        if engine.search.follower is not None:  # PostgreSQL: what other replicas store
            engine.search.follower.start()
        await publish_menus(application)
        await asyncio.to_thread(engine.set_config_feeds, config.feeds.urls)
        if schedule_jobs:
            assert application.job_queue is not None, "python-telegram-bot[job-queue] is required"
            jobs.schedule(application.job_queue)

    async def close_resources(application: Application) -> None:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await asyncio.to_thread(workers.close)
        await asyncio.to_thread(engine.close)
        log.info("closed the database")

    application = (
        ApplicationBuilder()
        .token(config.require_token())
        .base_url(telegram.base_url)
        .base_file_url(telegram.base_file_url)
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=telegram.messages_per_second,
                group_max_rate=telegram.group_messages_per_minute,
                max_retries=telegram.max_retries,
            )
        )
        .update_queue(queue)
        .concurrent_updates(processor)
        .post_init(start)
        .post_shutdown(close_resources)
        .build()
    )
    application.bot_data[JOBS_KEY] = jobs
    TelegramHandlers(conversation, config.access, state, limiter).register(application)
    return application


async def publish_menus(application: Application) -> None:
    """The command menus, once per language: Telegram shows each user the one of their app's
    language, and the English one (without a language code) to everyone else; groups get
    theirs (with the catch-up commands), every other chat the default one. Command names
    stay English; their descriptions are translated."""
    for language in languages():
        t = translator(language)
        code = None if language == DEFAULT_LANGUAGE else language
        for scope, groups in ((None, False), (BotCommandScopeAllGroupChats(), True)):
            await application.bot.set_my_commands(
                [BotCommand(command.name, t.gettext(command.description)) for command in menu(groups=groups)],
                scope=scope, language_code=code,
            )


def run(config: BotConfig) -> None:
    """Serve until SIGTERM or SIGINT: long polling by default, or a webhook."""
    limit_malloc_arenas()  # before the first thread starts
    asyncio.run(_serve(build_application(config), config))


async def _serve(application: Application, config: BotConfig) -> None:
    """Start in the order ``Application.run_polling`` uses, serve, stop in reverse order.

    Our own loop rather than ``run_polling``: a signal only sets an event, so one that
    arrives while the bot is still starting (python-telegram-bot would raise SystemExit in
    the middle of a request) lets the start finish and then stops cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    updater = application.updater
    assert updater is not None
    telegram = config.telegram
    async with application:  # initialize, and shutdown at the end
        if application.post_init:
            await application.post_init(application)
        if telegram.mode == "webhook":
            log.info("webhook on %s:%d", telegram.listen, telegram.port)
            await updater.start_webhook(
                listen=telegram.listen,
                port=telegram.port,
                url_path=telegram.webhook_path,
                webhook_url=telegram.webhook_url,
                secret_token=telegram.secret_token.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await application.start()
        await stop.wait()
        await updater.stop()
        await application.stop()
    if application.post_shutdown:
        await application.post_shutdown(application)
