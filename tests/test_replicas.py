"""Several replicas of the bot on one PostgreSQL database: each update handled once, and
nothing a dead replica held lost. The replicas are the real Application, two in this
process, against the fake Bot API; updates are put on their queues as their webhooks do
(or taken from getUpdates by either). The scheduled jobs are called by the tests, on both
replicas at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from telegram import Update
from telegram.ext import Application

from bot.config import AccessConfig, BotConfig, TelegramConfig
from bot.inbox import Inbox
from bot.jobs import jobs_of
from retrieval.config import FetchConfig, StorageConfig
from retrieval.storage import Storage
from retrieval.storage.leases import Leases
from retrieval.storage.schema import updates
from tests.conftest import SCHEMA_TEMPLATE, running_bot
from tests.fakebot import FakeBotApi, plain_text
from tests.pgserver import PostgresServer
from tests.support import rss
from tests.test_bot import store
from tests.test_bot_feeds import RSS, instant_topic, tomorrow_at
from tests.test_feeds import seals_item, volcano_item
from tests.web import Page, WebServer

GROUP = -500


@pytest.fixture
def database(postgres: PostgresServer) -> Iterator[str]:
    url = postgres.create_database(template=SCHEMA_TEMPLATE)
    yield url
    postgres.drop_database(url)


def replica_config(url: str, folder: Path, fake_api: FakeBotApi) -> BotConfig:
    """One replica: the shared database, its own folder for its search index."""
    return BotConfig(
        storage=StorageConfig(url=url, path=str(folder)),
        fetch=FetchConfig(allow_private=True, timeout_s=5),
        telegram=TelegramConfig(
            token=fake_api.token, base_url=fake_api.base_url, base_file_url=fake_api.base_file_url
        ),
        access=AccessConfig(),
    )


@pytest.fixture
async def replicas(database: str, tmp_path: Path, fake_api: FakeBotApi) -> AsyncIterator[list[Application]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(
                running_bot(replica_config(database, tmp_path / name, fake_api), schedule_jobs=False)
            )
            for name in ("first", "second")
        ]
    assert not fake_api.violations, fake_api.violations


async def deliver(replica: Application, update: dict[str, Any]) -> None:
    """What a replica's webhook does with a request Telegram (or the load balancer) sent it."""
    await replica.update_queue.put(Update.de_json(update, replica.bot))


async def test_an_update_delivered_to_two_replicas_is_handled_once(
    replicas: list[Application], fake_api: FakeBotApi, database: str
) -> None:
    sent = [fake_api.push_message(GROUP, "/help", chat_type="group")["message_id"]]
    [update] = fake_api.take_updates()
    await asyncio.gather(*(deliver(replica, update) for replica in replicas))
    # (replies in a group quote the message they answer)
    # One more message of the chat to each replica: once both are answered, the first
    # message's copies have been dealt with on both (a chat's updates go in order).
    for replica in replicas:
        sent.append(fake_api.push_message(GROUP, "/help", chat_type="group")["message_id"])
        [then] = fake_api.take_updates()
        await deliver(replica, then)
    await fake_api.messages(GROUP, 3, timeout=20)
    answered = [call.params["reply_parameters"]["message_id"] for call in fake_api.sent(GROUP)]
    assert sorted(answered) == sent
    await until(lambda: done_updates(database) == 3, "every update marked done")


def done_updates(database: str) -> int:
    store = Storage(database)
    try:
        with store.db.reading() as db:
            return len(db.execute(select(updates.c.update_id).where(updates.c.done_at.is_not(None))).all())
    finally:
        store.close()


async def until(condition: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(condition):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.1)


async def test_an_update_a_dead_replica_held_is_handled_by_another(
    replicas: list[Application], fake_api: FakeBotApi, database: str
) -> None:
    fake_api.push_message(6, "/help")
    [update] = fake_api.take_updates()
    store = Storage(database)
    try:  # a replica stored it (so Telegram was told it arrived), then died
        dead = Inbox(store.db, "dead-replica", lease=timedelta(seconds=1))
        dead.receive(update["update_id"], json.dumps(update))
    finally:
        store.close()
    [reply] = await fake_api.messages(6, 1, timeout=20)
    assert "/ask" in reply.text


# --- every job once -----------------------------------------------------------------------


async def test_each_feed_is_polled_once_whichever_replicas_poll(
    replicas: list[Application], fake_api: FakeBotApi, web: WebServer
) -> None:
    web.pages["/feed.xml"] = Page(rss("Island News", [volcano_item(), seals_item()]), RSS, etag='"v1"')
    added = await store(fake_api, 1, f"/addfeed {web.url('/feed.xml')}")
    assert "Following Island News" in plain_text(added.text)
    # Due again exactly one interval on: the replica that polls it then moves its next poll
    # an interval past its own (later) clock, so the other, however late it asks, finds it
    # not due (an hour on, a replica slowed down could take it again after the first's poll).
    later = datetime.now(UTC) + timedelta(seconds=jobs_of(replicas[0]).config.feeds.poll_seconds)
    polls = await asyncio.gather(*(jobs_of(replica).poll_feeds(now=later) for replica in replicas))
    assert sorted(len(polled) for polled in polls) == [0, 1]
    polls = await asyncio.gather(*(jobs_of(replica).poll_feeds() for replica in replicas))
    assert polls == [[], []]  # not due again within the interval
    assert [request.status for request in web.requests] == [200, 304]


async def test_an_alert_is_sent_once_and_a_dead_replicas_job_is_taken_over(
    replicas: list[Application], fake_api: FakeBotApi, web: WebServer, database: str
) -> None:
    await instant_topic(fake_api, 1, "volcano")
    web.pages["/feed.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
    await store(fake_api, 1, f"/addfeed {web.url('/feed.xml')}")
    before = len(fake_api.sent(1))
    store_ = Storage(database)
    try:  # a replica that died while it sent the alerts
        assert Leases(store_.db, "dead-replica").take("send_alerts", timedelta(seconds=2))
    finally:
        store_.close()
    assert await asyncio.gather(*(jobs_of(r).send_alerts(r.bot) for r in replicas)) == [0, 0]
    await asyncio.sleep(2.1)
    sent = await asyncio.gather(*(jobs_of(r).send_alerts(r.bot) for r in replicas))
    assert sorted(sent) == [0, 1]
    [alert] = fake_api.sent(1)[before:]
    assert plain_text(alert.text).startswith("La Palma volcano erupts again")
    assert await asyncio.gather(*(jobs_of(r).send_alerts(r.bot) for r in replicas)) == [0, 0]


async def test_a_digest_is_sent_once(
    replicas: list[Application], fake_api: FakeBotApi, web: WebServer
) -> None:
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
    await store(fake_api, 1, f"/addfeed {web.url('/a.xml')}")
    due = tomorrow_at(8, 1, ZoneInfo("UTC"))  # the configured default: 08:00 UTC
    before = len(fake_api.sent(1))
    sent = await asyncio.gather(*(jobs_of(r).send_digests(r.bot, now=due) for r in replicas))
    assert sorted(sent) == [0, 1]
    [digest] = fake_api.sent(1)[before:]
    assert "La Palma volcano erupts again" in digest.text
    sent = await asyncio.gather(*(jobs_of(r).send_digests(r.bot, now=due) for r in replicas))
    assert sent == [0, 0]
