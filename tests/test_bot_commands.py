"""The command registry (bot/commands.py) is what /help, the menu, parsing and usage messages
read: checked against the real Application and the fake Bot API, and the terminal."""

from __future__ import annotations

import io
from pathlib import Path
from typing import get_args

import pytest

from bot.chat import TERMINAL_HELP, run_chat
from bot.commands import (
    BY_NAME,
    COMMANDS,
    CommandCall,
    menu,
    parse_command,
    usage_line,
    usage_message,
)
from bot.config import AccessConfig, BotConfig
from bot.conversation import Conversation
from bot.render import to_plain
from bot.replies import Action, HelpView
from retrieval.config import StorageConfig
from tests.conftest import running_bot
from tests.fakebot import FakeBotApi, plain_text
from tests.test_bot import store

# One wrong use of each command that has a usage message.
MISUSES = {
    "ask": "/ask",
    "summary": "/summary five",
    "forget": "/forget the first one",
    "settings": "/settings colour blue",
    "addfeed": "/addfeed no-link-here",
    "addfeed_all": "/addfeed_all",
    "removefeed": "/removefeed feed",
    "subscribe": "/subscribe",
    "unsubscribe": "/unsubscribe 1 2",
    "digest_at": "/digest_at 07:30 Europe/Paris tomorrow",
    "language": "/language klingon",
    "tldr": "/tldr yesterday",
    "catchup": "/catchup maybe",
}
ADMIN = 1


def test_every_command_has_a_handler_and_every_handler_a_command() -> None:
    assert set(Conversation._COMMAND_HANDLERS) == set(BY_NAME)
    assert set(Conversation._BUTTON_HANDLERS) == set(get_args(Action.model_fields["verb"].annotation))


def test_usage_messages_show_the_usage_line() -> None:
    assert set(MISUSES) == {command.name for command in COMMANDS if command.misuse}
    for command in COMMANDS:
        if command.misuse:
            assert usage_line(command) in usage_message(command)
            assert "{" not in usage_message(command), usage_message(command)
    assert usage_line(BY_NAME["forget"]) == "/forget ID"
    assert usage_line(BY_NAME["articles"]) == "/articles"


def test_help_lists_every_menu_command_and_no_other() -> None:
    text = to_plain(HelpView())
    for command in menu():
        assert f"{usage_line(command)} — {command.description}" in text.splitlines()
    hidden = [command for command in COMMANDS if not command.in_menu]
    assert hidden, "the admins' commands are not in the menu"
    for command in hidden:
        assert f"/{command.name}" not in text


@pytest.mark.parametrize(
    ("text", "call"),
    [
        ("/help", CommandCall(name="help")),
        ("/Summary 5 #12", CommandCall(name="summary", rest="5 #12")),
        ("  /help@Some_Bot  x  y ", CommandCall(name="help", rest="x  y", addressee="Some_Bot")),
        ("/ask what\nand why", CommandCall(name="ask", rest="what\nand why")),
        ("/file ~/my notes.txt", CommandCall(name="file", rest="~/my notes.txt")),
        ("/", None),
        ("/ summary", None),
        ("hello /help", None),
        ("", None),
    ],
)
def test_parse_command(text: str, call: CommandCall | None) -> None:
    assert parse_command(text) == call


def test_arguments_are_words_and_the_addressee_is_compared_without_case() -> None:
    call = parse_command("/subscribe@BriefBot  volcano   OR eruption")
    assert call is not None and call.args == ["volcano", "OR", "eruption"]
    assert call.for_bot("briefbot") and not call.for_bot("other_bot")
    assert parse_command("/subscribe").for_bot("anybot")  # type: ignore[union-attr]


async def test_the_menu_is_the_registrys(telegram_bot, fake_api: FakeBotApi) -> None:
    # The default menus, in English: those published without a language code, for every
    # chat and for groups.
    published, in_groups = await fake_api.wait_for(
        lambda call: call.method == "setMyCommands" and "language_code" not in call.params, count=2
    )
    assert "scope" not in published.params
    assert published.params["commands"] == [
        {"command": command.name, "description": command.description} for command in menu()
    ]
    assert in_groups.params["scope"] == {"type": "all_group_chats"}
    assert in_groups.params["commands"] == [
        {"command": command.name, "description": command.description} for command in menu(groups=True)
    ]
    assert {"tldr", "catchup", "forgetme"} <= {c["command"] for c in in_groups.params["commands"]}
    assert {"tldr", "catchup", "forgetme"}.isdisjoint(c["command"] for c in published.params["commands"])
    help_text = plain_text((await store(fake_api, 1, "/help")).text)
    for command in menu():
        assert f"{usage_line(command)} — {command.description}" in help_text.splitlines()


async def test_every_usage_message_appears_when_a_command_is_misused(
    bot_config: BotConfig, fake_api: FakeBotApi
) -> None:
    config = bot_config.model_copy(update={"access": AccessConfig(admins=[ADMIN])})
    async with running_bot(config):
        for name, misuse in MISUSES.items():
            reply = await store(fake_api, ADMIN, misuse)
            assert plain_text(reply.text) == usage_message(BY_NAME[name]), misuse
        refused = await store(fake_api, 2, "/addfeed_all")
        assert plain_text(refused.text) == BY_NAME["addfeed_all"].refusal
        unknown = await store(fake_api, 2, "/stats")
        assert plain_text(unknown.text) == "I don't know /stats. /help lists what I can do."
    assert not fake_api.violations


async def test_the_terminal_and_telegram_read_commands_alike(
    bot_config: BotConfig, fake_api: FakeBotApi, tmp_path: Path
) -> None:
    lines = [*MISUSES.values(), "/SUMMARY", "/Forget 99", "/nosuch thing", "/digest_at 07:30 Mars/Olympus"]
    config = bot_config.model_copy(update={"access": AccessConfig(admins=[ADMIN])})
    async with running_bot(config):
        telegram = [plain_text((await store(fake_api, ADMIN, line)).text) for line in lines]

    terminal_config = BotConfig(storage=StorageConfig(path=str(tmp_path / "terminal.db")))
    output = io.StringIO()
    assert await run_chat(terminal_config, io.StringIO("\n".join(lines) + "\n"), output) == 0
    terminal = output.getvalue().split(TERMINAL_HELP + "\n\n", 1)[1].split("\n\n")[:-1]

    assert terminal == telegram
    assert telegram[:len(MISUSES)] == [usage_message(BY_NAME[name]) for name in MISUSES]
    assert telegram[-2] == "I don't know /nosuch. /help lists what I can do."
