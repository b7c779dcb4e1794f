"""Webhook mode: the real ``briefbot run`` registers its webhook and serves updates posted to
it, but only those that carry the secret token."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx

from tests.fakebot import FakeBotApi, plain_text
from tests.support import bot_environment, running_briefbot

SECRET = "s3cret-Token_1"
LISTEN_TIMEOUT_S = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def webhook_environment(fake_api: FakeBotApi, port: int, **settings: str) -> dict[str, str]:
    """The environment of a ``briefbot run`` in webhook mode on ``port``, talking to
    ``fake_api``; ``settings`` add or override BRIEFBOT_* variables."""
    return bot_environment(
        fake_api,
        BRIEFBOT_TELEGRAM__MODE="webhook",
        BRIEFBOT_TELEGRAM__WEBHOOK_URL="https://bot.example/hook",
        BRIEFBOT_TELEGRAM__LISTEN="127.0.0.1",
        BRIEFBOT_TELEGRAM__PORT=str(port),
        BRIEFBOT_TELEGRAM__SECRET_TOKEN=SECRET,
        **settings,
    )


async def post_once_listening(client: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    """POST as soon as the server listens: the bot starts its webhook server just after
    setWebhook, and says nothing when it is ready."""
    deadline = asyncio.get_running_loop().time() + LISTEN_TIMEOUT_S
    while True:
        try:
            return await client.post(url, **kwargs)
        except httpx.ConnectError:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"nothing listened on {url} within {LISTEN_TIMEOUT_S} s") from None
            await asyncio.sleep(0.02)


async def test_webhook_serves_updates_with_the_secret_token_only(tmp_path, fake_api: FakeBotApi) -> None:
    port = free_port()
    environment = webhook_environment(fake_api, port, BRIEFBOT_STORAGE__PATH=str(tmp_path / "briefbot.db"))
    async with running_briefbot(environment) as bot:
        [registered] = await fake_api.wait_for("setWebhook", timeout=30)
        assert registered.params["url"] == "https://bot.example/hook"
        assert registered.params["secret_token"] == SECRET
        fake_api.push_message(1, "/help")
        fake_api.push_message(2, "/help")
        forged, genuine = fake_api.take_updates()
        hook = f"http://127.0.0.1:{port}/hook"
        async with httpx.AsyncClient() as client:
            refused = await post_once_listening(
                client, hook, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            )
            accepted = await client.post(
                hook, json=genuine, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
        assert refused.status_code == 403
        assert accepted.status_code == 200
        [reply] = await fake_api.wait_for(lambda call: call.method == "sendMessage", timeout=15)
        assert reply.chat_id == 2
        assert "/ask" in plain_text(reply.text)
        exited = await bot.stop(timeout_s=15)
    assert exited.returncode == 0, exited.output
    assert fake_api.sent(1) == []
