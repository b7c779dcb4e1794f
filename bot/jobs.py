"""Scheduled work on python-telegram-bot's JobQueue: polling feeds, instant alerts, daily
digests, and deleting what groups kept longer than their catch-up keeps it.

Each job is a plain async method taking an optional ``now``: the JobQueue calls it on a
timer, tests call it directly with the time they want. Messages go out one chat after
another, so the rate limiter (30 messages/s, 20 per minute per group) spreads them;
a chat that blocked the bot is paused, a group that became a supergroup is followed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden
from telegram.ext import Application, ContextTypes, JobQueue

from bot import schedule
from bot.conversation import move_chat
from bot.following import NOTHING_NEW
from bot.handlers import TelegramOutbox
from bot.i18n import Translator, translator
from bot.logs import log_failure
from bot.refusals import Refusal, is_refusal
from bot.replies import AlertView, DigestView, Notice, Reply
from bot.state import ChatState, Delivery
from bot.workers import Workers
from retrieval.bot_models import Alert, PollResult
from retrieval.config import EngineConfig
from retrieval.engine import Engine
from retrieval.owners import Owner, OwnerKind
from retrieval.storage.leases import Leases

log = logging.getLogger(__name__)

POLL_EVERY_S = 30
ALERTS_EVERY_S = 30
DIGESTS_EVERY_S = 60
# Kept group messages past their retention are deleted this often (and what groups said
# since the last commit becomes searchable).
EXPIRY_EVERY_S = 600
# Articles shown in one alert message; the rest are counted ("…and 7 more").
MAX_ALERTS_PER_MESSAGE = 10
JOBS_KEY = "jobs"
# Alerts and digests are sent by one replica at a time, which holds the job's lease for
# this long, renewed after each chat; a replica that died lets another go on after it.
JOB_LEASE = timedelta(minutes=2)
ALERTS, DIGESTS = "send_alerts", "send_digests"


class Jobs:
    def __init__(
        self, engine: Engine, state: ChatState, config: EngineConfig, workers: Workers, leases: Leases
    ) -> None:
        self.engine = engine
        self.state = state
        self.config = config
        self.workers = workers
        self.leases = leases
        # A run that overlaps the previous one (slow sends) must not deliver twice: in this
        # process (the locks), nor in another replica (the leases).
        self._alerts_running = asyncio.Lock()
        self._digests_running = asyncio.Lock()

    def schedule(self, job_queue: JobQueue) -> None:
        """Run the jobs on timers; digests are checked at once, so one missed while the bot
        was down goes out at start-up."""
        job_queue.run_repeating(self._poll_on_timer, POLL_EVERY_S, first=5, name="poll_feeds")
        job_queue.run_repeating(
            self._alerts_on_timer, ALERTS_EVERY_S, first=ALERTS_EVERY_S, name="send_alerts"
        )
        job_queue.run_repeating(self._digests_on_timer, DIGESTS_EVERY_S, first=0, name="send_digests")
        job_queue.run_repeating(self._expiry_on_timer, EXPIRY_EVERY_S, first=60, name="expire_messages")

    async def _poll_on_timer(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.poll_feeds()

    async def _alerts_on_timer(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.send_alerts(context.bot)

    async def _digests_on_timer(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.send_digests(context.bot)

    async def _expiry_on_timer(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.expire_messages()

    # --- group catch-up ------------------------------------------------------------------

    async def expire_messages(self, now: datetime | None = None) -> int:
        """Delete the group messages kept longer than ``[catchup] retention_days``; returns
        how many."""
        return await asyncio.to_thread(self.engine.expire_messages, now)

    # --- feeds -------------------------------------------------------------------------

    async def poll_feeds(self, now: datetime | None = None) -> list[PollResult]:
        """Poll every feed that is due, ``feeds.max_concurrent`` at a time, on threads of their
        own: slow feeds never hold up the chats' requests."""
        due = await asyncio.to_thread(self.engine.due_feeds, now)
        queue = iter(due)
        results: list[PollResult] = []

        async def worker() -> None:
            for feed_id in queue:  # the workers share the queue: each takes the next feed
                if not await asyncio.to_thread(self.engine.take_feed, feed_id, now):
                    continue  # another replica polls it
                try:
                    results.append(await self.workers.poll(self.engine.poll_feed, feed_id))
                except Exception as error:  # one broken feed must not stop the others
                    log_failure(log, "polling feed %d failed", feed_id, error=error)

        await asyncio.gather(*(worker() for _ in range(min(self.config.feeds.max_concurrent, len(due)))))
        return results

    # --- instant alerts ----------------------------------------------------------------

    async def send_alerts(self, bot: Bot, now: datetime | None = None) -> int:
        """One message per chat with its new matches, at most one per ``alerts.min_interval_seconds``.
        Returns the number of messages sent."""
        now = now or datetime.now(UTC)
        async with self._alerts_running, self._held(ALERTS) as held:
            if not held:
                return 0
            pending = await asyncio.to_thread(self.engine.pending_alerts, OwnerKind.CHAT)
            sent = 0
            for owner, alerts in _by_chat(pending).items():
                if not await self._still_held(ALERTS):
                    break
                try:
                    sent += await self._alert(bot, owner, alerts, now)
                except Exception as error:  # one chat's failure must not hold back the others
                    log_failure(log, "alerts for %s failed", owner, error=error)
            return sent

    async def _alert(self, bot: Bot, owner: Owner, alerts: list[Alert], now: datetime) -> bool:
        delivery = await asyncio.to_thread(self.state.delivery, owner)
        interval = timedelta(seconds=self.config.alerts.min_interval_seconds)
        if not delivery.paused and delivery.last_alert_at and now - delivery.last_alert_at < interval:
            return False  # they wait, and arrive together with the next ones
        shown = list(dict.fromkeys(alert.article_id for alert in alerts))[:MAX_ALERTS_PER_MESSAGE]
        view = AlertView(
            alerts=[alert for alert in alerts if alert.article_id in shown],
            more=len({alert.article_id for alert in alerts}) - len(shown),
        )
        # A paused chat (it blocked the bot) misses its alerts rather than getting a flood
        # later; alerts Telegram refuses are dropped too, not retried every half minute.
        try:
            reached = None if delivery.paused else await self._deliver(bot, owner, view)
        finally:
            await asyncio.to_thread(self.engine.mark_alerted, alerts)
        if reached is None:
            return False
        await asyncio.to_thread(self.state.set_last_alert, reached, now)
        return True

    # --- daily digests -----------------------------------------------------------------

    async def send_digests(self, bot: Bot, now: datetime | None = None) -> int:
        """Send each chat's digest once its local time has come, once per local day.
        Returns the number of digests sent."""
        now = now or datetime.now(UTC)
        async with self._digests_running, self._held(DIGESTS) as held:
            if not held:
                return 0
            sent = 0
            for delivery, due in await asyncio.to_thread(self._due_digests, now):
                if not await self._still_held(DIGESTS):
                    break
                try:
                    sent += await self._digest(bot, delivery, due, now)
                except Exception as error:  # one chat's failure must not hold back the others
                    log_failure(log, "the digest for %s failed", delivery.chat, error=error)
            return sent

    def _due_digests(self, now: datetime) -> list[tuple[Delivery, schedule.DueDigest]]:
        due = []
        for delivery in self.state.deliveries(OwnerKind.CHAT):
            handled = schedule.handled_day(self.engine, delivery.chat, delivery.digest, self.config.digest)
            today = schedule.due_digest(delivery.digest, self.config.digest, handled, now)
            if today is not None:
                due.append((delivery, today))
        return due

    async def _digest(self, bot: Bot, delivery: Delivery, due: schedule.DueDigest, now: datetime) -> bool:
        owner = delivery.chat
        if due.too_late:
            log.info("skipping %s's digest of %s: %s late", owner, due.day, due.late)
            await asyncio.to_thread(self.engine.skip_digest, owner, due.day, due.zone)
            return False
        reply, items, built = await asyncio.to_thread(self._prepare_digest, delivery, due, now)
        if reply is None:
            return False
        reached = await self._deliver(bot, owner, reply)
        if reached is None:
            return False
        # Recorded once sent (a crash in between may resend it once; never skip one), with
        # the time it was built, so what arrived while it was being sent goes in the next one.
        await asyncio.to_thread(self.engine.record_digest, reached, due.day, due.zone, items, sent_at=built)
        return True

    def _prepare_digest(
        self, delivery: Delivery, due: schedule.DueDigest, now: datetime
    ) -> tuple[Reply | None, int, datetime]:
        """The digest to send, its number of items and when it was built; no reply when
        there is nothing to send."""
        owner = delivery.chat
        handled = self.engine.digest_handled_day(owner, due.zone)
        if handled is not None and handled >= due.day:  # handled since the run began
            return None, 0, now
        if not self._wants_digest(owner):
            self.engine.skip_digest(owner, due.day, due.zone)
            return None, 0, now
        digest = self.engine.digest(owner)
        if not digest.empty:
            local_day = schedule.local_now(delivery.digest, self.config.digest, now)
            items = sum(len(s.items) for s in digest.sections)
            return DigestView(digest=digest, day=local_day), items, digest.until
        if delivery.digest.nothing_new_note:
            return Notice(text=self._translator(owner).gettext(NOTHING_NEW)), 0, digest.until
        self.engine.record_digest(owner, due.day, due.zone, 0, sent_at=digest.until)
        return None, 0, digest.until

    def _wants_digest(self, owner: Owner) -> bool:
        """Chats that follow a feed (their own, or one for everyone) or a daily topic."""
        return bool(self.engine.feeds_of(owner)) or any(
            topic.mode == "daily" for topic in self.engine.topics_of(owner)
        )

    # --- one replica at a time ----------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _held(self, job: str) -> AsyncIterator[bool]:
        """Hold the job's lease while the run lasts: False when another replica runs it."""
        held = await self._still_held(job)
        try:
            yield held
        finally:
            if held:
                await asyncio.to_thread(self.leases.release, job)

    async def _still_held(self, job: str) -> bool:
        """Take or renew the job's lease (False once another replica took it over)."""
        return await asyncio.to_thread(self.leases.take, job, JOB_LEASE)

    # --- delivery ----------------------------------------------------------------------

    def _translator(self, owner: Owner) -> Translator:
        """What the bot sends on its own is written in the chat's language, or in the one
        last seen there."""
        return translator(self.state.reply_language(owner))

    async def _deliver(self, bot: Bot, owner: Owner, reply: Reply) -> Owner | None:
        """Send to a chat; returns the owner it reached (a migrated group's new name), or
        None when the chat blocked the bot (it is paused until it writes again)."""
        try:
            t = await asyncio.to_thread(self._translator, owner)
            await TelegramOutbox(bot, owner.id, t).send(reply)
            return owner
        except Forbidden:
            log.info("%s blocked the bot: pausing it", owner)
            await asyncio.to_thread(self.state.pause, owner)
            return None
        except BadRequest as error:
            if not is_refusal(error, Refusal.CHAT_NOT_FOUND):
                raise
            log.info("%s no longer exists: pausing it", owner)
            await asyncio.to_thread(self.state.pause, owner)
            return None
        except ChatMigrated as moved:
            new_owner = Owner.chat(moved.new_chat_id)
            log.info("%s became %s", owner, new_owner)
            await move_chat(self.engine, self.state, owner, new_owner)
            return await self._deliver(bot, new_owner, reply)


def jobs_of(application: Application) -> Jobs:
    return application.bot_data[JOBS_KEY]


def _by_chat(alerts: Iterable[Alert]) -> dict[Owner, list[Alert]]:
    """Alerts grouped per Telegram chat."""
    grouped: dict[Owner, list[Alert]] = {}
    for alert in alerts:
        grouped.setdefault(alert.owner, []).append(alert)
    return grouped
