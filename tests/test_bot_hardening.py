"""Hostile input, faults and privacy, end to end: the real Application against the fake Bot
API. Limits with clear replies, re-delivered updates, slow pages and feeds, two chats that
must never see each other's articles, /stats, logs, and SIGTERM on the real ``briefbot run``."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cli import guard_logs
from bot.config import AccessConfig, BotConfig, BotLimitsConfig
from bot.jobs import jobs_of
from bot.ratelimit import SLOW_DOWN
from retrieval.config import AlertsConfig, FetchConfig
from retrieval.engine import Engine
from retrieval.owners import Owner
from tests.conftest import running_bot
from tests.fakebot import BOT_USER, FakeBotApi, plain_text
from tests.support import bot_environment, rss, running_briefbot
from tests.test_bot import BEES, TIDES, next_reply, page, pasted, sent_id, store
from tests.test_bot_feeds import instant_topic
from tests.test_feeds import VOLCANO, long_text, volcano_item
from tests.web import Page, WebServer, drip

GROUP = -100777
MENTION = f"@{BOT_USER['username']}"


def texts_to(api: FakeBotApi, chat_id: int) -> list[str]:
    return [plain_text(call.text) for call in api.sent(chat_id)]


def with_changes(config: BotConfig, **sections: object) -> BotConfig:
    return config.model_copy(update=sections)


# --- limits ------------------------------------------------------------------------------


async def test_a_flood_gets_one_warning_then_silence(bot_config: BotConfig, fake_api: FakeBotApi) -> None:
    config = with_changes(bot_config, limits=BotLimitsConfig(messages_per_minute=3))
    async with running_bot(config):
        help_message = await store(fake_api, 1, "/help")
        for _ in range(7):
            fake_api.push_message(1, "/help")
        query = fake_api.push_callback(1, sent_id(help_message), "page:0")
        await store(fake_api, 2, "/help")  # another chat is served meanwhile
        # The chat's updates are handled in order: once the button press (sent last) is
        # answered, every message before it has been handled too.
        await fake_api.wait_for(lambda c: c.params.get("callback_query_id") == query)

        replies = texts_to(fake_api, 1)
        assert sum("/ask" in text for text in replies) == 3
        assert replies[3:] == [SLOW_DOWN]
        [answer] = fake_api.sent(method="answerCallbackQuery")
        assert answer.params["callback_query_id"] == query and not answer.params.get("text")
    assert not fake_api.violations


async def test_limits_are_explained(bot_config: BotConfig, fake_api: FakeBotApi) -> None:
    limits = BotLimitsConfig(max_text_chars=3000, max_sentences=8, max_articles_per_owner=2)
    async with running_bot(with_changes(bot_config, limits=limits)):
        too_long = await store(fake_api, 1, "Long words\n\n" + "word " * 1000)
        assert plain_text(too_long.text) == (
            "That is too long for one article: I keep up to 3,000 characters."
        )
        many = [f"Sentence number {n} says something about the tides." for n in range(12)]
        too_many = await store(fake_api, 1, pasted("Many sentences", many))
        assert "12 sentences; I keep articles of up to 8" in plain_text(too_many.text)

        await store(fake_api, 1, pasted("Why the sea rises twice a day", TIDES))
        await store(fake_api, 1, pasted("How bees dance", BEES))
        full = await store(fake_api, 1, pasted("Volcano", VOLCANO[:5]))
        assert "already keeps 2 articles; forget some to add more" in plain_text(full.text)
        again = await store(fake_api, 1, pasted("How bees dance", BEES))
        assert "already saved" in plain_text(again.text)

        huge = fake_api.add_file("huge.txt", b"tiny")
        huge["file_size"] = 25 * 1024 * 1024
        fake_api.push_message(1, document=huge)
        assert "huge.txt is 25 MB; Telegram lets me download files of up to 20 MB" in (
            plain_text((await next_reply(fake_api, 1)).text)
        )
        for name, mime in [("photo.png", "image/png"), ("tool.exe", "application/octet-stream")]:
            fake_api.push_message(1, document=fake_api.add_file(name, b"\x89PNG\r\n\x00\x00", mime))
            suffix = name.rsplit(".", 1)[1]
            assert f"not .{suffix} files" in plain_text((await next_reply(fake_api, 1)).text)
    assert not fake_api.violations


# --- re-delivered updates --------------------------------------------------------------------


async def test_a_redelivered_message_is_handled_once(
    bot_config: BotConfig, fake_api: FakeBotApi, web: WebServer
) -> None:
    web.pages["/bees.html"] = Page(page("How bees dance", BEES))
    async with running_bot(bot_config):
        link = fake_api.push_message(1, web.url("/bees.html"))
        fake_api.redeliver(link)  # the same update twice in one batch
        await next_reply(fake_api, 1)
        question = fake_api.push_message(1, "Who decoded the dance language?")
        assert "Karl von Frisch" in (await next_reply(fake_api, 1)).text
    # The bot stopped before confirming them: Telegram delivers both again.
    fake_api.redeliver(link)
    fake_api.redeliver(question)
    async with running_bot(bot_config):
        listing = await store(fake_api, 1, "/articles")
        assert "1–1 of 1" in plain_text(listing.text)
    assert len(fake_api.sent(1)) == 3  # the summary, the answer, the list
    assert web.paths == ["/bees.html"]
    assert not fake_api.violations


# --- slow and failing networks ---------------------------------------------------------------


def island_news() -> Page:
    return Page(rss("Island News", [volcano_item()]), "application/rss+xml")


async def test_slow_pages_and_feeds_never_hold_up_other_chats(
    bot_config: BotConfig, fake_api: FakeBotApi, web: WebServer
) -> None:
    """Ten chats send links to pages that drip forever (more than asyncio's default thread
    pool holds) while every feed is polled and drips too; another chat's question is still
    answered while all of them are in flight, and each slow link gets its own timeout reply."""
    config = with_changes(bot_config, fetch=FetchConfig(allow_private=True, timeout_s=3))
    async with running_bot(config, schedule_jobs=False) as application:
        web.fallback = island_news()
        for feed in range(4):
            await store(fake_api, 50, f"/addfeed {web.url(f'/feed/{feed}')}")
        await store(fake_api, 100, pasted("Why the sea rises twice a day", TIDES))
        web.fallback = drip(0.2, 300, "text/html")  # from now on every page drips
        before = len(web.requests)
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        polls = asyncio.create_task(jobs_of(application).poll_feeds(now=tomorrow))
        slow_chats = range(1, 11)
        for chat in slow_chats:
            fake_api.push_message(chat, web.url(f"/article/{chat}"))
        slow = (await web.requests_arrived(before + 14))[before:]

        answer = await store(fake_api, 100, "Which bay has the highest tides?")
        assert "Bay of Fundy" in answer.text
        assert not any(request.finished for request in slow), "a slow page ended before the answer"
        assert not any(fake_api.sent(chat) for chat in slow_chats)

        for chat in slow_chats:
            [reply] = await fake_api.wait_for(
                lambda c, chat=chat: c.method == "sendMessage" and c.chat_id == chat, timeout=15
            )
            assert plain_text(reply.text) == "The page took longer than 3 seconds to answer."
        results = await polls
        assert [r.error for r in results] == ["The page took longer than 3 seconds to answer."] * 4
        feeds = plain_text((await store(fake_api, 50, "/feeds")).text)
        assert feeds.count("1 error in a row") == 4
    assert not fake_api.violations


# --- two chats ----------------------------------------------------------------------------


async def test_forged_ids_and_buttons_reach_nothing_of_another_chat(
    telegram_bot, fake_api: FakeBotApi, web: WebServer
) -> None:
    web.pages["/feed.xml"] = island_news()
    await store(fake_api, 1, pasted("Why the sea rises twice a day", TIDES))
    await store(fake_api, 1, "/subscribe tides")  # topic 1
    await store(fake_api, 1, f"/addfeed {web.url('/feed.xml')}")  # feed 1, its article 2

    other = await store(fake_api, 2, "/help")
    forged = {
        "ask:1": "There is no article 1.",
        "length:2:5": "There is no article 2.",
        "mode:1:off": "There is no topic 1.",
        "untopic:1": "There is no topic 1.",
        "unfeed:1": "You don't follow a feed 1.",
    }
    for data, refusal in forged.items():
        query = fake_api.push_callback(2, sent_id(other), data)
        [answer] = await fake_api.wait_for(lambda c, q=query: c.params.get("callback_query_id") == q)
        assert answer.params["text"] == refusal, data
    query = fake_api.push_callback(2, sent_id(other), "page:0")
    await fake_api.wait_for(lambda c: c.params.get("callback_query_id") == query)
    [listing] = fake_api.sent(2, "editMessageText")
    assert plain_text(listing.text).startswith("You have no articles yet")

    commands = {
        "/summary #2": "There is no article 2.",
        "/forget 2": "There is no article 2.",
        "/removefeed 1": "You don't follow a feed 1.",
        "/unsubscribe 1": "There is no topic 1.",
    }
    for command, refusal in commands.items():
        assert plain_text((await store(fake_api, 2, command)).text) == refusal, command
    assert "You follow no feeds" in plain_text((await store(fake_api, 2, "/feeds")).text)
    assert "You watch no topics" in plain_text((await store(fake_api, 2, "/topics")).text)

    fake_api.push_message(2, "/export")
    _, document = await fake_api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == 2, count=2)
    exported = json.loads(document.params["document"])
    assert exported["articles"] == [] and exported["topics"] == [] and exported["feeds"] == []
    still = plain_text((await store(fake_api, 1, "/articles")).text)
    assert "1–2 of 2" in still


async def test_a_reply_to_a_message_forwarded_from_another_chat_sees_nothing(
    telegram_bot, fake_api: FakeBotApi
) -> None:
    summary = await store(fake_api, 1, pasted("Why the sea rises twice a day", TIDES))
    # Someone forwards chat 1's summary into a group, then asks the bot about it there.
    forwarded = fake_api.push_message(
        GROUP, plain_text(summary.text), chat_type="supergroup",
        forward_origin={"type": "user", "date": 1700000000, "sender_user": BOT_USER},
    )
    nothing = "You have no articles yet: send me a link, some text or a file."
    expected = {
        f"{MENTION} /summary": nothing,
        f"{MENTION} /forget": "Which one? Use /forget ID; /articles shows the ids.",  # no article is meant
        f"{MENTION} which bay has the highest tides?": nothing,
    }
    for text, refusal in expected.items():
        reply = await store(fake_api, GROUP, text, chat_type="supergroup", reply_to=forwarded["message_id"])
        assert plain_text(reply.text) == refusal, text
    # A reply naming the bot's message of chat 1 by its id, as if it were in the group.
    forged_reply = {"message_id": sent_id(summary), "date": 1700000000, "from": BOT_USER, "text": "x",
                    "chat": {"id": GROUP, "type": "supergroup", "title": "Group"}}
    reply = await store(fake_api, GROUP, f"{MENTION} /summary", chat_type="supergroup",
                        extra={"reply_to_message": forged_reply})
    assert plain_text(reply.text) == nothing
    assert "1–1 of 1" in plain_text((await store(fake_api, 1, "/articles")).text)  # chat 1 lost nothing


async def test_topics_and_digests_never_carry_another_chats_private_article(
    bot_config: BotConfig, fake_api: FakeBotApi
) -> None:
    config = with_changes(bot_config, alerts=AlertsConfig(min_interval_seconds=0))
    async with running_bot(config, schedule_jobs=False) as application:
        jobs = jobs_of(application)
        for chat in (1, 2):
            await instant_topic(fake_api, chat, "volcano")
            await store(fake_api, chat, "/subscribe eruption")  # daily
        await store(fake_api, 1, long_text(VOLCANO))

        assert await jobs.send_alerts(application.bot) == 1
        [alert] = fake_api.sent(1)[-1:]
        assert "volcano" in plain_text(alert.text).lower()
        assert all("La Palma" not in text for text in texts_to(fake_api, 2))

        own = plain_text((await store(fake_api, 1, "/digest")).text)
        assert "“eruption”" in own
        assert plain_text((await store(fake_api, 2, "/digest")).text) == "Nothing new since your last digest."
    assert not fake_api.violations


# --- admins ------------------------------------------------------------------------------------


async def test_stats_are_for_admins_only(bot_config: BotConfig, fake_api: FakeBotApi) -> None:
    config = with_changes(bot_config, access=AccessConfig(admins=[9]))
    async with running_bot(config):
        await store(fake_api, 1, pasted("Why the sea rises twice a day", TIDES))
        refused = await store(fake_api, 1, "/stats")
        assert plain_text(refused.text) == "I don't know /stats. /help lists what I can do."

        stats = plain_text((await store(fake_api, 9, "/stats")).text).splitlines()
    assert stats[0] == "Briefbot stats"
    assert "Chats: 2 known, 1 with articles" in stats
    assert "Articles: 1 (6 sentences)" in stats
    assert "Feeds: 0 (0 failing)" in stats
    assert "Group catch-up: 0 groups keep 0 messages" in stats
    assert any(line.startswith("Search index: 6 passages, ") for line in stats)
    assert any(line.startswith("Updates: 1 chats in progress, 0 waiting") for line in stats)
    assert "Jobs: 4 scheduled" in stats
    assert not fake_api.violations


# --- logs ----------------------------------------------------------------------------------


async def test_logs_above_debug_hold_no_token_and_nothing_users_sent(
    bot_config: BotConfig, fake_api: FakeBotApi, web: WebServer, monkeypatch
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.INFO)
    guard_logs([handler], fake_api.token)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    private = "zebra-quartz"
    web.pages[f"/{private}.html"] = Page(page(f"Tides {private}", TIDES))
    sent = [
        web.url(f"/{private}.html"),
        web.url(f"/missing-{private}.html"),
        pasted(f"Bees {private}", BEES),
        f"What do the {private} bees dance?",
        f"/addfeed {web.url(f'/feed-{private}.xml')}",
        f"/subscribe {private}",
    ]
    try:
        async with running_bot(bot_config) as application:
            for text in sent:
                await store(fake_api, 1, text)

            def fail(question: str, *args: object, **kwargs: object) -> None:
                raise RuntimeError(f"could not answer {question!r}")

            monkeypatch.setattr(jobs_of(application).engine, "ask", fail)
            reply = await store(fake_api, 1, f"Why {private} now?")
            assert "something went wrong" in reply.text
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    logged = stream.getvalue()
    assert "error while handling an update: RuntimeError" in logged  # the failure itself is logged
    assert "Application started" in logged
    assert private not in logged and fake_api.token not in logged and web.base_url not in logged


# --- SIGTERM -------------------------------------------------------------------------------


async def test_sigterm_while_the_bot_starts_stops_it_cleanly(tmp_path: Path, fake_api: FakeBotApi) -> None:
    environment = bot_environment(fake_api, BRIEFBOT_STORAGE__PATH=str(tmp_path / "briefbot.db"))
    async with running_briefbot(environment) as bot:
        await fake_api.wait_for("setMyCommands", timeout=30)  # the first of one per language
        exited = await bot.stop()
    assert exited.returncode == 0, exited.output
    assert "Traceback" not in exited.output and "closed the database" in exited.output


async def test_sigterm_finishes_the_update_in_progress_and_closes_the_database(
    tmp_path: Path, fake_api: FakeBotApi, web: WebServer
) -> None:
    web.pages["/bees.html"] = Page(page("How bees dance", BEES))
    article_requested = web.hold("/bees.html")

    db = tmp_path / "briefbot.db"
    environment = bot_environment(
        fake_api, BRIEFBOT_STORAGE__PATH=str(db), BRIEFBOT_FETCH__ALLOW_PRIVATE="true"
    )
    async with running_briefbot(environment) as bot:
        await fake_api.wait_for("setMyCommands", timeout=30)
        fake_api.push_message(1, web.url("/bees.html"))
        await article_requested.held()  # the update is in progress
        polls = len(fake_api.polls)
        bot.terminate()
        # Stopping, the bot asks for updates once more without waiting (to confirm those it
        # took): from then on it takes no new ones. Only then does the article arrive.
        stopped_polling = await fake_api.wait_for_poll(
            lambda poll: poll in fake_api.polls[polls:] and poll.params.get("timeout") == 0, timeout=15
        )
        assert not fake_api.sent(1)
        article_requested.release()
        exited = await bot.stop()
    assert exited.returncode == 0, exited.output

    [reply] = fake_api.sent(1)
    assert plain_text(reply.text).startswith("How bees dance") and reply.at > stopped_polling.at
    assert "closed the database" in exited.output
    with sqlite3.connect(db) as connection:  # the chat state is in it too: no second file
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert not db.with_name("briefbot.bot.db").exists()
    config = BotConfig.model_validate({"storage": {"path": str(db)}})
    with Engine(config) as engine:
        assert [info.title for info in engine.articles(Owner.chat(1))] == ["How bees dance"]
