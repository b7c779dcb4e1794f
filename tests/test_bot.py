"""End to end: the real python-telegram-bot Application, the real engine on SQLite files
in tmp_path, a real web server for links, and the fake Bot API from tests/fakebot.py."""

from __future__ import annotations

import html
import itertools
from typing import Any

from bot.config import AccessConfig, BotConfig
from tests.conftest import running_bot
from tests.fakebot import BOT_USER, Call, FakeBotApi, plain_text
from tests.support import make_pdf
from tests.web import Page, WebServer

BEES = [
    "Honey bees communicate the location of flowers through a waggle dance performed inside the hive.",
    "The angle of the dance relative to gravity tells the other workers the direction of the food.",
    "The duration of the waggle run encodes the distance between the hive and the flower patch.",
    "Karl von Frisch decoded the dance language in the 1940s and later received a Nobel Prize.",
    "Researchers have since shown that bees also use the position of the sun as a compass.",
    "Colonies with more dancers find rich flower patches faster during a poor season.",
    "Beekeepers watch the dances to learn which crops their colonies are visiting.",
]
TIDES = [
    "Ocean tides are caused mainly by the gravitational pull of the Moon on the Earth's oceans.",
    "The Sun also raises tides, but its effect is a little less than half that of the Moon.",
    "When the Sun and the Moon line up, their pulls add together and produce spring tides.",
    "Neap tides happen when the Sun and the Moon pull at right angles to each other.",
    "The Bay of Fundy in Canada has the highest tidal range in the world, over sixteen metres.",
    "Tidal power stations turn the rise and fall of the water into electricity.",
]


def page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='en'><head><title>{html.escape(title)}</title></head>"
        f"<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article>"
        f"<footer>Copyright 2025 Example News</footer></body></html>"
    )


def pasted(title: str, paragraphs: list[str]) -> str:
    return title + "\n\n" + "\n\n".join(paragraphs)


_SYNCS = itertools.count(1)


def replies(api: FakeBotApi, chat_id: int) -> list[Call]:
    return api.sent(chat_id)


async def next_reply(api: FakeBotApi, chat_id: int, *, timeout: float = 10) -> Call:
    """The first message sent to ``chat_id`` after the ones already seen."""
    seen = len(replies(api, chat_id))
    return (await api.messages(chat_id, seen + 1, timeout=timeout))[seen]


async def store(api: FakeBotApi, chat_id: int, text: str, **kwargs: Any) -> Call:
    api.push_message(chat_id, text, **kwargs)
    return await next_reply(api, chat_id)


def sent_id(call: Call) -> int:
    return call.result["message_id"]


async def sync(api: FakeBotApi, chat_id: int, **kwargs: Any) -> None:
    """Return once the bot has handled everything sent to ``chat_id`` so far.

    The bot handles each chat's updates one after another, in order (bot/app.py), so when
    it has answered a command sent now, it is done with every update sent before it."""
    marker = f"/sync_{next(_SYNCS)}"
    api.push_message(chat_id, marker, **kwargs)
    await api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == chat_id and marker in c.text)


async def test_start_publishes_commands_and_greets(telegram_bot, fake_api: FakeBotApi) -> None:
    # The default menu, in English: the one published without a language code or a scope.
    [commands] = await fake_api.wait_for(
        lambda call: call.method == "setMyCommands" and not {"language_code", "scope"} & set(call.params)
    )
    names = {command["command"] for command in commands.params["commands"]}
    assert {"start", "help", "ask", "summary", "articles", "forget", "settings"} <= names

    reply = await store(fake_api, 1, "/start")
    assert "Briefbot" in reply.text and "/ask" in reply.text


async def test_link_is_fetched_stored_and_summarized(
    telegram_bot, fake_api: FakeBotApi, web: WebServer
) -> None:
    web.pages["/bees.html"] = Page(page("How bees dance", BEES))
    url = web.url("/bees.html")

    reply = await store(fake_api, 1, url)

    assert fake_api.sent(1, "sendChatAction"), "no typing… while fetching"
    assert fake_api.sent(1, "sendChatAction")[0].at <= reply.at
    assert f'<a href="{url}">How bees dance</a>' in reply.text
    numbered = [line for line in plain_text(reply.text).splitlines() if line[:2] in {"1.", "2.", "3."}]
    assert len(numbered) == 3
    for line in numbered:
        assert any(sentence in line for sentence in BEES), line
    assert f'href="{url}#:~:text=' in reply.text  # each citation points at its sentence
    assert [b["text"] for b in reply.buttons] == ["More", "Fewer", "Ask about this"]


async def test_failed_fetch_says_why(telegram_bot, fake_api: FakeBotApi, web: WebServer) -> None:
    reply = await store(fake_api, 1, web.url("/missing.html"))
    assert plain_text(reply.text) == "The site answered 404 Not Found."

    web.pages["/photo.bin"] = Page(b"\x89PNG\r\n\x1a\n" + bytes(200), "application/octet-stream")
    reply = await store(fake_api, 1, web.url("/photo.bin"))
    assert plain_text(reply.text) == "That link leads to a file (application/octet-stream), not an article."
    assert "no articles yet" in (await store(fake_api, 1, "What is in the photo?")).text


async def test_pasted_page_text_is_cleaned_and_summarized(
    telegram_bot, fake_api: FakeBotApi, seed_text: str
) -> None:
    reply = await store(fake_api, 1, seed_text)

    text = plain_text(reply.text)
    assert text.startswith("Mexican President Snubs Trump’s Push for U.S. Military")
    assert "Advertisement" not in text and "Tipsheet" not in text
    assert "3 of " in text


async def test_forwarded_channel_post_keeps_its_source(telegram_bot, fake_api: FakeBotApi) -> None:
    origin = {
        "type": "channel", "date": 1700000000, "message_id": 77,
        "chat": {"id": -1001, "type": "channel", "title": "Tide Watch", "username": "tidewatch"},
    }
    reply = await store(fake_api, 1, pasted("Why the sea rises twice a day", TIDES), forward_origin=origin)

    assert '<a href="https://t.me/tidewatch/77">' in reply.text
    assert "from Tide Watch" in plain_text(reply.text)

    short_forward = {"type": "hidden_user", "date": 1700000000, "sender_user_name": "Ann"}
    reply = await store(fake_api, 1, "Spring tides follow the full moon. They are the strongest.",
                        forward_origin=short_forward)
    assert "from Ann" in plain_text(reply.text)


async def test_file_upload(telegram_bot, fake_api: FakeBotApi) -> None:
    document = fake_api.add_file("tides.md", ("# Tides\n\n" + "\n\n".join(TIDES)).encode(), "text/markdown")
    fake_api.push_message(1, document=document)
    reply = await next_reply(fake_api, 1)
    assert plain_text(reply.text).startswith("Tides\n")
    assert fake_api.sent(1, "sendChatAction")

    pdf = fake_api.add_file("bees.pdf", make_pdf(BEES, title="Bee dances"), "application/pdf")
    fake_api.push_message(1, document=pdf)
    reply = await next_reply(fake_api, 1)
    assert plain_text(reply.text).startswith("Bee dances\n")

    word = fake_api.add_file("notes.docx", b"PK\x03\x04 zipped", "application/octet-stream")
    fake_api.push_message(1, document=word)
    reply = await next_reply(fake_api, 1)
    assert "not .docx files" in reply.text


async def test_large_file_edits_one_progress_message(telegram_bot, fake_api: FakeBotApi) -> None:
    paragraphs = [
        f"Report line {n} notes that station {n} measured a tide of {n % 17} metres on day {n}."
        for n in range(3200)
    ]
    data = ("Station report\n\n" + "\n\n".join(paragraphs)).encode()
    assert len(data) > 256 * 1024
    fake_api.push_message(1, document=fake_api.add_file("report.txt", data))

    edits = await fake_api.wait_for(
        lambda c: c.method == "editMessageText" and "Station report" in c.text, timeout=30
    )
    progress = fake_api.sent(1)
    assert len(progress) == 1 and "Downloading report.txt" in progress[0].text
    assert all(e.params["message_id"] == sent_id(progress[0]) for e in fake_api.sent(1, "editMessageText"))
    assert "Reading report.txt" in fake_api.sent(1, "editMessageText")[0].text
    assert edits[0].buttons


async def test_question_answer_and_abstention(telegram_bot, fake_api: FakeBotApi, seed_text: str) -> None:
    await store(fake_api, 1, seed_text)
    await store(fake_api, 1, pasted("Why the sea rises twice a day", TIDES))

    answer = await store(fake_api, 1, "What did Sheinbaum say about sovereignty?")
    text = plain_text(answer.text)
    assert "sovereignty is inalienable" in text
    assert "[1]" in text and "Sources" in text and "Mexican President Snubs" in text

    answer = await store(fake_api, 1, "/ask what causes spring tides")
    assert "spring tides" in plain_text(answer.text)

    nothing = await store(fake_api, 1, "Who won the 1998 football World Cup?")
    assert plain_text(nothing.text) == "I found nothing about that in your articles."


async def test_question_before_any_article(telegram_bot, fake_api: FakeBotApi) -> None:
    reply = await store(fake_api, 1, "What is the capital of France?")
    assert "no articles yet" in reply.text


async def test_reply_to_a_summary_scopes_the_question(
    telegram_bot, fake_api: FakeBotApi, seed_text: str
) -> None:
    await store(fake_api, 1, seed_text)
    tides_summary = await store(fake_api, 1, pasted("Why the sea rises twice a day", TIDES))
    title = plain_text(tides_summary.text).splitlines()[0]

    scoped = await store(fake_api, 1, "What did Sheinbaum say about sovereignty?",
                         reply_to=sent_id(tides_summary))
    assert plain_text(scoped.text) == f"I found nothing about that in “{title}”."

    scoped = await store(fake_api, 1, "Which bay has the highest tides?", reply_to=sent_id(tides_summary))
    assert "Bay of Fundy" in scoped.text

    summary = await store(fake_api, 1, "/summary 5", reply_to=sent_id(tides_summary))
    assert "5 of 6 sentences" in plain_text(summary.text)


async def test_summary_buttons(telegram_bot, fake_api: FakeBotApi, seed_text: str) -> None:
    summary = await store(fake_api, 1, seed_text)
    more = next(b for b in summary.buttons if b["text"] == "More")

    query = fake_api.push_callback(1, sent_id(summary), more["callback_data"])
    [edit] = await fake_api.wait_for("editMessageText")
    assert edit.params["message_id"] == sent_id(summary)
    assert "5 of 14 sentences" in plain_text(edit.text)
    await fake_api.wait_for(lambda c: c.params.get("callback_query_id") == query)

    fewer = next(b for b in edit.buttons if b["text"] == "Fewer")
    fake_api.push_callback(1, sent_id(summary), fewer["callback_data"])
    edits = await fake_api.wait_for("editMessageText", count=2)
    assert "3 of 14 sentences" in plain_text(edits[1].text)

    ask = next(b for b in edits[1].buttons if b["text"] == "Ask about this")
    fake_api.push_callback(1, sent_id(summary), ask["callback_data"])
    prompt = await next_reply(fake_api, 1)
    assert prompt.params["reply_markup"].get("force_reply") is True
    answer = await store(fake_api, 1, "Who detailed the offer?", reply_to=sent_id(prompt))
    assert "Wall Street Journal" in answer.text

    await fake_api.wait_for("answerCallbackQuery", count=3)


async def test_settings_survive_a_restart(
    bot_config: BotConfig, fake_api: FakeBotApi, seed_text: str
) -> None:
    async with running_bot(bot_config):
        view = await store(fake_api, 1, "/settings")
        five = next(b for b in view.buttons if b["text"] == "5")
        query = fake_api.push_callback(1, sent_id(view), five["callback_data"])
        [edit] = await fake_api.wait_for("editMessageText")
        assert "5 sentences" in edit.text
        [answer] = await fake_api.wait_for(lambda c: c.params.get("callback_query_id") == query)
        assert "5" in answer.params["text"]
        await store(fake_api, 1, "/settings algorithm lead")

    async with running_bot(bot_config):
        summary = await store(fake_api, 1, seed_text)
        assert "5 of 14 sentences · lead" in plain_text(summary.text)
    assert not fake_api.violations


async def test_articles_list_pages_and_forget(telegram_bot, fake_api: FakeBotApi) -> None:
    for n in range(12):
        await store(fake_api, 1, pasted(f"Tide note {n}", [f"Note {n} says: {s}" for s in TIDES]))

    listing = await store(fake_api, 1, "/articles")
    assert "1–10 of 12" in plain_text(listing.text)
    older = next(b for b in listing.buttons if b["text"] == "Older »")
    fake_api.push_callback(1, sent_id(listing), older["callback_data"])
    [edit] = await fake_api.wait_for("editMessageText")
    assert "11–12 of 12" in plain_text(edit.text)

    reply = await store(fake_api, 1, "/forget 1")
    assert reply.text.startswith("Forgot #1")
    reply = await store(fake_api, 1, "/forget 1")
    assert "no article 1" in reply.text


async def test_chats_see_only_their_own_articles(telegram_bot, fake_api: FakeBotApi, seed_text: str) -> None:
    summary = await store(fake_api, 1, seed_text)

    assert "no articles yet" in (await store(fake_api, 2, "What did Sheinbaum say about sovereignty?")).text
    assert "no articles yet" in (await store(fake_api, 2, "/articles")).text
    assert "no article 1" in (await store(fake_api, 2, "/summary #1")).text
    assert "no article 1" in (await store(fake_api, 2, "/forget 1")).text

    # A button press naming chat 1's article, from chat 2, gets "not found" too.
    other = await store(fake_api, 2, "/help")
    query = fake_api.push_callback(2, sent_id(other), "length:1:5")
    [answer] = await fake_api.wait_for(lambda c: c.params.get("callback_query_id") == query)
    assert "no article 1" in answer.params["text"]

    still = await store(fake_api, 1, "/summary")
    assert plain_text(still.text).splitlines()[0] == plain_text(summary.text).splitlines()[0]


async def test_group_answers_mentions_and_replies_in_the_topic(
    telegram_bot, fake_api: FakeBotApi, seed_text: str
) -> None:
    group = -100123
    mention = f"@{BOT_USER['username']}"
    fake_api.push_message(group, "What did Sheinbaum say about sovereignty?", chat_type="supergroup")
    fake_api.push_message(group, "/help@some_other_bot", chat_type="supergroup")
    reply = await store(fake_api, group, f"{mention} /summary", chat_type="supergroup")
    assert len(replies(fake_api, group)) == 1, "answered a message that wasn't for the bot"
    assert "no articles yet" in reply.text
    assert not fake_api.sent(group, "sendChatAction"), "/summary after a mention is a command"

    await store(fake_api, group, "/start", chat_type="supergroup")  # plain commands are for the bot
    summary = await store(fake_api, group, f"/ask@{BOT_USER['username']}", chat_type="supergroup")
    assert "Ask me something" in summary.text

    stored = fake_api.push_message(group, "placeholder", chat_type="supergroup", thread_id=7)
    reply_in_topic = await store(fake_api, group, seed_text + f"\n\n{mention}", chat_type="supergroup",
                                 thread_id=7)
    assert reply_in_topic.params["message_thread_id"] == 7
    assert reply_in_topic.params["reply_parameters"]["message_id"] != stored["message_id"]

    typed_before = len(fake_api.sent(group, "sendChatAction"))
    answer = await store(fake_api, group, f"{mention} what did Sheinbaum say about sovereignty?",
                         chat_type="supergroup", thread_id=7)
    assert answer.params["message_thread_id"] == 7
    assert "inalienable" in answer.text
    typing = fake_api.sent(group, "sendChatAction")[typed_before:]
    assert typing and all(call.params.get("message_thread_id") == 7 for call in typing)

    follow_up = await store(fake_api, group, "And who detailed the offer?", chat_type="supergroup",
                            thread_id=7, reply_to=sent_id(reply_in_topic))
    assert "Wall Street Journal" in follow_up.text

    bare = await store(fake_api, group, f"{mention} /", chat_type="supergroup")
    assert plain_text(bare.text) == "I found nothing about that in your articles."


async def test_flood_limit_is_waited_out(telegram_bot, fake_api: FakeBotApi) -> None:
    fake_api.fail_next("sendMessage", 429, retry_after=1)
    fake_api.push_message(1, "/help")
    refused, retried = await fake_api.messages(1, 2)
    assert refused.result == "failed" and retried.result != "failed"
    assert retried.at - refused.at >= 1  # Telegram's retry_after was respected
    assert retried.text == refused.text and "/ask" in retried.text


async def test_unsupported_messages_get_a_hint(telegram_bot, fake_api: FakeBotApi) -> None:
    sticker = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}
    fake_api.push_message(1, extra={"sticker": sticker})
    assert "can't read stickers" in (await next_reply(fake_api, 1)).text
    voice = {"file_id": "v", "file_unique_id": "v", "duration": 3}
    fake_api.push_message(1, extra={"voice": voice})
    assert "can't read voice messages" in (await next_reply(fake_api, 1)).text
    assert "don't know /frobnicate" in (await store(fake_api, 1, "/frobnicate")).text


async def test_only_allowed_chats_are_served(bot_config: BotConfig, fake_api: FakeBotApi) -> None:
    config = bot_config.model_copy(update={"access": AccessConfig(allowed_chats=[5], admins=[9])})
    async with running_bot(config):
        assert "only the chats" in (await store(fake_api, 6, "/help")).text
        assert "/ask" in (await store(fake_api, 5, "/help")).text
        assert "/ask" in (await store(fake_api, 9, "/help")).text
    assert not fake_api.violations


async def test_an_allowed_group_stays_allowed_as_a_supergroup(
    bot_config: BotConfig, fake_api: FakeBotApi
) -> None:
    config = bot_config.model_copy(update={"access": AccessConfig(allowed_chats=[-300])})
    async with running_bot(config):
        assert "only the chats" in (await store(fake_api, -100300, "/help", chat_type="supergroup")).text
        fake_api.push_message(-300, chat_type="group", extra={"migrate_to_chat_id": -100300})
        fake_api.push_message(-400, chat_type="group", extra={"migrate_to_chat_id": -100400})
        # Each chat's updates are handled in order: once these are answered, so are the moves.
        assert "/ask" in (await store(fake_api, -300, "/help", chat_type="group")).text
        assert "only the chats" in (await store(fake_api, -400, "/help", chat_type="group")).text
        assert "/ask" in (await store(fake_api, -100300, "/help", chat_type="supergroup")).text
        assert "only the chats" in (await store(fake_api, -100400, "/help", chat_type="supergroup")).text
    assert not fake_api.violations


async def test_long_summaries_are_split_between_sentences(telegram_bot, fake_api: FakeBotApi) -> None:
    sentences = [
        f"Sentence {n} is long on purpose & it keeps <going> with words about tides and the moon "
        + "and the sea " * 25 + "."
        for n in range(40)
    ]
    await store(fake_api, 1, "Long one\n\n" + "\n\n".join(sentences))
    before = len(replies(fake_api, 1))
    fake_api.push_message(1, "/summary 40")
    await sync(fake_api, 1)
    parts = replies(fake_api, 1)[before:-1]
    assert len(parts) >= 3
    assert all(len(plain_text(part.text)) <= 4096 for part in parts)
    numbered = [line for part in parts for line in plain_text(part.text).splitlines() if line[:1].isdigit()]
    assert len(numbered) == 40 and all(line.endswith("]") for line in numbered)
    assert parts[-1].buttons and not any(part.buttons for part in parts[:-1])
