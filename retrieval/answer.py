"""Answers: the 1–3 stored sentences that answer a question, or an honest abstention.

The passage index finds candidate sentences by BM25 over the sentence and the passage
around it. We re-rank them by that score (relative to the best one) plus how much of the
question's information (IDF-weighted query stems) the sentence and its passage contain,
plus how tightly the sentence holds the question's words (their density in the shortest
stretch of the sentence that holds them all, and the question's word pairs it repeats),
plus a small bonus when a question that asks for a number or a time meets a sentence
that holds a number. A question word missing from a sentence counts for half when the
sentence holds a word of the same root that the stemmer did not bring together: one
that contains it or is contained in it (a German compound, an Arabic word with a clitic)
or that differs from it only in the last two letters of the shorter (an inflection).
The question is read in its own (detected) language, and so are the candidate
sentences, so every part of the score means the same in every language. Whether the
best sentence answers at all is decided by its coverage (the mean of sentence and
passage coverage): a score that means the same on a corpus of ten articles as on a
million, and across languages. Weights were tuned with bench/qa.py, the threshold with
bench/languages.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from retrieval.index import Hit, PassageIndex
from retrieval.language.detect import question_language
from retrieval.language.questions import asks_for_number, without_question_words
from retrieval.language.words import PAIR_JOIN, words_of
from retrieval.owners import Owner

CANDIDATES = 30
# A question word weighs its IDF to this power: a rare word says more about what is asked
# than its IDF alone gives it, and a sentence that holds only the common words of the
# question (in Vietnamese, syllables that occur in many words) answers nothing.
IDF_POWER = 1.5
# Share of the question's IDF mass the best sentence and its passage must cover (mean of
# the two) to be offered as an answer; below it we abstain. One threshold for every
# language, chosen on XQuAD dev with half of the articles stored (bench/languages.py) as
# the one whose worst language, in answered-stored or declined-absent %, does best.
MIN_COVERAGE = 0.32
# Re-ranking: these times BM25 relative to the best candidate, the coverages, the
# density of the matched question stems and the share of question bigrams matched.
BM25_WEIGHT = 0.5
SENTENCE_COVERAGE_WEIGHT = 1.0
PASSAGE_COVERAGE_WEIGHT = 0.6
DENSITY_WEIGHT = 0.1
BIGRAM_WEIGHT = 0.1
# A question word missing from a sentence that holds a word of the same root counts this
# much of its weight; roots are compared from this many letters on.
RELATED_CREDIT = 0.5
MIN_ROOT_LETTERS = 4
ROOT_ENDING_LETTERS = 2
# Added when the question asks for a quantity or a time and the sentence holds a number.
ANSWER_TYPE_BONUS = 0.4
# Further sentences are added only when they score close to the best one.
RELATIVE_SCORE = 0.75

_DIGIT = re.compile(r"\d")


# Looks up sentence texts by (article_id, position).
TextLookup = Callable[[Sequence[tuple[int, int]]], dict[tuple[int, int], str]]


@dataclass(frozen=True)
class RankedSentence:
    article_id: int
    position: int
    text: str
    score: float  # the re-ranking score
    coverage: float  # the abstention score
    bm25: float  # the passage index's score


def rank_answers(
    question: str,
    index: PassageIndex,
    texts_of: TextLookup,
    owners: Sequence[Owner],
    *,
    article_id: int | None = None,
    max_sentences: int = 3,
    min_coverage: float = MIN_COVERAGE,
) -> list[RankedSentence]:
    """Up to ``max_sentences`` answer sentences, best first; empty means abstain.

    ``min_coverage=0`` never abstains while anything matches (benchmarks use it to score
    the ranking apart from the abstention).
    """
    language = question_language(question, known=lambda code: index.holds_language(owners, code))
    words = words_of(language)
    asked = words.terms(without_question_words(question, language))
    stems = [stem for stem in asked if stem not in words.stop_stems] or words.terms(question)
    if not stems:
        return []
    hits = index.search(stems, owners, article_id=article_id, limit=CANDIDATES)
    if not hits:
        return []
    keys = [(hit.article_id, hit.position) for hit in hits]
    neighbours = [(a, p + step) for a, p in keys for step in (-1, 1)]
    texts = texts_of(list(dict.fromkeys(keys + neighbours)))
    sequences = {key: words.terms(text) for key, text in texts.items()}
    stems_at = {key: set(sequence) for key, sequence in sequences.items()}
    weights = _idf_weights(index, stems)
    query = _Query(
        weights=weights,
        related=_related_words(weights, set().union(*stems_at.values())),
        bigrams=set(pairwise(stems)),
        wants_number=asks_for_number(question, language),
        top_bm25=max(hit.score for hit in hits) or 1.0,
    )
    ranked = sorted(
        (_rank(hit, texts[(hit.article_id, hit.position)], sequences, stems_at, query)
         for hit in hits if (hit.article_id, hit.position) in texts),
        key=lambda r: -r.score,
    )
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


@dataclass(frozen=True)
class _Query:
    weights: dict[str, float]  # IDF of each distinct question stem
    related: dict[str, set[str]]  # words of the candidates sharing each question stem's root
    bigrams: set[tuple[str, str]]  # consecutive question stems
    wants_number: bool  # the question asks for a quantity or a time
    top_bm25: float


def _rank(
    hit: Hit,
    text: str,
    sequences: dict[tuple[int, int], list[str]],
    stems_at: dict[tuple[int, int], set[str]],
    query: _Query,
) -> RankedSentence:
    sequence = sequences[(hit.article_id, hit.position)]
    sentence = stems_at[(hit.article_id, hit.position)]
    passage = sentence.union(
        *(stems_at.get((hit.article_id, hit.position + step), set()) for step in (-1, 1))
    )
    sentence_coverage = _coverage(sentence, query)
    passage_coverage = _coverage(passage, query)
    score = (
        BM25_WEIGHT * hit.score / query.top_bm25
        + SENTENCE_COVERAGE_WEIGHT * sentence_coverage
        + PASSAGE_COVERAGE_WEIGHT * passage_coverage
        + DENSITY_WEIGHT * _density(sequence, query.weights)
    )
    if query.bigrams:
        matched = query.bigrams.intersection(pairwise(sequence))
        score += BIGRAM_WEIGHT * len(matched) / len(query.bigrams)
    if query.wants_number and _DIGIT.search(text):
        score += ANSWER_TYPE_BONUS
    coverage = (sentence_coverage + passage_coverage) / 2
    return RankedSentence(hit.article_id, hit.position, text, score, coverage, hit.score)


def _density(sequence: Sequence[str], weights: dict[str, float]) -> float:
    """Distinct question stems in ``sequence`` over the length of the shortest run holding them all."""
    needed = {stem for stem in sequence if stem in weights}
    if not needed:
        return 0.0
    counts: dict[str, int] = {}
    shortest = len(sequence)
    start = 0
    for end, stem in enumerate(sequence):
        if stem not in needed:
            continue
        counts[stem] = counts.get(stem, 0) + 1
        while len(counts) == len(needed):
            shortest = min(shortest, end - start + 1)
            first = sequence[start]
            start += 1
            if first in counts:
                counts[first] -= 1
                if not counts[first]:
                    del counts[first]
    return len(needed) / shortest


def _idf_weights(index: PassageIndex, stems: Sequence[str]) -> dict[str, float]:
    total = max(index.num_docs(), 1)
    weights = {}
    for stem in dict.fromkeys(stems):
        frequency = index.doc_freq(stem)
        weights[stem] = math.log(1 + (total - frequency + 0.5) / (frequency + 0.5)) ** IDF_POWER
    return weights


def _coverage(present: set[str], query: _Query) -> float:
    """Share of the question's IDF mass whose stems are ``present`` (or, for part of their
    weight, words of the same root)."""
    total = sum(query.weights.values())
    if total <= 0:
        return 0.0
    covered = 0.0
    for stem, weight in query.weights.items():
        if stem in present:
            covered += weight
        elif not query.related[stem].isdisjoint(present):
            covered += RELATED_CREDIT * weight
    return covered / total


def _related_words(weights: dict[str, float], vocabulary: set[str]) -> dict[str, set[str]]:
    """For each question stem, the other ``vocabulary`` words of the same root."""
    long_words = [word for word in vocabulary if len(word) >= MIN_ROOT_LETTERS and PAIR_JOIN not in word]
    return {stem: _same_root(stem, long_words) if PAIR_JOIN not in stem else set() for stem in weights}


def _same_root(stem: str, words: list[str]) -> set[str]:
    if len(stem) < MIN_ROOT_LETTERS:
        return set()
    related = set()
    for word in words:
        if word == stem:
            continue
        if stem in word or word in stem:
            related.add(word)
            continue
        shared = max(MIN_ROOT_LETTERS, min(len(stem), len(word)) - ROOT_ENDING_LETTERS)
        if word[:shared] == stem[:shared]:
            related.add(word)
    return related
