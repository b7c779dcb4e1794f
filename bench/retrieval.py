"""Ranking quality and speed on BEIR SciFact: our passage index against rank-bm25.

Run from the repository root: ``python bench/retrieval.py`` (``--quick`` for 60 queries).
Each abstract (title + text) is stored as one article through our code path: nupunkt
sentences (``split_paragraphs``) into :class:`PassageIndex`, one index document per
sentence with its passage window. A document is ranked by its hits, aggregated as the
best hit (max) or the sum of its best few. References over whole documents with the same
stems (``words_of("en").terms``): rank-bm25 ``BM25Okapi`` and a one-document-per-abstract tantivy
index. Reports nDCG@10 (BEIR) and queries/s (one thread) and writes
``bench/results/retrieval.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tantivy
from rank_bm25 import BM25Okapi
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/, whose retrieval.py would shadow the package

from bench.metrics import ndcg_at_k, shared_dir  # noqa: E402
from retrieval import index as passage_index  # noqa: E402
from retrieval.index import Hit, PassageIndex  # noqa: E402
from retrieval.language.words import words_of  # noqa: E402
from retrieval.owners import LOCAL  # noqa: E402
from retrieval.sentences import split_paragraphs  # noqa: E402
from retrieval.storage.articles import StoredSentence  # noqa: E402

ENGLISH = words_of("en")  # the data sets are English

RESULTS = ROOT / "bench" / "results" / "retrieval.json"
OWNER = LOCAL
K = 10
K1 = 1.2  # as in BASELINES.md
QUICK_QUERIES = 60

Ranker = Callable[[str], list[str]]


@dataclass(frozen=True)
class SciFact:
    doc_ids: list[str]
    documents: list[tuple[str, str]]  # (title, text), in doc_ids order
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_scifact(folder: Path, max_queries: int | None) -> SciFact:
    doc_ids: list[str] = []
    documents: list[tuple[str, str]] = []
    for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        doc_ids.append(row["_id"])
        documents.append((row["title"], row["text"]))
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (folder / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        query_id, doc_id, grade = line.split("\t")
        qrels[query_id][doc_id] = int(grade)
    texts = {}
    for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts[row["_id"]] = row["text"]
    query_ids = sorted(qrels, key=int)[:max_queries]
    return SciFact(doc_ids, documents, {q: texts[q] for q in query_ids}, dict(qrels))


# --- our passage index --------------------------------------------------------------


def build_passage_index(data: SciFact, path: Path) -> tuple[PassageIndex, float]:
    """Every abstract as one article (article_id = its row number); returns build seconds."""
    start = time.perf_counter()
    index = PassageIndex.recreate(path)
    for article_id, (title, text) in enumerate(data.documents):
        split = split_paragraphs([title, text])
        index.add(
            [
                StoredSentence(article_id, position, s.paragraph, s.text)
                for position, s in enumerate(split, start=1)
            ],
            [OWNER],
            "en",
        )
    index.commit()
    return index, time.perf_counter() - start


def aggregate(hits: Sequence[Hit], top: int) -> list[int]:
    """Article ids ranked by the sum of their ``top`` best hits (top=1: the best hit)."""
    scores: dict[int, list[float]] = defaultdict(list)
    for hit in hits:  # hits come best first, so each list is sorted
        if len(scores[hit.article_id]) < top:
            scores[hit.article_id].append(hit.score)
    return sorted(scores, key=lambda article: -sum(scores[article]))


@dataclass(frozen=True)
class PassageVariant:
    name: str
    depth: int  # hits considered (the search limit)
    top: int  # best hits summed per article


def passage_variants(limit: int) -> list[PassageVariant]:
    return [
        PassageVariant(f"passages, max hit, limit {limit}", limit, 1),
        PassageVariant(f"passages, sum of top 2, limit {limit}", limit, 2),
        PassageVariant(f"passages, sum of top 3, limit {limit}", limit, 3),
        PassageVariant("passages, max hit, limit 30 (API default)", 30, 1),
    ]


def evaluate_passages(
    index: PassageIndex, data: SciFact, limit: int
) -> tuple[dict[str, float], float]:
    """nDCG@10 of each aggregation and queries/s of search plus the default aggregation."""
    variants = passage_variants(limit)
    rankings: dict[str, dict[str, list[str]]] = {v.name: {} for v in variants}
    seconds = 0.0
    for query_id, query in data.queries.items():
        start = time.perf_counter()
        hits = index.search(ENGLISH.terms(query), [OWNER], limit=limit)
        best = aggregate(hits, 1)[:K]
        seconds += time.perf_counter() - start
        rankings[variants[0].name][query_id] = [data.doc_ids[a] for a in best]
        for variant in variants[1:]:
            ranked = aggregate(hits[: variant.depth], variant.top)[:K]
            rankings[variant.name][query_id] = [data.doc_ids[a] for a in ranked]
    ndcg = {name: mean_ndcg(ranked, data.qrels) for name, ranked in rankings.items()}
    return ndcg, len(data.queries) / seconds


# --- references over whole documents --------------------------------------------------


def document_stems(data: SciFact) -> list[list[str]]:
    return [ENGLISH.terms(f"{title} {text}") for title, text in data.documents]


def rank_bm25_ranker(data: SciFact, stems: list[list[str]]) -> Ranker:
    bm25 = BM25Okapi(stems, k1=K1, b=0.75)

    def rank(query: str) -> list[str]:
        scores = bm25.get_scores(ENGLISH.terms(query))
        return [data.doc_ids[i] for i in np.argsort(-scores)[:K]]

    return rank


def tantivy_document_ranker(data: SciFact, stems: list[list[str]]) -> Ranker:
    """One tantivy document per abstract (in RAM), pre-stemmed text, whitespace tokens."""
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("row", stored=True, fast=True)
    builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
    schema = builder.build()
    index = tantivy.Index(schema)
    writer = index.writer(heap_size=64_000_000, num_threads=1)
    for row, words in enumerate(stems):
        writer.add_document(tantivy.Document(row=row, body=" ".join(words)))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def rank(query: str) -> list[str]:
        terms = dict.fromkeys(ENGLISH.terms(query))
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", term)) for term in terms
        ]
        result = searcher.search(tantivy.Query.boolean_query(clauses), K, count=False)
        rows = searcher.fast_field_values("row", [address for _, address in result.hits])
        return [data.doc_ids[row] for row in rows]

    return rank


def evaluate_ranker(rank: Ranker, data: SciFact) -> tuple[float, float]:
    start = time.perf_counter()
    rankings = {query_id: rank(query) for query_id, query in data.queries.items()}
    seconds = time.perf_counter() - start
    return mean_ndcg(rankings, data.qrels), len(data.queries) / seconds


def mean_ndcg(rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> float:
    return statistics.fmean(ndcg_at_k(rankings[q], qrels[q], K) for q in rankings)


# --- report ---------------------------------------------------------------------------


def print_table(rows: list[dict[str, str | float]], title: str, caption: str) -> None:
    table = Table(title=title, caption=caption)
    for column in ("method", "nDCG@10", "queries/s"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for row in rows:
        table.add_row(str(row["method"]), f"{row['ndcg@10']:.4f}", f"{row['queries_per_s']:,.0f}")
    Console(width=max(Console().width, 100)).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"first {QUICK_QUERIES} queries only")
    parser.add_argument("--limit", type=int, default=100, help="passage hits per query")
    parser.add_argument("--window", type=int, help="what-if: sentences on each side (WINDOW)")
    parser.add_argument("--passage-boost", type=float, help="what-if: PASSAGE_BOOST")
    args = parser.parse_args()
    if args.window is not None:
        passage_index.WINDOW = args.window
    if args.passage_boost is not None:
        passage_index.PASSAGE_BOOST = args.passage_boost

    folder = shared_dir() / "bench" / "retrieval" / "scifact"
    data = load_scifact(folder, QUICK_QUERIES if args.quick else None)
    rows: list[dict[str, str | float]] = []
    with tempfile.TemporaryDirectory(prefix="briefbot-scifact-") as tmp:
        index, build_seconds = build_passage_index(data, Path(tmp) / "passages")
        ndcg, passage_qps = evaluate_passages(index, data, args.limit)
        rows += [{"method": n, "ndcg@10": v, "queries_per_s": passage_qps} for n, v in ndcg.items()]
        passages = index.num_docs()
        index.close()
        stems = document_stems(data)
        for name, ranker in (
            (f"rank-bm25 BM25Okapi k1={K1}, documents", rank_bm25_ranker(data, stems)),
            ("tantivy, documents", tantivy_document_ranker(data, stems)),
        ):
            score, qps = evaluate_ranker(ranker, data)
            rows.append({"method": name, "ndcg@10": score, "queries_per_s": qps})

    print_table(
        rows,
        f"SciFact test: {len(data.queries)} queries, {len(data.documents):,} abstracts, "
        f"{passages:,} passages (window ±{passage_index.WINDOW}, "
        f"passage boost {passage_index.PASSAGE_BOOST})",
        f"The passage rows share one search (limit {args.limit}); queries/s counts stemming, "
        "search and ranking, one thread.",
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "queries": len(data.queries),
                "documents": len(data.documents),
                "passages": passages,
                "passage_build_s": round(build_seconds, 2),
                "window": passage_index.WINDOW,
                "passage_boost": passage_index.PASSAGE_BOOST,
                "limit": args.limit,
                "rows": rows,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"Passage index built in {build_seconds:.1f} s. Results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
