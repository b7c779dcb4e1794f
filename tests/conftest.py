"""Shared fixtures. The bot's end-to-end fixtures run the real python-telegram-bot
Application against the fake Bot API in tests/fakebot.py, over HTTP on 127.0.0.1."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.app import build_application
from bot.config import AccessConfig, BotConfig, TelegramConfig
from retrieval.config import FetchConfig, StorageConfig
from tests.fakebot import FakeBotApi
from tests.support import shared_file
from tests.web import WebServer, serve


@pytest.fixture
def seed_text() -> str:
    return shared_file("seed/seed-article.txt").read_text(encoding="utf-8")


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def web() -> Iterator[WebServer]:
    """This test's web server on 127.0.0.1: see tests/web.py."""
    with serve() as server:
        yield server


@pytest.fixture
def bot_config(tmp_path: Path, fake_api: FakeBotApi) -> BotConfig:
    return BotConfig(
        storage=StorageConfig(path=str(tmp_path / "briefbot.db")),
        fetch=FetchConfig(allow_private=True, timeout_s=5),
        telegram=TelegramConfig(
            token=fake_api.token, base_url=fake_api.base_url, base_file_url=fake_api.base_file_url
        ),
        access=AccessConfig(),
    )


@pytest.fixture
async def telegram_bot(bot_config: BotConfig, fake_api: FakeBotApi) -> AsyncIterator[Application]:
    """The real Application, started the way run_polling starts it, against the fake API.

    At the end it checks that every message was valid for Telegram and every button
    press was answered."""
    async with running_bot(bot_config) as application:
        yield application
    assert not fake_api.violations, fake_api.violations
    assert not fake_api.unanswered_callbacks(), fake_api.unanswered_callbacks()


@contextlib.asynccontextmanager
async def running_bot(config: BotConfig, *, schedule_jobs: bool = True) -> AsyncIterator[Application]:
    """The bot's Application started and stopped in the order Application.run_polling uses.

    Tests of the scheduled jobs pass ``schedule_jobs=False`` and call the jobs themselves."""
    application = build_application(config, schedule_jobs=schedule_jobs)
    assert application.updater is not None
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.updater.start_polling(poll_interval=0, timeout=1)
    await application.start()
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
