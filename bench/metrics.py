"""Helpers shared by the benchmarks: locating the evaluation data and scoring extraction."""

from __future__ import annotations

import re
import statistics
import sys
from collections import Counter
from pathlib import Path

SHINGLE_SIZE = 4
_TOKEN = re.compile(r"\w+")


def shared_dir() -> Path:
    """The evaluation data directory, ``../shared`` next to the repository; exit if missing."""
    path = Path(__file__).resolve().parents[1].parent / "shared"
    if not path.is_dir():
        sys.exit(f"Benchmark data not found: {path} does not exist.")
    return path


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    # Like the Zyte benchmark, a text shorter than one shingle is a single shorter shingle.
    count = max(1, len(tokens) - SHINGLE_SIZE + 1)
    return Counter(
        shingle for shingle in (tuple(tokens[i : i + SHINGLE_SIZE]) for i in range(count)) if shingle
    )


def shingle_matching(truth: str, prediction: str) -> tuple[float, float, float]:
    """TP, FP, FN over 4-word shingle multisets, normalised to sum to 1 (or all 0)."""
    expected = _shingles(truth)
    predicted = _shingles(prediction)
    tp = sum((expected & predicted).values())
    fp = sum((predicted - expected).values())
    fn = sum((expected - predicted).values())
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def zyte_scores(predictions: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    """F1, precision and recall as the Zyte article-extraction benchmark computes them.

    Precision is averaged over documents where something was predicted, recall over documents
    where something was expected; a document with neither counts 1 for both.
    """
    precisions: list[float] = []
    recalls: list[float] = []
    for key, expected in truth.items():
        tp, fp, fn = shingle_matching(expected, predictions.get(key, ""))
        if tp == fp == fn == 0:
            precisions.append(1.0)
            recalls.append(1.0)
            continue
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def ndcg_at_k(ranking: list[str], relevance: dict[str, int], k: int = 10) -> float:
    """nDCG@k as BEIR computes it (pytrec_eval): graded gains, log2(rank + 1) discount."""
    import math

    dcg = sum(
        relevance.get(doc_id, 0) / math.log2(rank + 1)
        for rank, doc_id in enumerate(ranking[:k], start=1)
    )
    ideal = sorted(relevance.values(), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (0–1) of ``values``, linearly interpolated."""
    import math

    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def squad_gold() -> dict[str, tuple[str, ...]]:
    """Each SQuAD question (of ``shared/bench/qa``, first file first) with its gold answers,
    lower-cased; questions without answers (SQuAD v2's impossible ones) are left out."""
    import json

    gold: dict[str, tuple[str, ...]] = {}
    for path in sorted((shared_dir() / "bench" / "qa").glob("*.json")):
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    if answers := tuple(dict.fromkeys(a["text"].lower() for a in qa["answers"])):
                        gold.setdefault(qa["question"], answers)
    return gold


def squad_articles() -> list[tuple[str, list[str], list[str]]]:
    """(title, paragraphs, questions) of the SQuAD articles in ``shared/bench/qa``.

    An article in several files (v2.0 repeats v1.1's) is taken once, from the first file.
    """
    import json

    articles: dict[str, tuple[str, list[str], list[str]]] = {}
    for path in sorted((shared_dir() / "bench" / "qa").glob("*.json")):
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            paragraphs = [p["context"] for p in article["paragraphs"]]
            questions = [q["question"] for p in article["paragraphs"] for q in p["qas"]]
            articles.setdefault(article["title"], (article["title"], paragraphs, questions))
    return list(articles.values())
