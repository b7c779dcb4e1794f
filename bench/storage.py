"""The database's share of the engine's speed: ingest and ask on SQLite and PostgreSQL.

Run from the repository root: ``python bench/storage.py`` (``--quick`` for a third of the
articles and questions). Every SQuAD paragraph in ``../shared/bench/qa`` becomes one
article, ingested through ``Engine.ingest_text`` and committed one by one (the bot's path);
then ``--questions`` SQuAD questions go through ``Engine.ask``, each timed alone. Each
backend gets a fresh engine in a temporary folder:

- SQLite: a file there;
- PostgreSQL: a throwaway local cluster (``tests/pgserver.py``, Debian's ``postgresql``
  package), or the empty database ``--postgres URL`` names; skipped when neither exists.

``--baseline DIR`` measures SQLite again with the code in ``DIR`` (a checkout from before a
change), in a subprocess of this run, so the rows compare like with like on a shared
machine. Wall time gives the figures; CPU time (this process, all threads; the PostgreSQL
server's own CPU is not in it) is shown beside them because wall time swings with the
machine's load. Writes ``bench/results/storage.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "storage.json"
QUESTIONS = 300
SEED = 5


def measure(storage: dict[str, str], share: float, questions: int) -> dict[str, float]:
    """Ingest and ask through a fresh engine whose ``[storage]`` section is ``storage``."""
    from bench.metrics import percentile, squad_articles
    from retrieval.config import EngineConfig, StorageConfig
    from retrieval.engine import Engine
    from retrieval.owners import LOCAL

    articles = squad_articles()
    texts = [p for _, paragraphs, _ in articles for p in paragraphs]
    asked = [q for _, _, qs in articles for q in qs]
    random.Random(SEED).shuffle(asked)
    texts = texts[: max(1, int(len(texts) * share))]
    asked = asked[: max(1, int(questions * share))]
    with Engine(EngineConfig(storage=StorageConfig(**storage))) as engine:
        wall, cpu = time.perf_counter(), time.process_time()
        for number, text in enumerate(texts):
            engine.ingest_text(text, LOCAL, title=f"Paragraph {number}")
        ingest_wall, ingest_cpu = time.perf_counter() - wall, time.process_time() - cpu
        latencies, cpu = [], time.process_time()
        for question in asked:
            started = time.perf_counter()
            engine.ask(question, LOCAL)
            latencies.append((time.perf_counter() - started) * 1000)
        ask_cpu = (time.process_time() - cpu) * 1000 / len(asked)
    return {
        "articles": len(texts),
        "ingest_per_s": len(texts) / ingest_wall,
        "ingest_cpu_ms": ingest_cpu * 1000 / len(texts),
        "questions": len(asked),
        "ask_p50_ms": statistics.median(latencies),
        "ask_p95_ms": percentile(latencies, 0.95),
        "ask_cpu_ms": ask_cpu,
    }


def in_subprocess(tree: Path, storage: dict[str, str], share: float, questions: int) -> dict[str, float]:
    """:func:`measure` run with the code of ``tree`` (its engine and its bench.metrics)."""
    program = (
        "import json, runpy, sys; sys.path.insert(0, sys.argv[1]);"
        "measure = runpy.run_path(sys.argv[2])['measure'];"
        "print(json.dumps(measure(json.loads(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))))"
    )
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    arguments = [str(tree), __file__, json.dumps(storage), str(share), str(questions)]
    done = subprocess.run(
        [sys.executable, "-c", program, *arguments], capture_output=True, text=True, env=environment, cwd=tree
    )
    if done.returncode != 0:
        raise SystemExit(f"the baseline run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a third of the articles and questions")
    parser.add_argument("--questions", type=int, default=QUESTIONS)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database to use")
    parser.add_argument("--baseline", metavar="DIR", type=Path, help="code to measure SQLite with as well")
    args = parser.parse_args()
    share = 1 / 3 if args.quick else 1.0
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        if args.baseline:
            base = {"path": str(Path(folder) / "baseline.db")}
            rows["SQLite, baseline code"] = in_subprocess(args.baseline, base, share, args.questions)
        rows["SQLite"] = measure({"path": str(Path(folder) / "briefbot.db")}, share, args.questions)
        postgres = _postgres(args.postgres)
        if postgres is not None:
            url, server = postgres
            try:
                rows["PostgreSQL"] = measure({"url": url, "path": folder}, share, args.questions)
            finally:
                if server is not None:
                    server.stop()
    _print(rows)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")


def _postgres(url: str | None) -> tuple[str, object] | None:
    """An empty database: the one named, or one in a throwaway local cluster."""
    if url:
        return url, None
    from tests.pgserver import PostgresMissing, PostgresServer

    try:
        server = PostgresServer.start()
    except PostgresMissing as missing:
        print(f"PostgreSQL skipped: {missing}", file=sys.stderr)
        return None
    return server.create_database(), server


def _print(rows: dict[str, dict[str, float]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Ingest (committed one by one) and ask, through the engine")
    for column in ("backend", "articles", "ingest /s", "ingest CPU ms", "questions", "ask p50 ms",
                   "ask p95 ms", "ask CPU ms"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    for name, row in rows.items():
        table.add_row(
            name, f"{row['articles']:,}", f"{row['ingest_per_s']:.1f}", f"{row['ingest_cpu_ms']:.1f}",
            f"{row['questions']:,}", f"{row['ask_p50_ms']:.1f}", f"{row['ask_p95_ms']:.1f}",
            f"{row['ask_cpu_ms']:.1f}",
        )
    Console().print(table)


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # the repository, not bench/ (whose retrieval.py is not the package)
    main()
