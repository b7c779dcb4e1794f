"""Topic matching and digest cost at scale.

Run from the repository root: ``python bench/topics.py`` (``--quick`` for a smaller run).

1. Matching: ``--topics`` topics (default 10,000) spread over 1,000 chats, all able to
   see a feed; each new article is checked against them through the engine's inverted
   index of topics (``Topics.match``), and, as the baseline in the same run, by
   evaluating every topic against the article. Target: under 50 ms per article.
2. Digest: ``--articles`` new articles (default 10,000) from 20 feeds; ``--chats``
   chats (default 1,000) each follow 3 feeds and watch 2 daily topics. Reported: the
   time to build every chat's digest, per chat p50/p95, and peak memory (RSS).

Articles are real texts: SciFact abstracts and SQuAD paragraphs from ../shared/bench.
Topics are drawn from their vocabulary: one to three words, some phrases, some OR and
some exclusions. Writes ``bench/results/topics.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.metrics import shared_dir  # noqa: E402
from retrieval.config import DigestConfig, EngineConfig, StorageConfig  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.language.words import words_of  # noqa: E402
from retrieval.models import Extracted  # noqa: E402
from retrieval.owners import LOCAL, Owner  # noqa: E402
from retrieval.topics import ArticleText, matches, parse_query  # noqa: E402

FEEDS = 20
FEEDS_PER_CHAT = 3
TOPICS_PER_CHAT_IN_DIGEST = 2


def load_texts(limit: int) -> list[tuple[str, str]]:
    """(title, text) pairs from SciFact and SQuAD."""
    shared = shared_dir() / "bench"
    texts: list[tuple[str, str]] = []
    with open(shared / "retrieval/scifact/corpus.jsonl", encoding="utf-8") as corpus:
        for line in corpus:
            doc = json.loads(line)
            if doc["text"].strip():
                texts.append((doc["title"], doc["text"]))
    for name in ("qa/squad-v1.1-dev-a.json", "qa/squad-v2.0-dev-a.json"):
        data = json.loads((shared / name).read_text(encoding="utf-8"))
        for article in data["data"]:
            for number, paragraph in enumerate(article["paragraphs"]):
                texts.append((f"{article['title']} ({number + 1})", paragraph["context"]))
    random.Random(7).shuffle(texts)
    if len(texts) < limit:
        texts = (texts * (limit // len(texts) + 1))[:limit]
    return texts[:limit]


def make_queries(texts: list[tuple[str, str]], count: int, rng: random.Random) -> list[str]:
    english = words_of("en")
    vocabulary = sorted(
        {
            w
            for _, text in texts[:3000]
            for w in english.tokens(text)
            if len(w) > 3 and w not in english.stop_words and w.isalpha()
        }
    )
    queries = []
    for _ in range(count):
        shape = rng.random()
        a, b, c = rng.sample(vocabulary, 3)
        if shape < 0.4:
            queries.append(a)
        elif shape < 0.7:
            queries.append(f"{a} {b}")
        elif shape < 0.8:
            _, text = rng.choice(texts)
            run = [w for w in english.tokens(text) if w.isalpha()][:40]
            start = rng.randrange(max(1, len(run) - 2))
            queries.append('"' + " ".join(run[start : start + 2]) + '"')
        elif shape < 0.9:
            queries.append(f"{a} OR {b}")
        else:
            queries.append(f"{a} -{c}")
    return queries


def measure_matching(engine: Engine, texts: list[tuple[str, str]], topics: int, articles: int) -> dict:
    rng = random.Random(11)
    queries = make_queries(texts, topics, rng)
    # A chat that asks for the same topic twice has it once, so the baseline counts it once.
    watched = {(Owner.chat(number % 1000 + 1), query) for number, query in enumerate(queries)}
    for owner, query in watched:
        engine.subscribe(owner, query, mode="instant")
    parsed = [parse_query(query) for _, query in watched]
    indexed_ms: list[float] = []
    scan_ms: list[float] = []
    matched = 0
    for title, text in texts[:articles]:
        result = engine.ingest(Extracted(title=title, text=text), LOCAL, commit=False)
        sentences = [s.text for s in engine.storage.articles.sentences(result.id)]
        started = time.perf_counter()
        article = ArticleText(sentences)
        found = engine.topics.match(result.id, article, None)
        indexed_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        article = ArticleText(sentences)
        scanned = sum(1 for query in parsed if matches(query, article))
        scan_ms.append((time.perf_counter() - started) * 1000)
        assert scanned == len(found), (scanned, len(found))
        matched += len(found)
    engine.commit()
    return {
        "topics": len(watched),
        "articles": articles,
        "matches_per_article": matched / articles,
        "indexed_p50_ms": statistics.median(indexed_ms),
        "indexed_p95_ms": statistics.quantiles(indexed_ms, n=20)[-1],
        "scan_p50_ms": statistics.median(scan_ms),
        "scan_p95_ms": statistics.quantiles(scan_ms, n=20)[-1],
    }


def digest_chat(number: int) -> Owner:
    """The chats of the digest measurement, apart from those of the matching one."""
    return Owner.chat(1_000_000 + number)


def measure_digest(engine: Engine, texts: list[tuple[str, str]], chats: int, articles: int) -> dict:
    rng = random.Random(5)
    feed_ids = [engine.storage.feeds.add(f"https://feeds.example/{n}.xml", f"Feed {n}") for n in range(FEEDS)]
    queries = make_queries(texts, chats * TOPICS_PER_CHAT_IN_DIGEST, rng)
    for chat in range(chats):
        for feed_id in rng.sample(feed_ids, FEEDS_PER_CHAT):
            engine.storage.feeds.subscribe(digest_chat(chat), feed_id)
        for query in queries[chat * TOPICS_PER_CHAT_IN_DIGEST : (chat + 1) * TOPICS_PER_CHAT_IN_DIGEST]:
            engine.subscribe(digest_chat(chat), query, mode="daily")
    started = time.perf_counter()
    for number, (title, text) in enumerate(texts[:articles]):
        extracted = Extracted(title=title, text=text, url=f"https://news.example/{number}")
        engine.ingest(extracted, Owner.feed(feed_ids[number % FEEDS]), commit=False)
    engine.commit()
    ingest_s = time.perf_counter() - started
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    per_chat_ms: list[float] = []
    items = 0
    started = time.perf_counter()
    for chat in range(chats):
        chat_started = time.perf_counter()
        digest = engine.digest(digest_chat(chat))
        per_chat_ms.append((time.perf_counter() - chat_started) * 1000)
        items += sum(len(section.items) for section in digest.sections)
    total_s = time.perf_counter() - started
    return {
        "chats": chats,
        "articles": articles,
        "ingest_s": ingest_s,
        "digest_total_s": total_s,
        "digest_p50_ms": statistics.median(per_chat_ms),
        "digest_p95_ms": statistics.quantiles(per_chat_ms, n=20)[-1],
        "items_per_digest": items / chats,
        "peak_rss_mb_before_digests": rss_before / 1024,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--match-articles", type=int, default=200)
    parser.add_argument("--chats", type=int, default=1_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="2,000 topics, 200 chats, 2,000 articles")
    args = parser.parse_args()
    if args.quick:
        args.topics, args.chats, args.articles = 2_000, 200, 2_000
    texts = load_texts(max(args.articles, args.match_articles))
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        config = EngineConfig(
            storage=StorageConfig(path=str(Path(tmp) / "match.db")), digest=DigestConfig(max_items=10)
        )
        with Engine(config) as engine:
            matching = measure_matching(engine, texts, args.topics, args.match_articles)
        config = config.model_copy(update={"storage": StorageConfig(path=str(Path(tmp) / "digest.db"))})
        with Engine(config) as engine:
            digest = measure_digest(engine, texts, args.chats, args.articles)

    table = Table(title=f"Topic matching: {matching['topics']:,} topics, {matching['articles']} articles")
    for column in ("method", "p50 ms", "p95 ms", "matches/article"):
        table.add_column(column, justify="right" if column != "method" else "left")
    table.add_row("inverted index of topics (engine)", f"{matching['indexed_p50_ms']:.2f}",
                  f"{matching['indexed_p95_ms']:.2f}", f"{matching['matches_per_article']:.1f}")
    table.add_row("every topic evaluated (baseline)", f"{matching['scan_p50_ms']:.2f}",
                  f"{matching['scan_p95_ms']:.2f}", f"{matching['matches_per_article']:.1f}")
    console.print(table)
    table = Table(title=f"Digest: {digest['chats']:,} chats, {digest['articles']:,} new articles")
    for column in ("ingest s", "all digests s", "per chat p50 ms", "p95 ms", "items/digest", "peak RSS MB"):
        table.add_column(column, justify="right")
    table.add_row(
        *(
            f"{digest[key]:.{digits}f}"
            for key, digits in (
                ("ingest_s", 1), ("digest_total_s", 1), ("digest_p50_ms", 1), ("digest_p95_ms", 1),
                ("items_per_digest", 1), ("peak_rss_mb", 0),
            )
        )
    )
    console.print(table)
    out = Path(__file__).parent / "results" / "topics.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"matching": matching, "digest": digest}, indent=2))


if __name__ == "__main__":
    main()
