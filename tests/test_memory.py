"""The bot's memory: its malloc arenas, counted by glibc itself in a fresh process, and the
updates it holds under a flood, by polling and by webhook, counted from the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import AccessConfig, BotConfig, BotLimitsConfig
from bot.inbox import DurableUpdateQueue, Inbox
from bot.jobs import jobs_of
from bot.memory import ARENAS
from retrieval.config import StorageConfig
from tests.conftest import running_bot
from tests.fakebot import Call, FakeBotApi, plain_text
from tests.support import ROOT, running_briefbot
from tests.test_bot import next_reply
from tests.test_bot_hardening import with_changes
from tests.test_bot_webhook import SECRET, free_port, post_once_listening, webhook_environment

# Six threads allocate (bytes beyond pymalloc's 512 go to malloc), then glibc reports its
# arenas ("heaps") through malloc_info.
PROGRAM = """
import ctypes, sys, tempfile, threading
from bot.memory import limit_malloc_arenas
if sys.argv[1] == "limit":
    assert limit_malloc_arenas()
barrier = threading.Barrier(6)
def work():
    barrier.wait()
    kept = [bytes(100_000) for _ in range(20)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(6)]
for thread in threads: thread.start()
for thread in threads: thread.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile() as report:
    stream = libc.fopen(report.name.encode(), b"w")
    libc.malloc_info(0, ctypes.c_void_p(stream))
    libc.fclose(ctypes.c_void_p(stream))
    print(open(report.name).read().count("<heap nr="))
"""


def arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")
def test_the_bot_allocates_in_two_arenas_however_many_threads_it_runs() -> None:
    assert arenas("limit") <= ARENAS
    assert arenas("free") > ARENAS  # what the limit prevents: an arena per thread


# A hundred thousand blocks of 1 KB (beyond pymalloc's 512 bytes: malloc's), freed while
# one allocated after them stays: free() cannot shrink the heap from its top.
FREED_BELOW_A_BLOCK_IN_USE = """
import sys
from pathlib import Path
from bot.memory import release_free_memory
def anonymous_mib():
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("RssAnon")).split()[1]) // 1024
blocks = [bytes(1000) for _ in range(100_000)]
kept = bytes(1000)
del blocks
freed = anonymous_mib()
if sys.argv[1] == "release":
    assert release_free_memory()
print(freed, anonymous_mib())
"""


def anonymous_memory(mode: str) -> tuple[int, int]:
    """Anonymous RSS (MiB) after freeing ~100 MiB, and after ``mode``: release or not."""
    done = subprocess.run(
        [sys.executable, "-c", FREED_BELOW_A_BLOCK_IN_USE, mode],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    freed, after = done.stdout.split()
    return int(freed), int(after)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap")
def test_memory_freed_under_a_block_in_use_goes_back_to_the_system_when_released() -> None:
    freed, released = anonymous_memory("release")
    assert freed - released >= 80
    freed, kept = anonymous_memory("keep")  # what releasing prevents: free() alone keeps it
    assert freed - kept < 10 and freed >= 100


# --- updates held under a flood ------------------------------------------------------------

ROOM = 8  # [limits] updates_in_memory in these tests
CHATS = 3
MESSAGES_PER_CHAT = 100
# getUpdates hands out up to 100 updates at once (python-telegram-bot asks for Telegram's
# default): the bot holds the rest of a batch while it waits for room.
BATCH = 100
# Each message gets a reply naming it, and changes nothing (no such time zone); the reply
# takes a while to send, so that the bot handles updates slower than it could take them.
SEND_S = 0.1
_NAMED = re.compile(r"“Nowhere/(\d+)-(\d+)”")


def flood(fake_api: FakeBotApi) -> None:
    """Every chat's messages at once, the chats' messages interleaved; replies are slow."""
    fake_api.answer_slowly("sendMessage", SEND_S)
    for number in range(MESSAGES_PER_CHAT):
        for chat_id in range(1, CHATS + 1):
            fake_api.push_message(chat_id, f"/digest_at Nowhere/{chat_id}-{number}")


class ReplyCounter:
    """Counts the bot's replies as the fake Bot API records them, and the most updates it
    took from getUpdates and had not answered yet, seen at each call."""

    def __init__(self, fake_api: FakeBotApi) -> None:
        self.fake_api = fake_api
        self.replies = 0
        self.most_taken_unanswered = 0
        fake_api.listeners.append(self.on_call)

    def on_call(self, call: Call) -> None:
        if call.method == "sendMessage":
            self.replies += 1
        taken_unanswered = self.fake_api.delivered_up_to - self.replies
        self.most_taken_unanswered = max(self.most_taken_unanswered, taken_unanswered)


def named_in_replies(fake_api: FakeBotApi, chat_id: int) -> list[tuple[int, int]]:
    """The (chat, number) of the message each reply to ``chat_id`` names, in order."""
    replies = [plain_text(call.text) for call in fake_api.sent(chat_id)]
    named = [_NAMED.search(reply) for reply in replies]
    assert all(named), replies
    return [(int(match[1]), int(match[2])) for match in named if match]


def each_message(chat_id: int) -> list[tuple[int, int]]:
    return [(chat_id, number) for number in range(MESSAGES_PER_CHAT)]


async def test_a_flood_waits_at_telegram_while_the_bot_holds_its_room_of_updates(
    storage: StorageConfig, bot_config: BotConfig, fake_api: FakeBotApi
) -> None:
    config = with_changes(
        bot_config, storage=storage, limits=BotLimitsConfig(messages_per_minute=0, updates_in_memory=ROOM)
    )
    counter = ReplyCounter(fake_api)
    most_held = 0
    async with running_bot(config) as application:
        queue = application.update_queue
        assert isinstance(queue, DurableUpdateQueue)

        def held(call: Call) -> None:
            nonlocal most_held
            most_held = max(most_held, queue.held)

        fake_api.listeners.append(held)
        flood(fake_api)
        await fake_api.wait_for("sendMessage", count=CHATS * MESSAGES_PER_CHAT, timeout=180)
    # Without the room, the bot takes all 300 at once (three getUpdates calls).
    assert counter.most_taken_unanswered <= ROOM + BATCH
    assert most_held == ROOM  # the flood filled the room, and no more
    for chat_id in range(1, CHATS + 1):  # one reply to each message, in the order sent
        assert named_in_replies(fake_api, chat_id) == each_message(chat_id)


async def test_a_flood_posted_to_the_webhook_is_taken_as_room_frees(
    tmp_path: Path, fake_api: FakeBotApi
) -> None:
    """Telegram posts updates over up to 40 connections at once, and posts again one it got
    no 200 for: the bot answers 200 once an update is stored and queued, so what it has
    answered and not replied to is what it holds. (The room is the same queue's, polling or
    webhook: the test above runs it on both databases.)"""
    port = free_port()
    environment = webhook_environment(
        fake_api, port, BRIEFBOT_STORAGE__PATH=str(tmp_path / "briefbot.db"),
        BRIEFBOT_LIMITS__UPDATES_IN_MEMORY=str(ROOM), BRIEFBOT_LIMITS__MESSAGES_PER_MINUTE="0",
    )
    counter = ReplyCounter(fake_api)
    accepted = 0
    most_accepted_unanswered = 0
    async with running_briefbot(environment) as bot:
        await fake_api.wait_for("setWebhook", timeout=30)
        flood(fake_api)
        pending = fake_api.take_updates()
        hook = f"http://127.0.0.1:{port}/hook"
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with httpx.AsyncClient(timeout=60) as client:
            await post_once_listening(client, hook, json=pending.pop(0), headers=headers)
            accepted += 1

            async def connection() -> None:
                nonlocal accepted, most_accepted_unanswered
                while pending:
                    update: dict[str, Any] = pending.pop(0)
                    while (await client.post(hook, json=update, headers=headers)).status_code != 200:
                        await asyncio.sleep(0.1)  # 503: the bot is full, Telegram tries again later
                    accepted += 1
                    most_accepted_unanswered = max(most_accepted_unanswered, accepted - counter.replies)

            await asyncio.gather(*(connection() for _ in range(40)))
        await fake_api.wait_for("sendMessage", count=CHATS * MESSAGES_PER_CHAT, timeout=180)
        exited = await bot.stop()
    assert exited.returncode == 0, exited.output
    assert most_accepted_unanswered <= ROOM
    for chat_id in range(1, CHATS + 1):  # one reply to each message (posted in any order)
        assert sorted(named_in_replies(fake_api, chat_id)) == each_message(chat_id)


ADMIN = 9


async def test_stats_count_the_updates_in_memory_and_those_kept_not_handled(
    storage: StorageConfig, bot_config: BotConfig, fake_api: FakeBotApi
) -> None:
    """Three messages of one chat held (the first being answered, its reply held in flight;
    two waiting for it), the admin's /stats, and two updates another replica holds in the database."""
    config = with_changes(
        bot_config, storage=storage, access=AccessConfig(admins=[ADMIN]),
        limits=BotLimitsConfig(messages_per_minute=0, updates_in_memory=ROOM),
    )
    async with running_bot(config) as application:
        database = jobs_of(application).engine.storage.db
        elsewhere = Inbox(database, "replica-elsewhere", lease=timedelta(hours=1))
        for update_id in (10_000_001, 10_000_002):
            elsewhere.receive(update_id, json.dumps({"update_id": update_id}))
        replies_to_chat = fake_api.hold("sendMessage", 1)
        for number in range(3):
            fake_api.push_message(1, f"/digest_at Nowhere/1-{number}")
        fake_api.push_message(ADMIN, "/stats")
        stats = plain_text((await next_reply(fake_api, ADMIN, timeout=30)).text).splitlines()
        assert fake_api.sent(1) == []  # its first reply is still in flight
        replies_to_chat.set()
        await fake_api.messages(1, 3, timeout=30)
    assert "Inbox: 4 of 8 updates in memory, 6 not handled yet in the database" in stats
    assert any(line.startswith("Updates: 2 chats in progress, 2 waiting (at most 2 in one chat)")
               for line in stats), stats


async def test_the_webhook_answers_503_when_no_room_frees_within_its_wait(
    tmp_path: Path, fake_api: FakeBotApi
) -> None:
    """Room for two updates, both being answered slowly: a third waits ``webhook_wait_s``
    and is refused with 503, unstored, so Telegram delivers it again; delivered again once
    the room has freed, it is taken and answered once."""
    port = free_port()
    environment = webhook_environment(
        fake_api, port, BRIEFBOT_STORAGE__PATH=str(tmp_path / "briefbot.db"),
        BRIEFBOT_LIMITS__UPDATES_IN_MEMORY="2", BRIEFBOT_TELEGRAM__WEBHOOK_WAIT_S="0.5",
    )
    async with running_briefbot(environment) as bot:
        await fake_api.wait_for("setWebhook", timeout=30)
        fake_api.answer_slowly("sendMessage", 3.0)
        for chat_id in (1, 2, 3):
            fake_api.push_message(chat_id, f"/digest_at Nowhere/{chat_id}-0")
        first, second, third = fake_api.take_updates()
        hook = f"http://127.0.0.1:{port}/hook"
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with httpx.AsyncClient(timeout=30) as client:
            assert (await post_once_listening(client, hook, json=first, headers=headers)).status_code == 200
            assert (await client.post(hook, json=second, headers=headers)).status_code == 200
            posted = time.monotonic()
            refused = await client.post(hook, json=third, headers=headers)
            waited = time.monotonic() - posted
            assert refused.status_code == 503
            assert 0.5 <= waited < 3.0  # the wait, not the room freeing after the slow replies
            assert len(fake_api.sent()) == 0
            await fake_api.messages(2, 1, timeout=30)
            await fake_api.messages(1, 1, timeout=30)
            assert (await client.post(hook, json=third, headers=headers)).status_code == 200
        await fake_api.messages(3, 1, timeout=30)
        exited = await bot.stop()
    assert exited.returncode == 0, exited.output
    for chat_id in (1, 2, 3):
        assert named_in_replies(fake_api, chat_id) == [(chat_id, 0)]
