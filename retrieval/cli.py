"""The engine's command line: ``briefbot ingest|extract|summarize|ask|articles|forget|reindex``.

Output is for people by default and one JSON object per line with ``--json``. Bad input
gets one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, NoReturn, TypeVar, get_args

from retrieval.algorithms import Algorithm
from retrieval.errors import BriefbotError
from retrieval.owners import LOCAL

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.progress import Progress

    from retrieval.config import EngineConfig
    from retrieval.engine import Engine
    from retrieval.models import Answer, Extracted, Summary

# Bulk ingests make their articles searchable in batches of this many.
COMMIT_EVERY = 500
# Show a progress bar from this many sources on.
PROGRESS_FROM = 5

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2
PYDANTIC_PLUGINS_SWITCH = "PYDANTIC_DISABLE_PLUGINS"

Config = TypeVar("Config", bound="EngineConfig")


def build_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    parser = argparse.ArgumentParser(
        prog="briefbot",
        description="Keep articles; get extractive summaries and answers quoted from them.",
        epilog="--config, --db and --json go before or after COMMAND. "
        "briefbot COMMAND --help describes one command.",
    )
    add_shared_options(parser, after_command=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ingest = add_command(commands, "ingest", "store articles from files, URLs or stdin (-)")
    ingest.add_argument("sources", nargs="+", metavar="SOURCE")

    extract = add_command(commands, "extract", "print the article found in a file, URL or stdin")
    extract.add_argument("source", metavar="SOURCE")

    summarize = add_command(commands, "summarize", "summarize stored or new articles")
    summarize.add_argument("sources", nargs="+", metavar="SOURCE", help="article id, file, URL or -")
    length = summarize.add_mutually_exclusive_group()
    length.add_argument("-n", "--sentences", type=_at_least(1), metavar="N", help="number of sentences")
    length.add_argument("-p", "--percent", type=_percent, metavar="P", help="share of the article, in %%")
    summarize.add_argument("-a", "--algorithm", choices=get_args(Algorithm))

    ask = add_command(commands, "ask", "answer a question with sentences from stored articles")
    ask.add_argument("question", help="the question, or - to read one per line from stdin")
    ask.add_argument("--article", type=int, metavar="ID", help="only look in this article")
    ask.add_argument("-n", "--sentences", type=int, default=3, choices=(1, 2, 3))

    articles = add_command(commands, "articles", "list stored articles, newest first")
    articles.add_argument(
        "--limit", type=_at_least(1), default=20, metavar="N", help="show N articles (default 20)"
    )
    articles.add_argument(
        "--offset", type=_at_least(0), default=0, metavar="N", help="skip the N newest"
    )

    forget = add_command(commands, "forget", "delete stored articles")
    forget.add_argument("ids", nargs="+", type=int, metavar="ID")

    add_command(commands, "reindex", "rebuild the search index from the database")
    return parser, commands


def add_command(
    commands: argparse._SubParsersAction, name: str, summary: str, *, json_output: bool = True
) -> argparse.ArgumentParser:
    """A subcommand that accepts the shared options after its name too."""
    command = commands.add_parser(name, help=summary, description=summary)
    add_shared_options(command, after_command=True, json_output=json_output)
    return command


def add_shared_options(
    parser: argparse.ArgumentParser, *, after_command: bool, json_output: bool = True
) -> None:
    """``--config``, ``--db`` and ``--json``, defined once for both sides of the subcommand
    (``briefbot --db X ask …`` and ``briefbot ask --db X …``).

    After the subcommand their default is SUPPRESS: argparse copies every attribute the
    subcommand's parser sets over the main parser's, so a real default there would undo a
    value given before the subcommand.
    """

    def default(value: object) -> object:
        return argparse.SUPPRESS if after_command else value

    parser.add_argument("--config", metavar="PATH", default=default(None), help="TOML config file")
    parser.add_argument(
        "--db", metavar="PATH|URL", default=default(None),
        help="SQLite file or postgresql:// URL (overrides the config)",
    )
    if json_output:
        parser.add_argument(
            "--json", action="store_true", default=default(False), help="one JSON object per line"
        )


def main(argv: list[str] | None = None) -> int:
    """``python -m retrieval``: the engine commands without the Telegram ones."""
    parser, _ = build_parser()
    args = parser.parse_args(argv)
    with without_pydantic_plugins():
        from retrieval.config import EngineConfig, load_config  # pydantic: not for --help

        try:
            config = load_config(EngineConfig, args.config)
        except BriefbotError as error:
            print(f"briefbot: {error}", file=sys.stderr)
            return EXIT_USAGE
        return dispatch(args, config)


def run_as_process(command: Callable[[], int]) -> NoReturn:
    """Run ``command`` as the whole of the process and end it with its exit status, leaving
    every object to the system: the interpreter's last garbage collections look at all of
    them (modules, classes, pydantic's validators) to free memory the system takes back
    anyway, 20-40 ms of a reading command's run (bench/startup.py); frozen, they are passed
    over. Nothing is left unsaved: the commands close the database and the index themselves,
    and standard output is flushed as always.

    A reader that stops reading (``briefbot ask - < questions | head``) ends the command
    quietly, as it ends grep: no traceback, exit status 1."""
    try:
        sys.exit(command())
    except BrokenPipeError:
        # What is still buffered for the closed pipe must not fail again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_INPUT)
    finally:
        gc.freeze()


@contextmanager
def without_pydantic_plugins() -> Iterator[None]:
    """Spare a command that runs once the look-up of pydantic plugins its first validator
    makes: a scan of every installed distribution's entry points, 10-20 ms of its start-up.
    Plugins observe validation (logfire); whoever wants them for these commands sets
    ``PYDANTIC_DISABLE_PLUGINS`` (pydantic's own switch) to empty or to the plugins to leave
    out, and it is left as it is.

    With the switch set to every plugin, pydantic's plugin loader finds none without looking,
    yet importing it still imports ``importlib.metadata`` (and ``email``, ``socket``, ``csv``
    with it: about 45 M instructions, 7 % of ``briefbot articles``). Meanwhile the loader is
    :data:`NO_PLUGINS`, which finds none all the same, and pydantic's own takes its place
    afterwards."""
    if PYDANTIC_PLUGINS_SWITCH in os.environ:
        yield
        return
    os.environ[PYDANTIC_PLUGINS_SWITCH] = "__all__"
    installed = sys.modules.setdefault(PYDANTIC_PLUGIN_LOADER, NO_PLUGINS) is NO_PLUGINS
    try:
        yield
    finally:
        os.environ.pop(PYDANTIC_PLUGINS_SWITCH, None)
        if installed and sys.modules.get(PYDANTIC_PLUGIN_LOADER) is NO_PLUGINS:
            del sys.modules[PYDANTIC_PLUGIN_LOADER]


def _no_plugins(*_args: object, **_kwargs: object) -> tuple[()]:
    # Whatever a later pydantic passes, no plugin is found.
    return ()


# pydantic's plugin loader (pydantic.plugin._loader, which pydantic asks for its get_plugins
# each time it builds a validator) as it is while every plugin is switched off: it finds none.
PYDANTIC_PLUGIN_LOADER = "pydantic.plugin._loader"
NO_PLUGINS = ModuleType(PYDANTIC_PLUGIN_LOADER, "pydantic's plugin loader, every plugin switched off")
NO_PLUGINS.get_plugins = _no_plugins  # type: ignore[attr-defined]


def _from_pydantic_loader(name: str) -> object:
    """Anything else a later pydantic asks of its loader comes from its own, loaded then:
    the stand-in must never make an import fail. (The import system's own questions, such
    as whether it is a package, are answered by the stand-in itself.)"""
    import importlib

    if name.startswith("__"):
        raise AttributeError(name)
    if sys.modules.get(PYDANTIC_PLUGIN_LOADER) is NO_PLUGINS:
        del sys.modules[PYDANTIC_PLUGIN_LOADER]
    return getattr(importlib.import_module(PYDANTIC_PLUGIN_LOADER), name)


NO_PLUGINS.__getattr__ = _from_pydantic_loader  # type: ignore[method-assign]  # PEP 562


def with_database(config: Config, db: str | None) -> Config:
    """``config`` with the database ``--db`` names, if it names one."""
    if not db:
        return config
    return config.model_copy(update={"storage": config.storage.pointed_at(db)})


def dispatch(args: argparse.Namespace, config: EngineConfig) -> int:
    """Run one engine command; returns the exit status."""
    try:
        config = with_database(config, args.db)
    except BriefbotError as error:
        return _fail(error)
    command: Callable[[Engine, argparse.Namespace], int] = COMMANDS[args.command]
    try:
        with _open_engine(config, reading=args.command in READING_COMMANDS) as engine:
            return command(engine, args)
    except BriefbotError as error:
        return _fail(error)
    except KeyboardInterrupt:
        return 130


def _open_engine(config: EngineConfig, *, reading: bool) -> Engine:
    """The engine. Reading commands open the search index only if they search, and beside
    a running bot (which holds the index) they still work."""
    from retrieval.engine import Engine  # the database and index libraries load only here

    return Engine(config, index_on_demand=reading)


def _ingest(engine: Engine, args: argparse.Namespace) -> int:
    status = EXIT_OK
    with _Progress(len(args.sources), "Ingesting") as advance:
        for number, source in enumerate(args.sources, start=1):
            try:
                result = engine.ingest(_extract(engine, source), LOCAL, commit=False)
            except BriefbotError as error:
                status = _fail(error, source if len(args.sources) > 1 else None)
            else:
                if args.json:
                    _emit(result.model_dump(include={"id", "title", "sentences"}))
                else:
                    verb = "Already had" if result.duplicate else "Stored"
                    print(f"{verb} #{result.id} {_quoted(result.title)} ({result.sentences} sentences)")
            if number % COMMIT_EVERY == 0:
                engine.commit()
            advance()
    engine.commit()
    return status


def _extract_command(engine: Engine, args: argparse.Namespace) -> int:
    extracted = _extract(engine, args.source)
    if args.json:
        _emit(extracted)
    else:
        if extracted.title:
            print(extracted.title, end="\n\n")
        print(extracted.text)
    return EXIT_OK


def _summarize(engine: Engine, args: argparse.Namespace) -> int:
    status = EXIT_OK
    for source in args.sources:
        try:
            article_id = _article_id(engine, source)
            summary = engine.summarize(
                article_id, LOCAL, sentences=args.sentences, percent=args.percent,
                algorithm=args.algorithm,
            )
        except BriefbotError as error:
            status = _fail(error, source if len(args.sources) > 1 else None)
            continue
        _print_summary(summary, as_json=args.json)
    return status


def _ask(engine: Engine, args: argparse.Namespace) -> int:
    if not args.question.strip():
        print('briefbot: The question is empty: briefbot ask "QUESTION", or - to read one a line.',
              file=sys.stderr)
        return EXIT_USAGE
    questions = _stdin_lines() if args.question == "-" else iter([args.question])
    status = EXIT_OK
    for question in questions:
        if not question.strip():
            continue
        try:
            answer = engine.ask(
                question, LOCAL, article_id=args.article, max_sentences=args.sentences
            )
        except BriefbotError as error:
            status = _fail(error)
            continue
        _print_answer(answer, as_json=args.json)
    return status


def _articles(engine: Engine, args: argparse.Namespace) -> int:
    """The list, then how many there are and how to see the rest: after the list for people;
    with ``--json`` on stderr, and only when some are left out (stdout stays one article a line)."""
    total = engine.count_articles(LOCAL)
    listed = engine.articles(LOCAL, limit=args.limit, offset=args.offset)
    for info in listed:
        if args.json:
            _emit(info)
        else:
            details = f"{info.sentences} sentences{_detail(info.language)}{_detail(info.site)}"
            print(f"#{info.id:<5} {info.title}  ({details})")
    note = _listing_note(total, args.offset, len(listed))
    if not args.json:
        print(note)
    elif len(listed) < total:
        print(f"briefbot: {note}", file=sys.stderr)
    return EXIT_OK


def _listing_note(total: int, offset: int, shown: int) -> str:
    if total == 0:
        return "No articles stored yet (briefbot ingest FILE|URL stores one)."
    noun = "article" if total == 1 else "articles"
    if shown == 0:
        return f"No articles from --offset {offset} on ({total:,} {noun} in all)."
    if shown == total:
        return f"{total:,} {noun}."
    note = f"{offset + 1:,}–{offset + shown:,} of {total:,} {noun}, newest first."
    if offset + shown < total:
        note += f" Next: --offset {offset + shown}; all of them: --limit {total}."
    return note


def _forget(engine: Engine, args: argparse.Namespace) -> int:
    status = EXIT_OK
    for article_id in args.ids:
        try:
            info = engine.forget(article_id, LOCAL)
        except BriefbotError as error:
            status = _fail(error)
            continue
        if args.json:
            _emit({"id": info.id, "title": info.title, "forgotten": True})
        else:
            print(f"Forgot #{info.id} {_quoted(info.title)}")
    return status


def _reindex(engine: Engine, args: argparse.Namespace) -> int:
    count = engine.reindex()
    if args.json:
        _emit({"articles": count})
    else:
        print(f"Reindexed {count} articles.")
    return EXIT_OK


# Commands that work while another process (the bot) writes to the same database.
READING_COMMANDS = frozenset({"ask", "articles", "extract", "summarize"})

COMMANDS: dict[str, Callable[[Engine, argparse.Namespace], int]] = {
    "ingest": _ingest,
    "extract": _extract_command,
    "summarize": _summarize,
    "ask": _ask,
    "articles": _articles,
    "forget": _forget,
    "reindex": _reindex,
}


# --- sources ------------------------------------------------------------------------


def _at_least(low: int) -> Callable[[str], int]:
    def number(text: str) -> int:
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {low} or more")
        return value

    return number


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 100")
    return value


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _extract(engine: Engine, source: str) -> Extracted:
    """A file path, a URL or ``-`` (stdin) to an extracted article."""
    if source == "-":
        return engine.extract_bytes(sys.stdin.buffer.read())
    if _is_url(source):
        return engine.extract_url(source)
    return engine.extract_file(Path(source))


def _article_id(engine: Engine, source: str) -> int:
    """``summarize`` accepts stored ids as well as new sources (stored first)."""
    if source.isdigit() and not Path(source).exists():
        return int(source)
    result = engine.ingest(_extract(engine, source), LOCAL)
    return result.id


def _stdin_lines() -> Iterator[str]:
    for line in sys.stdin:
        yield line.rstrip("\n")


# --- output -------------------------------------------------------------------------


def _emit(value: BaseModel | dict) -> None:
    line = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value.model_dump_json()
    print(line, flush=True)


# What ``summarize --json`` writes of a summary: each sentence by its position and text.
SUMMARY_OUTPUT = {
    "article_id": True, "title": True, "algorithm": True, "sentences": {"__all__": {"index", "text"}},
}


def _print_summary(summary: Summary, *, as_json: bool) -> None:
    if as_json:
        _emit(summary.model_dump(mode="json", include=SUMMARY_OUTPUT))
        return
    print(f"#{summary.article_id} {summary.title}")
    for number, sentence in enumerate(summary.sentences, start=1):
        print(f"  {number}. {sentence.text} [#{summary.article_id}, sentence {sentence.index}]")


def _print_answer(answer: Answer, *, as_json: bool) -> None:
    if as_json:  # the command line keeps no group's messages: no sentence quotes one
        _emit(answer.model_dump(mode="json", exclude={"sentences": {"__all__": {"message"}}}))
        return
    if answer.abstained:
        print("I found nothing about that in the stored articles.")
        return
    for sentence in answer.sentences:
        cited = f"#{sentence.article_id} {sentence.title}, sentence {sentence.index}"
        print(f"{_quoted(sentence.text)} [{cited}]")


def _quoted(text: str) -> str:
    """``text`` in quotation marks, unless it already opens with one of its own."""
    return text if opens_with_quote(text) else f"“{text}”"


def _detail(detail: str | None) -> str:
    """One more detail after the sentence count (the language's code, the site), if known."""
    return f", {detail}" if detail else ""


def _fail(error: BriefbotError, source: str | None = None) -> int:
    prefix = f"{source}: " if source else ""
    print(f"briefbot: {prefix}{error}", file=sys.stderr)
    return EXIT_INPUT


class _Progress:
    """A rich progress bar on stderr for long ingests; nothing for short ones."""

    def __init__(self, total: int, label: str) -> None:
        self._bar: Progress | None = None
        if total >= PROGRESS_FROM and sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                transient=True,
            )
            self._task = self._bar.add_task(label, total=total)

    def __enter__(self) -> Callable[[], None]:
        if self._bar is None:
            return lambda: None
        self._bar.start()
        bar, task = self._bar, self._task
        return lambda: bar.advance(task)

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()


# Unicode's Quotation_Mark characters (PropList.txt): the quotation marks of every script.
QUOTATION_MARKS = frozenset("\"'«»‘’‚‛“”„‟‹›⹂「」『』〝〞〟﹁﹂﹃﹄＂＇｢｣")


def opens_with_quote(text: str) -> bool:
    """Whether ``text`` begins with a quotation mark, in any script (“ « „ 「 ...)."""
    return text.lstrip()[:1] in QUOTATION_MARKS
