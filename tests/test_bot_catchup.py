"""Group catch-up and inline mode end to end: the real bot, the real engine on SQLite files,
and the fake Bot API with groups that talk (in English, Russian and Persian), admins,
privacy mode and inline queries."""

from __future__ import annotations

import html
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from telegram.ext import Application

from bot.config import BotConfig
from bot.groups import QUOTE
from bot.i18n import FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE, Translator, translator
from bot.jobs import JOBS_KEY, Jobs
from bot.render import RIGHT_TO_LEFT_MARK
from tests.chatter import ENGLISH, GROUPS, Chatter
from tests.conftest import running_bot
from tests.fakebot import Call, FakeBotApi, inline_texts, plain_text
from tests.test_bot import BEES, TIDES, pasted, store, sync
from tests.web import Page, WebServer

GROUP = -1001234567890  # a supergroup: its messages' links are t.me/c/1234567890/<id>
LINKS = "https://t.me/c/1234567890/"
ADMIN = 9001
MEMBER = 9002
_LINK = re.compile(r'<a href="(https://t\.me/c/1234567890/(\d+))">([^<]*)</a>')
_DIRECTION_MARKS = str.maketrans("", "", RIGHT_TO_LEFT_MARK + FIRST_STRONG_ISOLATE + POP_DIRECTIONAL_ISOLATE)


@pytest.fixture
async def app(bot_config: BotConfig, fake_api: FakeBotApi) -> AsyncIterator[Application]:
    """The bot with privacy mode off and inline mode on (BotFather /setprivacy, /setinline),
    in a group where ADMIN is the owner; the tests run the jobs themselves."""
    fake_api.me.update(can_read_all_group_messages=True, supports_inline_queries=True)
    fake_api.members[GROUP] = {ADMIN: "creator"}
    async with running_bot(bot_config, schedule_jobs=False) as application:
        yield application
    assert not fake_api.violations, fake_api.violations
    assert not fake_api.unanswered_inline_queries()


def jobs(app: Application) -> Jobs:
    return app.bot_data[JOBS_KEY]


async def say(
    api: FakeBotApi, text: str, *, user: int = MEMBER, name: str = "Sam Member", language: str = "en"
) -> str:
    """A command or message to the bot in the group; its reply, as the group sees it."""
    reply = await store(
        api, GROUP, text, chat_type="supergroup", user_id=user, name=name, language_code=language
    )
    return plain_text(reply.text)


async def turn_on(api: FakeBotApi) -> None:
    assert (await say(api, "/catchup on", user=ADMIN, name="Olga Owner")).startswith("Catch-up is on.")


async def talk(api: FakeBotApi, chatter: Chatter) -> dict[int, tuple[str, str]]:
    """The group's members post the chatter (with its replies), starting an hour ago;
    returns each posted message's (author, text) by message id, once the bot has seen them all."""
    posted: dict[int, tuple[str, str]] = {}
    ids: list[int] = []
    start = int(time.time()) - 3600
    for line in chatter.lines:
        message = api.push_message(
            GROUP, line.text, chat_type="supergroup", user_id=chatter.people[line.author], name=line.author,
            reply_to=None if line.reply_to is None else ids[line.reply_to],
            extra={"date": start + 60 * line.minute},
        )
        ids.append(message["message_id"])
        posted[message["message_id"]] = (line.author, line.text)
    await sync(api, GROUP, chat_type="supergroup")
    return posted


def quotes(reply: Call, t: Translator) -> list[tuple[str, str, str]]:
    """The (text, author, link) of each message a /tldr reply quotes, read off its lines."""
    template = re.escape(t.gettext(QUOTE)).translate(_DIRECTION_MARKS)
    pattern = re.compile(
        template.replace(r"\{text\}", "(?P<text>.+)").replace(r"\{author\}", "(?P<author>.+?)")
        .replace(r"\{time\}", ".+")
    )
    found = []
    for html_line, line in zip(reply.text.splitlines(), plain_text(reply.text).splitlines(), strict=True):
        if match := pattern.fullmatch(line.translate(_DIRECTION_MARKS)):
            links = _LINK.findall(html_line)
            assert len(links) == 1, html_line
            [(link, _, author)] = links
            assert html.unescape(author).translate(_DIRECTION_MARKS) == match["author"]
            found.append((match["text"], match["author"], link))
    return found


async def test_catchup_is_off_by_default_and_only_an_admin_turns_it_on(app, fake_api: FakeBotApi) -> None:
    assert (await say(fake_api, "/catchup")).startswith("Catch-up is off in this group")
    await talk(fake_api, ENGLISH)
    assert (await say(fake_api, "/tldr")).startswith("Catch-up is off in this group")

    assert await say(fake_api, "/catchup on") == "Only this group's admins can turn catch-up on or off."
    fake_api.me["can_read_all_group_messages"] = False  # privacy mode on, and the bot no admin
    refusal = await say(fake_api, "/catchup on", user=ADMIN)
    assert refusal.startswith("I can't read this group's messages") and "/setprivacy" in refusal
    assert (await say(fake_api, "/catchup")).startswith("Catch-up is off")
    fake_api.members[GROUP][fake_api.me["id"]] = "administrator"  # an admin sees every message
    on = await say(fake_api, "/catchup on", user=ADMIN)
    assert on.startswith("Catch-up is on.") and "for 7 days" in on and "/forgetme" in on
    assert (await say(fake_api, "/catchup on", user=ADMIN)).startswith("Catch-up is already on.")
    assert (await say(fake_api, "/catchup")).startswith("Catch-up is on.")
    misuse = await say(fake_api, "/catchup maybe", user=ADMIN)
    assert misuse.startswith("Use /catchup [on|off]: /catchup on or /catchup off")
    # What was said before it was on was not kept.
    assert await say(fake_api, "/tldr 200") == "I have kept no messages of this group yet."


@pytest.mark.parametrize("language", ["en", "ru", "fa"])
async def test_the_bot_stays_silent_while_the_group_talks_and_tldr_quotes_it(
    app, fake_api: FakeBotApi, web: WebServer, language: str
) -> None:
    chatter = GROUPS[language]
    await turn_on(fake_api)
    web.pages["/party.html"] = Page("<html><body><p>Party!</p></body></html>")
    link = fake_api.push_message(
        GROUP, f"Photos from last time: {web.url('/party.html')}", chat_type="supergroup", user_id=777,
        name="Link Poster",
    )
    before = len(fake_api.sent(GROUP))
    posted = await talk(fake_api, chatter)
    posted[link["message_id"]] = ("Link Poster", link["text"])

    said = fake_api.sent(GROUP)[before:]
    assert len(said) == 1 and "/sync_" in said[0].text, "the bot answered ordinary chatter"
    assert not fake_api.sent(GROUP, "sendChatAction")[before:]
    assert web.requests == [], "a link posted in the group was fetched"

    t = translator(language)
    reply = await store(
        fake_api, GROUP, "/tldr", chat_type="supergroup", user_id=MEMBER, name="Sam", language_code=language
    )
    found = quotes(reply, t)
    assert 3 <= len(found) <= 7, plain_text(reply.text)
    threads = set()
    for text, author, link in found:
        assert link.startswith(LINKS), reply.text
        message_id = int(link.removeprefix(LINKS))
        assert posted[message_id] == (author, text), (text, author, link)  # verbatim, by its author
        threads.add(next((line.thread for line in chatter.lines if line.text == text), None))
    assert threads == {line.thread for line in chatter.lines if line.thread}
    assert None not in threads  # no small talk
    heading = plain_text(reply.text).translate(_DIRECTION_MARKS).splitlines()[0]
    assert heading.startswith(t.gettext("What was said"))
    said = t.ngettext("{count} message in the last {duration}", "{count} messages in the last {duration}",
                      len(posted), duration=t.duration(timedelta(hours=24)))
    assert said.translate(_DIRECTION_MARKS) in heading


async def test_tldr_since_the_askers_last_message_and_by_time_or_count(app, fake_api: FakeBotApi) -> None:
    await turn_on(fake_api)
    posted = await talk(fake_api, ENGLISH)
    maya = ENGLISH.people["Maya Brooks"]
    # Maya last wrote 48 minutes ago (minute 12 of the chatter); two messages came after.
    since_maya = await say(fake_api, "/tldr", user=maya, name="Maya Brooks")
    assert since_maya.startswith("What was said · 2 messages since your last one"), since_maya
    assert "I will write a postmortem about the database outage" in since_maya
    assert "Final plan" not in since_maya
    assert await say(fake_api, "/tldr 30m") == "Nothing was said here in the last 30 minutes."
    fake_api.push_message(
        GROUP, "Back! What did I miss?", chat_type="supergroup", user_id=maya, name="Maya Brooks"
    )
    back = await say(fake_api, "/tldr", user=maya, name="Maya Brooks")
    assert back.startswith("What was said · 3 messages since your last one")  # her latest does not count
    assert "What did I miss" not in back and "postmortem" in back  # and she is not quoted to herself
    assert (await say(fake_api, "/tldr 5")).startswith("What was said · The last 5 messages")
    assert (await say(fake_api, "/tldr 90m")).startswith(
        f"What was said · {len(posted) + 1} messages in the last 90 minutes"
    )
    assert "Use /tldr [3h|200]" in await say(fake_api, "/tldr yesterday")
    assert "Use /tldr [3h|200]" in await say(fake_api, "/tldr 0")


async def test_ask_in_the_group_cites_the_message(app, fake_api: FakeBotApi) -> None:
    await turn_on(fake_api)
    posted = await talk(fake_api, ENGLISH)
    [(message_id, (author, text))] = [(i, m) for i, m in posted.items() if "car park by the visitor" in m[1]]

    reply = await store(fake_api, GROUP, "/ask where do we meet for the hike?", chat_type="supergroup")

    shown = plain_text(reply.text)
    assert shown.startswith("Let's meet at the car park by the visitor centre before the hike. [1]")
    assert f'<a href="{LINKS}{message_id}">[1]</a>' in reply.text
    assert f'[1] <a href="{LINKS}{message_id}">{author}</a>' in reply.text
    assert f"[1] {author} · message of " in shown

    nothing = await say(fake_api, "/ask who won the football world cup in 1966?")
    assert nothing == "I found nothing about that in your articles or in what this group said."


async def test_an_edit_replaces_what_was_kept(app, fake_api: FakeBotApi) -> None:
    await turn_on(fake_api)
    posted = await talk(fake_api, ENGLISH)
    [plan] = [i for i, (_, text) in posted.items() if text.startswith("Final plan for the hike")]
    fake_api.push_edit(GROUP, plan, "Final plan for the hike: Sunday at 10 am at the old railway bridge.")
    await sync(fake_api, GROUP, chat_type="supergroup")

    answer = await say(fake_api, "/ask what is the final plan for the hike?")
    assert "old railway bridge" in answer and "Saturday at 1 pm at the visitor centre car park" not in answer
    assert "old railway bridge" in await say(fake_api, "/tldr 200")


async def test_forgetme_deletes_only_what_its_sender_wrote(app, fake_api: FakeBotApi) -> None:
    await turn_on(fake_api)
    await talk(fake_api, ENGLISH)
    tom = ENGLISH.people["Tom Reid"]
    assert "Tom Reid" in await say(fake_api, "/ask is the last part of the trail steep and muddy?")

    forgot = await say(fake_api, "/forgetme", user=tom, name="Tom Reid")
    assert forgot == f"I deleted the {len(ENGLISH.by('Tom Reid'))} messages of yours I kept in this group."
    again = await say(fake_api, "/forgetme", user=tom, name="Tom Reid")
    assert again == "I keep no messages of yours in this group."
    assert "Tom Reid" not in await say(fake_api, "/tldr 200")
    assert "Tom Reid" not in await say(fake_api, "/ask is the last part of the trail steep and muddy?")


async def test_catchup_off_forgets_everything(app, fake_api: FakeBotApi) -> None:
    await turn_on(fake_api)
    posted = await talk(fake_api, ENGLISH)
    assert await say(fake_api, "/catchup off") == "Only this group's admins can turn catch-up on or off."

    off = await say(fake_api, "/catchup off", user=ADMIN)

    assert off == f"Catch-up is off: I deleted the {len(posted)} messages I kept and keep no more."
    assert (await say(fake_api, "/tldr")).startswith("Catch-up is off in this group")
    assert await say(fake_api, "/ask where do we meet for the hike?") == (
        "You have no articles yet: send me a link, some text or a file."
    )
    await turn_on(fake_api)
    assert await say(fake_api, "/tldr 200") == "I have kept no messages of this group yet."


async def test_kept_messages_expire_after_the_retention(app, fake_api: FakeBotApi) -> None:
    await turn_on(fake_api)
    posted = await talk(fake_api, ENGLISH)
    now = datetime.now(UTC)  # the chatter was posted in the hour before
    assert await jobs(app).expire_messages(now=now + timedelta(days=6, hours=22)) == 0
    assert "What was said" in await say(fake_api, "/tldr 200")

    assert await jobs(app).expire_messages(now=now + timedelta(days=7, minutes=5)) == len(posted)

    assert await say(fake_api, "/tldr 200") == "I have kept no messages of this group yet."
    assert "nothing" in await say(fake_api, "/ask where do we meet for the hike?")


async def test_catchup_is_for_groups_and_help_says_what_is_kept(app, fake_api: FakeBotApi) -> None:
    private = 5150
    for command in ("/tldr", "/catchup on", "/forgetme"):
        reply = plain_text((await store(fake_api, private, command)).text)
        assert reply.startswith("This works in groups"), command
    private_help = plain_text((await store(fake_api, private, "/help")).text)
    assert "/catchup" in private_help and "for 7 days" in private_help
    assert "/tldr [3h|200]" not in private_help  # not in a private chat's menu

    group_help = await say(fake_api, "/help")
    assert "Catch-up is off in this group" in group_help and "for 7 days" in group_help
    assert "/tldr [3h|200] — What was said here while you were away, quoted" in group_help
    await turn_on(fake_api)
    russian = await say(fake_api, "/help", language="ru")
    assert "Catch-up" not in russian and "7 дней" in russian


# --- inline mode --------------------------------------------------------------------------


async def test_inline_answers_come_from_the_askers_own_articles(app, fake_api: FakeBotApi) -> None:
    alice, bob = 7001, 7002
    fresh = await fake_api.inline_answer(fake_api.push_inline_query(alice, "how do bees find flowers?"))
    assert fresh["results"] == [] and str(fresh["is_personal"]).lower() == "true"
    assert fresh["button"] == {"text": "Send me articles first", "start_parameter": "inline"}
    assert 0 < int(fresh["cache_time"]) <= 60

    await store(fake_api, alice, pasted("How bees dance", BEES))
    await store(fake_api, bob, pasted("Why the sea rises twice a day", TIDES))

    answer = await fake_api.inline_answer(
        fake_api.push_inline_query(alice, "How do bees tell others the direction of food?")
    )
    texts = inline_texts(answer)
    assert 1 <= len(texts) <= 5
    assert "button" not in answer or answer["button"] is None
    for result, text in zip(answer["results"], texts, strict=True):
        [sentence] = [s for s in BEES if s in text]  # one sentence of her article, verbatim
        assert text == f"“{sentence}” — How bees dance"
        assert result["title"] in sentence or result["title"].rstrip("…") in sentence
    assert "angle of the dance" in texts[0]

    other = await fake_api.inline_answer(
        fake_api.push_inline_query(bob, "How do bees tell others the direction?")
    )
    assert all(not any(s in text for s in BEES) for text in inline_texts(other))  # never Alice's

    latest = await fake_api.inline_answer(fake_api.push_inline_query(alice, ""))
    [summary] = inline_texts(latest)
    assert summary.startswith("How bees dance\n")
    assert sum(sentence in summary for sentence in BEES) == 2


async def test_inline_never_answers_from_a_group(app, fake_api: FakeBotApi) -> None:
    await turn_on(fake_api)
    await talk(fake_api, ENGLISH)
    maya = ENGLISH.people["Maya Brooks"]
    answer = await fake_api.inline_answer(fake_api.push_inline_query(maya, "Where do we meet for the hike?"))
    assert answer["results"] == []
    assert answer["button"]["text"] == "Send me articles first"

    await store(fake_api, maya, pasted("How bees dance", BEES))
    answer = await fake_api.inline_answer(fake_api.push_inline_query(maya, "Where do we meet for the hike?"))
    assert all("car park" not in text for text in inline_texts(answer))
    russian = await fake_api.inline_answer(fake_api.push_inline_query(5, "пчёлы", language_code="ru"))
    assert russian["button"]["text"] == translator("ru").gettext("Send me articles first")
