"""Two real ``briefbot run`` processes in webhook mode on one PostgreSQL database, behind a
round-robin proxy, with the fake Bot API: what is stored through one replica is answered
through the other, and a replica killed (SIGKILL) while it handles an update it already
acknowledged loses nothing: the other replica takes the update over, and the proxy's
retries reach it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SCHEMA_TEMPLATE
from tests.fakebot import FakeBotApi, plain_text
from tests.pgserver import PostgresServer
from tests.proxy import RoundRobinProxy
from tests.support import BriefbotProcess, running_briefbot
from tests.test_bot_webhook import SECRET, free_port, webhook_environment
from tests.test_upgrade import SEALS, VOLCANO
from tests.web import Page, WebServer

HOOK = "/hook"
STARTED_S = 60
# A replica's lease on an update runs 20 s (bot/inbox.py): the other takes it over after.
TAKEOVER_S = 60


@pytest.fixture
def database(postgres: PostgresServer) -> Iterator[str]:
    url = postgres.create_database(template=SCHEMA_TEMPLATE)
    yield url
    postgres.drop_database(url)


@dataclass(frozen=True)
class Replica:
    bot: BriefbotProcess
    url: str

    @property
    def process(self) -> asyncio.subprocess.Process:
        return self.bot.process


async def start_replica(
    stack: AsyncExitStack, name: str, database: str, folder: Path, fake_api: FakeBotApi
) -> Replica:
    port = free_port()
    environment = webhook_environment(
        fake_api, port, BRIEFBOT_STORAGE__URL=database, BRIEFBOT_STORAGE__PATH=str(folder / name),
        BRIEFBOT_FETCH__ALLOW_PRIVATE="true",
    )
    bot = await stack.enter_async_context(running_briefbot(environment))
    return Replica(bot, f"http://127.0.0.1:{port}")


@pytest.fixture
async def deployment(
    database: str, tmp_path: Path, fake_api: FakeBotApi
) -> AsyncIterator[tuple[list[Replica], RoundRobinProxy]]:
    async with AsyncExitStack() as stack:
        replicas = [await start_replica(stack, name, database, tmp_path, fake_api) for name in ("a", "b")]
        proxy = RoundRobinProxy([replica.url for replica in replicas])
        await proxy.start()
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                for replica in replicas:  # each replica listens (a GET has no update: 405)
                    await wait_listening(client, replica.url + HOOK)
            yield replicas, proxy
        finally:
            await proxy.stop()
            for replica in replicas:  # both stop at once; the stack waits for each
                replica.bot.terminate()


async def wait_listening(client: httpx.AsyncClient, url: str) -> None:
    deadline = asyncio.get_running_loop().time() + STARTED_S
    while True:
        try:
            await client.get(url)
            return
        except httpx.TransportError:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"nothing listened on {url} within {STARTED_S} s") from None
            await asyncio.sleep(0.1)


async def send(client: httpx.AsyncClient, proxy: RoundRobinProxy, update: dict[str, Any]) -> None:
    """Telegram delivering one update to the public webhook (the proxy)."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    answer = await client.post(proxy.url + HOOK, json=update, headers=headers)
    assert answer.status_code == 200


async def message(
    client: httpx.AsyncClient, proxy: RoundRobinProxy, api: FakeBotApi, chat: int, text: str
) -> int:
    sent = api.push_message(chat, text, chat_type="group" if chat < 0 else "private")
    [update] = api.take_updates()
    await send(client, proxy, update)
    return sent["message_id"]


async def test_stored_through_one_replica_answered_through_the_other(
    deployment: tuple[list[Replica], RoundRobinProxy], fake_api: FakeBotApi
) -> None:
    (first, second), proxy = deployment
    async with httpx.AsyncClient(timeout=30) as client:
        await message(client, proxy, fake_api, 1, SEALS)
        [stored] = await fake_api.messages(1, 1, timeout=60)
        assert "1,200 seals" in plain_text(stored.text)
        await asyncio.sleep(2)  # the contract: answerable through any replica within 2 s
        await message(client, proxy, fake_api, 1, "How many seals did the survey count?")
        [_, answer] = await fake_api.messages(1, 2, timeout=60)
    assert "1,200 seals" in plain_text(answer.text)
    assert proxy.served == [first.url, second.url]


async def test_a_replica_killed_while_handling_loses_nothing(
    deployment: tuple[list[Replica], RoundRobinProxy], fake_api: FakeBotApi, web: WebServer
) -> None:
    (first, second), proxy = deployment
    web.pages["/volcano.html"] = Page(
        "<html><head><title>La Palma volcano erupts again</title></head><body><article>"
        + "".join(f"<p>{paragraph}</p>" for paragraph in VOLCANO.split("\n\n"))
        + "</article></body></html>",
        "text/html",
    )
    gate = web.hold("/volcano.html")
    async with httpx.AsyncClient(timeout=30) as client:
        await message(client, proxy, fake_api, 7, web.url("/volcano.html"))  # to the first replica
        await gate.held()  # acknowledged, and being handled: the replica is reading the page
        first.process.kill()  # SIGKILL: no goodbye
        await first.process.wait()
        gate.release()
        # The proxy passes over the dead replica: these reach the second one.
        await message(client, proxy, fake_api, 8, SEALS)
        await message(client, proxy, fake_api, 8, "How many seals did the survey count?")
        # The update the dead replica acknowledged is taken over once its lease runs out.
        summaries = await fake_api.wait_for(
            lambda call: call.method == "sendMessage" and call.chat_id == 7 and "three villages" in call.text,
            timeout=TAKEOVER_S,
        )
        answers = await fake_api.messages(8, 2, timeout=60)
    assert len(summaries) == 1
    assert "1,200 seals" in plain_text(answers[1].text)
    assert proxy.served == [first.url, second.url, second.url]
    assert second.process.returncode is None
