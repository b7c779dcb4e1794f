"""Thai sentences and word boundaries with PyThaiNLP, whose models ship inside the package.

Thai has no sentence punctuation: spaces separate sentence-like units, and also names,
numbers and foreign words. PyThaiNLP's CRFCut (a CRF trained on TED transcripts) decides
which spaces end a sentence; its pieces shorter than MIN_SENTENCE_CHARS are mostly names
or numbers cut off their sentence, so they are joined to the next piece. Words come from
PyThaiNLP's dictionary tokenizer (newmm). PyThaiNLP is imported on first use only.
"""

from __future__ import annotations

import os
import re
from functools import cache
from types import ModuleType

__all__ = ["THAI_LETTERS", "is_thai", "thai_sentences", "thai_word_ends", "thai_words"]

THAI_LETTERS = "\u0e00-\u0e7f"
_THAI = re.compile(f"[{THAI_LETTERS}]")
_LETTER = re.compile(r"[^\W\d_]")
# Chosen on the XQuAD dev articles: with it, Thai paragraphs split into as many
# sentences as their English originals (bench/sentences.py, "Thai" table).
MIN_SENTENCE_CHARS = 60


@cache
def _pythainlp() -> tuple[ModuleType, ModuleType]:
    # PyThaiNLP creates ~/pythainlp-data on import unless read-only; we never download.
    os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
    from pythainlp import tokenize
    from pythainlp.tokenize import crfcut

    return crfcut, tokenize


def is_thai(text: str) -> bool:
    """Most of the letters of ``text`` are Thai."""
    if not _THAI.search(text):
        return False
    letters = _LETTER.findall(text)
    return bool(letters) and 2 * sum(1 for ch in letters if _THAI.match(ch)) > len(letters)


def thai_sentences(text: str) -> list[str]:
    """``text`` cut into sentences; the pieces joined give ``text`` back."""
    crfcut, _ = _pythainlp()
    pieces: list[str] = []
    for piece in crfcut.segment(text):
        if pieces and len(pieces[-1].strip()) < MIN_SENTENCE_CHARS:
            pieces[-1] += piece
        else:
            pieces.append(piece)
    if len(pieces) > 1 and len(pieces[-1].strip()) < MIN_SENTENCE_CHARS:
        last = pieces.pop()
        pieces[-1] += last
    return pieces if "".join(pieces) == text else [text]


def thai_word_ends(text: str) -> set[int]:
    """Offsets in ``text`` where a word ends, by the dictionary tokenizer."""
    _, tokenize = _pythainlp()
    ends: set[int] = set()
    offset = 0
    for word in tokenize.word_tokenize(text, engine="newmm", keep_whitespace=True):
        offset += len(word)
        ends.add(offset)
    return ends if offset == len(text) else set()


def thai_words(text: str) -> list[str]:
    """The words of a run of Thai, by the dictionary tokenizer."""
    _, tokenize = _pythainlp()
    words = tokenize.word_tokenize(text, engine="newmm", keep_whitespace=False)
    return [word for word in words if word.strip()]
