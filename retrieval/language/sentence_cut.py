"""Cutting an overlong "sentence" (a list with no full stops, a run of one word) into pieces.

Every piece quotes the source verbatim, and a cut never falls inside a word when the text
offers anything better. Within the last half of the allowed length the cut goes at the
latest place of the best kind there is, in this order:

1. after clause punctuation: before a space that follows a comma, semicolon, colon or dash,
   or right after Chinese and Japanese punctuation (，、；：);
2. at a space;
3. at a word boundary of a script written without spaces: a Thai dictionary word end
   (PyThaiNLP); in Japanese, from hiragana (particles, endings) to Han or katakana, or from
   katakana to hiragana; between such scripts and Latin letters or digits;
4. between two Han characters (often, not always, a word boundary in Chinese);
5. anywhere else that is not inside a grapheme cluster (a letter and its marks, an emoji).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import regex

from retrieval.language.thai import is_thai, thai_word_ends

__all__ = ["cut_long"]

_CLAUSE_PUNCTUATION = frozenset(",;:–—)]}\"'”’»،؛")
_CJK_PUNCTUATION = frozenset("，、；：。！？）」』】〕〉》．｡､")
_GRAPHEME = regex.compile(r"\X")
_HAN = regex.compile(r"\p{Han}")
_HIRAGANA = regex.compile(r"\p{Hiragana}")
_KATAKANA = regex.compile(r"\p{Katakana}")
_SPACELESS = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")

CLAUSE, SPACE, WORD, HAN, GRAPHEME = range(5)
# Characters read past the limit, so that a grapheme or a word running over it is seen whole.
LOOKAHEAD = 64


def cut_long(sentence: str, limit: int) -> list[str]:
    """``sentence`` (whitespace-normalised) in pieces of at most ``limit`` characters."""
    pieces: list[str] = []
    while len(sentence) > limit:
        cut = _best_cut(sentence, limit)
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        pieces.append(sentence)
    return pieces


def _best_cut(text: str, limit: int) -> int:
    lowest = max(1, limit // 2)
    boundaries = _grapheme_boundaries(text, limit)
    window = text[: limit + LOOKAHEAD]
    word_ends = thai_word_ends(window) if is_thai(window) else set()
    best, best_kind = 0, GRAPHEME + 1
    for at in reversed(boundaries):
        if at < lowest:
            break
        kind = _kind(text, at, word_ends.__contains__)
        if kind < best_kind:
            best, best_kind = at, kind
            if kind == CLAUSE:
                break
    if best:
        return best
    # Not one grapheme boundary in the window (a cluster longer than half the limit):
    # the last boundary before the limit, or the limit itself.
    return next((at for at in reversed(boundaries) if at > 0), limit)


def _grapheme_boundaries(text: str, limit: int) -> list[int]:
    """Offsets in (0, limit] where a grapheme cluster starts."""
    end = min(len(text), limit + LOOKAHEAD)
    return [match.start() for match in _GRAPHEME.finditer(text, 0, end) if 0 < match.start() <= limit]


def _kind(text: str, at: int, is_word_end: Callable[[int], bool]) -> int:
    before, after = text[at - 1], text[at]
    if after == " ":
        return CLAUSE if before in _CLAUSE_PUNCTUATION else SPACE
    if before == " ":
        return SPACE
    if before in _CJK_PUNCTUATION and after not in _CJK_PUNCTUATION:
        return CLAUSE
    if unicodedata.category(after) == "Lm":  # ー, 々: part of the word before
        return GRAPHEME
    if is_word_end(at) or _script_change(before, after):
        return WORD
    if _HAN.match(before) and _HAN.match(after):
        return HAN
    return GRAPHEME


def _script_change(before: str, after: str) -> bool:
    """A word boundary that the scripts alone show."""
    if _HIRAGANA.match(before) and (_HAN.match(after) or _KATAKANA.match(after)):
        return True
    if _KATAKANA.match(before) and _HIRAGANA.match(after):
        return True
    spaceless_before, spaceless_after = bool(_SPACELESS.match(before)), bool(_SPACELESS.match(after))
    return spaceless_before != spaceless_after and (before.isalnum() or after.isalnum())
