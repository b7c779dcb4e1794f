"""Sentences of a text in its language: the one sentence splitter every part of the engine shares.

``language`` is an ISO 639-1 code (a tag such as "en-US" is read as "en") or None when
it is not known. English goes to nupunkt (offline Punkt, no NLTK data), which measures
best on English; every other language, and text of unknown language, goes to the
punctuation rules of :mod:`retrieval.language.sentence_ends`, which know the sentence ends of
every script; Thai, which has no sentence punctuation, is then cut by PyThaiNLP
(:mod:`retrieval.language.thai`), whether it was named "th" or is found to be mostly Thai letters.
A "sentence" longer than MAX_SENTENCE_CHARS is cut where it does not split a word
(:mod:`retrieval.language.sentence_cut`). Measured with ``bench/sentences.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.language.sentence_cut import cut_long
from retrieval.language.sentence_ends import split_at_sentence_ends
from retrieval.language.thai import is_thai, thai_sentences
from retrieval.language.words import base_language

__all__ = ["MAX_SENTENCE_CHARS", "SplitSentence", "split_paragraphs", "split_sentences"]

# A "sentence" longer than this (a list with no full stops, a run of one word) is cut
# where it does not split a word, so every piece still quotes the source verbatim.
MAX_SENTENCE_CHARS = 1_000



@dataclass(frozen=True)
class SplitSentence:
    paragraph: int  # 0-based paragraph number in the article
    text: str
    language: str | None = None  # its paragraph's own language; None: the article's


def split_sentences(text: str, language: str | None = None) -> list[str]:
    """Sentences of one paragraph in ``language``, whitespace-normalised, in order."""
    language = base_language(language)
    result: list[str] = []
    for sentence in _sentences(text, language):
        sentence = " ".join(sentence.split())
        if sentence:
            result.extend(cut_long(sentence, MAX_SENTENCE_CHARS))
    return result


def split_paragraphs(
    paragraphs: list[str],
    language: str | None = None,
    own_languages: Sequence[str | None] | None = None,
) -> list[SplitSentence]:
    """Sentences of an article's paragraphs in ``language``, numbered by paragraph.

    ``own_languages`` names, for each paragraph, a language of its own it is split in
    instead (None: the article's), as :func:`retrieval.language.detect.article_languages`
    finds them.
    """
    own = own_languages or [None] * len(paragraphs)
    return [
        SplitSentence(paragraph=number, text=sentence, language=own_language)
        for number, (paragraph, own_language) in enumerate(zip(paragraphs, own, strict=True))
        for sentence in split_sentences(paragraph, own_language or language)
    ]


def _sentences(text: str, language: str | None) -> list[str]:
    if language == "en":
        import nupunkt  # loads its model: only when text comes in, not for every command

        return nupunkt.sent_tokenize(text)
    pieces = split_at_sentence_ends(text, language)
    if language not in ("th", None):
        return pieces
    return [
        sentence for piece in pieces for sentence in (thai_sentences(piece) if is_thai(piece) else [piece])
    ]
