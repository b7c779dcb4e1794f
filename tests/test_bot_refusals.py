"""Telegram's refusals the bot expects (bot/refusals.py) are passed over quietly, and only
those: any other refusal still reaches the error handler. The real Application against the
fake Bot API, which answers with the descriptions Telegram sends."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.config import BotConfig
from bot.jobs import jobs_of
from tests.conftest import running_bot
from tests.fakebot import Call, FakeBotApi, plain_text
from tests.support import rss
from tests.test_bot import TIDES, pasted, sent_id, store
from tests.test_bot_feeds import RSS, tomorrow_at
from tests.test_feeds import volcano_item
from tests.web import Page, serve

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CHAT_NOT_FOUND = "Bad Request: chat not found"
OTHER = "Bad Request: message to edit not found"
WENT_WRONG = "Sorry, something went wrong on my side. Please try again."


async def press(api: FakeBotApi, chat_id: int, message: Call, label: str) -> Call:
    """Press a button; returns the call that answered it (failed or not)."""
    button = next(b for b in message.buttons if b["text"] == label)
    query = api.push_callback(chat_id, sent_id(message), button["callback_data"])
    [answer] = await api.wait_for(lambda c: c.params.get("callback_query_id") == query)
    return answer


def went_wrong(api: FakeBotApi, chat_id: int) -> int:
    return sum(plain_text(call.text) == WENT_WRONG for call in api.sent(chat_id))


async def test_an_edit_that_changes_nothing_is_no_error(telegram_bot, fake_api: FakeBotApi) -> None:
    settings = await store(fake_api, 1, "/settings")

    fake_api.fail_next("editMessageText", 400, description=NOT_MODIFIED)
    answer = await press(fake_api, 1, settings, "5")
    assert answer.params.get("text") == "Summaries: 5 sentences."
    [refused] = fake_api.sent(1, "editMessageText")
    assert refused.result == "failed"

    fake_api.fail_next("editMessageText", 400, description=OTHER)
    answer = await press(fake_api, 1, settings, "7")
    assert answer.params.get("text") is None
    await fake_api.wait_for(lambda c: c.method == "sendMessage" and plain_text(c.text) == WENT_WRONG)
    assert went_wrong(fake_api, 1) == 1


async def test_a_button_press_too_old_to_answer_is_no_error(telegram_bot, fake_api: FakeBotApi) -> None:
    summary = await store(fake_api, 1, pasted("Why the sea rises twice a day", TIDES))

    fake_api.fail_next("answerCallbackQuery", 400, description=QUERY_TOO_OLD)
    assert (await press(fake_api, 1, summary, "More")).result == "failed"
    await store(fake_api, 1, "/help")  # handled after the press: the chat's updates are in order
    assert went_wrong(fake_api, 1) == 0

    fake_api.fail_next("answerCallbackQuery", 400, description=OTHER)
    assert (await press(fake_api, 1, summary, "Fewer")).result == "failed"
    await fake_api.wait_for(lambda c: c.method == "sendMessage" and plain_text(c.text) == WENT_WRONG)


async def test_a_chat_that_no_longer_exists_is_paused(bot_config: BotConfig, fake_api: FakeBotApi) -> None:
    with serve() as site:
        site.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
        async with running_bot(bot_config, schedule_jobs=False) as application:
            jobs = jobs_of(application)
            await store(fake_api, 5, f"/addfeed {site.url('/a.xml')}")
            due = tomorrow_at(8, 1, ZoneInfo("UTC"))  # the configured default: 08:00 UTC

            fake_api.fail_next("sendMessage", 400, description=OTHER)
            assert await jobs.send_digests(application.bot, now=due) == 0
            attempts = len(fake_api.sent(5))
            fake_api.fail_next("sendMessage", 400, description=CHAT_NOT_FOUND)
            assert await jobs.send_digests(application.bot, now=due) == 0
            assert len(fake_api.sent(5)) == attempts + 1  # not paused by the other error: tried again
            attempts += 1
            assert await jobs.send_digests(application.bot, now=due + timedelta(days=1)) == 0
            assert len(fake_api.sent(5)) == attempts  # paused: not even tried

            await store(fake_api, 5, "/help")  # writing to the bot again unpauses the chat
            assert await jobs.send_digests(application.bot, now=due + timedelta(days=2)) == 1
    assert not fake_api.violations
