"""Updates kept in the database until one replica has handled them.

Every update the bot receives, from its webhook or from getUpdates, is written to the
``updates`` table before Telegram learns it arrived (:class:`DurableUpdateQueue`: the
webhook answers 200 only once the update is stored). The replica that stored it holds it
for a lease (:data:`LEASE`), renewed while the update waits for its turn and while it is
handled, and marks it done at the end. So, whichever replicas Telegram or the load
balancer deliver an update to, and however often:

- it is handled once: a done update, or one a live replica holds, is skipped;
- nothing acknowledged is lost: an update whose replica died (its lease ran out) is taken
  over by the next sweep of any replica (:meth:`Inbox.take_abandoned`).

Done updates are forgotten after :data:`KEEP_DONE` (Telegram redelivers for a day at most).

A replica holds at most ``[limits] updates_in_memory`` updates at once (queued, waiting for
their chat's turn, or being handled): beyond it, it takes no more until one is done
(:class:`DurableUpdateQueue`), so under overload the backlog waits at Telegram, which keeps
updates for a day, instead of in the bot's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from sqlalchemy import func, or_, select
from telegram import Bot, Update

from retrieval.storage.core import insert_or_ignore
from retrieval.storage.database import Database, timestamp
from retrieval.storage.leases import replica_name
from retrieval.storage.schema import updates

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=20)
RENEW_EVERY_S = 5.0
SWEEP_EVERY_S = 2.0
KEEP_DONE = timedelta(days=2)
SWEEP_BATCH = 100


class Inbox:
    """The ``updates`` table, as one replica (``holder``) sees it. Thread-safe."""

    def __init__(self, db: Database, holder: str | None = None, lease: timedelta = LEASE) -> None:
        self._db = db
        self.holder = holder or replica_name()
        self._lease = lease
        # Updates queued or being handled here (touched on the event loop only): one whose
        # lease ran out while it waited (a stalled loop) is not queued a second time.
        self.in_hand: set[int] = set()

    def receive(self, update_id: int, body: str) -> None:
        """Keep an update until it is handled, held by this replica (an update received
        before stays as it is, with its holder)."""
        now = datetime.now(UTC)
        with self._db.transaction() as db:
            db.execute(
                insert_or_ignore(db, updates).values(
                    update_id=update_id, body=body, received_at=timestamp(now), claimed_by=self.holder,
                    lease_until=timestamp(now + self._lease),
                )
            )

    def claim(self, update_id: int) -> bool:
        """Hold the update to handle it: False when it is done or another live replica holds it."""
        now = datetime.now(UTC)
        with self._db.transaction() as db:
            taken = db.execute(
                updates.update()
                .where(
                    updates.c.update_id == update_id,
                    updates.c.done_at.is_(None),
                    or_(updates.c.claimed_by == self.holder, updates.c.lease_until < timestamp(now)),
                )
                .values(claimed_by=self.holder, lease_until=timestamp(now + self._lease))
            ).rowcount
        return bool(taken)

    def finish(self, update_id: int) -> None:
        with self._db.transaction() as db:
            db.execute(
                updates.update()
                .where(updates.c.update_id == update_id, updates.c.claimed_by == self.holder)
                .values(done_at=timestamp(datetime.now(UTC)))
            )

    def release(self, update_id: int) -> None:
        """Give an update back unhandled (this replica stops): another takes it at once."""
        with self._db.transaction() as db:
            db.execute(
                updates.update()
                .where(
                    updates.c.update_id == update_id,
                    updates.c.claimed_by == self.holder,
                    updates.c.done_at.is_(None),
                )
                .values(lease_until=timestamp(datetime.now(UTC)))
            )

    def renew(self) -> None:
        """Extend the lease of every update this replica is handling."""
        now = datetime.now(UTC)
        with self._db.transaction() as db:
            db.execute(
                updates.update()
                .where(updates.c.claimed_by == self.holder, updates.c.done_at.is_(None))
                .values(lease_until=timestamp(now + self._lease))
            )

    def take_abandoned(self, limit: int = SWEEP_BATCH) -> list[tuple[int, str]]:
        """Hold the updates (id, body) whose replica died (their lease ran out), oldest first."""
        now = datetime.now(UTC)
        query = (
            select(updates.c.update_id, updates.c.body)
            .where(updates.c.done_at.is_(None), updates.c.lease_until < timestamp(now))
            .order_by(updates.c.update_id)
            .limit(limit)
        )
        with self._db.reading() as db:
            found = [(row[0], row[1]) for row in db.execute(query)]
        return [(update_id, body) for update_id, body in found if self.claim(update_id)]

    def count_not_done(self) -> int:
        """Updates kept and not handled yet, by every replica: held in one's memory, or
        waiting for the sweep to take them over."""
        query = select(func.count()).select_from(updates).where(updates.c.done_at.is_(None))
        with self._db.reading() as db:
            return int(db.execute(query).scalar_one())

    def forget_done(self, now: datetime | None = None) -> None:
        before = (now or datetime.now(UTC)) - KEEP_DONE
        with self._db.transaction() as db:
            db.execute(updates.delete().where(updates.c.done_at < timestamp(before)))


class DurableUpdateQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The queue between the webhook (or getUpdates) and the handlers, which keeps every
    update in the database before it is queued: if storing fails, the webhook answers an
    error and Telegram delivers the update again.

    It counts an update from :meth:`put` until its handling ends (python-telegram-bot calls
    :meth:`task_done` then), and :meth:`put` waits while ``room`` updates are counted. So
    getUpdates is not called again, or the webhook does not answer, until there is room:
    Telegram keeps what waits. The webhook waits ``webhook_wait_s`` at most, then answers
    503 and Telegram delivers the update again later (a request Telegram gave up on does
    not wait on here). An update from getUpdates arrives in a batch of up to 100, so at
    most ``room`` plus the rest of one batch are in memory."""

    def __init__(self, inbox: Inbox, room: int, webhook_wait_s: float | None = None) -> None:
        super().__init__()
        self.inbox = inbox
        self.room = room
        self._webhook_wait_s = webhook_wait_s
        self.held = 0  # items put and not yet done, and room taken for puts under way
        self._freed = asyncio.Event()

    async def put(self, item: Any) -> None:
        if not isinstance(item, Update):  # python-telegram-bot's stop signal: never waits
            self.held += 1
            await super().put(item)
            return
        await self._wait_for_room()
        self.held += 1
        try:
            await asyncio.to_thread(self.inbox.receive, item.update_id, item.to_json())
        except BaseException:
            self._free(1)
            raise
        self.inbox.in_hand.add(item.update_id)
        await super().put(item)

    def task_done(self) -> None:
        super().task_done()
        self._free(1)

    def take_room(self, most: int) -> int:
        """Take room for up to ``most`` updates without waiting (the sweep's): how many."""
        taken = max(0, min(most, self.room - self.held))
        self.held += taken
        return taken

    def put_taken_over(self, item: Update) -> None:
        """Queue an update already kept (one the sweep took over), in room taken for it."""
        self.inbox.in_hand.add(item.update_id)
        self.put_nowait(item)

    def give_back_room(self, unused: int) -> None:
        self._free(unused)

    async def _wait_for_room(self) -> None:
        try:
            async with asyncio.timeout(self._webhook_wait_s):
                while self.held >= self.room:
                    self._freed.clear()
                    await self._freed.wait()
        except TimeoutError:
            from tornado.web import HTTPError  # the webhook's server (python-telegram-bot's)

            raise HTTPError(HTTPStatus.SERVICE_UNAVAILABLE, reason="Busy: deliver it again later") from None

    def _free(self, count: int) -> None:
        if count:
            self.held -= count
            self._freed.set()


async def handle_once(inbox: Inbox, update: object, coroutine: Awaitable[Any]) -> None:
    """Run the handling of ``update`` if this replica claims it; mark it done after, or
    give it back when the handling was interrupted (the replica is stopping)."""
    if not isinstance(update, Update):
        await coroutine
        return
    try:
        if not await asyncio.to_thread(inbox.claim, update.update_id):
            log.info("update %d is handled elsewhere or was already", update.update_id)
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            return
        try:
            await coroutine
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(inbox.release, update.update_id)
            raise
        await asyncio.to_thread(inbox.finish, update.update_id)
    finally:
        inbox.in_hand.discard(update.update_id)


async def keep_inbox(queue: DurableUpdateQueue, bot: Bot) -> None:
    """Run for the replica's life: renew its leases, and queue the updates other replicas
    abandoned (or this one, before a restart), as many as the queue has room for."""
    inbox = queue.inbox
    last_renewal = 0.0
    loop = asyncio.get_running_loop()
    while True:
        try:
            if loop.time() - last_renewal >= RENEW_EVERY_S:
                await asyncio.to_thread(inbox.renew)
                await asyncio.to_thread(inbox.forget_done)
                last_renewal = loop.time()
            room = queue.take_room(SWEEP_BATCH)
            try:
                taken = await asyncio.to_thread(inbox.take_abandoned, room) if room else []
                for update_id, body in taken:
                    if update_id in inbox.in_hand:
                        continue  # queued here already: its lease ran out while it waited
                    log.info("taking over update %d", update_id)
                    update = Update.de_json(json.loads(body), bot)
                    if update is not None:
                        queue.put_taken_over(update)
                        room -= 1
            finally:
                queue.give_back_room(room)
        except Exception as error:  # the database may be away for a moment: try again
            log.warning("keeping the inbox failed: %s", error)
        await asyncio.sleep(SWEEP_EVERY_S)
