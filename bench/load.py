"""Load: a thousand chats sending links, pasted texts and questions at the same time.

Run from the repository root: ``python bench/load.py`` (about 3 minutes), or
``python bench/load.py --quick`` (30 s of load). Options: ``--chats``, ``--duration``,
``--think``.

The real bot runs as ``briefbot run`` in a subprocess, so that its memory is measured
alone, and polls the fake Bot API of the tests (tests/fakebot.py) in this process. Links
point to pages served here on 127.0.0.1 (``fetch.allow_private``), built from the SQuAD
articles in ``../shared``: mostly distinct URLs and texts, so most are real fetches and
ingests. Telegram's flood limits are off (``messages_per_second = 0``, no group limit):
they would measure Telegram, not the bot. The per-chat limit stays on; no chat comes near it.

Each chat is a closed loop: it waits a random time (``--think`` seconds on average, the
first wait spread over the same span), sends a message, waits for the reply, and so on.
With one message in flight per chat, a message's reply is the next message the bot sends
to that chat: a reply that comes when none is awaited is an extra (sent twice), a message
with no reply within ``--reply-timeout`` s is lost. A link or a text must get a summary
and a question an answer or "I found nothing": any other reply is an error reply.
Latency runs from the moment the update is queued on the fake server to the reply's
arrival. The bot's RSS (and its anonymous part) is sampled every 5 seconds, with where the
messages not answered yet wait: taken by the bot from getUpdates (in its memory or its
``updates`` table), or still at Telegram (the fake Bot API). Requests the bot closed the
connection on before it had sent them whole are counted, during the load and while it
stops (when it cancels what it was sending: expected there, not during the load).

Replicas: ``--postgres`` runs the bot on a throwaway PostgreSQL cluster (tests/pgserver.py:
Debian's server programs) instead of SQLite, and ``--replicas N`` (with ``--postgres``)
runs N ``briefbot run`` processes on it, each with its own search index, all polling the
same fake Bot API, which hands each update to whichever asks first: they share the load as
replicas behind a load balancer do. Memory is then the sum over the replicas.

Writes ``bench/results/load.json`` (``load-postgres-N.json`` with ``--postgres``).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/, whose retrieval.py would shadow the package

from bench.metrics import percentile, squad_articles  # noqa: E402
from tests.fakebot import Call, FakeBotApi, plain_text  # noqa: E402
from tests.pgserver import PostgresServer  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "load.json"
BRIEFBOT = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", "run"]
SAMPLE_EVERY_S = 5.0
MINUTES_SHOWN = 5  # the anonymous RSS shown every 5 minutes (every sample is in the JSON)
LINK_VARIANTS = 5000
MIX = (("link", 0.4), ("text", 0.3), ("question", 0.3))
_SUMMARY_META = re.compile(r"^#\d+ · ", re.MULTILINE)
NOTHING_FOUND = "I found nothing about that in your articles."


@dataclass
class Article:
    title: str
    paragraphs: list[str]
    questions: list[str]

    def excerpt(self, rng: random.Random, paragraphs: int) -> list[str]:
        start = rng.randrange(max(1, len(self.paragraphs) - paragraphs))
        return self.paragraphs[start : start + paragraphs]


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=lambda: {kind: 0 for kind, _ in MIX})
    errors: list[str] = field(default_factory=list)
    lost: int = 0
    extra: int = 0
    rss: list[tuple[float, int, int]] = field(default_factory=list)
    pushed: int = 0  # messages the chats sent, late replies included below
    replied: int = 0
    # (seconds, updates the bot took from getUpdates and has not answered yet, updates
    # Telegram still holds for it), sampled with the memory
    backlog: list[tuple[float, int, int]] = field(default_factory=list)
    load_average: list[float] = field(default_factory=list)  # the machine's, over 1 minute


class Driver:
    """The chats: sends their messages through the fake API and matches the replies."""

    def __init__(self, api: FakeBotApi, articles: list[Article], pages_url: str, args: argparse.Namespace):
        self.api = api
        self.articles = articles
        self.pages_url = pages_url
        self.args = args
        self.results = Results()
        self._waiting: dict[int, asyncio.Future[Call]] = {}
        api.listeners.append(self._on_call)

    def _on_call(self, call: Call) -> None:
        if call.method != "sendMessage" or call.chat_id is None:
            return
        self.results.replied += 1
        future = self._waiting.pop(call.chat_id, None)
        if future is None or future.done():
            self.results.extra += 1
        else:
            future.set_result(call)

    async def chat(self, chat_id: int, until: float) -> None:
        rng = random.Random(chat_id)
        known: list[Article] = []
        await asyncio.sleep(rng.uniform(0, min(self.args.think, self.args.duration)))
        while time.monotonic() < until:
            kind = "question" if known else rng.choice(["link", "text"])
            if known:
                kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
            article = rng.choice(known) if kind == "question" else rng.choice(self.articles)
            await self._exchange(chat_id, kind, self._message(kind, article, rng))
            if kind != "question":
                known.append(article)
            pause = rng.expovariate(1 / self.args.think)
            await asyncio.sleep(min(pause, max(0.0, until - time.monotonic())))

    def _message(self, kind: str, article: Article, rng: random.Random) -> str:
        if kind == "link":
            return f"{self.pages_url}/a/{self.articles.index(article)}/{rng.randrange(LINK_VARIANTS)}.html"
        if kind == "text":
            return article.title + "\n\n" + "\n\n".join(article.excerpt(rng, rng.randint(2, 4)))
        return rng.choice(article.questions)

    async def _exchange(self, chat_id: int, kind: str, text: str) -> None:
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        sent_at = time.monotonic()
        self.api.push_message(chat_id, text)
        self.results.pushed += 1
        self.results.sent[kind] += 1
        try:
            reply = await asyncio.wait_for(future, self.args.reply_timeout)
        except TimeoutError:
            self._waiting.pop(chat_id, None)
            self.results.lost += 1
            return
        self.results.latencies.append(reply.at - sent_at)
        if not _expected(kind, plain_text(reply.text)):
            self.results.errors.append(f"{kind}: {plain_text(reply.text)[:120]}")


def _expected(kind: str, reply: str) -> bool:
    if kind == "question":
        return "Sources" in reply or reply == NOTHING_FOUND
    return bool(_SUMMARY_META.search(reply))


async def serve_pages(articles: list[Article]) -> tuple[web.AppRunner, str]:
    """Article pages: /a/ARTICLE/VARIANT.html, a few paragraphs chosen by the variant."""

    async def article_page(request: web.Request) -> web.Response:
        article = articles[int(request.match_info["article"])]
        variant = int(request.match_info["variant"])
        paragraphs = article.excerpt(random.Random(variant), 3 + variant % 3)
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        title = html.escape(f"{article.title} ({variant})")
        return web.Response(
            text=f"<!doctype html><html lang='en'><head><title>{title}</title></head><body>"
                 f"<article><h1>{title}</h1>{body}</article></body></html>",
            content_type="text/html",
        )

    app = web.Application()
    app.router.add_get("/a/{article:\\d+}/{variant:\\d+}.html", article_page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]


def memory(pid: int) -> tuple[int, int]:
    """(RSS, anonymous RSS) of a process, in bytes."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["RssAnon"].split()[0]) * 1024


async def sample_memory(pids: list[int], api: FakeBotApi, results: Results, started: float) -> None:
    while True:
        sizes = [memory(pid) for pid in pids]
        at = round(time.monotonic() - started, 1)
        results.rss.append((at, sum(s[0] for s in sizes), sum(s[1] for s in sizes)))
        taken = api.delivered_up_to  # the chats' messages are the only updates
        results.backlog.append((at, taken - results.replied, results.pushed - taken))
        results.load_average.append(os.getloadavg()[0])
        await asyncio.sleep(SAMPLE_EVERY_S)


async def start_bot(
    api: FakeBotApi, directory: Path, database: str | None = None, name: str = "bot"
) -> asyncio.subprocess.Process:
    """One ``briefbot run``: on SQLite in ``directory``, or on the PostgreSQL ``database``
    with its search index in a folder of its own."""
    storage = (
        {"BRIEFBOT_STORAGE__PATH": str(directory / "load.db")} if database is None
        else {"BRIEFBOT_STORAGE__URL": database, "BRIEFBOT_STORAGE__PATH": str(directory / name)}
    )
    environment = {
        **os.environ,
        "BRIEFBOT_TELEGRAM__TOKEN": api.token,
        "BRIEFBOT_TELEGRAM__BASE_URL": api.base_url,
        "BRIEFBOT_TELEGRAM__BASE_FILE_URL": api.base_file_url,
        "BRIEFBOT_TELEGRAM__MESSAGES_PER_SECOND": "0",
        "BRIEFBOT_TELEGRAM__GROUP_MESSAGES_PER_MINUTE": "0",
        **storage,
        "BRIEFBOT_FETCH__ALLOW_PRIVATE": "true",
    }
    log = (directory / f"{name}.log").open("wb")
    started = len(api.sent(method="setMyCommands"))
    process = await asyncio.create_subprocess_exec(
        *BRIEFBOT, env=environment, cwd=ROOT, stdout=log, stderr=log
    )
    await api.wait_for("setMyCommands", count=started + 1, timeout=120)
    return process


async def stop_bot(process: asyncio.subprocess.Process) -> tuple[int | None, float]:
    """SIGTERM; returns the exit code and the seconds the bot took to stop."""
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    try:
        await asyncio.wait_for(process.wait(), 60)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None, time.monotonic() - started
    return process.returncode, time.monotonic() - started


async def run(args: argparse.Namespace) -> dict[str, object]:
    articles = [Article(title, paragraphs, questions) for title, paragraphs, questions in squad_articles()]
    api = FakeBotApi()
    await api.start()
    pages, pages_url = await serve_pages(articles)
    server = PostgresServer.start() if args.postgres else None
    try:
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(temporary)
            database = server.create_database() if server else None
            processes = [
                await start_bot(api, directory, database, f"replica-{number}")
                for number in range(1, args.replicas + 1)
            ]
            driver = Driver(api, articles, pages_url, args)
            started = time.monotonic()
            pids = [process.pid for process in processes]
            sampler = asyncio.create_task(sample_memory(pids, api, driver.results, started))
            until = started + args.duration
            await asyncio.gather(*(driver.chat(chat_id, until) for chat_id in range(1, args.chats + 1)))
            elapsed = time.monotonic() - started
            sampler.cancel()
            stopping = time.monotonic()
            stops = [await stop_bot(process) for process in processes]
            exit_code = max((code for code, _ in stops), key=lambda code: code != 0)
            stop_seconds = max(seconds for _, seconds in stops)
            logged_errors = sum(
                log.read_text(errors="replace").count(" ERROR ") for log in directory.glob("*.log")
            )
            database_bytes = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    finally:
        if server is not None:
            server.stop()
    await pages.cleanup()
    await api.stop()
    during_load = sum(call.at < stopping for call in api.dropped)
    dropped = {"during_load": during_load, "while_stopping": len(api.dropped) - during_load}
    return summarize(args, driver.results, elapsed, exit_code, stop_seconds, logged_errors,
                     database_bytes, api.violations, dropped)


def summarize(
    args: argparse.Namespace, results: Results, elapsed: float, exit_code: int | None,
    stop_seconds: float, logged_errors: int, database_bytes: int, violations: list[str],
    dropped: dict[str, int],
) -> dict[str, object]:
    ms = [1000 * latency for latency in results.latencies]
    rss = [sample[1] for sample in results.rss]
    anon = [sample[2] for sample in results.rss]
    mib = 1024 * 1024
    return {
        "database": "PostgreSQL" if args.postgres else "SQLite",
        "replicas": args.replicas,
        "chats": args.chats,
        "duration_s": round(elapsed, 1),
        "think_s": args.think,
        "sent": results.sent,
        "replies": len(ms),
        "messages_per_second": round(len(ms) / elapsed, 1),
        "p50_ms": round(percentile(ms, 0.5), 1) if ms else None,
        "p95_ms": round(percentile(ms, 0.95), 1) if ms else None,
        "max_ms": round(max(ms), 1) if ms else None,
        "error_replies": len(results.errors),
        "error_examples": results.errors[:5],
        "lost": results.lost,
        "extra_replies": results.extra,
        "invalid_messages": len(violations),
        "dropped_requests": dropped,
        "errors_logged": logged_errors,
        "rss_mib": {"first": round(rss[0] / mib, 1), "last": round(rss[-1] / mib, 1),
                    "max": round(max(rss) / mib, 1)},
        "anon_rss_mib": {"first": round(anon[0] / mib, 1), "last": round(anon[-1] / mib, 1),
                         "max": round(max(anon) / mib, 1)},
        "anon_rss_mib_by_minute": {
            minute: round(anonymous / mib, 1) for minute, anonymous in by_minute(results.rss, MINUTES_SHOWN)
        },
        "rss_samples": [(at, round(total / mib, 1), round(anonymous / mib, 1))
                        for at, total, anonymous in results.rss],
        "in_bot_unanswered": {"last": results.backlog[-1][1],
                              "max": max(sample[1] for sample in results.backlog)},
        "at_telegram": {"last": results.backlog[-1][2], "max": max(sample[2] for sample in results.backlog)},
        "backlog_samples": results.backlog,
        "load_average": {"mean": round(sum(results.load_average) / len(results.load_average), 1),
                         "max": round(max(results.load_average), 1), "cores": os.cpu_count()},
        "database_mib": round(database_bytes / mib, 1),
        "sigterm": {"exit_code": exit_code, "seconds": round(stop_seconds, 2)},
    }


def by_minute(samples: list[tuple[float, int, int]], every: int) -> list[tuple[int, int]]:
    """(minute, anonymous RSS) of the first sample at or after every ``every`` minutes."""
    found: list[tuple[int, int]] = []
    for at, _, anonymous in samples:
        minute = int(at // 60) // every * every
        if minute and (not found or found[-1][0] < minute):
            found.append((minute, anonymous))
    return found


def show(result: dict[str, object]) -> None:
    table = Table(
        title=f"Load: {result['chats']} chats for {result['duration_s']} s, "
        f"{result['replicas']} replica(s) on {result['database']}"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    sent = result["sent"]
    dropped = result["dropped_requests"]
    assert isinstance(sent, dict) and isinstance(dropped, dict)
    rows = [
        ("messages sent", f"{sum(sent.values()):,} ({', '.join(f'{v:,} {k}s' for k, v in sent.items())})"),
        ("replies", f"{result['replies']:,}"),
        ("messages/s", str(result["messages_per_second"])),
        ("latency p50 / p95 / max", f"{result['p50_ms']} / {result['p95_ms']} / {result['max_ms']} ms"),
        ("error replies", str(result["error_replies"])),
        ("lost messages", str(result["lost"])),
        ("extra replies", str(result["extra_replies"])),
        ("invalid messages", str(result["invalid_messages"])),
        ("half-sent requests, load / stop", f"{dropped['during_load']} / {dropped['while_stopping']}"),
        ("errors in the bot's log", str(result["errors_logged"])),
    ]
    for key, label in (("rss_mib", "RSS"), ("anon_rss_mib", "anonymous RSS")):
        values = result[key]
        assert isinstance(values, dict)
        measured = f"{values['first']} / {values['last']} / {values['max']} MiB"
        rows.append((f"{label} first / last / max", measured))
    by_minutes = result["anon_rss_mib_by_minute"]
    assert isinstance(by_minutes, dict)
    if by_minutes:
        rows.append((f"anonymous RSS at {', '.join(map(str, by_minutes))} min",
                     " / ".join(map(str, by_minutes.values())) + " MiB"))
    backlog = (("in_bot_unanswered", "updates taken, unanswered"), ("at_telegram", "updates at Telegram"))
    for key, label in backlog:
        values = result[key]
        assert isinstance(values, dict)
        rows.append((f"{label} last / max", f"{values['last']:,} / {values['max']:,}"))
    load_average = result["load_average"]
    assert isinstance(load_average, dict)
    rows.append(("machine load average mean / max",
                 f"{load_average['mean']} / {load_average['max']} on {load_average['cores']} cores"))
    sigterm = result["sigterm"]
    assert isinstance(sigterm, dict)
    rows += [
        ("database and index" if result["database"] == "SQLite" else "search indexes",
         f"{result['database_mib']} MiB"),
        ("SIGTERM", f"exit {sigterm['exit_code']} after {sigterm['seconds']} s"),
    ]
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 s of load")
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=180, help="seconds of load")
    parser.add_argument("--think", type=float, default=60, help="mean seconds between a chat's messages")
    parser.add_argument("--reply-timeout", type=float, default=120)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL, not SQLite")
    parser.add_argument("--replicas", type=int, default=1, help="bot processes (needs --postgres)")
    args = parser.parse_args()
    if args.quick:
        args.duration = 30
    if args.replicas > 1 and not args.postgres:
        parser.error("--replicas needs --postgres: replicas share a PostgreSQL database")
    result = asyncio.run(run(args))
    results = RESULTS.with_name(f"load-postgres-{args.replicas}.json") if args.postgres else RESULTS
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(result, indent=1) + "\n")
    show(result)


if __name__ == "__main__":
    main()
