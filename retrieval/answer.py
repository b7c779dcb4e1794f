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
from functools import lru_cache
from itertools import compress, count, pairwise
from operator import itemgetter
from typing import NamedTuple

import regex

from retrieval.index import Hit, PassageIndex
from retrieval.language.detect import question_language
from retrieval.language.questions import asks_for_number, without_question_words
from retrieval.language.words import PAIR_JOIN, Words, base_language, words_of
from retrieval.owners import Owner
from retrieval.storage.articles import FoundSentence

# Sentences the passage index is asked for. 20 rather than 30 reads a third fewer rows and
# ranks a third fewer sentences, and costs no answer: bench/qa.py, bench/languages.py (12
# languages) and bench/ask.py (100k passages) gave the same P@1; 15 cost 0.1–0.3 on SQuAD.
CANDIDATES = 20
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
# No character before this one is Han (tests/test_answer.py): a word that starts with one
# is told from the others without the regex.
FIRST_HAN = "\u2e80"


# The stored sentences in the given (article_id, first, last) position ranges.
SentenceLookup = Callable[[list[tuple[int, int, int]]], list[FoundSentence]]
# A sentence's place: (article_id, position).
_Key = tuple[int, int]


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
    sentences = _Sentences(sentences_in(_neighbourhoods(hits)), words)
    weights = _idf_weights(index, stems, words.stop_stems)
    query = _Query(
        weights, _answer_weights(weights), _related_words(weights, sentences.vocabulary()),
        stems, wants_number=asks_for_number(question, language),
        top_bm25=max(hit.score for hit in hits) or 1.0,
    )
    chosen = _chosen(_scores(hits, sentences, query.matches(sentences), query), max_sentences, min_coverage)
    return [
        RankedSentence(s.hit.article_id, s.hit.position, s.text, s.score, s.coverage, s.hit.score)
        for s in chosen
    ]


def _chosen(scores: list[_Scored], max_sentences: int, min_coverage: float) -> list[_Scored]:
    """The best of ``scores`` (in the hits' order) and those close to it that are not the
    same sentence again, best first; none when the best does not answer."""
    scored = sorted(scores, key=lambda s: -s.score)
    if not scored or scored[0].coverage < min_coverage:
        return []
    best = scored[0]
    chosen = [best]
    seen = {" ".join(best.text.lower().split())}
    for candidate in scored[1:]:
        if len(chosen) >= max_sentences or candidate.score < best.score * RELATIVE_SCORE:
            break
        key = " ".join(candidate.text.lower().split())
        if candidate.coverage >= min_coverage and key not in seen:
            chosen.append(candidate)
            seen.add(key)
    return chosen


# The question stems a sentence holds, and those it holds only a word of the same root of
# (and not the stem itself), each as a bit mask over the question's distinct stems.
_Matches = tuple[int, int]
_NOTHING: _Matches = (0, 0)


class _Coverage(dict[_Matches, float]):
    """Share of the question's IDF mass whose stems a sentence holds (or, for part of their
    weight, words of the same root), by its matches: ``coverage[matches]``. The few masks a
    question's candidates have are each summed once."""

    def __init__(self, weights: Iterable[float], total: float) -> None:
        super().__init__()
        self._weights = [(1 << bit, weight) for bit, weight in enumerate(weights)]
        self._total = total

    def __missing__(self, matches: _Matches) -> float:
        stems, related = matches
        covered = 0.0
        for bit, weight in self._weights:  # in the question's order: the same sum every time
            if stems & bit:
                covered += weight
            elif related & bit:
                covered += RELATED_CREDIT * weight
        share = self[matches] = covered / self._total if self._total > 0 else 0.0
        return share


class _PairsMost(dict[int, float]):
    """What the question's word pairs add at most to the score of a sentence that holds
    the question stems of a mask, rounded as in the score: ``pairs_most[stems]``. A pair
    counts only where the sentence holds both of its stems."""

    def __init__(self, masks: list[int]) -> None:
        super().__init__()
        self._masks = masks  # each pair's two stems

    def __missing__(self, stems: int) -> float:
        held = sum(1 for mask in self._masks if mask & stems == mask)
        most = self[stems] = BIGRAM_WEIGHT * held / len(self._masks) if self._masks else 0.0
        return most


class _Query:
    """What every candidate is scored against: the question's stems (bit ``i`` of a mask
    stands for the ``i``-th distinct one), their weights, and the candidates' words that
    share a root with them (or may)."""

    def __init__(
        self,
        weights: dict[str, float],
        answer_weights: dict[str, float],
        related: dict[str, set[str]],
        stems: Sequence[str],
        *,
        wants_number: bool,
        top_bm25: float,
    ) -> None:
        self.weights = weights
        bits = {stem: 1 << bit for bit, stem in enumerate(weights)}
        # Each word that counts: (the bit of the question stem it is, the bits of those it
        # shares a root with).
        self._bits: dict[str, tuple[int, int]] = {stem: (bit, 0) for stem, bit in bits.items()}
        for stem, related_words in related.items():
            for word in related_words:
                own, roots = self._bits.get(word, (0, 0))
                self._bits[word] = (own, roots | bits[stem])
        self._words = frozenset(self._bits)
        self.coverage = _Coverage(weights.values(), sum(weights.values()))
        self.answer_coverage = (
            self.coverage if answer_weights is weights
            else _Coverage(answer_weights.values(), sum(answer_weights.values()))
        )
        self.bigrams = set(pairwise(stems))  # consecutive question stems
        self.pairs_most = _PairsMost([bits[first] | bits[second] for first, second in self.bigrams])
        self.wants_number = wants_number  # the question asks for a quantity or a time
        self.top_bm25 = top_bm25

    def matches(self, sentences: _Sentences) -> dict[_Key, _Matches]:
        """What each sentence holds of the question, for those that hold any of it."""
        bits = self._bits
        # Intersecting each sentence's terms with the question's words is done in C over
        # all of them; only the few sentences that hold any are visited here.
        commons = list(map(self._words.intersection, sentences.sequences))
        found = {}
        for key, common in compress(zip(sentences.keys, commons, strict=True), commons):
            stems = roots = 0
            for word in common:
                own, shared = bits[word]
                stems |= own
                roots |= shared
            found[key] = (stems, roots & ~stems)
        return found


_place = itemgetter(0, 1)  # a hit's (article_id, position)


def _neighbourhoods(hits: Sequence[Hit]) -> list[tuple[int, int, int]]:
    """Each hit's position and the ones on either side, as (article_id, first, last)
    ranges, those that meet merged: one read fetches them all."""
    ranges: list[tuple[int, int, int]] = []
    for source, position in sorted(set(map(_place, hits))):
        if ranges and ranges[-1][0] == source and position - 1 <= ranges[-1][2] + 1:
            ranges[-1] = (source, ranges[-1][1], position + 1)
        else:
            ranges.append((source, position - 1, position + 1))
    return ranges


class _Sentences:
    """The candidate sentences, row by row in the order read: their places, texts and
    terms, the terms read in the question's language (those the index holds when the
    sentence is in that language)."""

    def __init__(self, found: Sequence[FoundSentence], words: Words) -> None:
        article_ids, positions, texts, languages, terms = zip(*found, strict=True) if found else ((),) * 5
        self.keys: list[_Key] = list(zip(article_ids, positions, strict=True))
        self.rows: dict[_Key, int] = dict(zip(self.keys, count()))
        self.texts: Sequence[str] = texts
        # Each sentence's terms, joined by spaces, and the same split.
        self.terms: Sequence[str] = terms
        if None in terms or not all(_same_language(language, words) for language in set(languages)):
            self.terms, self.sequences = _read_here(found, words)
        else:
            self.sequences: list[list[str]] = list(map(str.split, terms))

    def vocabulary(self) -> _Vocabulary:
        """All the sentences' words."""
        return _Vocabulary(" ".join(self.terms))


def _read_here(found: Sequence[FoundSentence], words: Words) -> tuple[list[str], list[list[str]]]:
    """Each sentence's terms as the index holds them or, when it holds none in the
    question's language, as read here from the sentence's text."""
    in_language = {language: _same_language(language, words) for language in {row[3] for row in found}}
    terms: list[str] = []
    sequences: list[list[str]] = []
    for _, _, text, language, held in found:
        if in_language[language] and held is not None:
            terms.append(held)
            sequences.append(held.split())
        else:
            sequences.append(words.terms(text))
            terms.append(" ".join(sequences[-1]))
    return terms, sequences


def _same_language(language: str | None, words: Words) -> bool:
    return language == words.language or base_language(language) == words.language


class _Scored(NamedTuple):
    score: float
    coverage: float
    hit: Hit
    text: str


def _scores(
    hits: Sequence[Hit], sentences: _Sentences, matches: dict[_Key, _Matches], query: _Query
) -> list[_Scored]:
    """The score and coverage of the hits that may be chosen, in the hits' order.

    A hit whose score cannot reach ``RELATIVE_SCORE`` of the best one is left out before
    its density and word pairs are counted: it would never be chosen. Its score is bounded
    from above by what density and word pairs can add at most, and the best score from
    below by the best of the scores counted so far, counted from the highest bound down.
    The bounds are exact in floating point (each part is added in the same order as in the
    score, and adding more never rounds to less), so what is chosen is exactly what scoring
    every hit chooses.
    """
    coverage, top_bm25, wants_number = query.coverage, query.top_bm25, query.wants_number
    rows, texts = sentences.rows, sentences.texts
    pairs_most = query.pairs_most  # density adds at most DENSITY_WEIGHT
    partial = []
    floor = 0.0
    for order, hit in enumerate(hits):
        article_id, position, bm25 = hit
        key = (article_id, position)
        if (row := rows.get(key)) is None:
            continue
        text = texts[row]
        sentence = matches.get(key, _NOTHING)
        passage_stems, passage_roots = sentence
        if (before := matches.get((article_id, position - 1))) is not None:
            passage_stems |= before[0]
            passage_roots |= before[1]
        if (after := matches.get((article_id, position + 1))) is not None:
            passage_stems |= after[0]
            passage_roots |= after[1]
        passage = passage_stems, passage_roots & ~passage_stems
        start = (
            BM25_WEIGHT * bm25 / top_bm25
            + SENTENCE_COVERAGE_WEIGHT * coverage[sentence]
            + PASSAGE_COVERAGE_WEIGHT * coverage[passage]
        )
        bonus = ANSWER_TYPE_BONUS if wants_number and _DIGIT.search(text) else 0.0
        if (lower := RELATIVE_SCORE * (start + bonus)) > floor:
            floor = lower
        upper = start + DENSITY_WEIGHT + pairs_most[sentence[0]] + bonus if sentence[0] else start + bonus
        partial.append((upper, order, start, bonus, hit, row, text, sentence, passage))
    partial.sort(key=itemgetter(0), reverse=True)  # the highest bound first
    answer_coverage = query.answer_coverage
    scored = []
    for upper, order, start, bonus, hit, row, text, sentence, passage in partial:
        if upper < floor:
            break
        score = _full_score(start, bonus, sentences.sequences[row], sentence[0], query)
        if (lower := RELATIVE_SCORE * score) > floor:
            floor = lower
        # Whether it answers at all: the mean of its and its passage's coverage.
        coverage_mean = (answer_coverage[sentence] + answer_coverage[passage]) / 2
        scored.append((order, _Scored(score, coverage_mean, hit, text)))
    scored.sort(key=itemgetter(0))
    return [s for _, s in scored]


def _full_score(start: float, bonus: float, sequence: list[str], stems: int, query: _Query) -> float:
    """``start`` (BM25 and coverages) plus density, the question's word pairs and ``bonus``."""
    places = list(compress(count(), map(query.weights.__contains__, sequence)))  # of question stems
    score = start + DENSITY_WEIGHT * _density(sequence, places, stems.bit_count())
    # A pair counts only where the sentence holds both of its stems (otherwise it adds 0), and
    # where it does, it is at two places of question stems side by side.
    if query.pairs_most[stems]:
        side_by_side = {(sequence[at], sequence[at + 1]) for at, then in pairwise(places) if then == at + 1}
        score += BIGRAM_WEIGHT * len(query.bigrams.intersection(side_by_side)) / len(query.bigrams)
    if bonus:
        score += bonus
    return score


def _density(sequence: list[str], places: list[int], needed: int) -> float:
    """``needed`` distinct question stems (those in ``sequence``, at ``places``) over the
    length of the shortest run of ``sequence`` holding them all."""
    if needed <= 1:  # none, or one word: a run of one
        return float(needed)
    if len(places) == needed:  # each once: the one run holding them all spans them
        return needed / (places[-1] - places[0] + 1)
    # The shortest run that ends at a place starts at the last place of the stem seen
    # longest ago.
    last: dict[str, int] = {}
    shortest = len(sequence)
    for at in places:
        last[sequence[at]] = at
        if len(last) == needed:
            shortest = min(shortest, at - min(last.values()) + 1)
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


def _related_words(weights: dict[str, float], words: _Vocabulary) -> dict[str, set[str]]:
    """For each question stem, the other words of the same root among ``words`` (or, for a
    stem of letters, that may be among them)."""
    related = {}
    for stem in weights:
        if PAIR_JOIN in stem:
            related[stem] = set()
        elif _starts_han(stem):
            related[stem] = _sharing_two_characters(stem, words)
        else:
            related[stem] = _same_root(stem, words)
    return related


class _Vocabulary:
    """The words of the candidate sentences, searched for those that contain a piece of
    text in one pass over all of them (in C, not word by word)."""

    def __init__(self, words: str) -> None:
        # Each word after a space and the last followed by one, as often as the sentences
        # hold it: joining the sentences' terms is cheaper than making them unique.
        self._joined = f" {words} "

    def containing(self, piece: str, *, other_than: str) -> set[str]:
        """The words that hold ``piece``, but ``other_than`` (a word that holds it)."""
        joined = self._joined
        # Most often ``piece`` occurs only in ``other_than``, a question stem that many
        # candidates repeat: two counts in C tell, without visiting each occurrence. (Every
        # word holding ``piece`` is counted in the first, at least once, and each
        # ``other_than`` at most once in the second: equal counts leave no other word.)
        if joined.count(piece) == joined.count(f" {other_than} "):
            return set()
        found = set()
        at = joined.find(piece)
        while at >= 0:
            start = joined.rfind(" ", 0, at) + 1
            end = joined.find(" ", at)
            found.add(joined[start:end])
            at = joined.find(piece, end)
        found.discard(other_than)
        return found


def _starts_han(word: str) -> bool:
    return word[:1] >= FIRST_HAN and _HAN.match(word) is not None


def _sharing_two_characters(stem: str, words: _Vocabulary) -> set[str]:
    """Chinese words that share two characters in a row with ``stem``: the segmenter cuts
    the same name or term differently in a question and in the text (超级碗 and 超级)."""
    pieces = {stem[i : i + 2] for i in range(len(stem) - 1)}
    candidates = set().union(*(words.containing(piece, other_than=stem) for piece in pieces))
    return {word for word in candidates if len(word) >= 2 and _starts_han(word)}


def _same_root(stem: str, words: _Vocabulary) -> set[str]:
    """The words of the same root as ``stem`` among ``words``, and the stretches of ``stem``
    that could be one (a word held in the stem): a sentence that holds one of those holds a
    word of the stem's root, so they need not be looked for here."""
    if len(stem) < MIN_ROOT_LETTERS:
        return set()
    related = set(_pieces(stem))
    # Whatever passes the test below holds the stem or starts as it does: it holds the
    # stem's first letters.
    for word in words.containing(stem[:MIN_ROOT_LETTERS], other_than=stem):
        if len(word) < MIN_ROOT_LETTERS or PAIR_JOIN in word:
            continue
        if stem in word or word in stem:
            related.add(word)
            continue
        shared = max(MIN_ROOT_LETTERS, min(len(stem), len(word)) - ROOT_ENDING_LETTERS)
        if word[:shared] == stem[:shared]:
            related.add(word)
    return related


@lru_cache(maxsize=4096)
def _pieces(stem: str) -> frozenset[str]:
    """The stretches of ``stem`` long enough to be a root, shorter than it (a question's
    stems come back)."""
    return frozenset(
        stem[i:j] for i in range(len(stem)) for j in range(i + MIN_ROOT_LETTERS, len(stem) + 1)
    ) - {stem}
