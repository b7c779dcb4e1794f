"""Sentence splitting with nupunkt: offline, pure Python, no NLTK data to download."""

from __future__ import annotations

from dataclasses import dataclass

# A "sentence" longer than this (a list with no full stops, a run of one word) is cut
# at word boundaries so every piece still quotes the source verbatim.
MAX_SENTENCE_CHARS = 1_000


@dataclass(frozen=True)
class SplitSentence:
    paragraph: int  # 0-based paragraph number in the article
    text: str


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph, whitespace-normalised, in order."""
    import nupunkt  # loads its model: only when text comes in, not for every command

    result: list[str] = []
    for sentence in nupunkt.sent_tokenize(text):
        sentence = " ".join(sentence.split())
        if sentence:
            result.extend(_cut_long(sentence))
    return result


def split_paragraphs(paragraphs: list[str]) -> list[SplitSentence]:
    return [
        SplitSentence(paragraph=number, text=sentence)
        for number, paragraph in enumerate(paragraphs)
        for sentence in split_sentences(paragraph)
    ]


def _cut_long(sentence: str) -> list[str]:
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return [sentence]
    pieces: list[str] = []
    while len(sentence) > MAX_SENTENCE_CHARS:
        cut = sentence.rfind(" ", 0, MAX_SENTENCE_CHARS)
        if cut <= 0:
            cut = MAX_SENTENCE_CHARS
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        pieces.append(sentence)
    return pieces
