"""Links as Telegram sends them: written out or behind words (message entities), in a
message, a forwarded channel post or the caption of a photo, video or file. End to end:
the real Application, the fake Bot API and a real web server on 127.0.0.1."""

from __future__ import annotations

import html

from tests.fakebot import Call, FakeBotApi, plain_text
from tests.test_bot import BEES, TIDES, next_reply, page, store
from tests.web import Page, WebServer

PORT_AR = [
    "افتتحت المدينة الميناء الجديد يوم الاثنين بعد خمس سنوات من أعمال البناء.",
    "ويقول مسؤولو الميناء إن حركة الحاويات ستتضاعف خلال السنوات الخمس المقبلة.",
    "وقد وفر المشروع أكثر من ثلاثة آلاف فرصة عمل لسكان المنطقة.",
    "ويستقبل الرصيف الجديد السفن الكبيرة التي كانت تتجه سابقا إلى موانئ أخرى.",
    "ويخشى الصيادون أن تؤثر حركة السفن على أماكن الصيد القريبة من الساحل.",
    "وتعهدت البلدية بمراقبة جودة المياه في الخليج كل شهر.",
]
SEALS_RU = [
    "Тюлени вернулись в устье Темзы в количестве, которого не видели десятилетиями.",
    "Учёные насчитали тысячу двести тюленей на песчаных отмелях возле Саутенда.",
    "По словам исследователей, помогли чистая вода и запрет на промышленные сети.",
    "Рыба, которой питаются тюлени, снова водится в реке в большом количестве.",
    "Общество повторит подсчёт следующим летом с помощью дронов с тепловизорами.",
    "Местные жители говорят, что видят тюленей с набережной почти каждый день.",
]
PHOTO = [{"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90, "file_size": 2_000}]
VIDEO = {"file_id": "v1", "file_unique_id": "uv1", "width": 320, "height": 240, "duration": 5}
CANT_READ = "can't read"


def article_page(title: str, paragraphs: list[str], language: str) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    direction = "rtl" if language == "ar" else "ltr"
    return (
        f"<!doctype html><html lang='{language}' dir='{direction}'><head>"
        f"<title>{html.escape(title)}</title></head><body><article><h1>{html.escape(title)}</h1>"
        f"{body}</article></body></html>"
    )


def served(web: WebServer, path: str, body: str) -> str:
    """Put ``body`` on the test web server at ``path``; returns its URL."""
    web.pages[path] = Page(body)
    return web.url(path)


def assert_summary_of(reply: Call, url: str, title: str, sentences: list[str]) -> None:
    """The reply is the summary of the article at ``url``, and nothing else."""
    assert f'<a href="{url}">{html.escape(title)}</a>' in reply.text, reply.text
    shown = plain_text(reply.text)
    numbered = [line for line in shown.splitlines() if line[:2] in {"1.", "2.", "3."}]
    assert len(numbered) == 3, shown
    for line in numbered:
        assert any(sentence in line for sentence in sentences), line
    assert CANT_READ not in shown and "photo" not in shown.lower() and "video" not in shown.lower()


async def test_words_linked_to_an_article_are_read(
    telegram_bot, fake_api: FakeBotApi, web: WebServer
) -> None:
    url = served(web, "/seals.html", article_page("Тюлени вернулись в Темзу", SEALS_RU, "ru"))

    reply = await store(fake_api, 1, "Стоит прочитать", text_links={"прочитать": url})

    assert_summary_of(reply, url, "Тюлени вернулись в Темзу", SEALS_RU)


async def test_a_photo_whose_caption_holds_a_link_is_read_for_the_link(
    telegram_bot, fake_api: FakeBotApi, web: WebServer
) -> None:
    url = served(web, "/port.html", article_page("ميناء جديد للمدينة", PORT_AR, "ar"))

    fake_api.push_message(1, caption=f"اقرأ هذا المقال عن الميناء الجديد {url}", extra={"photo": PHOTO})
    reply = await next_reply(fake_api, 1)

    assert_summary_of(reply, url, "ميناء جديد للمدينة", PORT_AR)


async def test_a_video_whose_caption_links_words_is_read_for_the_link(
    telegram_bot, fake_api: FakeBotApi, web: WebServer
) -> None:
    url = served(web, "/bees.html", page("How bees dance", BEES))

    fake_api.push_message(
        1, caption="The dance, explained", text_links={"explained": url}, extra={"video": VIDEO}
    )
    reply = await next_reply(fake_api, 1)

    assert_summary_of(reply, url, "How bees dance", BEES)


async def test_a_forwarded_channel_post_is_read_for_the_link_behind_its_words(
    telegram_bot, fake_api: FakeBotApi, web: WebServer
) -> None:
    url = served(web, "/tides.html", page("Why the sea rises twice a day", TIDES))
    origin = {
        "type": "channel", "date": 1700000000, "message_id": 78,
        "chat": {"id": -1001, "type": "channel", "title": "Tide Watch", "username": "tidewatch"},
    }

    reply = await store(
        fake_api, 1, "New on our site: why the sea rises twice a day",
        forward_origin=origin, text_links={"why the sea rises twice a day": url},
    )

    assert_summary_of(reply, url, "Why the sea rises twice a day", TIDES)


async def test_a_file_that_is_not_text_is_passed_over_for_the_link_in_its_caption(
    telegram_bot, fake_api: FakeBotApi, web: WebServer
) -> None:
    url = served(web, "/bees.html", page("How bees dance", BEES))
    screenshot = fake_api.add_file("screenshot.png", b"\x89PNG\r\n\x1a\n" + bytes(100), "image/png")

    fake_api.push_message(1, document=screenshot, caption=f"From {url}")
    reply = await next_reply(fake_api, 1)

    assert_summary_of(reply, url, "How bees dance", BEES)


async def test_a_text_file_with_a_link_in_its_caption_is_still_read_itself(
    telegram_bot, fake_api: FakeBotApi, web: WebServer
) -> None:
    bees = served(web, "/bees.html", page("How bees dance", BEES))
    notes = fake_api.add_file("tides.md", ("# Tides\n\n" + "\n\n".join(TIDES)).encode(), "text/markdown")

    fake_api.push_message(1, document=notes, caption=f"See also {bees}")
    reply = await next_reply(fake_api, 1)

    assert plain_text(reply.text).startswith("Tides\n")
    assert not any(sentence in reply.text for sentence in BEES)


async def test_a_photo_with_a_long_caption_keeps_the_caption_as_an_article(
    telegram_bot, fake_api: FakeBotApi
) -> None:
    caption = " ".join(SEALS_RU)
    assert len(caption) >= 300

    fake_api.push_message(1, caption=caption, extra={"photo": PHOTO})
    reply = await next_reply(fake_api, 1)

    shown = plain_text(reply.text)
    assert CANT_READ not in shown
    assert sum(sentence in shown for sentence in SEALS_RU) == 3


async def test_a_photo_without_a_caption_or_link_gets_the_hint(telegram_bot, fake_api: FakeBotApi) -> None:
    fake_api.push_message(1, extra={"photo": PHOTO})
    assert "can't read photos" in (await next_reply(fake_api, 1)).text

    fake_api.push_message(1, caption="Sunset over the harbour", extra={"photo": PHOTO})
    assert "can't read photos" in (await next_reply(fake_api, 1)).text
