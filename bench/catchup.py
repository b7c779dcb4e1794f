"""Group catch-up: how well /tldr covers discussions that run at once, and how fast it is.

There is no corpus of labelled group chats here, so the windows are synthetic, and this is
what they measure: each discussion is one XQuAD article (``../shared/bench/multilingual/xquad``:
the same 24 Wikipedia articles in 12 languages), a run of its sentences posted in order as
messages by four of the group's eight people (so most people write in several discussions,
as in a real group); two or three discussions go on at once, their messages interleaved
at random 20-90 s apart; one message in five is small talk ("ok", "+1", "😂"...), and one in
seven replies to an earlier message of its discussion. Every window is kept through the real
engine (``Engine.keep_message``) in a group of its own and caught up with
``Engine.catch_up(last=...)``. Per language:

- **covered**: windows where every discussion got a section of its own;
- **one each**: windows where every discussion got exactly one section, and no section mixes
  two (what /tldr means to do);
- **pure**: quotes of the discussion that makes up most of their section;
- **small talk**: quotes that are small talk (never wanted);
- **quotes**: quotes per window;
- **tldr p50/p95**: milliseconds of ``catch_up`` for one window;
- **keep/s**: messages kept per second (language detection, sentences, SQLite, index writer).

Then /ask in a group that keeps 10,000 messages: p50/p95 milliseconds of ``Engine.ask``.

Run from the repository root: ``python bench/catchup.py`` (``--quick``: fewer windows and
languages). Writes ``bench/results/catchup.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/, whose retrieval.py would shadow the package

from bench.metrics import shared_dir  # noqa: E402
from retrieval.config import EngineConfig, StorageConfig  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.models import GroupMessage  # noqa: E402
from retrieval.owners import Owner  # noqa: E402
from retrieval.sentences import split_sentences  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "catchup.json"
LANGUAGES = ("en", "es", "de", "ru", "tr", "ar", "hi", "zh", "vi", "el", "ro", "th")
QUICK_LANGUAGES = ("en", "ru", "ar", "zh")
WINDOW = 200
WINDOWS, QUICK_WINDOWS = 20, 5
PEOPLE = 8  # in the group
IN_A_DISCUSSION = 4
SMALL_TALK = ("ok", "+1", "😂", "👍", "lol", "ok!", "🔥", "yes", "haha", "?")
SMALL_TALK_SHARE = 0.2
REPLY_SHARE = 1 / 7
ASK_MESSAGES = 10_000
ASK_QUESTIONS = 200
SEED = 12
PERCENTS = ("covered", "one each", "pure", "small talk")


@dataclass(frozen=True)
class Posted:
    text: str
    discussion: int | None  # None: small talk
    author: int
    reply_to: int | None  # index in the window


def articles(language: str) -> list[list[str]]:
    """Each XQuAD article of the language as its sentences, in order."""
    path = shared_dir() / "bench" / "multilingual" / "xquad" / f"xquad.{language}.json"
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return [
        [s for p in entry["paragraphs"] for s in split_sentences(p["context"].lstrip("\ufeff"), language)]
        for entry in data
    ]


def window(rng: random.Random, sources: list[list[str]], size: int) -> list[Posted]:
    """``size`` messages: two or three discussions interleaved, and small talk."""
    count = rng.choice((2, 3))
    chosen = rng.sample(range(len(sources)), count)
    runs = {}
    need = int(size * (1 - SMALL_TALK_SHARE) / count) + 1
    for discussion in chosen:
        sentences = sources[discussion]
        start = rng.randrange(max(1, len(sentences) - need))
        runs[discussion] = iter(sentences[start:])
    posted: list[Posted] = []
    by_discussion: dict[int, list[int]] = {d: [] for d in chosen}
    writers = {d: rng.sample(range(PEOPLE), IN_A_DISCUSSION) for d in chosen}
    while len(posted) < size and runs:
        if rng.random() < SMALL_TALK_SHARE:
            posted.append(Posted(rng.choice(SMALL_TALK), None, rng.randrange(PEOPLE), None))
            continue
        discussion = rng.choice(list(runs))
        text = next(runs[discussion], None)
        if text is None:
            del runs[discussion]
            continue
        earlier = by_discussion[discussion]
        reply_to = rng.choice(earlier) if earlier and rng.random() < REPLY_SHARE else None
        by_discussion[discussion].append(len(posted))
        posted.append(Posted(text, discussion, rng.choice(writers[discussion]), reply_to))
    return posted


def keep(engine: Engine, chat: int, posted: list[Posted], start: datetime, rng: random.Random) -> float:
    """Keep the window in group ``chat``; returns the seconds it took."""
    moment = start
    started = time.perf_counter()
    for number, message in enumerate(posted, start=1):
        moment += timedelta(seconds=rng.randint(20, 90))
        engine.keep_message(GroupMessage(
            chat_id=chat, message_id=number, author_id=message.author, author=f"person {message.author}",
            text=message.text, sent_at=moment,
            reply_to=None if message.reply_to is None else message.reply_to + 1,
        ))
    return time.perf_counter() - started


def score(engine: Engine, chat: int, posted: list[Posted], now: datetime) -> tuple[dict[str, float], float]:
    started = time.perf_counter()
    result = engine.catch_up(Owner.chat(chat), last=len(posted), now=now)
    elapsed = time.perf_counter() - started
    labels = []
    for section in result.sections:
        quoted = [posted[quote.message.message_id - 1].discussion for quote in section.quotes]
        majority = Counter(label for label in quoted if label is not None).most_common(1)
        labels.append((majority[0][0] if majority else None, quoted))
    discussions = {message.discussion for message in posted if message.discussion is not None}
    quotes = [label for _, quoted in labels for label in quoted]
    sections = [label for label, _ in labels]
    mixed = any(len({label for label in quoted if label is not None}) > 1 for _, quoted in labels)
    return {
        "covered": float(set(sections) >= discussions),
        "one each": float(sorted(sections, key=str) == sorted(discussions, key=str) and not mixed),
        "pure": sum(label == top for top, quoted in labels for label in quoted) / max(len(quotes), 1),
        "small talk": sum(label is None for label in quotes) / max(len(quotes), 1),
        "quotes": float(len(quotes)),
    }, elapsed


def language_row(language: str, windows: int, workdir: Path) -> dict[str, float]:
    rng = random.Random(f"{SEED}-{language}")
    sources = articles(language)
    now = datetime.now(UTC)
    scores: list[dict[str, float]] = []
    latencies: list[float] = []
    kept_seconds = 0.0
    with Engine(EngineConfig(storage=StorageConfig(path=str(workdir / f"{language}.db")))) as engine:
        for number in range(windows):
            chat = -1001000000000 - number
            engine.start_catchup(Owner.chat(chat))
            posted = window(rng, sources, WINDOW)
            kept_seconds += keep(engine, chat, posted, now - timedelta(days=1), rng)
            measured, elapsed = score(engine, chat, posted, now)
            scores.append(measured)
            latencies.append(elapsed)
    row = {key: 100 * statistics.mean(s[key] for s in scores) for key in PERCENTS}
    row["quotes"] = statistics.mean(s["quotes"] for s in scores)
    row["tldr p50"] = 1000 * statistics.median(latencies)
    row["tldr p95"] = 1000 * sorted(latencies)[int(0.95 * (len(latencies) - 1))]
    row["keep/s"] = windows * WINDOW / kept_seconds
    return row


def ask_latency(workdir: Path) -> dict[str, float]:
    """/ask in a group that keeps ASK_MESSAGES English messages."""
    rng = random.Random(SEED)
    sources = articles("en")
    chat = -1002000000000
    now = datetime.now(UTC)
    with Engine(EngineConfig(storage=StorageConfig(path=str(workdir / "ask.db")))) as engine:
        engine.start_catchup(Owner.chat(chat))
        posted = [message for _ in range(ASK_MESSAGES // WINDOW) for message in window(rng, sources, WINDOW)]
        keep(engine, chat, posted, now - timedelta(days=2), rng)
        sample = rng.sample(posted, ASK_QUESTIONS)
        questions = [message.text for message in sample if message.discussion is not None]
        engine.ask(questions[0], Owner.chat(chat))  # commits what the group kept
        latencies = []
        for question in questions:
            started = time.perf_counter()
            engine.ask(question, Owner.chat(chat))
            latencies.append(time.perf_counter() - started)
    return {
        "ask p50": 1000 * statistics.median(latencies),
        "ask p95": 1000 * sorted(latencies)[int(0.95 * (len(latencies) - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer windows and languages")
    args = parser.parse_args()
    languages = QUICK_LANGUAGES if args.quick else LANGUAGES
    windows = QUICK_WINDOWS if args.quick else WINDOWS
    console = Console()
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as directory:
        for language in languages:
            rows[language] = language_row(language, windows, Path(directory))
            console.print(f"{language}: {rows[language]}")
        asked = ask_latency(Path(directory))
    table = Table(title=f"/tldr: {windows} windows of {WINDOW} messages per language, 2-3 discussions each")
    columns = (*PERCENTS, "quotes", "tldr p50", "tldr p95", "keep/s")
    table.add_column("language")
    for column in columns:
        percent = column in PERCENTS
        table.add_column(column + (" %" if percent else ""), justify="right")
    for language, row in rows.items():
        table.add_row(language, *(f"{row[column]:.1f}" if column != "keep/s" else f"{row[column]:.0f}"
                                  for column in columns))
    console.print(table)
    console.print(
        f"/ask in a group keeping {ASK_MESSAGES:,} messages: p50 {asked['ask p50']:.1f} ms, "
        f"p95 {asked['ask p95']:.1f} ms"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    summary = {"windows": windows, "window": WINDOW, "languages": rows, **asked}
    RESULTS.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
