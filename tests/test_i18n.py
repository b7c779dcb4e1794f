"""Briefbot in its readers' languages: the catalogs, the translator, the renderer in every
language and script, and the real bot through the fake Bot API with users whose Telegram
is set to another language."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.ext import Application

from bot.chat import run_chat
from bot.commands import BY_NAME, menu, usage_message
from bot.config import BotConfig
from bot.i18n import (
    DOMAIN,
    FIRST_STRONG_ISOLATE,
    LOCALES,
    POP_DIRECTIONAL_ISOLATE,
    language_from_environment,
    languages,
    resolve_language,
    translator,
)
from bot.render import RIGHT_TO_LEFT_MARK, to_html, to_plain
from bot.replies import AnswerView, ArticlePage, HelpView, Reply, SummaryView
from retrieval.config import StorageConfig
from retrieval.errors import NotFound
from retrieval.fetch.transport import timeout_error, too_large_error
from retrieval.models import Answer, ArticleInfo, CitedSentence, Summary
from retrieval.summarize import ALGORITHMS
from tests.conftest import running_bot
from tests.fakebot import FakeBotApi, check_html, plain_text
from tests.support import rss
from tests.test_bot import BEES, TIDES, pasted, store
from tests.test_bot_feeds import RSS, jobs, tomorrow_at
from tests.test_bot_units import every_reply
from tests.test_feeds import volcano_item
from tests.web import Page, WebServer

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = {"en", "ru", "uk", "es", "pt", "de", "fr", "it", "tr", "id", "fa", "ar", "hi", "zh", "uz"}
TRANSLATED = [language for language in languages() if language != "en"]
_FIELD = re.compile(r"\{([a-z_]*)(?:[:!][^}]*)?\}")
_TAG = re.compile(r"</?[a-z]+[^>]*>")
_COMMAND = re.compile(r"(?<![\w/])/[a-z_]+\b")


def catalog(language: str):
    with (LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        return read_po(po, locale=language)


def template():
    with (LOCALES / f"{DOMAIN}.pot").open("rb") as pot:
        return read_po(pot)


def placeholders(text: str) -> set[str]:
    return set(_FIELD.findall(text))


# --- the catalogs ----------------------------------------------------------------------------


def test_every_required_language_has_a_catalog() -> None:
    assert set(languages()) >= REQUIRED, sorted(REQUIRED - set(languages()))


def test_the_template_holds_every_marked_string() -> None:
    """What pybabel extracts from the code today is what briefbot.pot holds (re-extract
    after changing a message: see the README's "Adding a language")."""
    with (ROOT / "babel.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    extracted = set()
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map):
        extracted.add(message if isinstance(message, str) else message[0])
    in_template = {m.id if isinstance(m.id, str) else m.id[0] for m in template() if m.id}
    assert extracted == in_template, (sorted(extracted - in_template), sorted(in_template - extracted))


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_is_complete_and_keeps_placeholders_tags_and_commands(language: str) -> None:
    translations = catalog(language)
    # The language's gettext plural rule, as Babel knows it from CLDR (Russian 3 forms, Arabic 6).
    expected_forms, rule = get_plural(language)
    assert (translations.num_plurals, translations.plural_expr) == (expected_forms, rule)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template() if m.id}
    assert {m.id if isinstance(m.id, str) else m.id[0] for m in translations if m.id} == ids
    for message in translations:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        source = message.id if isinstance(message.id, str) else message.id[1]
        forms = [message.string] if isinstance(message.id, str) else list(message.string)
        assert all(form.strip() for form in forms), message.id
        assert isinstance(message.id, str) or len(forms) == expected_forms, message.id
        for form in forms:
            # A singular form may say "one" in words instead of {count}.
            missing = placeholders(source) - placeholders(form) - ({"count"} if len(forms) > 1 else set())
            assert not missing and placeholders(form) <= placeholders(source), (message.id, form)
            assert sorted(_TAG.findall(form)) == sorted(_TAG.findall(source)), (message.id, form)
            assert set(_COMMAND.findall(form)) >= set(_COMMAND.findall(source)), (message.id, form)


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalog_matches_its_source(language: str) -> None:
    """The .mo shipped is the .po compiled (pybabel compile -d bot/locales -D briefbot)."""
    with (LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as mo:
        compiled = {_strings(m.id): _strings(m.string) for m in read_mo(mo) if m.id}
    source = {_strings(m.id): _strings(m.string) for m in catalog(language) if m.id}
    assert compiled == source


def _strings(translation: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    return translation if isinstance(translation, str) else tuple(translation)


def test_plural_forms_follow_each_languages_rules() -> None:
    ru = translator("ru")
    assert [ru.ngettext("{count} article", "{count} articles", n) for n in (1, 2, 5, 21, 111)] == [
        "1 статья", "2 статьи", "5 статей", "21 статья", "111 статей"
    ]
    ar = translator("ar")
    assert [ar.ngettext("{count} article", "{count} articles", n) for n in (0, 1, 2, 3, 11, 100)] == [
        "0 مقالة", "مقالة واحدة", "مقالتان", "3 مقالات", "11 مقالة", "100 مقالة"
    ]


def test_the_built_wheel_ships_every_compiled_catalog(tmp_path: Path) -> None:
    """What `pip install .` (and so the Docker image) installs holds the catalogs. Built from
    a copy: setuptools writes build/ into the source tree."""
    source = tmp_path / "source"
    for part in ("pyproject.toml", "README.md"):
        source.mkdir(exist_ok=True)
        shutil.copy(ROOT / part, source / part)
    for package in ("bot", "retrieval"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
         str(source)],
        check=True, capture_output=True, timeout=300,
    )
    [wheel] = tmp_path.glob("briefbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "bot/locales/briefbot.pot" in names
    for language in TRANSLATED:
        assert f"bot/locales/{language}/LC_MESSAGES/{DOMAIN}.mo" in names, language


# --- the translator --------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "language"), [
    ("ru", "ru"), ("pt-br", "pt"), ("pt-BR", "pt"), ("zh-hans", "zh"), ("zh-cn", "zh"), ("en-GB", "en"),
    ("tlh", "en"), ("", "en"), (None, "en"), ("pt_BR.UTF-8", "pt"),
])
def test_telegram_language_codes_resolve_to_one_briefbot_speaks(code: str | None, language: str) -> None:
    expected = language if language in languages() else "en"
    assert resolve_language(code) == expected


def test_the_terminal_takes_its_language_from_the_locale() -> None:
    assert language_from_environment({"LANG": "ru_RU.UTF-8"}) == "ru"
    assert language_from_environment({"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}) == "en"
    assert language_from_environment({"LC_MESSAGES": "ru_RU", "LANG": "de_DE"}) == "ru"
    assert language_from_environment({}) == "en"


def test_engine_errors_and_usage_messages_are_translated() -> None:
    ru = translator("ru")
    assert ru.error(NotFound("There is no article {article_id}.", article_id=5)) == "Статьи 5 нет."
    timeout = timeout_error(3)
    assert str(timeout) == "The page took longer than 3 seconds to answer."
    assert ru.error(timeout) == "Страница не ответила за 3 секунды."
    usage = usage_message(BY_NAME["forget"], ru)
    assert "/forget ID" in usage and "/articles" in usage and usage.startswith("Какую")
    assert "/ask ВОПРОС" in usage_message(BY_NAME["ask"], ru)


def test_sizes_are_written_as_each_language_writes_numbers() -> None:
    too_large = too_large_error(int(2.5 * 1024 * 1024))
    assert str(too_large) == "The page is larger than 2.5 MB."
    assert translator("de").error(too_large) == "Die Seite ist größer als 2,5 MB."
    assert [translator("ru").size(n) for n in (1, 5, 1_000, 20 * 1024 * 1024)] == [
        "1 байт", "5 байт", "1\u00a0000 байт", "20 MB",
    ]
    assert translator("fr").size(1536) == "1,5 KB"


def test_language_names_are_their_own() -> None:
    assert translator("ru").name == "Русский"
    assert translator("en").name == "English"


# --- rendering in every language and script -------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(every_reply, st.sampled_from(languages()))
def test_any_reply_renders_to_valid_messages_in_every_language(reply: Reply, language: str) -> None:
    """Valid Telegram HTML, at most 4096 UTF-16 code units a message, buttons only under
    the last, in every language (Cyrillic, Arabic script, Devanagari, Han...)."""
    t = translator(language)
    messages = to_html(reply, t)
    for message in messages:
        assert check_html(message.text) == [], message.text
        assert len(plain_text(message.text).encode("utf-16-le")) // 2 <= 4096
    assert all(message.markup is None for message in messages[:-1])
    to_plain(reply, t)


def test_article_text_is_never_translated() -> None:
    sentence = "Not a single word of this sentence is Briefbot's own."
    summary = Summary(
        article_id=7, title="Sources", url="https://example.com/a", algorithm="lexrank", total_sentences=9,
        sentences=[CitedSentence(article_id=7, index=1, text=sentence, title="Sources", url=None)],
    )
    text = plain_text(to_html(SummaryView(summary=summary), translator("ru"))[0].text)
    assert text.splitlines()[0] == "Sources"  # a title that is also a message id stays as it is
    assert f"1. {sentence} [1]" in text
    assert "1 из 9 предложений" in text


def _first_strong_direction(line: str) -> str | None:
    for char in line:
        kind = unicodedata.bidirectional(char)
        if kind in {"L", "R", "AL"}:
            return "rtl" if kind in {"R", "AL"} else "ltr"
    return None


@pytest.mark.parametrize("language", ["fa", "ar"])
def test_right_to_left_lines_read_right_to_left_around_latin_titles_urls_and_citations(language: str) -> None:
    """A line of Briefbot's words starts right to left (a right-to-left mark, which clients
    take as the line's direction), even when it begins with "#12" and a Latin title; the
    title is isolated so its punctuation stays with it. A quoted sentence keeps its own
    direction, its [1] citation after it."""
    t = translator(language)
    assert t.right_to_left
    url = "https://example.com/a?x=1&y=2"
    page = ArticlePage(
        articles=[ArticleInfo(id=12, title="What is new? (2025)", url=url, site="example.com", sentences=5,
                              added=datetime(2025, 2, 3, tzinfo=UTC))],
        offset=0, total=1, page_size=10,
    )
    [message] = to_html(page, t)
    lines = plain_text(message.text).splitlines()
    assert all(line.startswith(RIGHT_TO_LEFT_MARK) for line in lines if line)
    assert f"{FIRST_STRONG_ISOLATE}What is new? (2025){POP_DIRECTIONAL_ISOLATE}" in lines[1]
    assert f'<a href="{url.replace("&", "&amp;")}">' in message.text  # the URL itself is untouched
    assert check_html(message.text) == []

    cited = CitedSentence(article_id=12, index=3, text="Latin text quoted as it is.", title="T", url=url)
    [answer] = to_html(AnswerView(answer=Answer(question="q", abstained=False, sentences=[cited])), t)
    first = plain_text(answer.text).splitlines()[0]
    assert first == "Latin text quoted as it is. [1]"  # no mark: it keeps its own direction
    assert _first_strong_direction(first) == "ltr"
    help_lines = [line for line in plain_text(to_html(HelpView(), t)[0].text).splitlines() if line]
    assert all(_first_strong_direction(line) == "rtl" for line in help_lines)


# --- the real bot, through the fake Bot API --------------------------------------------------


@pytest.fixture
async def app(bot_config: BotConfig, fake_api: FakeBotApi) -> AsyncIterator[Application]:
    """The bot without its timers: the tests run the jobs themselves."""
    async with running_bot(bot_config, schedule_jobs=False) as application:
        yield application
    assert not fake_api.violations, fake_api.violations


async def test_menus_are_published_once_per_language(app, fake_api: FakeBotApi) -> None:
    """Once per language for every chat, and once per language for groups (with the
    group commands)."""
    calls = await fake_api.wait_for("setMyCommands", count=2 * len(languages()))
    by_code = {
        (call.params.get("language_code"), (call.params.get("scope") or {}).get("type")):
            call.params["commands"]
        for call in calls
    }
    assert len(calls) == len(by_code) == 2 * len(languages())
    for language in languages():
        t = translator(language)
        code = None if language == "en" else language
        for scope, groups in ((None, False), ("all_group_chats", True)):
            commands = by_code[code, scope]
            assert [c["command"] for c in commands] == [command.name for command in menu(groups=groups)]
            assert [c["description"] for c in commands] == [
                t.gettext(command.description) for command in menu(groups=groups)
            ]
    assert by_code["ru", None][0]["description"] == "Задать вопрос по статьям"


async def test_a_russian_user_gets_russian_and_can_switch_to_spanish(
    app, fake_api: FakeBotApi, web: WebServer
) -> None:
    async def say(text: str) -> str:
        return plain_text((await store(fake_api, 1, text, language_code="ru")).text)

    assert (await say("/start")).startswith("Привет! Я Briefbot. Я читаю статьи за вас.")
    assert "/ask ВОПРОС — Задать вопрос по статьям" in (await say("/help")).splitlines()
    assert await say("what do bees eat?") == "У вас пока нет статей: пришлите ссылку, текст или файл."

    summary = await store(fake_api, 1, pasted("Why the sea rises twice a day", TIDES), language_code="ru")
    assert "3 из 6 предложений" in plain_text(summary.text)
    assert [button["text"] for button in summary.buttons] == ["Подробнее", "Короче", "Спросить об этом"]
    assert any(sentence in plain_text(summary.text) for sentence in TIDES)  # the article stays English

    assert await say("Who painted the Mona Lisa?") == "В ваших статьях об этом ничего не нашлось."
    assert await say("/forget 999") == "Статьи 999 нет."
    assert await say("/settings colour blue") == (
        f"Используйте /settings sentences N или /settings algorithm NAME (одно из: {', '.join(ALGORITHMS)})."
    )
    assert "Язык: Русский, как в вашем Telegram." in await say("/settings")

    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), RSS)
    assert (await say(f"/addfeed {web.url('/a.xml')}")).startswith("Вы подписаны на Island News")
    before = len(fake_api.sent(1))
    assert await jobs(app).send_digests(app.bot, now=tomorrow_at(8, 1, ZoneInfo("UTC"))) == 1
    digest = plain_text(fake_api.sent(1)[before].text)
    assert digest.startswith("Ваш дайджест · ") and "Из ваших лент" in digest
    assert "La Palma" in digest

    switched = await say("/language es")
    assert "A partir de ahora" in switched, switched
    assert (await say("/start")).startswith("¡Hola!")
    assert "Idioma: Español." in await say("/settings")
    # Back to each person's own language: the reply is already in Russian again.
    assert "Теперь я пишу каждому на языке его Telegram." in await say("/language auto")
    assert "(вам — Русский)" in await say("/language")


async def test_articles_show_each_articles_language_named_in_the_readers(app, fake_api: FakeBotApi) -> None:
    russian = (Path(__file__).parent / "articles" / "ru.txt").read_text("utf-8")
    await store(fake_api, 5, pasted("Why the sea rises twice a day", TIDES))
    await store(fake_api, 5, russian)

    english_view = plain_text((await store(fake_api, 5, "/articles", language_code="en")).text)
    russian_view = plain_text((await store(fake_api, 5, "/articles", language_code="ru")).text)
    first, second = (line for line in english_view.splitlines() if line.startswith("#"))
    assert "Над рекой открыли новый мост" in first and " · Russian · " in first
    assert "Why the sea rises" in second and " · English · " in second
    first, second = (line for line in russian_view.splitlines() if line.startswith("#"))
    assert " · русский · " in first and " · английский · " in second
    assert not fake_api.violations


async def test_unknown_languages_get_english_and_groups_follow_each_person(app, fake_api: FakeBotApi) -> None:
    reply = await store(fake_api, 2, "/start", language_code="tlh")
    assert plain_text(reply.text).startswith("Hi! I'm Briefbot.")
    group = -100
    ru = await store(fake_api, group, "/help", chat_type="group", user_id=7, language_code="ru")
    en = await store(fake_api, group, "/help", chat_type="group", user_id=8, language_code="en")
    assert "Пришлите ссылку" in plain_text(ru.text)
    assert "Send me a link" in plain_text(en.text) and "Пришлите ссылку" not in plain_text(en.text)
    await store(fake_api, group, "/language ru", chat_type="group", user_id=8, language_code="en")
    again = await store(fake_api, group, "/help", chat_type="group", user_id=8, language_code="en")
    assert "Пришлите ссылку" in plain_text(again.text)  # the group's choice wins


async def test_a_button_press_answers_in_the_chats_language(app, fake_api: FakeBotApi) -> None:
    summary = await store(fake_api, 3, pasted("How bees dance", BEES), language_code="ru")
    more = next(b for b in summary.buttons if b["text"] == "Подробнее")
    fake_api.push_callback(3, summary.result["message_id"], more["callback_data"], language_code="ru")
    [edit] = await fake_api.wait_for("editMessageText")
    assert "5 из 7 предложений" in plain_text(edit.params["text"])


async def test_language_buttons_list_each_language_in_its_own_name(app, fake_api: FakeBotApi) -> None:
    reply = await store(fake_api, 4, "/language", language_code="pt-br")
    assert plain_text(reply.text).startswith(
        "Idioma\nEscrevo para cada pessoa no idioma do Telegram dela (Português para você)."
    )
    labels = [button["text"] for button in reply.buttons]
    assert {"English", "Русский", "فارسی", "中文", "Deutsch", "✓ Automático"} <= set(labels)
    deutsch = next(button for button in reply.buttons if button["text"] == "Deutsch")
    fake_api.push_callback(4, reply.result["message_id"], deutsch["callback_data"], language_code="pt-br")
    [edit] = await fake_api.wait_for("editMessageText")
    assert "Ab jetzt schreibe ich in diesem Chat auf Deutsch." in plain_text(edit.params["text"])
    assert "✓ Deutsch" in [b["text"] for row in edit.params["reply_markup"]["inline_keyboard"] for b in row]
    assert plain_text((await store(fake_api, 4, "/start", language_code="pt-br")).text).startswith("Hallo!")


async def test_the_terminal_speaks_the_language_it_is_given(tmp_path: Path) -> None:
    config = BotConfig(storage=StorageConfig(path=str(tmp_path / "chat.db")))
    output = io.StringIO()
    assert await run_chat(config, io.StringIO("/forget 7\n"), output, "uk") == 0
    text = output.getvalue()
    assert text.startswith("Привіт! Я Briefbot.") and "У терміналі: /paste" in text
    assert "Статті 7 немає." in text
