"""How soon an article stored through one replica is answerable through another, and how
long a replica with an empty disk takes to build its index before it serves.

Run from the repository root: ``python -m bench.replicas`` (``--articles`` to change how
many). Needs PostgreSQL's server programs (Debian's ``postgresql``): a throwaway cluster is
started as the tests start theirs (tests/pgserver.py).

Two engines on one database, each with its own index folder, stand for two replicas; the
second follows the change log on its thread, as ``briefbot run`` does. For each SQuAD
article (``../shared``): stored through the first, then the second's index is read every
10 ms until it holds every passage the first holds; the delay is from the store's return
to then (the article is answerable through the second from that moment). Then a third
replica starts with an empty folder and builds its index from the database. Writes
``bench/results/replicas.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.metrics import percentile, squad_articles  # noqa: E402
from retrieval.config import EngineConfig, StorageConfig  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.owners import Owner  # noqa: E402
from tests.pgserver import PostgresServer  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "replicas.json"
ASK_EVERY_S = 0.01
GIVE_UP_S = 30.0
CHAT = Owner.chat(1)


def replica(database: str, folder: Path) -> Engine:
    return Engine(EngineConfig(storage=StorageConfig(url=database, path=str(folder))))


def run(articles: int) -> dict[str, object]:
    corpus = squad_articles()[:articles]
    server = PostgresServer.start()
    try:
        database = server.create_database()
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            delays = []
            with replica(database, folder / "a") as first, replica(database, folder / "b") as second:
                assert second.search.follower is not None
                second.search.follower.start()
                for title, paragraphs, _ in corpus:
                    first.ingest_text("\n\n".join(paragraphs), CHAT, title=title)
                    since = time.monotonic()
                    while second.index.num_docs() < first.index.num_docs():
                        if time.monotonic() - since > GIVE_UP_S:
                            raise SystemExit(f"not answerable within {GIVE_UP_S} s: {title}")
                        time.sleep(ASK_EVERY_S)
                    delays.append(time.monotonic() - since)
                passages = first.index.num_docs()
            started = time.monotonic()
            with replica(database, folder / "fresh") as fresh:
                built = time.monotonic() - started
                assert fresh.index.num_docs() == passages
    finally:
        server.stop()
    ms = [1000 * delay for delay in delays]
    return {
        "articles": len(delays),
        "passages": passages,
        "answerable_elsewhere_ms": {
            "p50": round(percentile(ms, 0.5), 1), "p95": round(percentile(ms, 0.95), 1),
            "max": round(max(ms), 1),
        },
        "empty_disk_start_s": round(built, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100)
    result = run(parser.parse_args().articles)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    table = Table(title=f"Replicas: {result['articles']} articles, {result['passages']:,} passages")
    table.add_column("measure")
    table.add_column("value", justify="right")
    delays = result["answerable_elsewhere_ms"]
    assert isinstance(delays, dict)
    table.add_row("stored through one, answerable through the other p50 / p95 / max",
                  f"{delays['p50']} / {delays['p95']} / {delays['max']} ms")
    table.add_row("a replica with an empty disk: build its index, open", f"{result['empty_disk_start_s']} s")
    Console().print(table)


if __name__ == "__main__":
    main()
