"""Answers: the 1–3 stored sentences that answer a question, or an honest abstention.

The passage index ranks sentences by BM25 over the sentence and the passage around it.
Whether the best one answers at all is decided by how much of the question's
information (IDF-weighted query terms) the sentence and its passage contain: a score
that means the same on a corpus of ten articles as on a million.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from retrieval.index import PassageIndex
from retrieval.text import content_stems

CANDIDATES = 30
# Share of the question's IDF mass the best sentence must cover to be offered as an
# answer; below it we abstain. Tuned on SQuAD v2 with bench/qa.py.
MIN_COVERAGE = 0.5
# Further sentences are added only when they score close to the best one.
RELATIVE_SCORE = 0.75


# Looks up sentence texts by (article_id, position).
TextLookup = Callable[[Sequence[tuple[int, int]]], dict[tuple[int, int], str]]


@dataclass(frozen=True)
class RankedSentence:
    article_id: int
    position: int
    text: str
    score: float
    coverage: float


def rank_answers(
    question: str,
    index: PassageIndex,
    texts_of: TextLookup,
    owners: Sequence[str],
    *,
    article_id: int | None = None,
    max_sentences: int = 3,
    min_coverage: float = MIN_COVERAGE,
) -> list[RankedSentence]:
    """Up to ``max_sentences`` answer sentences, best first; empty means abstain.

    ``min_coverage=0`` never abstains while anything matches (benchmarks use it to score
    the ranking apart from the abstention).
    """
    stems = content_stems(question)
    if not stems:
        return []
    hits = index.search(stems, owners, article_id=article_id, limit=CANDIDATES)
    if not hits:
        return []
    texts = texts_of([(hit.article_id, hit.position) for hit in hits])
    weights = _idf_weights(index, stems)
    ranked = [
        RankedSentence(
            hit.article_id, hit.position, texts[(hit.article_id, hit.position)], hit.score,
            _coverage(texts[(hit.article_id, hit.position)], weights),
        )
        for hit in hits
        if (hit.article_id, hit.position) in texts
    ]
    if not ranked or ranked[0].coverage < min_coverage:
        return []
    best = ranked[0]
    chosen = [best]
    seen = {" ".join(best.text.lower().split())}
    for candidate in ranked[1:]:
        if len(chosen) >= max_sentences or candidate.score < best.score * RELATIVE_SCORE:
            break
        key = " ".join(candidate.text.lower().split())
        if candidate.coverage >= min_coverage and key not in seen:
            chosen.append(candidate)
            seen.add(key)
    return chosen


def _idf_weights(index: PassageIndex, stems: Sequence[str]) -> dict[str, float]:
    total = max(index.num_docs(), 1)
    weights = {}
    for stem in dict.fromkeys(stems):
        frequency = index.doc_freq(stem)
        weights[stem] = math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))
    return weights


def _coverage(text: str, weights: dict[str, float]) -> float:
    present = set(content_stems(text))
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(weight for stem, weight in weights.items() if stem in present) / total

