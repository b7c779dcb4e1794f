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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import regex

from retrieval.index import Hit, PassageIndex
from retrieval.language.detect import question_language
from retrieval.language.questions import asks_for_number, without_question_words
from retrieval.language.words import PAIR_JOIN, Words, base_language, words_of
from retrieval.owners import Owner
from retrieval.storage.articles import StoredSentence

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


# The stored sentences in the given (article_id, first, last) position ranges.
SentenceLookup = Callable[[list[tuple[int, int, int]]], list[StoredSentence]]


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
    sentences_in: SentenceLookup,
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
    found = {(s.article_id, s.position): s for s in sentences_in(_neighbourhoods(hits))}
    sequences = {key: _terms_of(sentence, words) for key, sentence in found.items()}
    stems_at = {key: set(sequence) for key, sequence in sequences.items()}
    weights = _idf_weights(index, stems, words.stop_stems)
    answer_weights = _answer_weights(weights)
    related = _related_words(weights, _Vocabulary(stems_at.values()))
    related_to: dict[str, list[str]] = {}
    for stem, related_words in related.items():
        for word in related_words:
            related_to.setdefault(word, []).append(stem)
    query = _Query(
        weights=weights,
        total=sum(weights.values()),
        answer_weights=answer_weights,
        answer_total=sum(answer_weights.values()),
        related_to=related_to,
        bigrams=set(pairwise(stems)),
        wants_number=asks_for_number(question, language),
        top_bm25=max(hit.score for hit in hits) or 1.0,
    )
    matches = {key: _matches(present, query) for key, present in stems_at.items()}
    ranked = sorted(
        (_rank(hit, found[key].text, sequences[key], matches, query)
         for hit in hits if (key := (hit.article_id, hit.position)) in found),
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
    total: float  # their sum
    answer_weights: dict[str, float]  # the same, as they count toward answering at all
    answer_total: float
    related_to: dict[str, list[str]]  # candidates' words -> the question stems whose root they share
    bigrams: set[tuple[str, str]]  # consecutive question stems
    wants_number: bool  # the question asks for a quantity or a time
    top_bm25: float


# The question stems a sentence holds, and those it holds only a word of the same root of.
_Matches = tuple[set[str], set[str]]


def _neighbourhoods(hits: Sequence[Hit]) -> list[tuple[int, int, int]]:
    """Each hit's position and the ones on either side, as (article_id, first, last)
    ranges, those that meet merged: one read fetches them all."""
    ranges: list[tuple[int, int, int]] = []
    for source, position in sorted({(hit.article_id, hit.position) for hit in hits}):
        if ranges and ranges[-1][0] == source and position - 1 <= ranges[-1][2] + 1:
            ranges[-1] = (source, ranges[-1][1], position + 1)
        else:
            ranges.append((source, position - 1, position + 1))
    return ranges


def _terms_of(sentence: StoredSentence, words: Words) -> list[str]:
    """A sentence's terms read in the question's language: those the index holds when the
    sentence is in that language."""
    if sentence.terms is not None and (
        sentence.language == words.language or base_language(sentence.language) == words.language
    ):
        return sentence.terms.split()
    return words.terms(sentence.text)


def _matches(present: set[str], query: _Query) -> _Matches:
    stems = query.weights.keys() & present
    near = query.related_to.keys() & present
    if not near:
        return stems, near
    return stems, {stem for word in near for stem in query.related_to[word]} - stems


def _rank(
    hit: Hit,
    text: str,
    sequence: list[str],
    matches: dict[tuple[int, int], _Matches],
    query: _Query,
) -> RankedSentence:
    sentence = matches[(hit.article_id, hit.position)]
    around = [
        found for step in (-1, 1) if (found := matches.get((hit.article_id, hit.position + step))) is not None
    ]
    passage_stems = sentence[0].union(*(m[0] for m in around))
    passage = passage_stems, sentence[1].union(*(m[1] for m in around)) - passage_stems
    sentence_coverage = _coverage(sentence, query.weights, query.total)
    passage_coverage = _coverage(passage, query.weights, query.total)
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
        weights, total = query.answer_weights, query.answer_total
        coverage = (_coverage(sentence, weights, total) + _coverage(passage, weights, total)) / 2
    return RankedSentence(hit.article_id, hit.position, text, score, coverage, hit.score)


def _density(sequence: Sequence[str], weights: dict[str, float]) -> float:
    """Distinct question stems in ``sequence`` over the length of the shortest run holding them all."""
    found = [(at, stem) for at, stem in enumerate(sequence) if stem in weights]
    if not found:
        return 0.0
    needed = len({stem for _, stem in found})
    counts: dict[str, int] = {}
    shortest = len(sequence)
    start = 0
    for end, stem in found:
        counts[stem] = counts.get(stem, 0) + 1
        while len(counts) == needed:  # the run from found[start] to here holds them all
            first_at, first = found[start]
            shortest = min(shortest, end - first_at + 1)
            start += 1
            counts[first] -= 1
            if not counts[first]:
                del counts[first]
    return needed / shortest


def _idf_weights(index: PassageIndex, stems: Sequence[str], stop_stems: frozenset[str]) -> dict[str, float]:
    total, frequencies = index.doc_freqs(list(dict.fromkeys(stems)))
    total = max(total, 1)
    weights = {}
    for stem, frequency in frequencies.items():
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


def _coverage(matches: _Matches, weights: dict[str, float], total: float) -> float:
    """Share of the question's IDF mass (``total``) whose stems are present (or, for part
    of their weight, words of the same root)."""
    if total <= 0:
        return 0.0
    stems, related = matches
    covered = 0.0
    for stem, weight in weights.items():
        if stem in stems:
            covered += weight
        elif stem in related:
            covered += RELATED_CREDIT * weight
    return covered / total


def _related_words(weights: dict[str, float], words: _Vocabulary) -> dict[str, set[str]]:
    """For each question stem, the other words of the same root among ``words``."""
    related = {}
    for stem in weights:
        if PAIR_JOIN in stem:
            related[stem] = set()
        elif _HAN.match(stem):
            related[stem] = _sharing_two_characters(stem, words)
        else:
            related[stem] = _same_root(stem, words)
    return related


class _Vocabulary:
    """The words of the candidate sentences, searched for those that contain a piece of
    text in one pass over all of them (in C, not word by word)."""

    def __init__(self, sentences: Iterable[set[str]]) -> None:
        self._sentences = sentences
        self._words: set[str] | None = None
        self._joined: str | None = None

    @property
    def words(self) -> set[str]:
        if self._words is None:
            self._words = set().union(*self._sentences)
        return self._words

    def containing(self, piece: str) -> set[str]:
        """The words that hold ``piece``; with a leading newline, those that start with the rest."""
        if self._joined is None:
            self._joined = "\n" + "\n".join(self.words) + "\n"
        joined = self._joined
        found = set()
        at = joined.find(piece)
        while at >= 0:
            start = joined.rfind("\n", 0, at + 1 if piece[0] == "\n" else at) + 1
            end = joined.find("\n", start)
            found.add(joined[start:end])
            at = joined.find(piece, end)
        return found


def _sharing_two_characters(stem: str, words: _Vocabulary) -> set[str]:
    """Chinese words that share two characters in a row with ``stem``: the segmenter cuts
    the same name or term differently in a question and in the text (超级碗 and 超级)."""
    pieces = {stem[i : i + 2] for i in range(len(stem) - 1)}
    candidates = set().union(*(words.containing(piece) for piece in pieces))
    return {word for word in candidates if word != stem and len(word) >= 2 and _HAN.match(word)}


def _same_root(stem: str, words: _Vocabulary) -> set[str]:
    if len(stem) < MIN_ROOT_LETTERS:
        return set()
    # Whatever passes the test below holds the stem, is held in it or starts as it does.
    inside = {
        stem[i:j] for i in range(len(stem)) for j in range(i + MIN_ROOT_LETTERS, len(stem) + 1)
    }
    candidates = (
        words.containing(stem) | words.containing("\n" + stem[:MIN_ROOT_LETTERS]) | (inside & words.words)
    )
    related = set()
    for word in candidates:
        if word == stem or len(word) < MIN_ROOT_LETTERS or PAIR_JOIN in word:
            continue
        if stem in word or word in stem:
            related.add(word)
            continue
        shared = max(MIN_ROOT_LETTERS, min(len(stem), len(word)) - ROOT_ENDING_LETTERS)
        if word[:shared] == stem[:shared]:
            related.add(word)
    return related
