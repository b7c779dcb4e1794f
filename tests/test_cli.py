"""The engine's command line, run as a user would: arguments in, lines out, exit codes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from retrieval.cli import (
    NO_PLUGINS,
    PYDANTIC_PLUGIN_LOADER,
    PYDANTIC_PLUGINS_SWITCH,
    main,
    without_pydantic_plugins,
)
from tests.pgserver import PostgresServer
from tests.support import ARTICLE_HTML, shared_file
from tests.web import Page, WebServer

NOTES = """# Notes on the harbour seals

The survey counted **1,200 seals** on the sandbanks near Southend.

- Researchers credit [cleaner water](https://example.org/water) for the recovery.
- A new count is planned for next summer.
"""


class Cli:
    """Runs ``briefbot`` in-process against one database (a SQLite file or a URL)."""

    def __init__(self, db: Path | str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.db = db
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            self.monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        code = main(["--db", str(self.db), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json_lines(self, *args: str, stdin: str | None = None) -> list[dict]:
        code, out, err = self("--json", *args, stdin=stdin)
        assert code == 0, err
        return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("BRIEFBOT_FETCH__ALLOW_PRIVATE", "true")
    return Cli(tmp_path / "cli.db", capsys, monkeypatch)


def test_ingest_file_url_and_markdown_then_summarize_and_ask(
    cli: Cli, web: WebServer, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES)
    seed = shared_file("seed/seed-article.txt")
    web.pages["/story.html"] = Page(ARTICLE_HTML)
    ingested = cli.json_lines("ingest", str(seed), web.url("/story.html"), str(notes))
    assert [set(line) for line in ingested] == [{"id", "title", "sentences"}] * 3
    assert ingested[0]["title"].startswith("Mexican President Snubs Trump")
    assert ingested[1]["title"] == "Harbour seals return to the estuary"
    assert ingested[2]["title"] == "Notes on the harbour seals"

    (summary,) = cli.json_lines("summarize", str(ingested[0]["id"]), "-n", "3")
    assert set(summary) == {"article_id", "title", "algorithm", "sentences"}
    assert len(summary["sentences"]) == 3
    assert all(set(s) == {"index", "text"} for s in summary["sentences"])

    (answer,) = cli.json_lines("ask", "What did Sheinbaum say about sovereignty?")
    assert set(answer) == {"question", "abstained", "sentences"}
    assert not answer["abstained"]
    first = answer["sentences"][0]
    assert set(first) == {"article_id", "index", "text", "score", "title", "url"}
    assert "sovereignty is inalienable" in first["text"]


def test_ask_reads_one_question_per_line(cli: Cli) -> None:
    cli("ingest", str(shared_file("seed/seed-article.txt")))
    answers = cli.json_lines(
        "ask", "-", stdin="Which newspaper detailed the offer?\n\nWho won the 1998 football World Cup?\n"
    )
    assert [a["abstained"] for a in answers] == [False, True]
    assert "Wall Street Journal" in answers[0]["sentences"][0]["text"]


def test_an_empty_question_is_a_usage_error(cli: Cli) -> None:
    for question in ("", "  "):
        code, out, err = cli("ask", question)
        assert (code, out) == (2, "")
        assert err == 'briefbot: The question is empty: briefbot ask "QUESTION", or - to read one a line.\n'


def test_summarize_accepts_files_and_stdin(cli: Cli, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(ARTICLE_HTML)
    from_file = cli.json_lines("summarize", str(page), "-n", "2", "--algorithm", "lead")
    from_stdin = cli.json_lines("summarize", "-", "-n", "1", stdin=NOTES)
    assert from_file[0]["title"] == "Harbour seals return to the estuary"
    assert [s["index"] for s in from_file[0]["sentences"]] == [1, 2]
    assert len(from_stdin[0]["sentences"]) == 1


def test_extract_prints_the_article_as_json(cli: Cli, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(ARTICLE_HTML)
    (extracted,) = cli.json_lines("extract", str(page))
    assert set(extracted) == {"title", "text", "url", "site", "author", "published", "language"}
    assert extracted["title"] == "Harbour seals return to the estuary"
    assert extracted["author"] == "Ada Lovelace"
    assert extracted["language"] == "en"
    paragraphs = extracted["text"].split("\n\n")
    assert paragraphs[0].startswith("Harbour seals have returned")
    assert len(paragraphs) == 4


def test_articles_forget_and_reindex(cli: Cli, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES)
    cli("ingest", str(notes), str(shared_file("seed/seed-article.txt")))
    listed = cli.json_lines("articles")
    assert [a["title"] for a in listed][1] == "Notes on the harbour seals"
    assert cli.json_lines("reindex") == [{"articles": 2}]
    code, out, _ = cli("forget", str(listed[1]["id"]))
    assert code == 0 and "Forgot" in out
    assert len(cli.json_lines("articles")) == 1


def test_articles_name_each_articles_language(cli: Cli, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES)
    russian = Path(__file__).parent / "articles" / "ru.txt"
    code, _, err = cli("ingest", str(notes), str(russian))
    assert code == 0, err
    code, out, _ = cli("articles")
    first, second = out.splitlines()[:2]
    assert first.startswith("#2 ") and re.search(r"\(\d+ sentences, ru\)$", first), first
    assert second.startswith("#1 ") and re.search(r"\(\d+ sentences, en\)$", second), second


def test_shared_options_work_after_the_command_too(cli: Cli, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(ARTICLE_HTML)
    other = tmp_path / "other.db"
    code, out, err = cli("extract", str(page), "--json")  # the README's example
    assert code == 0, err
    assert json.loads(out)["title"] == "Harbour seals return to the estuary"

    # the fixture gives --db before the command; the one after it wins
    code, _, err = cli("ingest", "--db", str(other), str(page))
    assert code == 0, err
    assert cli("articles", "--json")[:2] == (0, "")
    (listed,) = cli.json_lines("articles", "--db", str(other))
    assert listed["title"] == "Harbour seals return to the estuary"

    # a value given before the command is not undone by the subcommand's parser
    assert main(["--db", str(other), "--json", "ask", "Where have the seals returned?"]) == 0
    assert "estuary" in json.loads(cli.capsys.readouterr().out)["sentences"][0]["text"]


def test_config_is_read_on_either_side_of_the_command(tmp_path: Path, capsys) -> None:
    from bot.cli import main as briefbot

    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "configured.db"}"\n')
    page = tmp_path / "notes.md"
    page.write_text(NOTES)
    assert briefbot(["ingest", "--config", str(config), str(page)]) == 0
    assert briefbot(["--config", str(config), "articles", "--json"]) == 0
    assert briefbot(["articles", "--config", str(config), "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["title"] for line in lines[1:]] == ["Notes on the harbour seals"] * 2

    bad = tmp_path / "bad.toml"
    bad.write_text("[telegram]\nspeed = 3\n")
    assert briefbot(["run", "--config", str(bad)]) == 2
    assert "telegram.speed" in capsys.readouterr().err


QUOTED_ARTICLE = """Sheinbaum answers Trump

“No, President Trump, our territory is inalienable and our sovereignty is not for sale,” the president said.

«Мы не примем иностранные войска на нашей территории», — заявила Шейнбаум журналистам во вторник.

„Die Zusammenarbeit mit den Vereinigten Staaten bleibt trotzdem eng“, sagte die Präsidentin der Presse.

「国境の安全保障は両国の共通の課題である」と大統領は記者会見で述べた。

The harbour officials counted fourteen cargo ships waiting outside the port on Monday morning.
"""


@pytest.mark.parametrize(
    ("question", "shown"),
    [
        ("Is the territory of Mexico inalienable?", "“No, President Trump, our territory"),
        ("иностранные войска на территории", "«Мы не примем"),
        ("Zusammenarbeit mit den Vereinigten Staaten", "„Die Zusammenarbeit"),
        ("国境の安全保障は両国の共通の課題である?", "「国境の安全保障"),
        ("How many cargo ships waited outside the port?", "“The harbour officials counted"),
    ],
)
def test_answers_are_quoted_once(cli: Cli, tmp_path: Path, question: str, shown: str) -> None:
    article = tmp_path / "quotes.txt"
    article.write_text(QUOTED_ARTICLE)
    cli("ingest", str(article))
    code, out, err = cli("ask", "-n", "1", question)
    assert code == 0, err
    assert out.startswith(shown), out
    quoted = out.rsplit(" [#1", 1)[0]
    assert quoted.count(shown[0]) == 1  # its own opening mark, and no second one around it


@pytest.mark.parametrize("question", ["«Мы не примем", "„Die Zusammenarbeit", "「国境の安全保障"])
def test_json_keeps_every_script_as_it_is(cli: Cli, tmp_path: Path, question: str) -> None:
    article = tmp_path / "quotes.txt"
    article.write_text(QUOTED_ARTICLE)
    cli("ingest", str(article))
    code, out, err = cli("--json", "ask", question)
    assert code == 0, err
    assert question in out  # as written, not as \\u escapes a reader cannot read
    assert json.loads(out)["question"] == question


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("-n", "0", "-n/--sentences: must be 1 or more"),
        ("-n", "-3", "-n/--sentences: must be 1 or more"),
        ("-p", "0", "-p/--percent: must be more than 0 and at most 100"),
        ("-p", "150", "-p/--percent: must be more than 0 and at most 100"),
        ("-p", "half", "-p/--percent: 'half' is not a number"),
    ],
)
def test_summary_length_out_of_range_is_refused(cli: Cli, option: str, value: str, message: str) -> None:
    cli("ingest", str(shared_file("seed/seed-article.txt")))
    with pytest.raises(SystemExit) as exited:
        cli("summarize", "1", option, value)
    assert exited.value.code == 2
    err = cli.capsys.readouterr().err
    assert err.strip().splitlines()[-1] == f"briefbot summarize: error: argument {message}"
    assert "Traceback" not in err


def test_articles_says_how_many_there_are_and_how_to_see_the_rest(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli("articles")
    assert code == 0 and out == "No articles stored yet (briefbot ingest FILE|URL stores one).\n"
    sources = []
    for number in range(1, 26):
        source = tmp_path / f"note-{number}.txt"
        source.write_text(f"Note {number}\n\nThe harbour survey counted {number} seals on the sandbank.")
        sources.append(str(source))
    cli("ingest", *sources)

    code, out, err = cli("articles")
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert len(lines) == 21 and lines[0].startswith("#25 ")
    assert lines[-1] == "1–20 of 25 articles, newest first. Next: --offset 20; all of them: --limit 25."

    code, out, _ = cli("articles", "--offset", "20")
    assert out.splitlines()[-1] == "21–25 of 25 articles, newest first."
    assert out.splitlines()[-2].startswith("#1 ")
    code, out, _ = cli("articles", "--limit", "25")
    assert out.splitlines()[-1] == "25 articles."
    code, out, _ = cli("articles", "--offset", "30")
    assert out == "No articles from --offset 30 on (25 articles in all).\n"

    code, out, err = cli("--json", "articles", "--limit", "5")  # stdout: one article a line
    titles = [json.loads(line)["title"] for line in out.splitlines()]
    assert titles == [f"Note {n}" for n in range(25, 20, -1)]
    assert err == "briefbot: 1–5 of 25 articles, newest first. Next: --offset 5; all of them: --limit 25.\n"
    assert cli("--json", "articles", "--limit", "25")[2] == ""


# Libraries a reading command has no use for: each costs 0.003-0.5 s of start-up
# (bench/startup.py measures the start-up itself). On SQLite, not SQLAlchemy (the reads run
# through the driver, compiled ahead: retrieval/storage/sqlite_reads.py), nor the migration
# tool (a database already up to date never needs it), nor PostgreSQL's driver; nor logging
# (nothing to log when all goes well), nor hashlib (it hashes an article being stored); nor,
# without a config file, the TOML reader, nor, with the database named, the data-folder finder;
# nor, for English, the Thai word splitter; nor the results only the bot's features make; nor
# the installed distributions' metadata (pydantic's plugin loader imports it, with email,
# even when every plugin is switched off: retrieval.cli.without_pydantic_plugins).
NOT_FOR_READING = frozenset({
    "nltk", "scipy", "numpy", "trafilatura", "pypdf", "httpx", "feedparser", "lxml", "courlan",
    "nupunkt", "charset_normalizer", "markdown_it", "requests", "rich", "telegram", "sumy.summarizers",
    "alembic", "psycopg", "sqlalchemy", "asyncio", "logging", "hashlib", "tomllib", "platformdirs",
    "retrieval.language.thai", "retrieval.bot_models", "importlib.metadata", "email",
})
# Nor, for listing and summarizing stored articles, the search index and the answer ranker.
NOT_FOR_LISTING = NOT_FOR_READING | {"tantivy", "retrieval.index", "retrieval.answer"}
# Runs ``briefbot`` with the arguments given, then lists every module it loaded on stderr.
LIST_MODULES = """
import sys
from bot.cli import main
status = main(sys.argv[1:])
print(*sys.modules, file=sys.stderr)
sys.exit(status)
"""


@pytest.mark.parametrize(
    ("command", "unused"),
    [
        (["articles"], NOT_FOR_LISTING),
        (["summarize", "1"], NOT_FOR_LISTING),
        (["ask", "Who is the president?"], NOT_FOR_READING),
    ],
)
def test_reading_commands_load_only_what_they_use(
    cli: Cli, command: list[str], unused: frozenset[str]
) -> None:
    cli("ingest", str(shared_file("seed/seed-article.txt")))
    done = subprocess.run(
        [sys.executable, "-c", LIST_MODULES, "--db", str(cli.db), *command],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0 and done.stdout.strip(), done.stderr
    loaded = set(done.stderr.split())
    assert "retrieval.engine" in loaded
    unneeded = {
        module for module in loaded
        if any(module == name or module.startswith(name + ".") for name in unused)
    }
    assert not unneeded


# Runs the program ``briefbot`` (or ``python -m retrieval``) with the arguments given, and says
# at its very end, after the command, how many objects the garbage collector has left out.
FROZEN_AT_EXIT = """
import atexit, gc, runpy, sys
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count(), file=sys.stderr))
if sys.argv.pop(1) == "retrieval":
    runpy.run_module("retrieval", run_name="__main__", alter_sys=True)
from bot.cli import program
program()
"""


@pytest.mark.parametrize(
    ("program", "command", "status"),
    [
        ("briefbot", ["articles"], 0),
        ("briefbot", ["summarize", "1"], 0),
        ("retrieval", ["articles"], 0),
        ("briefbot", ["summarize", "999"], 1),
        ("briefbot", ["--help"], 0),
        ("briefbot", ["articles", "--limit", "none"], 2),
    ],
)
def test_the_program_leaves_its_objects_to_the_system(
    cli: Cli, program: str, command: list[str], status: int
) -> None:
    """The interpreter's last garbage collections would look at every object a command made
    (20-40 ms of a reading command: bench/startup.py); the program freezes them first, however
    the command ends, and what it printed is all there."""
    cli("ingest", str(shared_file("seed/seed-article.txt")))
    done = subprocess.run(
        [sys.executable, "-c", FROZEN_AT_EXIT, program, "--db", str(cli.db), *command],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == status, done.stderr
    frozen = re.search(r"frozen at exit: (\d+)", done.stderr)
    assert frozen and int(frozen[1]) > 10_000, done.stderr
    if status == 0:
        assert done.stdout.strip()
    if command == ["articles"]:
        assert "1 article." in done.stdout


def test_a_reader_that_stops_reading_ends_the_command_quietly(cli: Cli) -> None:
    """``briefbot ask - < questions | head``: the closed pipe ends the command without a
    traceback, its database closed as after any other end."""
    cli("ingest", "-", stdin=NOTES)
    program = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--db", str(cli.db), "ask", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert program.stdin and program.stdout and program.stderr
    question = b"How many seals did the survey count?\n"
    program.stdin.write(question)
    program.stdin.flush()
    assert b"1,200" in program.stdout.readline()  # "head -1"
    program.stdout.close()
    with contextlib.suppress(BrokenPipeError):  # it may be gone before all are written
        program.stdin.write(question * 20_000)
        program.stdin.close()
    assert program.wait(timeout=120) == 1
    assert program.stderr.read().decode() == ""
    code, out, _ = cli("ask", "How many seals did the survey count?")
    assert code == 0 and "1,200" in out


# A pydantic plugin, installed as pydantic finds them: an entry point in the "pydantic" group.
FAKE_PLUGIN = """
import sys
print("pydantic plugin loaded", file=sys.stderr)


class Plugin:
    def new_schema_validator(self, *args, **kwargs):
        return None, None, None


plugin = Plugin()
"""


@pytest.mark.parametrize(
    ("switch", "loads_plugin"),
    [(None, False), ("", True), ("other_plugin", True), ("__all__", False)],
)
def test_commands_that_run_once_skip_pydantic_plugins_unless_asked(
    cli: Cli, tmp_path: Path, switch: str | None, loads_plugin: bool
) -> None:
    """The look-up costs a reading command 10-20 ms; whoever sets PYDANTIC_DISABLE_PLUGINS
    (empty: every plugin) has it as they set it."""
    cli("ingest", str(shared_file("seed/seed-article.txt")))
    site = tmp_path / "site"
    (site / "fake_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "fake_plugin-1.0.dist-info" / "METADATA").write_text("Name: fake-plugin\nVersion: 1.0\n")
    (site / "fake_plugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[pydantic]\nfake = fake_plugin:plugin\n"
    )
    (site / "fake_plugin.py").write_text(FAKE_PLUGIN)
    env = {key: value for key, value in os.environ.items() if key != "PYDANTIC_DISABLE_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    if switch is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = switch
    for command in (["articles"], ["summarize", "1"], ["ask", "Who is the president?"]):
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "--db", str(cli.db), *command], env=env,
            capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
        )
        assert done.returncode == 0 and done.stdout.strip(), done.stderr
        assert ("pydantic plugin loaded" in done.stderr) is loads_plugin


def test_pydantic_finds_no_plugins_meanwhile_and_its_own_loader_afterwards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, PYDANTIC_PLUGIN_LOADER, raising=False)
    monkeypatch.delenv(PYDANTIC_PLUGINS_SWITCH, raising=False)

    with without_pydantic_plugins():

        class Probe(BaseModel):  # building its validator asks the loader for plugins
            count: int

        assert Probe.model_validate({"count": "3"}).count == 3
        assert sys.modules[PYDANTIC_PLUGIN_LOADER] is NO_PLUGINS
    assert PYDANTIC_PLUGIN_LOADER not in sys.modules and PYDANTIC_PLUGINS_SWITCH not in os.environ
    from pydantic.plugin import _loader

    assert _loader is not NO_PLUGINS and hasattr(_loader, "importlib_metadata")


def test_the_stand_in_plugin_loader_hands_anything_else_to_pydantics_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, PYDANTIC_PLUGIN_LOADER, raising=False)
    monkeypatch.delenv(PYDANTIC_PLUGINS_SWITCH, raising=False)

    with without_pydantic_plugins():
        # What a later pydantic might import from its loader beside get_plugins.
        from pydantic.plugin._loader import PYDANTIC_ENTRY_POINT_GROUP

        assert PYDANTIC_ENTRY_POINT_GROUP == "pydantic"
        assert sys.modules[PYDANTIC_PLUGIN_LOADER] is not NO_PLUGINS
    assert sys.modules[PYDANTIC_PLUGIN_LOADER] is not NO_PLUGINS  # pydantic's own stays


@pytest.mark.parametrize(
    ("command", "status"),
    [(["--help"], 0), (["articles", "--help"], 0), (["articles", "--limit", "none"], 2)],
)
def test_help_and_usage_errors_load_neither_the_configuration_nor_the_database(
    command: list[str], status: int
) -> None:
    """Reading the command line needs argparse only: pydantic (the configuration's models)
    is most of a reading command's start-up, and --help has no configuration to read."""
    at_exit = "import atexit, sys; atexit.register(lambda: print(*sys.modules, file=sys.stderr))\n"
    done = subprocess.run(
        [sys.executable, "-c", at_exit + LIST_MODULES, *command],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == status, done.stderr
    assert "usage: briefbot" in (done.stdout if status == 0 else done.stderr)
    loaded = set(done.stderr.split())
    assert "retrieval.cli" in loaded
    assert not loaded & {
        "pydantic", "pydantic_core", "retrieval.config", "bot.config", "sqlalchemy", "tantivy",
        "retrieval.engine", "retrieval.storage",
    }


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda tmp: ["ingest", str(tmp / "missing.txt")], "There is no file"),
        (lambda tmp: ["ingest", str(tmp / "binary.txt")], "binary"),
        (lambda tmp: ["ingest", str(tmp / "empty.txt")], "empty"),
        (lambda tmp: ["ingest", "http://127.0.0.1:9/story.html"], "connect"),
        (lambda tmp: ["summarize", "999"], "no article 999"),
        (lambda tmp: ["forget", "999"], "no article 999"),
        (lambda tmp: ["ask", "--article", "999", "Who?"], "no article 999"),
        (lambda tmp: ["summarize", "99999999999999999999"], "no article 99999999999999999999"),
        (lambda tmp: ["forget", "99999999999999999999"], "no article"),
    ],
)
def test_bad_input_gets_one_line_and_keeps_data(cli: Cli, tmp_path: Path, make_args, message: str) -> None:
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 100)
    (tmp_path / "empty.txt").write_text("  \n")
    cli("ingest", str(shared_file("seed/seed-article.txt")))
    code, out, err = cli(*make_args(tmp_path))
    assert code != 0
    assert message.lower() in err.lower()
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert len(cli.json_lines("articles")) == 1


def test_too_large_text_is_refused(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_LIMITS__MAX_TEXT_CHARS", "1000")
    big = tmp_path / "big.txt"
    big.write_text("This sentence is one of very many. " * 100)
    code, _, err = cli("ingest", str(big))
    assert code == 1 and "too long" in err


def test_command_line_process_has_no_traceback(tmp_path: Path) -> None:
    env = {"BRIEFBOT_STORAGE__PATH": str(tmp_path / "p.db"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "retrieval", "summarize", "7"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "briefbot: There is no article 7."


def test_reading_commands_work_beside_a_running_bot(cli: Cli, tmp_path: Path) -> None:
    from retrieval.config import EngineConfig, StorageConfig
    from retrieval.engine import Engine
    from retrieval.owners import LOCAL

    cli("ingest", str(shared_file("seed/seed-article.txt")))
    with Engine(EngineConfig(storage=StorageConfig(path=str(cli.db)))) as running:
        running.ingest_text("Harbour seals have returned to the Thames estuary in great numbers.", LOCAL)
        (answer,) = cli.json_lines("ask", "Where have the harbour seals returned?")
        assert "Thames" in answer["sentences"][0]["text"]
        assert len(cli.json_lines("articles")) == 2
        code, _, err = cli("ingest", str(shared_file("seed/seed-article.txt")))
        assert code == 1 and "Another Briefbot process is already using this database" in err
        code, _, err = cli("forget", "1")
        assert code == 1 and "Another Briefbot process" in err
    assert len(cli.json_lines("articles")) == 2


@pytest.mark.parametrize("crash", ["article not yet indexed", "index lost"])
def test_ask_answers_from_what_a_crash_left_out_of_the_index(cli: Cli, crash: str) -> None:
    """``ask`` opens the index's writer only when there is something to write, yet an
    article a crash left out of the index is indexed before the answer relies on it."""
    from retrieval.config import EngineConfig, StorageConfig
    from retrieval.engine import Engine
    from retrieval.owners import LOCAL

    cli("ingest", str(shared_file("seed/seed-article.txt")))
    with Engine(EngineConfig(storage=StorageConfig(path=str(cli.db)))) as engine:
        seals = "Harbour seals have returned to the Thames estuary in great numbers."
        extracted = engine.extract_bytes(seals.encode(), filename="seals.txt")
        engine.ingest(extracted, LOCAL, commit=crash == "index lost")  # stored, not searchable
    if crash == "index lost":
        shutil.rmtree(Path(f"{cli.db}.index"))
    (answer,) = cli.json_lines("ask", "Where have the harbour seals returned?")
    assert "Thames" in answer["sentences"][0]["text"]
    (answer,) = cli.json_lines("ask", "What did Sheinbaum say about sovereignty?")
    assert answer["sentences"] and answer["sentences"][0]["article_id"] == 1


@pytest.mark.parametrize("make_db", [lambda tmp: tmp, lambda tmp: tmp / "not-a-db.db"])
def test_a_database_that_cannot_be_used_is_one_line(tmp_path: Path, capsys, make_db) -> None:
    (tmp_path / "not-a-db.db").write_text("this is not SQLite " * 100)
    code = main(["--db", str(make_db(tmp_path)), "articles"])
    err = capsys.readouterr().err
    assert code != 0 and "can't use" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_the_commands_work_on_a_postgresql_url(
    postgres: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BRIEFBOT_STORAGE__URL", postgres.create_database())
    monkeypatch.setenv("BRIEFBOT_STORAGE__PATH", str(tmp_path / "replica"))  # the index's folder
    cli = Cli(os.environ["BRIEFBOT_STORAGE__URL"], capsys, monkeypatch)  # --db too, as a user may
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES)
    assert [a["title"] for a in cli.json_lines("ingest", str(notes))] == ["Notes on the harbour seals"]
    (answer,) = cli.json_lines("ask", "How many seals were counted?")
    assert "1,200 seals" in answer["sentences"][0]["text"]
    assert [a["title"] for a in cli.json_lines("articles")] == ["Notes on the harbour seals"]
    assert cli.json_lines("reindex") == [{"articles": 1}]
    assert (tmp_path / "replica" / "briefbot.index").is_dir()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.md", "replica"]  # no SQLite file


def test_a_postgresql_server_out_of_reach_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--db", "postgresql://briefbot:s3cret@127.0.0.1:1/briefbot", "articles"])
    err = capsys.readouterr().err
    assert code != 0 and err.startswith("briefbot: I can't use the database postgresql://briefbot:***@")
    assert "s3cret" not in err and len(err.strip().splitlines()) == 1
