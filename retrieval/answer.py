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

import regex

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
# A question word one of whose forms is a stop word ("нового" when the list holds "новый")
# weighs this share of its IDF: stop-word lists hold some forms of a word and not others,
# and some hold content words too (Russian "работа").
STOP_FORM_WEIGHT = 0.25
# Whether a Vietnamese sentence answers at all is read from the question's words: a
# syllable that pairs with its neighbour in the question (words.PAIRED) counts this share
# of its weight beside the pair, since a word's syllables and the word say one thing
# (phó, chủ, tịch, phó_chủ, chủ_tịch would outweigh a name once over); the ranking counts
# it whole. Chosen on XQuAD dev half-stored (bench/languages.py).
SYLLABLE_SHARE = 0.75
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
_HAN = regex.compile(r"\p{Han}")


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
    stems = words.terms(without_question_words(question, language)) or words.terms(question)
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
    weights = _idf_weights(index, stems, words.stop_stems)
    query = _Query(
        weights=weights,
        answer_weights=_answer_weights(weights),
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
    answer_weights: dict[str, float]  # the same, as they count toward answering at all
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
    sentence_coverage = _coverage(sentence, query.weights, query)
    passage_coverage = _coverage(passage, query.weights, query)
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
    if query.answer_weights is query.weights:
        coverage = (sentence_coverage + passage_coverage) / 2
    else:
        weights = query.answer_weights
        coverage = (_coverage(sentence, weights, query) + _coverage(passage, weights, query)) / 2
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


def _idf_weights(index: PassageIndex, stems: Sequence[str], stop_stems: frozenset[str]) -> dict[str, float]:
    total = max(index.num_docs(), 1)
    weights = {}
    for stem in dict.fromkeys(stems):
        frequency = index.doc_freq(stem)
        weight = math.log(1 + (total - frequency + 0.5) / (frequency + 0.5)) ** IDF_POWER
        weights[stem] = weight * (STOP_FORM_WEIGHT if stem in stop_stems else 1.0)
    return weights


def _answer_weights(weights: dict[str, float]) -> dict[str, float]:
    """The question stems' weights toward whether a sentence answers at all: a syllable
    of a language written syllable by syllable counts part of its weight beside its pair."""
    if not any(PAIR_JOIN in stem for stem in weights):
        return weights
    paired = {syllable for stem in weights if PAIR_JOIN in stem for syllable in stem.split(PAIR_JOIN)}
    return {stem: SYLLABLE_SHARE * weight if stem in paired else weight for stem, weight in weights.items()}


def _coverage(present: set[str], weights: dict[str, float], query: _Query) -> float:
    """Share of the question's IDF mass whose stems are ``present`` (or, for part of their
    weight, words of the same root)."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    covered = 0.0
    for stem, weight in weights.items():
        if stem in present:
            covered += weight
        elif not query.related[stem].isdisjoint(present):
            covered += RELATED_CREDIT * weight
    return covered / total


def _related_words(weights: dict[str, float], vocabulary: set[str]) -> dict[str, set[str]]:
    """For each question stem, the other ``vocabulary`` words of the same root."""
    long_words = [word for word in vocabulary if len(word) >= MIN_ROOT_LETTERS and PAIR_JOIN not in word]
    han_words = [word for word in vocabulary if len(word) >= 2 and _HAN.match(word)]
    related = {}
    for stem in weights:
        if PAIR_JOIN in stem:
            related[stem] = set()
        elif _HAN.match(stem):
            related[stem] = _sharing_two_characters(stem, han_words)
        else:
            related[stem] = _same_root(stem, long_words)
    return related


def _sharing_two_characters(stem: str, words: list[str]) -> set[str]:
    """Chinese words that share two characters in a row with ``stem``: the segmenter cuts
    the same name or term differently in a question and in the text (超级碗 and 超级)."""
    pieces = {stem[i : i + 2] for i in range(len(stem) - 1)}
    return {
        word for word in words
        if word != stem and any(word[i : i + 2] in pieces for i in range(len(word) - 1))
    }


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
