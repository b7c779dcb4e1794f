"""Query latency and ingest rate at scale: our passage index against rank-bm25, same run.

Run from the repository root: ``python bench/scale.py`` (sizes 10k, 100k, 300k passages;
``--quick`` for 10k and 30k; ``--sizes 10000,50000`` for others).

Passages are made of real sentences: every sentence of the SciFact abstracts and SQuAD
paragraphs (split by our splitter) is drawn at random, with replacement, into synthetic
articles of ``ARTICLE_SENTENCES`` sentences. Each sentence is one index document whose
passage is the sentence with its neighbours (``WINDOW``), about 60 words; rank-bm25
indexes the same passage texts, with the same stems. Queries are SQuAD questions.

For each size the index is built fresh (add rate, commit cost) and reopened once its
merges are done (as after a restart), then measured:

- ``all``: a query over every passage (owner ``all`` holds every article): the comparison
  with rank-bm25, which has no filter;
- ``chat``: the engine's owner filter, each article also belongs to one of ``--chats``
  chats and the query is filtered to one chat's articles;
- ``article``: a query scoped to one article;
- ``commit``: the bot's path, one article added and committed.

Latencies are per search call, query stems computed beforehand. rank-bm25 costs about
0.5 s per query at 300k passages, so it answers only ``--bm25-queries`` of the queries;
the speed-up compares the p50 of both on those same queries. Writes
``bench/results/scale.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/, whose retrieval.py would shadow the package

from bench.metrics import percentile, shared_dir, squad_articles  # noqa: E402
from retrieval.answer import CANDIDATES  # noqa: E402
from retrieval.index import WINDOW, PassageIndex  # noqa: E402
from retrieval.language.words import words_of  # noqa: E402
from retrieval.owners import LOCAL, Owner  # noqa: E402
from retrieval.sentences import split_paragraphs  # noqa: E402
from retrieval.storage.articles import StoredSentence  # noqa: E402

ENGLISH = words_of("en")  # the data sets are English

RESULTS = ROOT / "bench" / "results" / "scale.json"
DEFAULT_SIZES = (10_000, 100_000, 300_000)
QUICK_SIZES = (10_000, 30_000)
ARTICLE_SENTENCES = 20
ALL = LOCAL
LIMIT = CANDIDATES  # as many hits as the answer path asks for
WARMUP = 5
COMMITS = 10
SEED = 7


@dataclass(frozen=True)
class Article:
    article_id: int
    owners: tuple[Owner, Owner]  # ALL and one chat
    sentences: list[StoredSentence]


# --- data -------------------------------------------------------------------------------


def sentence_pool() -> list[str]:
    """Every sentence of the SciFact abstracts and the SQuAD paragraphs."""
    corpus = shared_dir() / "bench" / "retrieval" / "scifact" / "corpus.jsonl"
    paragraphs = [json.loads(line)["text"] for line in corpus.read_text("utf-8").splitlines()]
    paragraphs += [p for _, article_paragraphs, _ in squad_articles() for p in article_paragraphs]
    return [s.text for s in split_paragraphs(paragraphs)]


def make_articles(
    pool: Sequence[str], passages: int, chats: int, rng: random.Random, first_id: int = 1
) -> list[Article]:
    """Articles of random pool sentences, ``passages`` sentences in all, ids from ``first_id``."""
    articles = []
    for number in range(-(-passages // ARTICLE_SENTENCES)):
        count = min(ARTICLE_SENTENCES, passages - number * ARTICLE_SENTENCES)
        article_id = first_id + number
        sentences = [
            StoredSentence(article_id, position, 0, text)
            for position, text in enumerate(rng.choices(pool, k=count), start=1)
        ]
        articles.append(Article(article_id, (ALL, Owner.chat(number % chats + 1)), sentences))
    return articles


def passage_texts(articles: Sequence[Article]) -> list[str]:
    """The passage field of every index document, as PassageIndex.add builds it."""
    passages = []
    for article in articles:
        texts = [s.text for s in article.sentences]
        passages += [
            " ".join(texts[max(0, i - WINDOW) : i + WINDOW + 1]) for i in range(len(texts))
        ]
    return passages


def query_stems(count: int, rng: random.Random) -> list[list[str]]:
    questions = [q for _, _, article_questions in squad_articles() for q in article_questions]
    stems = [s for s in (ENGLISH.terms(q) for q in questions) if s]
    return rng.sample(stems, count)


# --- measuring --------------------------------------------------------------------------


def latencies_ms(
    search: Callable[[int], object], count: int, clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """Milliseconds of ``search(i)`` for i in range(count), after a short warm-up, on
    ``clock`` (wall time; ``time.process_time`` for CPU time on a loaded machine)."""
    for i in range(min(WARMUP, count)):
        search(i)
    result = []
    for i in range(count):
        start = clock()
        search(i)
        result.append((clock() - start) * 1000)
    return result


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.50), 3),
        "p95_ms": round(percentile(values, 0.95), 3),
        "mean_ms": round(statistics.fmean(values), 3),
        "n": len(values),
    }


def build_index(path: Path, articles: Sequence[Article]) -> dict[str, float]:
    """Index ``articles`` with one commit, then let the merges finish (as after a restart)."""
    index = PassageIndex.recreate(path)
    start = time.perf_counter()
    for article in articles:
        index.add(article.sentences, article.owners, "en")
    added = time.perf_counter() - start
    start = time.perf_counter()
    index.commit()
    committed = time.perf_counter() - start
    index.close()
    passages = sum(len(a.sentences) for a in articles)
    return {
        "add_s": round(added, 2),
        "commit_s": round(committed, 2),
        "passages_per_s": round(passages / (added + committed)),
    }


def commit_latencies(index: PassageIndex, articles: Sequence[Article]) -> list[float]:
    """The bot's path: add one article, commit, for each article."""
    result = []
    for article in articles:
        start = time.perf_counter()
        index.add(article.sentences, article.owners, "en")
        index.commit()
        result.append((time.perf_counter() - start) * 1000)
    return result


def measure_ours(
    path: Path, articles: Sequence[Article], extra: Sequence[Article], queries: list[list[str]],
    chats: int, rng: random.Random,
) -> dict[str, object]:
    build = build_index(path, articles)
    index = PassageIndex(path)
    chat_of = [Owner.chat(rng.randrange(min(chats, len(articles))) + 1) for _ in queries]
    article_of = [rng.choice(articles).article_id for _ in queries]
    n = len(queries)
    result = {
        "build": build,
        "all": latencies_ms(lambda i: index.search(queries[i], [ALL], limit=LIMIT), n),
        "chat": latencies_ms(lambda i: index.search(queries[i], [chat_of[i]], limit=LIMIT), n),
        "article": latencies_ms(
            lambda i: index.search(queries[i], [ALL], article_id=article_of[i], limit=LIMIT), n
        ),
        "commit": commit_latencies(index, extra),
    }
    index.close()
    return result


def measure_rank_bm25(
    passages: list[str], queries: list[list[str]], clock: Callable[[], float] = time.perf_counter
) -> dict[str, object]:
    start = time.perf_counter()
    # One passage's stems at a time: BM25Okapi keeps only their counts.
    bm25 = BM25Okapi((ENGLISH.terms(p) for p in passages), k1=1.2, b=0.75)
    built = time.perf_counter() - start

    def search(i: int) -> np.ndarray:
        scores = bm25.get_scores(queries[i])
        return np.argpartition(-scores, LIMIT)[:LIMIT]

    return {"build_s": round(built, 2), "all": latencies_ms(search, len(queries), clock)}


def measure_size(
    size: int, pool: Sequence[str], queries: list[list[str]], bm25_queries: int, chats: int
) -> dict[str, object]:
    rng = random.Random(SEED + size)
    articles = make_articles(pool, size, chats, rng)
    extra = make_articles(pool, COMMITS * ARTICLE_SENTENCES, chats, rng, len(articles) + 1)
    with tempfile.TemporaryDirectory(prefix="briefbot-scale-") as tmp:
        ours = measure_ours(Path(tmp) / "index", articles, extra, queries, chats, rng)
    passages = passage_texts(articles)
    words = statistics.fmean(len(p.split()) for p in passages[:5000])
    reference = measure_rank_bm25(passages, queries[:bm25_queries])
    del passages
    gc.collect()
    ours_same = percentile(ours["all"][:bm25_queries], 0.5)
    ratio = percentile(reference["all"], 0.5) / ours_same
    return {
        "passages": size,
        "articles": len(articles),
        "passage_words": round(words, 1),
        "build": ours["build"],
        "ours": {key: summary(ours[key]) for key in ("all", "chat", "article", "commit")},
        "ours_p50_same_queries_ms": round(ours_same, 3),
        "rank_bm25": {"build_s": reference["build_s"], "all": summary(reference["all"])},
        "speedup_p50": round(ratio, 1),
    }


# --- report -----------------------------------------------------------------------------


def print_tables(results: list[dict], queries: int, bm25_queries: int, chats: int) -> None:
    console = Console(width=max(Console().width, 110))
    latency = Table(title=f"Query latency (limit {LIMIT}, query stems computed beforehand)")
    for column in ("passages", "search", "queries", "p50 ms", "p95 ms", "speed-up p50"):
        latency.add_column(column, justify="left" if column == "search" else "right")
    for r in results:
        ours, reference = r["ours"], r["rank_bm25"]["all"]
        rows = (
            ("ours, all passages", ours["all"], f"{r['speedup_p50']:,.0f}×"),
            (f"ours, one chat of {chats:,}", ours["chat"], ""),
            ("ours, one article", ours["article"], ""),
            ("rank-bm25, all passages", reference, "1×"),
        )
        for name, stats, speedup in rows:
            latency.add_row(
                f"{r['passages']:,}", name, str(stats["n"]), f"{stats['p50_ms']:.2f}",
                f"{stats['p95_ms']:.2f}", speedup,
            )
        latency.add_section()
    console.print(latency)
    console.print(
        f"Speed-up = rank-bm25 p50 / our p50 on the same first {bm25_queries} of {queries} queries."
    )
    ingest = Table(title="Ingest into our index (fresh index per size)")
    for column in (
        "passages", "articles", "words/passage", "add s", "commit s", "passages/s",
        "1 article + commit p50 / p95 ms", "rank-bm25 build s",
    ):
        ingest.add_column(column, justify="right")
    for r in results:
        build, commit = r["build"], r["ours"]["commit"]
        ingest.add_row(
            f"{r['passages']:,}", f"{r['articles']:,}", f"{r['passage_words']:.0f}",
            f"{build['add_s']:.1f}", f"{build['commit_s']:.2f}", f"{build['passages_per_s']:,}",
            f"{commit['p50_ms']:.0f} / {commit['p95_ms']:.0f}", f"{r['rank_bm25']['build_s']:.1f}",
        )
    console.print(ingest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", help="comma-separated passage counts (default 10k,100k,300k)")
    parser.add_argument("--quick", action="store_true", help="sizes 10k and 30k")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--bm25-queries", type=int, default=20)
    parser.add_argument("--chats", type=int, default=1_000)
    args = parser.parse_args()
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    else:
        sizes = list(QUICK_SIZES if args.quick else DEFAULT_SIZES)

    pool = sentence_pool()
    queries = query_stems(args.queries, random.Random(SEED))
    results = []
    for size in sizes:
        results.append(measure_size(size, pool, queries, args.bm25_queries, args.chats))
        print(f"{size:,} passages done", file=sys.stderr)
    print_tables(results, args.queries, args.bm25_queries, args.chats)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "sentence_pool": len(pool),
        "queries": args.queries,
        "bm25_queries": args.bm25_queries,
        "chats": args.chats,
        "limit": LIMIT,
        "window": WINDOW,
        "sizes": results,
    }
    RESULTS.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(f"Sentence pool: {len(pool):,} real sentences. Results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
