"""Extractive summaries with sumy, fed through our offline sentence splitter.

sumy's own Tokenizer needs NLTK's punkt data, which cannot be downloaded on many
servers, so we build sumy's document model ourselves from already-split sentences and
give it a word tokenizer of our own. Every summarizer gets the stop words (sumy does
not set them by default), and Edmundson gets its bonus/stigma/null word lists.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers._summarizer import AbstractSummarizer
from sumy.summarizers.edmundson import EdmundsonSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer

from retrieval.text import STOP_WORDS, words

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

    language = "english"

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:  # pragma: no cover - unused
        raise NotImplementedError("sentences are split before they reach sumy")


_TOKENIZER = _WordTokenizer()
_STEMMER = Stemmer("english")


def _plain(factory: Callable[[Stemmer], AbstractSummarizer]) -> Callable[[str | None], AbstractSummarizer]:
    def build(title: str | None) -> AbstractSummarizer:
        summarizer = factory(_STEMMER)
        summarizer.stop_words = STOP_WORDS
        return summarizer

    return build


def _edmundson(title: str | None) -> AbstractSummarizer:
    summarizer = EdmundsonSummarizer(_STEMMER)
    title_words = [w for w in words(title or "") if w not in STOP_WORDS]
    summarizer.bonus_words = title_words or ["said"]
    summarizer.stigma_words = STIGMA_WORDS
    summarizer.null_words = STOP_WORDS
    return summarizer


SUMMARIZERS: dict[str, Callable[[str | None], AbstractSummarizer]] = {
    "lexrank": _plain(LexRankSummarizer),
    "textrank": _plain(TextRankSummarizer),
    "lsa": _plain(LsaSummarizer),
    "luhn": _plain(LuhnSummarizer),
    "sumbasic": _plain(SumBasicSummarizer),
    "edmundson": _edmundson,
}
ALGORITHMS: tuple[str, ...] = ("lead", *SUMMARIZERS)


def sentence_count(total: int, *, sentences: int | None = None, percent: float | None = None) -> int:
    """How many sentences a summary gets: a fixed number or a share of the article."""
    if percent is not None:
        wanted = math.ceil(total * percent / 100)
    else:
        wanted = sentences if sentences is not None else 3
    return max(1, min(total, wanted))


def select_sentences(
    sentences: Sequence[str], count: int, algorithm: str, *, title: str | None = None
) -> list[int]:
    """0-based positions of the ``count`` summary sentences, in their original order."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    if count >= len(sentences):
        return list(range(len(sentences)))
    if algorithm == "lead":
        return list(range(count))
    ranked = sentences[:MAX_RANKED_SENTENCES]
    objects = [Sentence(text, _TOKENIZER) for text in ranked]
    position = {id(sentence): i for i, sentence in enumerate(objects)}
    document = ObjectDocumentModel([Paragraph(objects)])
    summarizer = SUMMARIZERS[algorithm](title)
    chosen = summarizer(document, count)
    picked = sorted(position[id(sentence)] for sentence in chosen)
    # Some methods return fewer sentences than asked when the text is repetitive.
    for i in range(len(ranked)):
        if len(picked) >= count:
            break
        if i not in picked:
            picked.append(i)
    return sorted(picked)
