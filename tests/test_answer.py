"""The answer ranker's shortcuts against the straightforward computation they stand for:
what is chosen must be exactly what scoring every candidate in full chooses."""

from __future__ import annotations

from itertools import pairwise

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.answer import (
    ANSWER_TYPE_BONUS,
    BIGRAM_WEIGHT,
    BM25_WEIGHT,
    DENSITY_WEIGHT,
    FIRST_HAN,
    PASSAGE_COVERAGE_WEIGHT,
    SENTENCE_COVERAGE_WEIGHT,
    _answer_weights,
    _chosen,
    _full_score,
    _Query,
    _related_words,
    _Scored,
    _scores,
    _Sentences,
)
from retrieval.index import Hit
from retrieval.language.words import words_of
from retrieval.storage.articles import FoundSentence

# Words that share roots in every way the ranker knows (a piece, a longer word, an
# inflection), so that sentences hold related words and not only the question's stems.
WORDS = ["nation", "nations", "national", "internation", "footbal", "ball", "foot", "player", "play", "run"]


def test_no_character_before_first_han_is_han() -> None:
    han = regex.compile(r"\p{Han}")
    assert not any(han.match(chr(code)) for code in range(ord(FIRST_HAN)))
    assert han.match(FIRST_HAN)


def _reference(
    hits: list[Hit], found: list[FoundSentence], query: _Query, related: dict[str, set[str]]
) -> list[_Scored]:
    """Every hit scored in full, from each sentence's words as a set."""
    sequences = {(source, position): (terms or "").split() for source, position, _, _, terms in found}
    texts = {(source, position): text for source, position, text, _, _ in found}
    bits = {stem: 1 << i for i, stem in enumerate(query.weights)}

    def held(key: tuple[int, int]) -> tuple[int, int]:
        words = set(sequences.get(key, ()))
        own = roots = 0
        for stem, bit in bits.items():
            if stem in words:
                own |= bit
            if words & related[stem]:
                roots |= bit
        return own, roots & ~own

    scored = []
    for hit in hits:
        key = (hit.article_id, hit.position)
        if key not in texts:
            continue
        sentence = held(key)
        around = [held((hit.article_id, hit.position + step)) for step in (-1, 1)]
        own = sentence[0] | around[0][0] | around[1][0]
        passage = own, (sentence[1] | around[0][1] | around[1][1]) & ~own
        start = (
            BM25_WEIGHT * hit.score / query.top_bm25
            + SENTENCE_COVERAGE_WEIGHT * query.coverage[sentence]
            + PASSAGE_COVERAGE_WEIGHT * query.coverage[passage]
        )
        bonus = ANSWER_TYPE_BONUS if query.wants_number and any(c.isdigit() for c in texts[key]) else 0.0
        score = _full_score(start, bonus, sequences[key], sentence[0], query)
        coverage = (query.answer_coverage[sentence] + query.answer_coverage[passage]) / 2
        scored.append(_Scored(score, coverage, hit, texts[key]))
    return scored


sentence_words = st.lists(st.sampled_from(WORDS), max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    stems=st.lists(st.sampled_from(WORDS), min_size=1, max_size=5),
    sequence=st.lists(st.sampled_from(WORDS), max_size=12),
)
def test_density_and_pairs_as_counted_over_the_whole_sentence(stems: list[str], sequence: list[str]) -> None:
    """The sentence's density and word pairs, read at the places of question stems, as
    read from every run and every pair of the sentence."""
    weights = dict.fromkeys(stems, 1.0)
    query = _Query(weights, weights, {}, stems, wants_number=False, top_bm25=1.0)
    held = set(sequence) & set(weights)
    mask = sum(1 << bit for bit, stem in enumerate(weights) if stem in held)
    runs = [
        j - i for i in range(len(sequence)) for j in range(i + 1, len(sequence) + 1)
        if held <= set(sequence[i:j])
    ]
    density = float(len(held)) if len(held) <= 1 else len(held) / min(runs)
    expected = DENSITY_WEIGHT * density
    if any(first in held and second in held for first, second in query.bigrams):
        expected += BIGRAM_WEIGHT * len(query.bigrams & set(pairwise(sequence))) / len(query.bigrams)
    assert _full_score(0.0, 0.0, sequence, mask, query) == expected


@settings(max_examples=300, deadline=None)
@given(
    stems=st.lists(st.sampled_from(WORDS), min_size=1, max_size=5),
    weights=st.lists(st.floats(0.05, 5.0), min_size=5, max_size=5),
    articles=st.lists(st.lists(sentence_words, min_size=1, max_size=6), min_size=1, max_size=3),
    digits=st.sets(st.integers(0, 20)),
    hits=st.lists(
        st.tuples(st.integers(1, 3), st.integers(1, 7), st.floats(0.1, 10.0)), min_size=1, max_size=12
    ),
    wants_number=st.booleans(),
    max_sentences=st.integers(1, 3),
    min_coverage=st.sampled_from([0.0, 0.32]),
)
def test_chosen_as_when_every_hit_is_scored_in_full(
    stems: list[str], weights: list[float], articles: list[list[list[str]]], digits: set[int],
    hits: list[tuple[int, int, float]], wants_number: bool, max_sentences: int, min_coverage: float,
) -> None:
    found: list[FoundSentence] = [
        (
            article_id, position,
            " ".join(sentence) + (" 1999" if article_id * 7 + position in digits else ""),
            "en", " ".join(sentence),
        )
        for article_id, sentences in enumerate(articles, 1)
        for position, sentence in enumerate(sentences, 1)
    ]
    candidates = [Hit(*hit) for hit in hits]
    sentences = _Sentences(found, words_of("en"))
    question_weights = dict(zip(dict.fromkeys(stems), weights, strict=False))
    related = _related_words(question_weights, sentences.vocabulary())
    query = _Query(
        question_weights, _answer_weights(question_weights), related, stems,
        wants_number=wants_number, top_bm25=max(hit.score for hit in candidates),
    )
    scored = _scores(candidates, sentences, query.matches(sentences), query)
    reference = _reference(candidates, found, query, related)
    assert _chosen(scored, max_sentences, min_coverage) == _chosen(reference, max_sentences, min_coverage)


def test_sentences_not_in_the_question_language_are_read_in_it() -> None:
    words = words_of("en")
    found: list[FoundSentence] = [
        (1, 1, "The players played football.", "en", "player play footbal"),
        (1, 2, "The nations ran.", "de", "nation ran"),  # the index read it in German
        (2, 1, "Nations play.", "en", None),  # the index holds no terms of it
    ]
    sentences = _Sentences(found, words)
    assert sentences.sequences == [
        ["player", "play", "footbal"], words.terms("The nations ran."), words.terms("Nations play."),
    ]
    assert sentences.terms == [" ".join(sequence) for sequence in sentences.sequences]
    assert sentences.rows == {(1, 1): 0, (1, 2): 1, (2, 1): 2}
