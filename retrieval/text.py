"""Words, stems and stop words: the one tokenizer every part of the engine shares.

The passage index (tantivy) is configured with the same Snowball English stemmer, so a
stem computed here is the term stored there.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import Stemmer

WORD = re.compile(r"\w+", re.UNICODE)

# sumy's list, read as a file: sumy.utils.get_stop_words would import requests (~0.1 s).
STOP_WORDS: frozenset[str] = frozenset(
    (resources.files("sumy") / "data" / "stopwords" / "english.txt").read_text("utf-8").split()
)
_stemmer = Stemmer.Stemmer("english")
_stemmer.maxCacheSize = 50_000


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return WORD.findall(text.lower())


def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning (stop words removed), in order, repeats kept."""
    return _stemmer.stemWords([w for w in words(text) if w not in STOP_WORDS])


@lru_cache(maxsize=1)
def _english_markers() -> frozenset[str]:
    return frozenset({"the", "and", "of", "to", "in", "is", "that", "for", "was", "with"})


def guess_language(text: str) -> str | None:
    """'en' when the text reads as English, else None (we don't guess other languages)."""
    sample = words(text[:5000])
    if len(sample) < 5:
        return None
    markers = _english_markers()
    share = sum(1 for w in sample if w in markers) / len(sample)
    return "en" if share >= 0.08 else None


# Unicode's Quotation_Mark characters (PropList.txt): the quotation marks of every script.
QUOTATION_MARKS = frozenset("\"'«»‘’‚‛“”„‟‹›⹂「」『』〝〞〟﹁﹂﹃﹄＂＇｢｣")


def opens_with_quote(text: str) -> bool:
    """Whether ``text`` begins with a quotation mark, in any script (“ « „ 「 ...)."""
    return text.lstrip()[:1] in QUOTATION_MARKS
