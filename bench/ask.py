"""``ask`` through the command line at scale, beside rank-bm25 over the same passages.

Run from the repository root: ``python bench/ask.py`` (100k and 1M passages; ``--sizes
10000,100000`` for others). The corpus is bench/scale.py's: articles of sentences drawn at
random from the SciFact abstracts and SQuAD paragraphs, stored with ``Engine.ingest`` (one
paragraph per sentence, English) and held by the command line's owner. A built database is
kept under ``--cache`` (``/tmp/briefbot-ask``) and reused by later runs: building 1M
passages takes a while.

Questions are SQuAD questions, all asked in one process through the command line as
people run it, ``briefbot --db DB ask - < questions``: ``bot.cli.main`` with stdin
read line by line, the time taken between one question read and the next (parsing the
question, searching, ranking, citing, printing). The first ``WARMUP`` questions are left
out (they load the language model and fill the caches). CPU is this process's.
Answered % and P@1 (the first cited sentence holds one of the question's SQuAD gold answers,
case-insensitive; its paragraph's sentences are among the passages) come from the same
questions asked again with ``--json``.

rank-bm25 (``BM25Okapi``, the same stems) scores the passages the index holds, read back
from the database (each sentence with its neighbours, as bench/scale.py builds them), for
the first ``--bm25-questions`` questions: the speed-up is its CPU p50 over ask's CPU p50
on those same questions (CPU time: on a shared machine wall time measures the others too).

``--code DIR`` runs the command line of another checkout (the databases are built by this
one): ``--code ../main`` measures the code before a change in the same run. ``--against DIR
--pairs N`` then runs the two checkouts' command lines alternately N times each on the same
database (each run's CPU p50 over the same questions, without rank-bm25) and prints the ratios
of each pair: on a host whose speed drifts within minutes, the median of the pairs' ratios is
the figure that holds. When the two checkouts index passages differently (another
``retrieval.index.FORMAT``), each command line would rebuild the other's index on opening it:
``--against-cache DIR`` then gives the other checkout databases of its own, built under DIR
by its own bench/ask.py, the same articles. Writes ``bench/results/ask.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import groupby
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/, whose retrieval.py would shadow the package

from bench.metrics import percentile, squad_articles, squad_gold  # noqa: E402
from bench.scale import ENGLISH, Article, make_articles, measure_rank_bm25, passage_texts, sentence_pool  # noqa: E402
from retrieval.config import EngineConfig, StorageConfig  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.index import sentence_terms  # noqa: E402
from retrieval.models import Extracted  # noqa: E402
from retrieval.owners import LOCAL  # noqa: E402
from retrieval.storage.articles import StoredSentence  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ask.json"
CACHE = Path(tempfile.gettempdir()) / "briefbot-ask"
DEFAULT_SIZES = (100_000, 1_000_000)
COMMIT_EVERY = 500
WARMUP = 20
SEED = 7
BUILT = "built"  # written into a cached database's folder once it is complete

# Runs in a child process from the measured checkout: the command line with stdin read
# line by line, the clock read as each question is taken.
CLI_RUN = """
import json, sys, time
from bot.cli import main

database, questions, timings = sys.argv[1:]
marks = []

class TimedLines:
    def __init__(self, lines):
        self.lines = lines

    def __iter__(self):
        for line in self.lines:
            marks.append((time.perf_counter(), time.process_time()))
            yield line
        marks.append((time.perf_counter(), time.process_time()))

with open(questions, encoding="utf-8") as file:
    sys.stdin = TimedLines(file.read().splitlines(keepends=True))
status = main(["--db", database, "ask", "-"])
wall = [(b[0] - a[0]) * 1000 for a, b in zip(marks, marks[1:])]
cpu = [(b[1] - a[1]) * 1000 for a, b in zip(marks, marks[1:])]
with open(timings, "w", encoding="utf-8") as file:
    json.dump({"status": status, "wall_ms": wall, "cpu_ms": cpu}, file)
"""

# Runs in a child process from another checkout: its database of a size, built by its code.
BUILD_RUN = """
import sys
from pathlib import Path
from bench.ask import cached_database
from bench.scale import sentence_pool

print(cached_database(int(sys.argv[1]), sentence_pool(), Path(sys.argv[2])))
"""


def cached_database(size: int, pool: list[str], cache: Path) -> Path:
    """A database of ``size`` passages held by the command line's owner, built once."""
    folder = cache / f"{size}-seed{SEED}"
    database = folder / "ask.db"
    if (folder / BUILT).exists():
        return database
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    build(database, make_articles(pool, size, 1, random.Random(SEED + size)))
    seconds = time.perf_counter() - started
    print(f"\r{size:,}: built in {seconds:.0f} s", file=sys.stderr)
    (folder / BUILT).write_text(f"{seconds:.0f} s\n")
    return database


def their_database(checkout: Path, size: int, cache: Path) -> Path:
    """``checkout``'s database of ``size`` passages under ``cache``, built once by its own code."""
    result = subprocess.run(
        [sys.executable, "-c", BUILD_RUN, str(size), str(cache)],
        cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout)}, check=True,
        stdout=subprocess.PIPE, text=True,
    )
    return Path(result.stdout.splitlines()[-1])


def build(database: Path, articles: list[Article]) -> None:
    """Store the articles through the engine's storage and index, their sentences as
    made (``Engine.ingest`` would split and identify them again: hours at 1M passages)."""
    with Engine(EngineConfig(storage=StorageConfig(path=str(database)))) as engine:
        store, index = engine.storage.articles, engine.search.index
        for number, article in enumerate(articles, start=1):
            texts = [s.text for s in article.sentences]
            terms = [sentence_terms(text, "en") for text in texts]
            extracted = Extracted(title=f"Mix {number}", text="\n\n".join(texts), language="en")
            article_id = store.add_article(
                extracted, extracted.title,
                [(p, text, None, t) for p, (text, t) in enumerate(zip(texts, terms, strict=True))],
                LOCAL, public=False,
            )
            index.add(
                [
                    StoredSentence(article_id, p, p - 1, text, None, t)
                    for p, (text, t) in enumerate(zip(texts, terms, strict=True), start=1)
                ],
                [LOCAL], "en",
            )
            if number % COMMIT_EVERY == 0:
                engine.commit()
                print(f"\r{number:,} of {len(articles):,} articles", end="", file=sys.stderr)
        engine.commit()


def stored_articles(database: Path) -> list[Article]:
    """The articles as stored (the splitter's sentences), for rank-bm25's passages."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT article_id, position, text FROM sentences ORDER BY article_id, position"
        )
        return [
            Article(article_id, (LOCAL, LOCAL), [StoredSentence(a, p, 0, text) for a, p, text in group])
            for article_id, group in groupby(rows, key=lambda row: row[0])
        ]
    finally:
        connection.close()


def ask_through_cli(code: Path, database: Path, questions: list[str]) -> dict[str, list[float]]:
    """Per-question wall and CPU milliseconds of ``briefbot ask -`` run from ``code``."""
    with tempfile.TemporaryDirectory(prefix="briefbot-ask-") as tmp:
        questions_file, timings_file = Path(tmp) / "questions.txt", Path(tmp) / "timings.json"
        questions_file.write_text("".join(f"{q}\n" for q in questions), encoding="utf-8")
        environment = {**os.environ, "PYTHONPATH": str(code)}
        subprocess.run(
            [sys.executable, "-c", CLI_RUN, str(database), str(questions_file), str(timings_file)],
            cwd=code, env=environment, check=True, stdout=subprocess.DEVNULL,
        )
        return json.loads(timings_file.read_text(encoding="utf-8"))


def answer_quality(code: Path, database: Path, questions: list[str]) -> tuple[float, float]:
    """Share of the questions the command line answers (does not abstain on), and share whose
    first sentence holds one of its SQuAD gold answers (case-insensitive): the question's
    paragraph is among the passages, its sentences spread over the articles."""
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--db", str(database), "--json", "ask", "-"],
        cwd=code, env={**os.environ, "PYTHONPATH": str(code)}, check=True, capture_output=True,
        input="".join(f"{q}\n" for q in questions), text=True,
    )
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    gold = squad_gold()
    right = sum(
        bool(a["sentences"]) and any(g in a["sentences"][0]["text"].lower() for g in gold.get(q, ()))
        for q, a in zip(questions, answers, strict=True)
    )
    return sum(not a["abstained"] for a in answers) / len(answers), right / len(answers)


def measure_size(
    size: int, pool: list[str], questions: list[str], bm25_questions: int, code: Path, cache: Path
) -> dict[str, object]:
    database = cached_database(size, pool, cache)
    timed = ask_through_cli(code, database, questions)
    wall, cpu = timed["wall_ms"][WARMUP:], timed["cpu_ms"][WARMUP:]
    articles = stored_articles(database)
    passages = passage_texts(articles)
    asked = questions[WARMUP : WARMUP + bm25_questions]
    reference = measure_rank_bm25(passages, [ENGLISH.terms(q) for q in asked], time.process_time)["all"]
    bm25_p50 = percentile(reference, 0.5)
    ask_same = percentile(cpu[:bm25_questions], 0.5)
    answered, first_right = answer_quality(code, database, questions[WARMUP:])
    return {
        "passages": len(passages),
        "articles": len(articles),
        "questions": len(wall),
        "answered": round(100 * answered, 1),
        "p_at_1": round(100 * first_right, 1),
        "wall_p50_ms": round(percentile(wall, 0.5), 3),
        "wall_mean_ms": round(statistics.fmean(wall), 3),
        "cpu_p50_ms": round(percentile(cpu, 0.5), 3),
        "cpu_mean_ms": round(statistics.fmean(cpu), 3),
        "bm25_questions": len(reference),
        "bm25_p50_ms": round(bm25_p50, 1),
        "speedup_p50": round(bm25_p50 / ask_same, 1),
    }


def measure_pairs(
    size: int, pool: list[str], questions: list[str], code: Path, against: Path, pairs: int, cache: Path,
    against_cache: Path | None,
) -> dict[str, object]:
    """CPU p50 of ``code``'s and ``against``'s ``ask -`` in ``pairs`` alternating runs, on one
    database or, with ``against_cache``, each on its own."""
    databases = {code: cached_database(size, pool, cache)}
    databases[against] = (
        databases[code] if against_cache is None else their_database(against, size, against_cache)
    )
    runs: dict[Path, list[float]] = {code: [], against: []}
    for pair in range(pairs):
        for checkout in (code, against) if pair % 2 == 0 else (against, code):
            cpu = ask_through_cli(checkout, databases[checkout], questions)["cpu_ms"][WARMUP:]
            runs[checkout].append(round(percentile(cpu, 0.5), 3))
    ratios = [mine / theirs for mine, theirs in zip(runs[code], runs[against], strict=True)]
    return {
        "passages": size,
        "code_cpu_p50_ms": runs[code],
        "against_cpu_p50_ms": runs[against],
        "ratios": [round(r, 3) for r in ratios],
        "ratio_median": round(statistics.median(ratios), 3),
    }


def print_pairs(results: list[dict], code: Path, against: Path) -> None:
    table = Table(title=f"ask - CPU p50 ms, {code} / {against}, alternating runs")
    for column in ("passages", "this checkout, each run", "against, each run", "ratios", "median ratio"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            f"{r['passages']:,}",
            " ".join(f"{x:.2f}" for x in r["code_cpu_p50_ms"]),
            " ".join(f"{x:.2f}" for x in r["against_cpu_p50_ms"]),
            " ".join(f"{x:.2f}" for x in r["ratios"]),
            f"{r['ratio_median']:.3f}",
        )
    Console(width=max(Console().width, 120)).print(table)


def print_table(results: list[dict], code: Path) -> None:
    table = Table(title=f"briefbot ask - (code: {code})")
    for column in (
        "passages", "articles", "answered", "P@1", "ask wall p50 / mean ms", "ask CPU p50 / mean ms",
        "rank-bm25 CPU p50 ms", "speed-up CPU p50",
    ):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            f"{r['passages']:,}", f"{r['articles']:,}", f"{r['answered']:.1f} %", f"{r['p_at_1']:.1f} %",
            f"{r['wall_p50_ms']:.2f} / {r['wall_mean_ms']:.2f}",
            f"{r['cpu_p50_ms']:.2f} / {r['cpu_mean_ms']:.2f}",
            f"{r['bm25_p50_ms']:,.1f}", f"{r['speedup_p50']:,.0f}×",
        )
    Console(width=max(Console().width, 120)).print(table)
    r = results[0]
    print(
        f"{r['questions']} questions per size after {WARMUP} of warm-up; speed-up = rank-bm25 CPU p50 / "
        f"ask CPU p50 on the same first {r['bm25_questions']} (CPU: the machine is shared)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", help="comma-separated passage counts (default 100k,1M)")
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--bm25-questions", type=int, default=20)
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose command line runs")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where built databases are kept")
    parser.add_argument("--against", type=Path, help="another checkout, run alternately with --code")
    parser.add_argument("--pairs", type=int, default=8, help="alternating runs of each, with --against")
    parser.add_argument(
        "--against-cache", type=Path,
        help="databases of --against's own, built by its code (when the index formats differ)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(DEFAULT_SIZES)
    code = args.code.resolve()

    pool = sentence_pool()
    all_questions = [q for _, _, article_questions in squad_articles() for q in article_questions]
    questions = random.Random(SEED).sample(all_questions, WARMUP + args.questions)
    if args.against is not None:
        against = args.against.resolve()
        paired = [
            measure_pairs(size, pool, questions, code, against, args.pairs, args.cache, args.against_cache)
            for size in sizes
        ]
        print_pairs(paired, code, against)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        payload = {"code": str(code), "against": str(against), "pairs": paired}
        RESULTS.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        return
    results = []
    for size in sizes:
        results.append(measure_size(size, pool, questions, args.bm25_questions, code, args.cache))
        print(f"{size:,} passages done", file=sys.stderr)
    print_table(results, code)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {"code": str(code), "warmup": WARMUP, "sizes": results}
    RESULTS.write_text(json.dumps(payload, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
