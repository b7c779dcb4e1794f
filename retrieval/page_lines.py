"""The lines of a pasted page and their features, in every language.

A pasted page is cut into units: its non-empty lines, except that a hard-wrapped block of
prose becomes one unit. Each :class:`Unit` carries the cues the cleaner
(:mod:`retrieval.clean`) classifies it by: its length, its words, whether it reads as
sentences, and whether it is known page furniture (:mod:`retrieval.boilerplate`).

Lengths count a Chinese or Japanese character as the several Latin letters it stands
for; sentence ends are those of every script, and a long line of Thai or Lao (scripts
without sentence punctuation) reads as prose; the words whose share of stop words is
measured include each Chinese and Japanese character, whose function words stand alone.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from enum import IntEnum

import regex

from retrieval.boilerplate import is_boilerplate, is_dateline, is_section_break
from retrieval.language.sentence_ends import CLOSERS, SENTENCE_END_MARKS


class Kind(IntEnum):
    """A unit's class, as jusText names them; the cleaner decides it."""

    BAD = 0
    SHORT = 1
    NEAR_GOOD = 2
    GOOD = 3


# jusText's thresholds, tuned on page text (see bench/extraction.py).
LENGTH_LOW = 50
LENGTH_HIGH = 200
# Lines of prose hold a sentence end inside at least this often, even when the line
# itself ends in a colon or a citation mark.
INNER_SENTENCE_ENDS = 2
# Latin letters a character of these scripts stands for, in length thresholds.
HAN_WEIGHT = 3
KANA_HANGUL_WEIGHT = 2
# Letters per word, to count the words of text written without spaces.
LETTERS_PER_WORD = 6

_WORD = regex.compile(r"[\w\p{M}]+")  # with the vowel signs of Hindi, Thai and the like
_SIMPLE_WORD = re.compile(r"\w+")
# Text in these blocks (Latin, Greek, Cyrillic, punctuation and symbols, no combining
# marks) needs none of the script-aware measures below.
_LATIN_GREEK_CYRILLIC = re.compile(r"[\x00-\u02ff\u0370-\u052f\u1e00-\u1fff\u2000-\u2bff\ufb00-\ufb06]*")
_HAN = regex.compile(r"\p{Han}")
_HAN_KANA = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_HAN_KANA_OR_OTHER = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]|[^\p{Han}\p{Hiragana}\p{Katakana}]+")
_WIDE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
_KANA_HANGUL = regex.compile(r"[\p{Hiragana}\p{Katakana}\p{Hangul}]")
_UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")
_UNPUNCTUATED = regex.compile(r"[\p{Thai}\p{Lao}]")  # scripts with no sentence punctuation
_LETTER = regex.compile(r"\p{L}")
_SENTENCE_STOPS = SENTENCE_END_MARKS + ";"
# A sentence end inside a line: a word of two letters or more (not an initial), its end
# mark, and a word that starts with a capital or in a script without capitals.
_INNER_SENTENCE_END = regex.compile(
    rf"\p{{L}}{{2}}[{regex.escape(SENTENCE_END_MARKS)}][{regex.escape(CLOSERS)}]*\s*[\p{{Lu}}\p{{Lo}}]"
)


def _text_length(text: str) -> int:
    """Length in Latin letters: a Chinese character says about as much as three."""
    length = len(text)
    if _WIDE.search(text):
        length += (HAN_WEIGHT - 1) * len(_HAN.findall(text))
        length += (KANA_HANGUL_WEIGHT - 1) * len(_KANA_HANGUL.findall(text))
    return length


def _stop_tokens(tokens: list[str]) -> list[str]:
    """The tokens whose share of stop words is measured: words, and each character of
    Chinese and Japanese, whose function words (的, 了, の, に) are single characters."""
    result: list[str] = []
    for token in tokens:
        result.extend(_HAN_KANA_OR_OTHER.findall(token) if _HAN_KANA.search(token) else [token])
    return result


def _word_count(tokens: list[str]) -> float:
    """Words, counting a run of a script written without spaces by its length."""
    return sum(
        max(1.0, _text_length(token) / LETTERS_PER_WORD) if _UNSPACED.search(token) else 1.0
        for token in tokens
    )


def _mostly_unpunctuated(text: str) -> bool:
    """Most letters are Thai or Lao, scripts with no mark for the end of a sentence."""
    if not _UNPUNCTUATED.search(text):
        return False
    return 2 * len(_UNPUNCTUATED.findall(text)) > len(_LETTER.findall(text))


class Unit:
    """One candidate paragraph and the cues used to classify it."""

    __slots__ = (
        "text", "key", "chars", "tokens", "stop_tokens", "words", "stops", "sentence", "section_break",
        "junk", "kind", "cf",
    )

    def __init__(self, text: str) -> None:
        self.text = text
        self.key = " ".join(text.lower().split())
        if _LATIN_GREEK_CYRILLIC.fullmatch(text):  # the common case, quickly
            self.tokens = _SIMPLE_WORD.findall(self.key)
            self.chars = len(text)
            self.stop_tokens = self.tokens
            self.words = float(len(self.tokens))
        else:
            self.tokens = _WORD.findall(self.key)
            self.chars = _text_length(text)
            self.stop_tokens = _stop_tokens(self.tokens)
            self.words = _word_count(self.tokens)
        self.stops = 0
        self.sentence = _ends_sentence(text) or _reads_as_sentences(text, self.chars)
        self.section_break = is_section_break(self.key, self.tokens)
        self.junk = (
            self.section_break
            or is_boilerplate(self.key, self.tokens)
            or is_dateline(self.key, self.tokens, self.sentence)
        )
        self.kind = Kind.BAD
        self.cf = Kind.BAD  # the class before context smoothing

    @property
    def stop_density(self) -> float:
        return self.stops / len(self.stop_tokens) if self.stop_tokens else 0.0


def _reads_as_sentences(text: str, length: int) -> bool:
    """A line that does not end like a sentence but is prose: a long one that holds a
    sentence end, or one of Thai or Lao, which mark no sentence end."""
    if length >= LENGTH_HIGH and _count_at_least(_INNER_SENTENCE_END.finditer(text), INNER_SENTENCE_ENDS):
        return True
    return length >= LENGTH_LOW and _mostly_unpunctuated(text)


def _count_at_least(matches: Iterator[object], count: int) -> bool:
    return sum(1 for _ in itertools.islice(matches, count)) >= count


def _ends_sentence(text: str) -> bool:
    core = text.rstrip(CLOSERS)
    return bool(core) and core[-1] in _SENTENCE_STOPS and not core.endswith(("..", "…"))


def split_units(text: str) -> list[str]:
    """Non-empty lines, except that a hard-wrapped block of prose becomes one unit."""
    units: list[str] = []
    block: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line:
            block.append(line)
            continue
        units.extend(_block_units(block))
        block = []
    units.extend(_block_units(block))
    return units


def _block_units(lines: list[str]) -> list[str]:
    if len(lines) > 1 and _is_hard_wrapped(lines):
        return [" ".join(lines)]
    return lines


def _is_hard_wrapped(lines: list[str]) -> bool:
    """Lines of similar width that mostly break mid-sentence: prose wrapped at a column."""
    body = lines[:-1]
    widths = [_text_length(line) for line in body]
    widest = max(widths)
    if widest < 40 or widest > 120 or min(widths) < 0.6 * widest:
        return False
    mid_sentence = sum(1 for line in body if not _ends_sentence(line))
    return mid_sentence * 2 >= len(body) and _text_length(lines[-1]) <= widest + 5
