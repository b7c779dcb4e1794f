"""Every ``briefbot …`` command line in README.md's code blocks, run as written, in order.

The command lines are read from the README's fenced code blocks (a line whose command,
after any ``NAME=value`` environment assignments, is ``briefbot``; ``# comments`` and one
``< file`` redirection are understood). Each runs as a real process (the console script's
``main``) in a temporary working directory, on a temporary database, with these
substitutions, and nothing else changed:

- ``../shared/`` is the evaluation data folder next to the repository (the seed article);
- ``https://example.org/`` is a web server on 127.0.0.1 that serves the page named;
- ``postgresql://briefbot:secret@db.example:5432/briefbot`` is an empty database on the tests'
  PostgreSQL server (the lines that name it are left out where no server is installed);
- files the lines name in the working directory exist there: ``page.html`` (an article
  page), ``notes.md``, ``questions.txt`` and ``config.toml`` (a copy of config.example.toml);
- the Telegram token (``BRIEFBOT_TELEGRAM__TOKEN=…`` or none at all) is the fake Bot API's
  (tests/fakebot.py), which the bot reaches through ``BRIEFBOT_TELEGRAM__BASE_URL``;
- ``briefbot run`` runs until it has answered ``/help`` on the fake Bot API, then gets SIGTERM;
  ``briefbot chat`` reads ``/help`` and then the end of its input.

A line passes when it exits 0 and prints no traceback, and prints something (``run``: answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakebot import FakeBotApi
from tests.support import ARTICLE_HTML, BRIEFBOT, ROOT, running_briefbot, shared_file
from tests.test_cli import NOTES
from tests.web import Page, serve

README = ROOT / "README.md"
EXAMPLE_SITE = "https://example.org/"
EXAMPLE_DATABASE = "postgresql://briefbot:secret@db.example:5432/briefbot"
SHARED_PREFIX = "../shared/"
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")
TIMEOUT_S = 120


@dataclass(frozen=True)
class CommandLine:
    text: str  # as the README shows it
    env: dict[str, str]  # NAME=value assignments in front of it
    args: list[str]  # after ``briefbot``
    stdin_file: str | None  # ``< file``


def readme_command_lines(readme: str) -> list[CommandLine]:
    found = []
    for block in FENCE.findall(readme):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            env = {}
            while words and ASSIGNMENT.match(words[0]):
                name, _, value = words.pop(0).partition("=")
                env[name] = value
            if not words or words[0] != "briefbot":
                continue
            args, stdin_file = words[1:], None
            if "<" in args:
                at = args.index("<")
                args, stdin_file = args[:at] + args[at + 2 :], args[at + 1]
            found.append(CommandLine(line.split("#")[0].strip(), env, args, stdin_file))
    return found


def test_the_readme_shows_the_commands_this_test_runs() -> None:
    """Guards the parser: if the README's format changed, the test below would run nothing."""
    lines = readme_command_lines(README.read_text(encoding="utf-8"))
    words = {arg for line in lines for arg in line.args}
    commands = {"chat", "run", "ingest", "summarize", "ask", "extract", "articles", "forget", "migrate-to"}
    assert commands <= words
    assert any(line.stdin_file == "questions.txt" for line in lines)


async def test_every_readme_command_line_runs(
    tmp_path: Path, fake_api: FakeBotApi, request: pytest.FixtureRequest
) -> None:
    seed = shared_file("seed/seed-article.txt")
    database = _postgres_database(request)
    work = tmp_path / "work"
    work.mkdir()
    (work / "page.html").write_text(ARTICLE_HTML)
    (work / "notes.md").write_text(NOTES)
    (work / "questions.txt").write_text("Which newspaper detailed the offer?\nWhere did the seals return?\n")
    shutil.copy(ROOT / "config.example.toml", work / "config.toml")
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BRIEFBOT_STORAGE__PATH": str(tmp_path / "briefbot.db"),
        "BRIEFBOT_FETCH__ALLOW_PRIVATE": "true",
    }
    failures = []
    with serve() as site:
        site.pages["/story.html"] = Page(ARTICLE_HTML)
        for line in readme_command_lines(README.read_text(encoding="utf-8")):
            if EXAMPLE_DATABASE in line.text and database is None:
                continue
            args = [
                arg.replace(SHARED_PREFIX, str(seed.parents[1]) + "/")
                .replace(EXAMPLE_SITE, site.url("/"))
                .replace(EXAMPLE_DATABASE, database or EXAMPLE_DATABASE)
                for arg in line.args
            ]
            env = {
                **environment,
                **{name: value.replace(EXAMPLE_DATABASE, database or "") for name, value in line.env.items()},
            }
            stdin = (work / line.stdin_file).read_bytes() if line.stdin_file else b""
            if "run" in args:
                problem = await _run_bot(args, env, work, fake_api)
            else:
                if "chat" in args:
                    stdin = b"/help\n"
                problem = await _run_command(args, env, work, stdin)
            if problem:
                failures.append(f"{line.text}\n    {problem}")
    assert not failures, "README command lines that fail:\n" + "\n".join(failures)


def _postgres_database(request: pytest.FixtureRequest) -> str | None:
    """An empty database for the README's PostgreSQL lines; None where there is no server."""
    try:
        server = request.getfixturevalue("postgres")
    except pytest.skip.Exception:
        return None
    return server.create_database()


async def _run_command(args: list[str], env: dict[str, str], cwd: Path, stdin: bytes) -> str | None:
    process = await asyncio.create_subprocess_exec(
        *BRIEFBOT, *args, env=env, cwd=cwd,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), TIMEOUT_S)
    if process.returncode != 0 or b"Traceback" in err:
        return f"exit {process.returncode}: {err.decode(errors='replace').strip()}"
    if not out.strip():
        return "printed nothing"
    return None


async def _run_bot(args: list[str], env: dict[str, str], cwd: Path, api: FakeBotApi) -> str | None:
    # One fake API for every run: the bot remembers the update ids it has handled.
    answered = len(api.sent(1))
    env = {
        **env,
        "BRIEFBOT_TELEGRAM__TOKEN": api.token,
        "BRIEFBOT_TELEGRAM__BASE_URL": api.base_url,
        "BRIEFBOT_TELEGRAM__BASE_FILE_URL": api.base_file_url,
    }
    async with running_briefbot(env, *args, cwd=cwd) as bot:
        api.push_message(1, "/help")
        with contextlib.suppress(AssertionError):  # reported below, with what the process said
            await api.wait_for("sendMessage", count=answered + 1, timeout=TIMEOUT_S)
        exited = await bot.stop(timeout_s=TIMEOUT_S)
    if len(api.sent(1)) == answered:
        return f"never answered /help on the Bot API: {exited.output.strip()[-500:]}"
    if exited.returncode != 0 or "Traceback" in exited.output:
        return f"exit {exited.returncode}: {exited.output.strip()[-500:]}"
    return None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('briefbot ask "Who?"  # a comment', CommandLine('briefbot ask "Who?"', {}, ["ask", "Who?"], None)),
        ("A=1 B=x briefbot run", CommandLine("A=1 B=x briefbot run", {"A": "1", "B": "x"}, ["run"], None)),
        ("briefbot ask - < q.txt", CommandLine("briefbot ask - < q.txt", {}, ["ask", "-"], "q.txt")),
    ],
)
def test_command_lines_are_read_as_a_shell_would(line: str, expected: CommandLine) -> None:
    assert readme_command_lines(f"```sh\n{line}\ndocker run briefbot\n```\n") == [expected]
