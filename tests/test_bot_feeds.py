"""Feeds, topics, alerts and digests through the bot: the real Application against the fake
Bot API, feeds served on 127.0.0.1. Scheduled jobs are called directly with the time they
should see, never waited for."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import Application

import bot.conversation.following
from bot.config import AccessConfig, BotConfig
from bot.jobs import Jobs, jobs_of
from bot.render import to_html
from bot.replies import AlertView, DigestView
from retrieval.bot_models import Alert, Digest, DigestItem, DigestSection, HighlightedSentence
from retrieval.config import AlertsConfig, FeedsConfig
from retrieval.models import CitedSentence, TopicInfo
from retrieval.owners import Owner
from tests.conftest import running_bot
from tests.fakebot import Call, FakeBotApi, check_html, plain_text
from tests.support import atom, rss
from tests.test_bot import TIDES, next_reply, sent_id, store
from tests.test_feeds import VOLCANO, long_text, seals_item, volcano_item
from tests.web import Page, WebServer

TOKYO = ZoneInfo("Asia/Tokyo")
RSS = "application/rss+xml"


@pytest.fixture
async def app(bot_config: BotConfig, fake_api: FakeBotApi) -> AsyncIterator[Application]:
    """The bot without its timers: each test runs the jobs itself."""
    async with running_bot(bot_config, schedule_jobs=False) as application:
        yield application
    assert not fake_api.violations, fake_api.violations
    assert not fake_api.unanswered_callbacks(), fake_api.unanswered_callbacks()


def jobs(application: Application) -> Jobs:
    return jobs_of(application)


def volcano_copy() -> dict[str, str]:
    """The same story from another site, told a little differently."""
    copy = volcano_item(guid="other", link="https://other.example/volcano")
    copy["description"] = long_text([s.replace("Sunday", "Sunday morning") for s in VOLCANO])
    return copy


def tides_item() -> dict[str, str]:
    return {"title": "Why the sea rises twice a day", "link": "https://news.example/tides", "guid": "t1",
            "description": long_text(TIDES)}


async def press(api: FakeBotApi, chat_id: int, message: Call, label: str) -> Call:
    """Press the button labelled ``label`` under ``message``; returns the callback's answer."""
    button = next(b for b in message.buttons if b["text"] == label)
    query = api.push_callback(chat_id, sent_id(message), button["callback_data"])
    [answer] = await api.wait_for(lambda c: c.params.get("callback_query_id") == query)
    return answer


async def last_edit(api: FakeBotApi, message: Call, count: int = 1) -> Call:
    edits = await api.wait_for(
        lambda c: c.method == "editMessageText" and c.params.get("message_id") == sent_id(message),
        count=count,
    )
    return edits[-1]


def tomorrow_at(hour: int, minute: int, zone: ZoneInfo, days: int = 1) -> datetime:
    day: date = datetime.now(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


# --- feeds ------------------------------------------------------------------------------


async def test_addfeed_ingests_once_and_polls_conditionally(
    app, fake_api: FakeBotApi, web: WebServer
) -> None:
    feed = Page(rss("Island News", [volcano_item(), seals_item()]), RSS, etag='"v1"')
    web.pages["/feed.xml"] = feed

    reply = await store(fake_api, 1, f"/addfeed {web.url('/feed.xml')}")
    assert "Following Island News (#1): 2 new articles stored." in plain_text(reply.text)
    assert f'<a href="{web.url("/feed.xml")}">Island News</a>' in reply.text

    later = datetime.now(UTC) + timedelta(hours=1)
    [polled] = await jobs(app).poll_feeds(now=later)
    assert polled.not_modified
    feed.etag = '"v2"'  # changed headers, same entries: nothing is stored twice
    [polled] = await jobs(app).poll_feeds(now=later + timedelta(hours=1))
    assert not polled.not_modified and polled.new_articles == []
    assert await jobs(app).poll_feeds() == []  # nothing is due yet
    assert [request.status for request in web.requests] == [200, 304, 200]

    listing = await store(fake_api, 1, "/articles")
    assert "1–2 of 2" in plain_text(listing.text)
    answer = await store(fake_api, 1, "Which airport was closed?")
    assert "island airport" in plain_text(answer.text)

    # Another chat sees nothing of it.
    assert "no articles yet" in (await store(fake_api, 2, "Which airport was closed?")).text
    assert "You follow no feeds yet" in (await store(fake_api, 2, "/feeds")).text


async def test_addfeed_usage_and_errors(app, fake_api: FakeBotApi, web: WebServer) -> None:
    assert "Use /addfeed URL" in (await store(fake_api, 1, "/addfeed")).text
    web.pages["/home"] = Page(b"<html><body><p>No feed here.</p></body></html>")
    assert "no RSS or Atom feed" in (await store(fake_api, 1, f"/addfeed {web.url('/home')}")).text
    assert "404" in (await store(fake_api, 1, f"/addfeed {web.url('/missing.xml')}")).text

    # A web page that announces its Atom feed.
    web.pages["/atom.xml"] = Page(atom("Atom News", [volcano_item()]), "application/atom+xml")
    web.pages["/"] = Page(b'<html><head><link rel="alternate" type="application/atom+xml" '
                           b'href="/atom.xml"></head><body><p>Home</p></body></html>')
    reply = await store(fake_api, 1, f"/addfeed {web.url('/')}")
    assert "Following Atom News (#1): 1 new article stored." in plain_text(reply.text)


async def test_feed_list_errors_and_removal(app, fake_api: FakeBotApi, web: WebServer) -> None:
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
    web.pages["/b.xml"] = Page(rss("Other News", [seals_item()]), RSS)
    await store(fake_api, 1, f"/addfeed {web.url('/a.xml')}")
    await store(fake_api, 1, f"/addfeed {web.url('/b.xml')}")
    web.pages["/b.xml"] = Page(b"down for maintenance", "text/plain", 503)
    await jobs(app).poll_feeds(now=datetime.now(UTC) + timedelta(hours=1))

    listing = await store(fake_api, 1, "/feeds")
    lines = plain_text(listing.text).splitlines()
    assert lines[0] == "Your feeds · 2"
    assert lines[1].startswith("#1 Island News · fetched just now")
    assert lines[2].startswith("#2 Other News · fetched just now · 1 error in a row:") and "503" in lines[2]
    russian = plain_text((await store(fake_api, 1, "/feeds", language_code="ru")).text).splitlines()
    assert "1 ошибка подряд: Сайт ответил 503 Service Unavailable." in russian[2]
    assert [b["text"] for b in listing.buttons] == ["✕ #1", "✕ #2"]

    answer = await press(fake_api, 1, listing, "✕ #1")
    assert answer.params["text"] == "Stopped following Island News."
    edit = await last_edit(fake_api, listing)
    assert "#1 " not in plain_text(edit.text) and "#2 Other News" in plain_text(edit.text)

    assert "Stopped following Other News (#2)." in (await store(fake_api, 1, "/removefeed 2")).text
    assert "You don't follow a feed 2." in (await store(fake_api, 1, "/removefeed 2")).text
    assert "Use /removefeed ID" in (await store(fake_api, 1, "/removefeed")).text
    assert "Which airport" not in (await store(fake_api, 1, "Which airport was closed?")).text


async def test_feeds_for_every_chat(bot_config: BotConfig, fake_api: FakeBotApi, web: WebServer) -> None:
    web.pages["/config.xml"] = Page(rss("Config News", [seals_item()]), RSS)
    web.pages["/admin.xml"] = Page(rss("Admin News", [volcano_item()]), RSS)
    feeds = FeedsConfig(urls=[web.url("/config.xml")])
    config = bot_config.model_copy(update={"feeds": feeds, "access": AccessConfig(admins=[9])})
    async with running_bot(config, schedule_jobs=False) as application:
        [polled] = await jobs(application).poll_feeds()  # the config's feed is due at start
        assert len(polled.new_articles) == 1
        refused = await store(fake_api, 1, f"/addfeed_all {web.url('/admin.xml')}")
        assert "Only the bot's admins" in refused.text
        added = await store(fake_api, 9, f"/addfeed_all {web.url('/admin.xml')}")
        assert "Following Admin News for every chat (#2)" in plain_text(added.text)

    async with running_bot(config, schedule_jobs=False):  # still there after a restart
        listing = await store(fake_api, 3, "/feeds")
        assert "#1 Config News · for every chat" in plain_text(listing.text)
        assert "#2 Admin News · for every chat" in plain_text(listing.text)
        assert not listing.buttons
        assert "island airport" in (await store(fake_api, 3, "Which airport was closed?")).text
        assert "only the bot's admins" in (await store(fake_api, 3, "/removefeed 2")).text
        assert "in the configuration" in (await store(fake_api, 9, "/removefeed 1")).text
        assert "Stopped following Admin News" in (await store(fake_api, 9, "/removefeed 2")).text
        assert "#2" not in plain_text((await store(fake_api, 3, "/feeds")).text)
    assert not fake_api.violations


async def test_opml_import_shows_progress_in_one_message(
    app, fake_api: FakeBotApi, web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.conversation.following, "PROGRESS_EVERY_S", 0)
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
    web.pages["/b.xml"] = Page(atom("Atom News", [seals_item()]), "application/atom+xml")
    outlines = "".join(
        f'<outline text="{path}" xmlUrl="{web.url(path)}"/>' for path in ("/a.xml", "/gone.xml", "/b.xml")
    )
    opml = f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'.encode()
    fake_api.push_message(1, document=fake_api.add_file("feeds.opml", opml, "text/x-opml"))

    summary = await fake_api.wait_for(lambda c: c.method == "editMessageText" and "Imported" in c.text)
    [progress] = fake_api.sent(1)
    assert plain_text(progress.text) == "Importing feeds…"
    edits = fake_api.sent(1, "editMessageText")
    assert all(edit.params["message_id"] == sent_id(progress) for edit in edits)
    progress_texts = [plain_text(edit.text) for edit in edits[:2]]
    assert progress_texts == ["Importing feeds: 1 of 3…", "Importing feeds: 2 of 3…"]
    text = plain_text(summary[0].text)
    assert text.startswith("Imported 2 of 3 feeds.\n#1 Island News\n#2 Atom News")
    assert f"{web.url('/gone.xml')} — " in text and "404" in text

    # An .xml document that is not OPML is not taken for one.
    fake_api.push_message(1, document=fake_api.add_file("data.xml", b"<data/>", "application/xml"))
    assert "not .xml files" in (await next_reply(fake_api, 1)).text


async def test_export_sends_opml_and_json(app, fake_api: FakeBotApi, web: WebServer) -> None:
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
    await store(fake_api, 1, f"/addfeed {web.url('/a.xml')}")
    await store(fake_api, 1, "/subscribe volcano")
    await store(fake_api, 1, "Why the sea rises twice a day\n\n" + "\n\n".join(TIDES))

    fake_api.push_message(1, "/export")
    opml, document = await fake_api.wait_for("sendDocument", count=2)
    assert opml.params["document_name"] == "briefbot-feeds.opml"
    assert web.url("/a.xml").encode() in opml.params["document"]
    assert document.params["document_name"] == "briefbot-export.json"
    exported = json.loads(document.params["document"])
    assert [topic["query"] for topic in exported["topics"]] == ["volcano"]
    assert [feed["url"] for feed in exported["feeds"]] == [web.url("/a.xml")]
    [article] = exported["articles"]
    assert article["title"] == "Why the sea rises twice a day" and TIDES[0] in article["text"]
    assert "1 topic, 1 feed and 1 article" in document.params["caption"]


# --- topics and alerts --------------------------------------------------------------------


async def test_subscribe_topics_modes_and_unsubscribe(app, fake_api: FakeBotApi) -> None:
    assert "Use /subscribe QUERY" in (await store(fake_api, 1, "/subscribe")).text
    bad = await store(fake_api, 1, '/subscribe volcano "la palma')
    assert plain_text(bad.text) == 'A quotation mark is not closed: write phrases as "like this".'
    assert "OR needs a word on each side" in (await store(fake_api, 1, "/subscribe volcano OR")).text

    added = await store(fake_api, 1, '/subscribe "la palma" OR tenerife -tourism site:news.example')
    assert plain_text(added.text).startswith(
        "Watching “\"la palma\" OR tenerife -tourism site:news.example” (#1): in the daily digest."
    )
    assert [b["text"] for b in added.buttons] == ["instant", "✓ daily", "off", "✕ #1"]
    answer = await press(fake_api, 1, added, "instant")
    assert answer.params["text"].endswith(": alerts at once.")
    edit = await last_edit(fake_api, added)
    assert "alerts at once" in plain_text(edit.text)
    assert [b["text"] for b in edit.buttons][:3] == ["✓ instant", "daily", "off"]

    await store(fake_api, 1, "/subscribe seals")
    listing = await store(fake_api, 1, "/topics")
    lines = plain_text(listing.text).splitlines()
    assert lines[0] == "Your topics · 2"
    assert lines[2] == "#2 “seals” · in the daily digest"
    assert len(listing.buttons) == 8

    answer = await press(fake_api, 1, listing, "✕ #2")
    assert answer.params["text"] == "Stopped watching “seals”."
    assert "Stopped watching" in (await store(fake_api, 1, "/unsubscribe 1")).text
    assert "There is no topic 1." in (await store(fake_api, 1, "/unsubscribe 1")).text
    assert "You watch no topics yet" in (await store(fake_api, 1, "/topics")).text
    assert "There is no topic 1." in (await store(fake_api, 2, "/unsubscribe 1")).text


async def instant_topic(api: FakeBotApi, chat_id: int, query: str) -> None:
    added = await store(api, chat_id, f"/subscribe {query}")
    await press(api, chat_id, added, "instant")


async def test_a_matching_entry_sends_one_alert(app, fake_api: FakeBotApi, web: WebServer) -> None:
    await instant_topic(fake_api, 1, "volcano evacuated")
    await instant_topic(fake_api, 2, "volcano")  # chat 2 does not follow the feed
    web.pages["/feed.xml"] = Page(rss("Island News", [volcano_item(), seals_item()]), RSS)
    await store(fake_api, 1, f"/addfeed {web.url('/feed.xml')}")
    before = len(fake_api.sent())

    assert await jobs(app).send_alerts(app.bot) == 1
    [alert] = fake_api.sent()[before:]
    assert alert.chat_id == 1
    lines = plain_text(alert.text).splitlines()
    assert lines[0] == "La Palma volcano erupts again"
    assert alert.text.startswith('<b><a href="https://news.example/volcano">La Palma volcano erupts again')
    assert any(VOLCANO[1] in line for line in lines)  # "Officials evacuated three villages…"
    assert "<b>evacuated</b>" in alert.text and "<b>volcano</b>" in alert.text
    assert lines[-1].startswith("Topic: “volcano evacuated” · #")
    assert await jobs(app).send_alerts(app.bot) == 0  # delivered once


BRIDGE_RU = [
    "В понедельник город открыл новое здание вокзала и объявил о планах на следующий год.",
    "Длина нового моста через реку составит 840 метров, а его стоимость — 120 миллионов евро.",
    "Инженеры ожидают, что каждый день по мосту будут проезжать около 40 000 автомобилей.",
]


async def test_a_russian_topic_word_alerts_on_its_inflected_forms(
    app, fake_api: FakeBotApi, web: WebServer
) -> None:
    await instant_topic(fake_api, 1, "мосты")  # the story says "моста" and "мосту", never "мосты"
    await instant_topic(fake_api, 1, "туннель")
    item = {"title": "Над рекой построят мост", "link": "https://news.example/most", "guid": "m1",
            "description": long_text(BRIDGE_RU)}
    web.pages["/feed.xml"] = Page(rss("Городские новости", [item]), RSS)
    await store(fake_api, 1, f"/addfeed {web.url('/feed.xml')}")
    before = len(fake_api.sent())

    assert await jobs(app).send_alerts(app.bot) == 1
    [alert] = fake_api.sent()[before:]
    lines = plain_text(alert.text).splitlines()
    assert lines[0] == "Над рекой построят мост"
    assert "<b>моста</b>" in alert.text
    assert lines[-1].startswith("Topic: “мосты” · #")


async def test_alerts_arriving_together_share_one_message(
    bot_config: BotConfig, fake_api: FakeBotApi, web: WebServer
) -> None:
    config = bot_config.model_copy(update={"alerts": AlertsConfig(min_interval_seconds=300)})
    async with running_bot(config, schedule_jobs=False) as application:
        await instant_topic(fake_api, 1, "volcano OR seals OR tides")
        web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
        await store(fake_api, 1, f"/addfeed {web.url('/a.xml')}")
        now = datetime.now(UTC)
        before = len(fake_api.sent(1))
        assert await jobs(application).send_alerts(application.bot, now=now) == 1

        web.pages["/b.xml"] = Page(rss("Other News", [seals_item(), tides_item()]), RSS)
        await store(fake_api, 1, f"/addfeed {web.url('/b.xml')}")
        assert await jobs(application).send_alerts(application.bot, now=now + timedelta(seconds=120)) == 0
        assert await jobs(application).send_alerts(application.bot, now=now + timedelta(seconds=301)) == 1
        first, grouped = fake_api.sent(1)[before:][0], fake_api.sent(1)[-1]
        assert "La Palma" in first.text
        text = plain_text(grouped.text)
        assert "Seals return to the Thames" in text and "Why the sea rises twice a day" in text
        assert "La Palma" not in text
    assert not fake_api.violations


# --- digests ------------------------------------------------------------------------------


async def test_digest_groups_the_same_story(app, fake_api: FakeBotApi, web: WebServer) -> None:
    assert (await store(fake_api, 1, "/digest")).text == "Nothing new since your last digest."
    await store(fake_api, 1, "/subscribe volcano")
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item(), seals_item()]), RSS)
    web.pages["/b.xml"] = Page(rss("Other News", [volcano_copy()]), RSS)
    await store(fake_api, 1, f"/addfeed {web.url('/a.xml')}")
    await store(fake_api, 1, f"/addfeed {web.url('/b.xml')}")

    digest = await store(fake_api, 1, "/digest")
    text = plain_text(digest.text)
    lines = text.splitlines()
    assert lines[0].startswith("Your digest · ")
    assert lines[2] == "“volcano”"
    assert text.count("La Palma volcano erupts again") == 1
    assert "Also reported by: news.example" in text  # the newest copy (other.example) leads
    assert "From your feeds" in text and "• Seals return to the Thames · news.example" in text
    assert '<a href="https://news.example/seals">Seals return to the Thames</a>' in digest.text
    assert "#:~:text=" in digest.text  # cited sentences link to themselves


async def test_a_digest_asked_for_counts_as_one(app, fake_api: FakeBotApi, web: WebServer) -> None:
    """/digest is recorded like a scheduled digest: asked again, or at the next scheduled
    time, nothing of it is repeated; what arrives later comes in the next one."""
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
    await store(fake_api, 1, f"/addfeed {web.url('/a.xml')}")
    assert "La Palma volcano erupts again" in (await store(fake_api, 1, "/digest")).text
    assert (await store(fake_api, 1, "/digest")).text == "Nothing new since your last digest."

    due = tomorrow_at(8, 1, ZoneInfo("UTC"))  # the configured default: 08:00 UTC
    assert await jobs(app).send_digests(app.bot, now=due) == 1  # the schedule still runs…
    assert fake_api.sent(1)[-1].text == "Nothing new since your last digest."  # …without repeating it

    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item(), seals_item()]), RSS)
    [polled] = await jobs(app).poll_feeds(now=due)
    assert len(polled.new_articles) == 1
    assert await jobs(app).send_digests(app.bot, now=due + timedelta(days=1)) == 1
    text = plain_text(fake_api.sent(1)[-1].text)
    assert "Seals return to the Thames" in text and "La Palma" not in text
    assert (await store(fake_api, 1, "/digest")).text == "Nothing new since your last digest."


async def test_digest_in_tokyo_time_is_sent_once_even_after_a_restart(
    bot_config: BotConfig, fake_api: FakeBotApi, web: WebServer
) -> None:
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
    first = tomorrow_at(9, 30, TOKYO)
    async with running_bot(bot_config, schedule_jobs=False) as application:
        await store(fake_api, 1, f"/addfeed {web.url('/a.xml')}")
        assert "not a time of day" in (await store(fake_api, 1, "/digest_at 9:75")).text
        assert "I don't know the time zone “Mars/Olympus”" in (
            await store(fake_api, 1, "/digest_at 09:30 Mars/Olympus")).text
        settings = await store(fake_api, 1, "/digest_at 9:30 asia/tokyo")
        # The time as English writes it (9:30 AM, a narrow no-break space before AM).
        assert "Daily digest at 9:30\u202fAM (Asia/Tokyo)" in plain_text(settings.text)
        job = jobs(application)
        assert await job.send_digests(application.bot, now=first - timedelta(minutes=1)) == 0
        assert await job.send_digests(application.bot, now=first + timedelta(minutes=1)) == 1
        digest = fake_api.sent(1)[-1]
        assert plain_text(digest.text).startswith(f"Your digest · {first.strftime('%a, %B %-d')}")
        assert "La Palma volcano erupts again" in digest.text
        assert await job.send_digests(application.bot, now=first + timedelta(minutes=2)) == 0

    sent_before = len(fake_api.sent(1))
    async with running_bot(bot_config, schedule_jobs=False) as application:
        job = jobs(application)
        assert await job.send_digests(application.bot, now=first + timedelta(minutes=3)) == 0
        assert len(fake_api.sent(1)) == sent_before

        # The next day nothing is new: a one-line note.
        assert await job.send_digests(application.bot, now=first + timedelta(days=1, minutes=1)) == 1
        assert fake_api.sent(1)[-1].text == "Nothing new since your last digest."
        # Missed while the bot was down: sent at start-up when under three hours late…
        assert await job.send_digests(application.bot, now=first + timedelta(days=2, hours=2)) == 1
        # …skipped when later than that.
        assert await job.send_digests(application.bot, now=first + timedelta(days=3, hours=4)) == 0
        assert await job.send_digests(application.bot, now=first + timedelta(days=3, hours=4, minutes=1)) == 0

        # The chat chooses silence when nothing is new, then turns the digest off.
        settings = await store(fake_api, 1, "/digest_at")
        await press(fake_api, 1, settings, "✓ Note when nothing is new")
        assert "When nothing is new: nothing." in plain_text((await last_edit(fake_api, settings)).text)
        count = len(fake_api.sent(1))
        assert await job.send_digests(application.bot, now=first + timedelta(days=4, minutes=1)) == 0
        assert len(fake_api.sent(1)) == count
        off = await store(fake_api, 1, "/digest_off")
        assert "The daily digest is off." in plain_text(off.text)
        assert [b["text"] for b in off.buttons] == ["Note when nothing is new", "Turn on"]
    assert not fake_api.violations


async def test_a_chat_that_blocked_the_bot_is_paused(app, fake_api: FakeBotApi, web: WebServer) -> None:
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
    await store(fake_api, 5, f"/addfeed {web.url('/a.xml')}")
    await store(fake_api, 6, f"/addfeed {web.url('/a.xml')}")
    fake_api.blocked.add(5)
    due = tomorrow_at(8, 1, ZoneInfo("UTC"))  # the configured default: 08:00 UTC

    assert await jobs(app).send_digests(app.bot, now=due) == 1  # chat 6 only
    [refused] = fake_api.sent(5)[-1:]
    assert refused.result == "failed"
    attempts = len(fake_api.sent(5))
    assert await jobs(app).send_digests(app.bot, now=due + timedelta(days=1)) == 1
    assert len(fake_api.sent(5)) == attempts  # paused: not even tried

    fake_api.blocked.discard(5)
    await store(fake_api, 5, "/help")  # writing to the bot again unpauses the chat
    assert await jobs(app).send_digests(app.bot, now=due + timedelta(days=2)) == 2


async def test_a_migrated_group_keeps_its_feeds_and_gets_its_digest(
    app, fake_api: FakeBotApi, web: WebServer
) -> None:
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
    group, supergroup = -100, -100200
    await store(fake_api, group, f"/addfeed {web.url('/a.xml')}", chat_type="group")
    await store(fake_api, group, "/subscribe volcano", chat_type="group")
    fake_api.migrated[group] = supergroup

    assert await jobs(app).send_digests(app.bot, now=tomorrow_at(8, 1, ZoneInfo("UTC"))) == 1
    assert fake_api.sent(group)[-1].result == "failed"
    assert "La Palma volcano erupts again" in fake_api.sent(supergroup)[-1].text
    listing = await store(fake_api, supergroup, "/feeds", chat_type="supergroup")
    assert "#1 Island News" in plain_text(listing.text)
    topics = await store(fake_api, supergroup, "/topics", chat_type="supergroup")
    assert "“volcano”" in plain_text(topics.text)

    # Telegram also announces a migration with a service message. The bot handles a chat's
    # updates in order: once the old group's next message is answered, the move is done.
    await store(fake_api, -300, f"/addfeed {web.url('/a.xml')}", chat_type="group")
    none_yet = "You follow no feeds yet"
    assert none_yet in (await store(fake_api, -100300, "/feeds", chat_type="supergroup")).text
    fake_api.push_message(-300, chat_type="group", extra={"migrate_to_chat_id": -100300})
    assert none_yet in (await store(fake_api, -300, "/feeds", chat_type="group")).text
    listing = await store(fake_api, -100300, "/feeds", chat_type="supergroup")
    assert "#1 Island News" in plain_text(listing.text)


async def test_the_jobs_are_scheduled(telegram_bot: Application) -> None:
    assert telegram_bot.job_queue is not None
    names = {job.name for job in telegram_bot.job_queue.jobs()}
    assert names == {"poll_feeds", "send_alerts", "send_digests", "expire_messages"}


# --- rendering ------------------------------------------------------------------------------


def test_alert_highlights_are_bold_and_escaped() -> None:
    text = "Lava & <ash> fell on La Palma's volcano slopes."
    lava, volcano = (0, 4), (text.index("volcano"), text.index("volcano") + 7)
    alert = Alert(
        owner=Owner.chat(1), topic=TopicInfo(id=3, query="lava <ash>", mode="instant"), article_id=7,
        title="A <b> title & more", url="https://news.example/a?x=1&y=2",
        sentences=[HighlightedSentence(article_id=7, index=2, text=text,
                                       highlights=[volcano, lava, (1, 3), (text.index("<ash>"), 999)])],
    )
    [message] = to_html(AlertView(alerts=[alert, alert.model_copy(update={"topic": TopicInfo(
        id=4, query="palma", mode="instant")})]))
    assert check_html(message.text) == []
    assert "<b>Lava</b> &amp; <b>&lt;ash&gt; fell on La Palma's volcano slopes.</b>" in message.text
    lines = plain_text(message.text).splitlines()
    assert lines[0] == "A <b> title & more" and lines[-1] == "Topics: “lava <ash>”, “palma” · #7"


def test_long_digests_split_between_items() -> None:
    sentence = "The volcano keeps erupting & the island waits for the lava to stop " * 6
    items = [
        DigestItem(article_id=n, title=f"Story {n}", url=f"https://news.example/{n}", site="news.example",
                   sentences=[CitedSentence(article_id=n, index=i, text=f"{n}.{i} {sentence}",
                                            title=f"Story {n}") for i in (1, 2)])
        for n in range(40)
    ]
    section = DigestSection(heading="volcano", topic_id=1, items=items)
    digest = Digest(owner=Owner.chat(1), since=None, sections=[section])
    messages = to_html(DigestView(digest=digest, day=datetime(2026, 11, 29, tzinfo=UTC)))
    assert len(messages) > 2
    for message in messages:
        assert check_html(message.text) == []
        lines = plain_text(message.text).splitlines()
        stories = [line.split()[2] for line in lines if line.startswith("• Story")]
        cited = [line.split()[0] for line in lines if line[:1].isdigit()]
        assert cited == [f"{n}.{i}" for n in stories for i in (1, 2)]  # items stay whole


async def test_terminal_chat_has_topics_digest_and_export(
    tmp_path, monkeypatch: pytest.MonkeyPatch, web: WebServer
) -> None:
    from bot.chat import run_chat
    from retrieval.config import FetchConfig, StorageConfig

    monkeypatch.chdir(tmp_path)
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item(), seals_item()]), RSS)
    config = BotConfig(storage=StorageConfig(path=str(tmp_path / "chat.db")),
                       fetch=FetchConfig(allow_private=True))
    script = "\n".join([
        f"/addfeed {web.url('/a.xml')}", "/subscribe volcano", "/topics", "/digest", "/export", "/quit",
    ])
    output = io.StringIO()
    assert await run_chat(config, io.StringIO(script + "\n"), output) == 0
    text = output.getvalue()
    assert "Following Island News" in text and "(#1): 2 new articles stored." in text
    assert "#1 “volcano” · in the daily digest" in text
    assert "Your digest · " in text and "Also reported by" not in text
    assert "From your feeds" in text and "• Seals return to the Thames <https://news.example/seals>" in text
    assert f"Saved as {tmp_path / 'briefbot-export.json'}" in text
    assert json.loads((tmp_path / "briefbot-export.json").read_text())["topics"][0]["query"] == "volcano"
    assert web.url("/a.xml") in (tmp_path / "briefbot-feeds.opml").read_text()


async def test_moving_the_digest_west_skips_no_day(app, fake_api: FakeBotApi, web: WebServer) -> None:
    """Kiritimati (UTC+14) is a day ahead of Pago Pago (UTC-11): after the move, the next
    day in Pago Pago still gets its digest."""
    kiritimati, pago_pago = ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
    await store(fake_api, 1, f"/addfeed {web.url('/a.xml')}")
    await store(fake_api, 1, "/digest_at 08:30 Pacific/Kiritimati")
    job = jobs(app)
    assert await job.send_digests(app.bot, now=tomorrow_at(8, 31, kiritimati)) == 1
    await store(fake_api, 1, "/digest_at 08:30 Pacific/Pago_Pago")
    assert await job.send_digests(app.bot, now=tomorrow_at(8, 31, pago_pago)) == 1
