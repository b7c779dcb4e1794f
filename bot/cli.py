"""The ``briefbot`` console script: the engine's commands plus ``run`` and ``chat``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, NoReturn

from retrieval.cli import (
    add_command,
    build_parser,
    dispatch,
    run_as_process,
    with_database,
    without_pydantic_plugins,
)
from retrieval.errors import BriefbotError

if TYPE_CHECKING:
    import logging  # imported by the commands that log: 7 ms of every other command's start-up

EXIT_USAGE = 2
# Commands that keep running: they look pydantic's plugins up as any program does.
LONG_RUNNING = frozenset({"run", "chat"})


class RedactSecrets:
    """Replaces the bot token (part of every Bot API URL) wherever it would be logged: a
    logging filter (any object with this ``filter`` method is one)."""

    def __init__(self, *secrets: str) -> None:
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "<redacted>")
            record.msg, record.args = message, None
        return True


def configure_logging(level: int, *secrets: str) -> None:
    import logging

    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    guard_logs(logging.getLogger().handlers, *secrets)


def guard_logs(handlers: Iterable[logging.Handler], *secrets: str) -> None:
    """Keep the token out of what ``handlers`` write. The bot's own code never logs what
    users send above DEBUG (see :mod:`bot.logs`)."""
    import logging

    # httpx logs every request URL at INFO, and Bot API URLs hold the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    redact = RedactSecrets(*secrets)
    for handler in handlers:
        handler.addFilter(redact)


def main(argv: list[str] | None = None) -> int:
    parser, commands = build_parser()
    add_command(commands, "run", "run the Telegram bot (needs telegram.token)", json_output=False)
    chat = add_command(
        commands, "chat", "talk to the bot in this terminal, no Telegram needed", json_output=False
    )
    chat.add_argument(
        "--language", help="the language the bot writes in (en, ru, es...; default: the terminal's locale)"
    )
    migrate = add_command(
        commands, "migrate-to", "copy this SQLite installation into an empty PostgreSQL database",
        json_output=False,
    )
    migrate.add_argument("url", metavar="URL", help="postgresql://user:password@host:5432/dbname")
    args = parser.parse_args(argv)
    if args.command in LONG_RUNNING:
        return _command(args)
    with without_pydantic_plugins():
        return _command(args)


def _command(args: argparse.Namespace) -> int:
    # The configuration's models (pydantic) load once the command line is read: --help
    # and a mistyped command line need none of them.
    from bot.config import BotConfig
    from retrieval.config import load_config

    try:
        config = with_database(load_config(BotConfig, args.config), args.db)
        if args.command == "run":
            import logging

            from bot.app import run  # python-telegram-bot loads only when the bot runs

            token = config.require_token()
            configure_logging(
                logging.INFO, token, config.telegram.secret_token.get_secret_value()
            )
            run(config)
            return 0
        if args.command == "chat":
            import asyncio
            import logging

            from bot.chat import run_chat
            from bot.i18n import language_from_environment

            configure_logging(logging.WARNING)
            language = args.language or language_from_environment(os.environ)
            return asyncio.run(run_chat(config, sys.stdin, sys.stdout, language))
        if args.command == "migrate-to":
            from bot.migrate import migrate_to

            migrate_to(config, args.url, sys.stdout)
            return 0
    except BriefbotError as error:
        print(f"briefbot: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return dispatch(args, config)


def program() -> NoReturn:
    """The ``briefbot`` program (the console script, ``python -m bot.cli``): one command,
    then the end of the process."""
    run_as_process(main)


if __name__ == "__main__":
    program()
