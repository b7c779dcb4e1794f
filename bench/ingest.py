"""Ingest rate through the real engine: local files of about 800 words, .txt and .html.

Run from the repository root: ``python bench/ingest.py`` (``--quick`` for 100 files,
``--files N`` for others). Article files are written to a temporary directory, never into
the repository: paragraphs of SQuAD articles and SciFact abstracts, shuffled and grouped
into texts of at least ``WORDS`` words, each text used once (the engine would otherwise
recognise a duplicate). Every mode ingests them into a fresh engine through
``Engine.ingest_file``:

- ``txt, bulk``: ``commit=False`` per file and one ``engine.commit()`` at the end (the CLI);
- ``txt, commit each``: ``commit=True`` per file (the bot);
- ``html, bulk``: the same texts as simple HTML pages, through trafilatura.

Wall time gives the rate; CPU time (all threads) is shown beside it because the machine
is shared and wall time swings with its load. A second, profiled pass (cProfile) of each
mode shows where the time goes. Writes ``bench/results/ingest.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import html
import json
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/, whose retrieval.py would shadow the package

from bench.metrics import shared_dir, squad_articles  # noqa: E402
from retrieval.config import EngineConfig, StorageConfig  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.owners import LOCAL  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ingest.json"
WORDS = 800
DEFAULT_FILES = 500
QUICK_FILES = 100
TARGET = 100  # articles/s
OWNER = LOCAL
SEED = 11

# Profile stages: label -> (source file suffix, function, only when called from this
# function or None). Chosen so that no stage contains another.
STAGES: dict[str, list[tuple[str, str, str | None]]] = {
    "text cleaning (clean_page_text)": [("retrieval/clean.py", "clean_page_text", "extract_text")],
    "HTML extraction (extract_html: trafilatura, check)": [
        ("retrieval/extract.py", "extract_html", None)
    ],
    "language detection (fastText)": [("retrieval/language/detect.py", "article_languages", None)],
    "sentence splitting (nupunkt)": [("retrieval/sentences.py", "split_paragraphs", None)],
    "SQLite: duplicate check, insert, read back": [
        ("retrieval/storage/articles.py", "find_duplicate", None),
        ("retrieval/storage/articles.py", "add_article", None),
        ("retrieval/storage/articles.py", "sentences", "ingest"),
    ],
    "tantivy add": [("retrieval/index.py", "add", None)],
    "commit (tantivy commit, SQLite)": [("retrieval/services/search_index.py", "commit", None)],
    "topic matching (match_article)": [("retrieval/services/topics.py", "match_article", None)],
}


@dataclass(frozen=True)
class Mode:
    name: str
    suffix: str
    commit_each: bool


MODES = [
    Mode("txt, bulk (one commit)", ".txt", False),
    Mode("txt, commit each (bot)", ".txt", True),
    Mode("html, bulk (one commit)", ".html", False),
]


# --- article files ----------------------------------------------------------------------


def paragraph_pool() -> list[str]:
    corpus = shared_dir() / "bench" / "retrieval" / "scifact" / "corpus.jsonl"
    pool = [json.loads(line)["text"] for line in corpus.read_text("utf-8").splitlines()]
    pool += [p for _, paragraphs, _ in squad_articles() for p in paragraphs]
    return pool


def make_texts(count: int) -> list[tuple[str, list[str]]]:
    """``count`` (title, paragraphs) of at least WORDS words, no paragraph used twice."""
    pool = paragraph_pool()
    random.Random(SEED).shuffle(pool)
    texts: list[tuple[str, list[str]]] = []
    paragraphs: list[str] = []
    words = 0
    for paragraph in pool:
        paragraphs.append(paragraph)
        words += len(paragraph.split())
        if words >= WORDS:
            texts.append((f"Benchmark article {len(texts) + 1}", paragraphs))
            if len(texts) == count:
                return texts
            paragraphs, words = [], 0
    sys.exit(f"Only {len(texts)} texts of {WORDS} words can be made; ask for fewer files.")


def as_txt(title: str, paragraphs: Sequence[str]) -> str:
    return "\n\n".join([title, *paragraphs]) + "\n"


def as_html(title: str, paragraphs: Sequence[str]) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body><article>"
        f"<h1>{html.escape(title)}</h1>\n{body}\n</article></body></html>\n"
    )


def write_files(folder: Path, texts: Sequence[tuple[str, list[str]]], suffix: str) -> list[Path]:
    render = as_html if suffix == ".html" else as_txt
    paths = []
    for number, (title, paragraphs) in enumerate(texts, start=1):
        path = folder / f"article-{number:04d}{suffix}"
        path.write_text(render(title, paragraphs), encoding="utf-8")
        paths.append(path)
    return paths


# --- ingesting --------------------------------------------------------------------------


def ingest_all(folder: Path, paths: Sequence[Path], mode: Mode) -> tuple[int, float, float]:
    """Ingest ``paths`` into a fresh engine under ``folder``.

    Returns (sentences, wall seconds, CPU seconds of all the process's threads).
    """
    config = EngineConfig(storage=StorageConfig(path=str(folder / "briefbot.db")))
    with Engine(config) as engine:
        start, start_cpu = time.perf_counter(), time.process_time()
        sentences = 0
        for path in paths:
            sentences += engine.ingest_file(path, OWNER, commit=mode.commit_each).sentences
        if not mode.commit_each:
            engine.commit()
        seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        assert engine.count_articles(OWNER) == len(paths), "an article was taken for a duplicate"
    return sentences, seconds, cpu


def warm_up(texts: Sequence[tuple[str, list[str]]]) -> None:
    """Load what loads once per process (nupunkt's model, trafilatura, the language model,
    jieba's dictionary: a few of the English texts hold a Chinese name) before timing."""
    from retrieval.language.detect import load_model
    from retrieval.language.words import words_of

    load_model()
    words_of("zh").tokens("中文")
    with tempfile.TemporaryDirectory(prefix="briefbot-ingest-") as tmp:
        folder = Path(tmp)
        paths = [write_files(folder, texts[:1], suffix)[0] for suffix in (".txt", ".html")]
        for path in paths:
            (folder / path.suffix[1:]).mkdir()
            ingest_all(folder / path.suffix[1:], [path], MODES[0])


def profiled(run: Callable[[], object]) -> dict[str, float]:
    """Seconds per stage of ``run`` under cProfile (``total`` and ``other`` included)."""
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(run)
    total = time.perf_counter() - start
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    stages = dict.fromkeys(STAGES, 0.0)
    for (filename, _, function), (_, _, _, cumulative, callers) in stats.items():
        for label, targets in STAGES.items():
            for suffix, name, caller in targets:
                if not (filename.endswith(suffix) and function == name):
                    continue
                if caller is None:
                    stages[label] += cumulative
                else:
                    stages[label] += sum(t[3] for key, t in callers.items() if key[2] == caller)
    stages["other (reading, decoding, hashing, Python)"] = total - sum(stages.values())
    stages["total"] = total
    return stages


def measure(mode: Mode, texts: Sequence[tuple[str, list[str]]], words: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="briefbot-ingest-") as tmp:
        folder = Path(tmp)
        paths = write_files(folder, texts, mode.suffix)
        (folder / "timed").mkdir()
        sentences, seconds, cpu = ingest_all(folder / "timed", paths, mode)
        (folder / "profiled").mkdir()
        stages = profiled(lambda: ingest_all(folder / "profiled", paths, mode))
    return {
        "mode": mode.name,
        "files": len(texts),
        "words": words,
        "sentences": sentences,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "articles_per_s": round(len(texts) / seconds, 1),
        "articles_per_cpu_s": round(len(texts) / cpu, 1),
        "words_per_s": round(words / seconds),
        "profile_s": {label: round(value, 3) for label, value in stages.items()},
    }


# --- report -----------------------------------------------------------------------------


def print_tables(results: list[dict]) -> None:
    console = Console(width=max(Console().width, 110))
    rates = Table(title=f"Ingest through Engine.ingest_file (target ≥ {TARGET} articles/s)")
    for column in (
        "mode", "files", "words/file", "sentences", "wall s", "CPU s", "articles/s",
        "articles/CPU s", "words/s",
    ):
        rates.add_column(column, justify="left" if column == "mode" else "right")
    for r in results:
        rates.add_row(
            r["mode"], str(r["files"]), f"{r['words'] / r['files']:.0f}", f"{r['sentences']:,}",
            f"{r['seconds']:.1f}", f"{r['cpu_seconds']:.1f}", f"{r['articles_per_s']:.0f}",
            f"{r['articles_per_cpu_s']:.0f}", f"{r['words_per_s']:,}",
        )
    console.print(rates)
    profile = Table(title="Where the time goes (cProfile pass, share of its total)")
    profile.add_column("stage")
    for r in results:
        profile.add_column(r["mode"], justify="right")
    for label in results[0]["profile_s"]:
        cells = []
        for r in results:
            seconds = r["profile_s"][label]
            cells.append(f"{seconds:.2f} s ({seconds / r['profile_s']['total']:.0%})")
        profile.add_row(label, *cells)
    console.print(profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=DEFAULT_FILES)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_FILES} files")
    args = parser.parse_args()
    texts = make_texts(QUICK_FILES if args.quick else args.files)
    warm_up(texts)
    words = sum(len(p.split()) for _, paragraphs in texts for p in paragraphs)
    results = [measure(mode, texts, words) for mode in MODES]
    print_tables(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"Results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
