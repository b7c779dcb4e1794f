"""Extractive summaries: our own "hybrid" ranker, and the classic methods from sumy.

``hybrid`` scores each sentence by its centrality in the article's TF-IDF similarity
graph (LexRank) and by where it stands (writers put what matters first), passes over
fragments too short to stand alone and sentences that are mostly quotation, and picks
greedily with a redundancy penalty (maximal marginal relevance), so the summary does
not say the same thing twice. On CNN/DM (bench/summaries.py) it edges past Lead-3,
where sumy's methods stay 8-10 ROUGE-1 points below it.

sumy's own Tokenizer needs NLTK's punkt data, which cannot be downloaded on many
servers, so we build sumy's document model ourselves from already-split sentences and
give it the words of the article's language (:mod:`retrieval.language.words`): its
tokens, Snowball stemmer and stop words (sumy does not set stop words by default), and
Edmundson gets its bonus/stigma/null word lists.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import TYPE_CHECKING

from retrieval.language.words import Words, words_of

if TYPE_CHECKING:
    from sumy.summarizers._summarizer import AbstractSummarizer

# Graph and matrix methods grow quadratically or worse; beyond this many sentences we
# rank only the first ones (news puts what matters first, so little is lost).
MAX_RANKED_SENTENCES = 400

# Words that mark a sentence as unlikely summary material (Edmundson's "stigma").
STIGMA_WORDS = frozenset(
    {"advertisement", "subscribe", "newsletter", "click", "cookie", "cookies", "copyright",
     "photo", "image", "caption", "getty", "reuters", "ap", "credit", "share", "follow"}
)


class _WordTokenizer:
    """The part of sumy's Tokenizer interface that the summarizers use."""

    def __init__(self, words: Words) -> None:
        self._words = words
        self.language = words.language or "any"

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(self._words.tokens(sentence))


Factory = Callable[[Words, "str | None"], "AbstractSummarizer"]


Stem = Callable[[str], str]


def _sumy_class(module: str, name: str) -> Callable[[Stem], AbstractSummarizer]:
    # sumy's summarizers import NLTK, numpy and SciPy (about 0.5 s): loaded only when used.
    return getattr(import_module(f"sumy.summarizers.{module}"), name)


def _plain(module: str, name: str) -> Factory:
    def build(words: Words, title: str | None) -> AbstractSummarizer:
        # sumy calls its stemmer for every word; PyStemmer (C, cached) is the same Snowball
        # algorithm as sumy's NLTK one, many times faster.
        summarizer = _sumy_class(module, name)(words.stem)
        summarizer.stop_words = words.stop_words
        return summarizer

    return build


def _edmundson(words: Words, title: str | None) -> AbstractSummarizer:
    summarizer = _sumy_class("edmundson", "EdmundsonSummarizer")(words.stem)
    title_words = words.content_tokens(title or "")
    summarizer.bonus_words = title_words or ["said"]
    summarizer.stigma_words = STIGMA_WORDS
    summarizer.null_words = words.stop_words
    return summarizer


SUMMARIZERS: dict[str, Factory] = {
    "lexrank": _plain("lex_rank", "LexRankSummarizer"),
    "textrank": _plain("text_rank", "TextRankSummarizer"),
    "lsa": _plain("lsa", "LsaSummarizer"),
    "luhn": _plain("luhn", "LuhnSummarizer"),
    "sumbasic": _plain("sum_basic", "SumBasicSummarizer"),
    "edmundson": _edmundson,
}
ALGORITHMS: tuple[str, ...] = ("hybrid", "lead", *SUMMARIZERS)


def sentence_count(total: int, *, sentences: int | None = None, percent: float | None = None) -> int:
    """How many sentences a summary gets: a fixed number or a share of the article."""
    if percent is not None:
        wanted = math.ceil(total * percent / 100)
    else:
        wanted = sentences if sentences is not None else 3
    return max(1, min(total, wanted))


def select_sentences(
    sentences: Sequence[str],
    count: int,
    algorithm: str,
    *,
    title: str | None = None,
    language: str | None = None,
) -> list[int]:
    """0-based positions of the ``count`` summary sentences (in ``language``), in their original order."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    if count >= len(sentences):
        return list(range(len(sentences)))
    if algorithm == "lead":
        return list(range(count))
    if algorithm == "hybrid":
        return hybrid(sentences[:MAX_RANKED_SENTENCES], count, language)
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    words = words_of(language)
    tokenizer = _WordTokenizer(words)
    ranked = sentences[:MAX_RANKED_SENTENCES]
    objects = [Sentence(text, tokenizer) for text in ranked]
    position = {id(sentence): i for i, sentence in enumerate(objects)}
    document = ObjectDocumentModel([Paragraph(objects)])
    summarizer = SUMMARIZERS[algorithm](words, title)
    chosen = summarizer(document, count)
    picked = sorted(position[id(sentence)] for sentence in chosen)
    # Some methods return fewer sentences than asked when the text is repetitive.
    for i in range(len(ranked)):
        if len(picked) >= count:
            break
        if i not in picked:
            picked.append(i)
    return sorted(picked)


# --- hybrid ---------------------------------------------------------------------------

# A sentence scores CENTRALITY_WEIGHT times its LexRank centrality (scaled to [0, 1])
# plus a position prior that starts at 1 and halves every POSITION_HALF_LIFE sentences.
# Tuned on CNN/DM; similarity to the title did not help there, even with real headlines.
CENTRALITY_WEIGHT = 0.25
POSITION_HALF_LIFE = 6.0
# LexRank: similarities below this are no edge; damping of the random walk.
EDGE_THRESHOLD = 0.1
DAMPING = 0.85
PAGERANK_ROUNDS = 30
# Maximal marginal relevance: the score minus this times the similarity to the closest
# sentence already chosen.
REDUNDANCY_WEIGHT = 1.0
# Sentences with fewer words, or with more than this share of their characters inside
# quotation marks, are picked only when nothing else is left.
MIN_WORDS = 8
MAX_QUOTED_SHARE = 0.6
QUOTE_PAIRS = {'"': '"', "“": "”", "‘": "’", "'": "'"}

Vector = dict[str, float]


def hybrid(sentences: Sequence[str], count: int, language: str | None = None) -> list[int]:
    """0-based positions of ``count`` sentences chosen by centrality and position."""
    words = words_of(language)
    similarity = similarities(tfidf_vectors([words.terms(s) for s in sentences]))
    centrality = scaled(lexrank(similarity))
    scores = [
        CENTRALITY_WEIGHT * central + 0.5 ** (i / POSITION_HALF_LIFE)
        for i, central in enumerate(centrality)
    ]
    standalone = [_stands_alone(text, words) for text in sentences]
    preferred = [i for i, ok in enumerate(standalone) if ok]
    fallback = [i for i, ok in enumerate(standalone) if not ok]
    chosen = mmr(preferred, scores, similarity, count)
    chosen += mmr(fallback, scores, similarity, count - len(chosen))
    return sorted(chosen)


def tfidf_vectors(bags: Sequence[Sequence[str]]) -> list[Vector]:
    """Unit-length TF-IDF vectors, with IDF over the bags themselves."""
    frequency = Counter(term for bag in bags for term in set(bag))
    total = len(bags)
    vectors = []
    for bag in bags:
        weights = {
            term: tf * math.log(1 + total / frequency[term]) for term, tf in Counter(bag).items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors.append({term: w / norm for term, w in weights.items()})
    return vectors


def similarities(vectors: Sequence[Vector]) -> list[list[float]]:
    """Pairwise cosine similarities through an inverted list (the vectors are sparse)."""
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, vector in enumerate(vectors):
        for term, weight in vector.items():
            postings.setdefault(term, []).append((i, weight))
    matrix = [[0.0] * len(vectors) for _ in vectors]
    for entries in postings.values():
        for i, wi in entries:
            row = matrix[i]
            for j, wj in entries:
                if i != j:
                    row[j] += wi * wj
    return matrix


def lexrank(similarity: Sequence[Sequence[float]]) -> list[float]:
    """Stationary distribution of a damped random walk over the similarity graph."""
    size = len(similarity)
    edges = [[(j, w) for j, w in enumerate(row) if w >= EDGE_THRESHOLD] for row in similarity]
    out_weight = [sum(w for _, w in row) for row in edges]
    rank = [1.0 / size] * size
    for _ in range(PAGERANK_ROUNDS):
        incoming = [0.0] * size
        for i, row in enumerate(edges):
            if out_weight[i] == 0:
                continue
            share = rank[i] / out_weight[i]
            for j, w in row:
                incoming[j] += share * w
        rank = [(1 - DAMPING) / size + DAMPING * value for value in incoming]
    return rank


def scaled(values: Sequence[float]) -> list[float]:
    low, high = min(values), max(values)
    if high <= low:
        return [0.0] * len(values)
    return [(v - low) / (high - low) for v in values]


def _stands_alone(text: str, words: Words) -> bool:
    return len(words.tokens(text)) >= MIN_WORDS and _quoted_share(text) <= MAX_QUOTED_SHARE


def _quoted_share(text: str) -> float:
    """Share of the characters that lie between an opening and its closing quotation mark."""
    quoted = 0
    closing: str | None = None
    start = 0
    for i, char in enumerate(text):
        at_word_end = i + 1 == len(text) or not text[i + 1].isalpha()
        at_word_start = i == 0 or not text[i - 1].isalnum()
        if closing is not None and char == closing and at_word_end:
            quoted += i - start
            closing = None
        elif closing is None and char in QUOTE_PAIRS and at_word_start:
            closing = QUOTE_PAIRS[char]
            start = i
    if closing is not None:  # a quotation that runs on to the next sentence
        quoted += len(text) - start
    return quoted / max(len(text), 1)


def mmr(
    candidates: Sequence[int],
    scores: Sequence[float],
    similarity: Sequence[Sequence[float]],
    count: int,
) -> list[int]:
    """Greedy maximal marginal relevance: good sentences unlike those already chosen."""
    chosen: list[int] = []
    pool = list(candidates)

    def marginal(i: int) -> float:
        overlap = max((similarity[i][j] for j in chosen), default=0.0)
        return scores[i] - REDUNDANCY_WEIGHT * overlap

    while pool and len(chosen) < count:
        best = max(pool, key=marginal)
        chosen.append(best)
        pool.remove(best)
    return chosen
