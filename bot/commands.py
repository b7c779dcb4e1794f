"""Every chat command in one registry.

/help, the command menu Telegram shows (``setMyCommands``), parsing what users type (in
Telegram and in ``briefbot chat``), who may run a command and what someone who used it the
wrong way is told: all read :data:`COMMANDS`. To add a command, add a :class:`Command`
here and its handler to ``Conversation``'s table in :mod:`bot.conversation`; a test checks
that the two agree.

Descriptions, arguments and messages are English message ids marked with
:func:`bot.i18n.N_`; they become the text a user reads only when shown, in the reader's
language (:func:`usage_line`, :func:`usage_message`, /help and the menu). The errors below
carry their command and are translated when they are answered
(:meth:`bot.i18n.Translator.error`).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.i18n import ENGLISH, N_, Phrase, Translator, languages
from retrieval.errors import BriefbotError
from retrieval.summarize import ALGORITHMS

# "/name" or "/name@bot", then the arguments.
_COMMAND = re.compile(r"/(?P<word>\S+)\s*(?P<rest>.*)", re.DOTALL)
UNKNOWN = N_("I don't know {command}. /help lists what I can do.")
FEED_URL = N_(
    "Use {usage}: a feed (RSS or Atom) or a web page that announces one, "
    "for example {command} https://example.com/feed.xml"
)


class Command(BaseModel):
    """One command. ``misuse`` is what someone who used it the wrong way is told:
    ``{usage}`` stands for its usage line, ``{command}`` for ``/name`` and ``{algorithms}``
    for the summary methods."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    # What follows the name in the usage line: "ID", "[N] [#ID]"...
    arguments: str = ""
    misuse: str | None = None
    admins_only: bool = False
    # What someone who is not an admin is told; without it the command does not exist for them.
    refusal: str | None = None
    in_menu: bool = True
    # Where it belongs: "groups" are in the menu Telegram shows in groups only.
    chats: Literal["all", "groups"] = "all"


COMMANDS: tuple[Command, ...] = (
    Command(
        name="ask", description=N_("Ask your articles a question"), arguments=N_("QUESTION"),
        misuse=N_("Ask me something: {usage}, for example {command} what did the minister promise?"),
    ),
    Command(
        name="summary", description=N_("Summarize the last article again"), arguments=N_("[N] [#ID]"),
        misuse=N_("Use {usage}: for example {command} 5, or {command} #12 for article 12."),
    ),
    Command(name="articles", description=N_("List your articles")),
    Command(
        name="forget", description=N_("Delete an article"), arguments=N_("ID"),
        misuse=N_("Which one? Use {usage}; /articles shows the ids."),
    ),
    Command(
        name="settings", description=N_("Summary length and method"),
        misuse=N_("Use {command} sentences N or {command} algorithm NAME (one of {algorithms})."),
    ),
    Command(
        name="addfeed", description=N_("Follow an RSS or Atom feed (or a site's feed)"),
        arguments=N_("URL"), misuse=FEED_URL,
    ),
    Command(name="feeds", description=N_("List the feeds you follow")),
    Command(
        name="removefeed", description=N_("Stop following a feed"), arguments=N_("ID"),
        misuse=N_("Which one? Use {usage}; /feeds shows the ids."),
    ),
    Command(
        name="subscribe", description=N_("Watch a topic in your feeds and articles"),
        arguments=N_("QUERY"),
        misuse=N_(
            "Use {usage}: words (all must appear), \"exact phrases\", OR between alternatives, "
            "-excluded words, site:example.com. For example: "
            "{command} volcano OR eruption \"la palma\" -tourism"
        ),
    ),
    Command(name="topics", description=N_("List your topics and how they alert you")),
    Command(
        name="unsubscribe", description=N_("Stop watching a topic"), arguments=N_("ID"),
        misuse=N_("Which one? Use {usage}; /topics shows the ids."),
    ),
    Command(name="digest", description=N_("What is new since the last digest, now")),
    Command(
        name="digest_at", description=N_("Set the daily digest time and time zone"),
        arguments=N_("HH:MM [Area/City]"),
        misuse=N_("Use {usage}, for example {command} 07:30 Europe/Paris."),
    ),
    Command(name="digest_off", description=N_("Stop the daily digest")),
    Command(name="export", description=N_("Download your feeds (OPML), topics and articles")),
    Command(
        name="language", description=N_("Choose the language I write in"), arguments=N_("[CODE]"),
        misuse=N_("Use {usage} with one of {languages}, for example {command} es."),
    ),
    Command(
        name="tldr", description=N_("What was said here while you were away, quoted"),
        arguments=N_("[3h|200]"), chats="groups",
        misuse=N_(
            "Use {usage}: {command} alone for what was said since your last message, {command} 3h "
            "for the last three hours, {command} 200 for the last 200 messages."
        ),
    ),
    Command(
        name="catchup", description=N_("Keep this group's messages for /tldr (admins)"),
        arguments=N_("[on|off]"), chats="groups",
        misuse=N_(
            "Use {usage}: {command} on or {command} off (admins); {command} alone says whether it is on."
        ),
    ),
    Command(name="forgetme", description=N_("Delete your messages I kept in this group"), chats="groups"),
    Command(name="help", description=N_("What I can do")),
    Command(name="start", description=N_("Say hello")),
    Command(
        name="addfeed_all", description=N_("Follow a feed for every chat"), arguments=N_("URL"),
        misuse=FEED_URL, admins_only=True, in_menu=False,
        refusal=N_("Only the bot's admins can add feeds for every chat."),
    ),
    Command(
        name="stats", description=N_("The bot's sizes and queues"), admins_only=True, in_menu=False,
    ),
)
BY_NAME: dict[str, Command] = {command.name: command for command in COMMANDS}


def menu(*, groups: bool = False) -> list[Command]:
    """The commands of the menu Telegram shows in private chats (or in ``groups``), in its
    order; /help lists the same."""
    return [command for command in COMMANDS if command.in_menu and (groups or command.chats == "all")]


def usage_line(command: Command, t: Translator = ENGLISH) -> str:
    """``/name ARGUMENTS``, as /help shows it (the arguments' names in ``t``'s language)."""
    return t.say(_usage(command))


def _usage(command: Command) -> Phrase:
    # "{command} {arguments}" only puts the two together; it is not a sentence to translate.
    if not command.arguments:
        return Phrase("{command}", {"command": f"/{command.name}"})
    return Phrase(
        "{command} {arguments}", {"command": f"/{command.name}", "arguments": Phrase(command.arguments)}
    )


def usage_message(command: Command, t: Translator = ENGLISH) -> str:
    """What someone who used ``command`` the wrong way is told, in ``t``'s language."""
    return t.error(UsageError(command.name))


class UnknownCommand(BriefbotError):
    """A command the registry doesn't have, or an admin's command sent by someone else."""

    def __init__(self, name: str) -> None:
        super().__init__(UNKNOWN, command=f"/{name}")


class NotAllowed(BriefbotError):
    """An admin's command sent by someone who is not an admin."""


class UsageError(BriefbotError):
    """A command used the wrong way; the message is the command's usage message."""

    def __init__(self, name: str) -> None:
        self.command = BY_NAME[name]
        if self.command.misuse is None:
            raise ValueError(f"/{name} takes no arguments to get wrong")
        super().__init__(
            self.command.misuse, usage=_usage(self.command), command=f"/{name}",
            algorithms=", ".join(ALGORITHMS), languages=", ".join(languages()),
        )


def allowed(name: str, *, admin: bool) -> Command:
    """The command ``name`` names, if its sender may run it; raises :class:`UnknownCommand`
    or :class:`NotAllowed` otherwise."""
    command = BY_NAME.get(name)
    if command is None or (command.admins_only and not admin and command.refusal is None):
        raise UnknownCommand(name)
    if command.admins_only and not admin:
        raise NotAllowed(command.refusal)
    return command


class CommandCall(BaseModel):
    """A command as typed: ``/summary@briefbot 5 #12``."""

    model_config = ConfigDict(frozen=True)

    # Lower-case, without the slash and the bot's name.
    name: str
    # What follows the command word, as typed (a file path may hold spaces).
    rest: str = ""
    # The bot it was sent to, in a group with several: "/help@briefbot".
    addressee: str | None = None

    @property
    def args(self) -> list[str]:
        return self.rest.split()

    def for_bot(self, username: str) -> bool:
        return self.addressee is None or self.addressee.lower() == username.lower()


def parse_command(text: str) -> CommandCall | None:
    """The command ``text`` holds, or None when it holds none (it doesn't start with ``/name``)."""
    match = _COMMAND.fullmatch(text.strip())
    if match is None:
        return None
    name, _, addressee = match["word"].partition("@")
    return CommandCall(name=name.lower(), rest=match["rest"], addressee=addressee or None)
