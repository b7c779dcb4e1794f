"""Words, stems and stop words of every language: the one tokenizer the whole engine shares.

A text becomes *tokens* by its script: words are runs of letters, combining marks and
digits (so Hindi and Thai vowel signs stay inside their words). Scripts written without
spaces between words are segmented: Chinese with jieba's dictionary (rjieba); Japanese
(any run holding kana, or Han in a Japanese text) into runs of one script, kanji runs as
overlapping character bigrams, kana runs whole; Korean (Hangul) into character bigrams,
as Lucene's CJK analyzer does; Thai with PyThaiNLP's dictionary (newmm); Lao, Khmer and
Myanmar into bigrams. Digits of every script read as ASCII digits.

The language adds what only it knows: its Snowball stemmer (PyStemmer) and its stop
words (stopwords-iso; English keeps sumy's shorter list, as before; Chinese terms keep
theirs; :data:`LISTED_CONTENT_WORDS` takes a few content words off stopwords-iso's
lists). Turkish and Uzbek, which chain suffixes, are cut to their first five letters
instead (as good as stemming for Turkish retrieval in Can et al. 2008, and better here:
bench/languages.py), and a suffix after an apostrophe (*Newton'un*) is dropped. Vietnamese writes every
syllable apart, so its terms also pair each syllable with the next (*thành_phố*). A
language we know nothing of (or ``None``) gets tokens alone: never refused, never cut
mid-word. The passage index stores these terms as they are, so a term computed here is
the term searched there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib import resources

import regex
import Stemmer

# Snowball stemmers PyStemmer ships, by ISO 639-1 code.
STEMMERS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "eo": "esperanto", "es": "spanish", "et": "estonian", "eu": "basque",
    "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi", "hu": "hungarian",
    "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian", "ms": "indonesian",
    "nb": "norwegian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "st": "sesotho",
    "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}

_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}ー々〆"
_BIGRAM_SCRIPTS = r"\p{Lao}\p{Khmer}\p{Myanmar}"
# One alternative per way of cutting: bigrams, Thai words, other words.
_TOKEN = regex.compile(
    rf"([{_CJK}]+)|(\p{{Thai}}+)|([{_BIGRAM_SCRIPTS}]+)|([^\W{_CJK}\p{{Thai}}{_BIGRAM_SCRIPTS}]+)"
)
_WORD = regex.compile(r"\w+")
_ASCII_WORD = re.compile(r"\w+", re.ASCII)
_LANGUAGE_TAG = regex.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]+)*")
_APOSTROPHE_SUFFIX = regex.compile(r"(?<=\w)['’]\w+")
# Languages whose terms are their words' first letters, and how many.
PREFIX_LENGTH = {"tr": 5, "az": 5, "uz": 5}
# Languages whose terms keep their stop words: stopwords-iso's Chinese list holds numerals
# and content words (人, 大, 多, 一个), and IDF already weighs the function words down
# (XQuAD dev P@1 74.4 with the list, 75.5 without: bench/languages.py).
INDEXES_STOP_WORDS: frozenset[str] = frozenset({"zh"})
# Content words stopwords-iso lists as stop words: adjectives and nouns of size, time and
# number that questions ask about ("Wie lang ist die neue Brücke?" kept only "Brücke"),
# taken off its lists here; the lists stay otherwise as published. "New" and "old" stay
# listed, as in English's list: news calls much new, and "nouveau" then drew the French
# answer to "Quelle est la longueur du nouveau pont ?" to the sentence saying it is new.
LISTED_CONTENT_WORDS: dict[str, frozenset[str]] = {
    language: frozenset(words.split())
    for language, words in {
        "de": "lang lange groß große großen großer großes kleine kleinen jahr jahre jahren hoch weit"
        " zeit tag tage",
        "es": "largo grandes",
        "fa": "بزرگ",
        "fr": "haut",
        "id": "panjang besar tahun kecil tinggi lama",
        "it": "lungo grande anno anni",
        "ms": "besar tahun kecil tinggi",
        "pl": "lat",
        "pt": "grande grandes ano anos",
        "ru": "большой год лет",
        "vi": "lớn năm cao",
    }.items()
}
# Languages whose terms include pairs of neighbouring tokens.
PAIRED: frozenset[str] = frozenset({"vi"})
PAIR_JOIN = "_"  # between the two tokens of a pair term
_NEEDS_SEGMENTING = regex.compile(rf"[{_CJK}\p{{Thai}}{_BIGRAM_SCRIPTS}]")
# A decimal digit of another script than ASCII's (Arabic-Indic, Devanagari, full-width...).
_OTHER_DIGIT = regex.compile(r"[^\P{Nd}0-9]")


@cache
def _cjk_patterns() -> tuple[regex.Pattern[str], regex.Pattern[str], regex.Pattern[str]]:
    """Kana, Hangul, and the runs of one kind inside Japanese text (kanji, hiragana, katakana,
    hangul): compiled when CJK text first comes, not at every command's start."""
    return (
        regex.compile(r"[\p{Hiragana}\p{Katakana}ー]"),
        regex.compile(r"\p{Hangul}"),
        regex.compile(r"([\p{Han}々〆]+)|(\p{Hiragana}+)|([\p{Katakana}ー]+)|(\p{Hangul}+)"),
    )


def _as_ascii_digit(match: regex.Match[str]) -> str:
    """The ASCII digit of another script's; a digit newer than this Python's Unicode data (the
    regex module's may be newer: Garay's, U+10D40, Unicode 16) is left as it is."""
    digit = match.group()
    value = unicodedata.digit(digit, None)
    return digit if value is None else str(value)


class Words:
    """Tokens, stems and stop words of one language (``None``: any language, no stemming)."""

    def __init__(self, language: str | None) -> None:
        self.language = language
        self._prefix = PREFIX_LENGTH.get(language or "")
        self._paired = language in PAIRED
        algorithm = None if self._prefix else STEMMERS.get(language or "")
        self._stemmer = Stemmer.Stemmer(algorithm) if algorithm else None
        if self._stemmer is not None:
            self._stemmer.maxCacheSize = 50_000
        self.stop_words: frozenset[str] = stop_words(language)
        # Stop-word lists hold some forms of a word and not others (Russian "новый" and
        # not "нового"): the answer ranker weighs a question word less when any of its
        # forms is listed.
        self.stop_stems: frozenset[str] = frozenset(self.stems(sorted(self.stop_words)))
        self._unindexed = frozenset() if language in INDEXES_STOP_WORDS else self.stop_words
        self._turkic = language in {"tr", "az", "uz"}

    def lower(self, text: str) -> str:
        """``text`` lower-cased the way this language does it, with every digit in ASCII."""
        if self._turkic:  # dotted and dotless i are two letters in Turkish
            text = _APOSTROPHE_SUFFIX.sub("", text.replace("I", "ı"))
        lowered = text.replace("İ", "i").lower()
        return lowered if lowered.isascii() else _OTHER_DIGIT.sub(_as_ascii_digit, lowered)

    def tokens(self, text: str) -> list[str]:
        """Lower-cased tokens in order: words, CJK bigrams and Thai words."""
        lowered = self.lower(text)
        if lowered.isascii():  # a quick answer: the search below takes twice findall's time
            return _ASCII_WORD.findall(lowered)
        if not _NEEDS_SEGMENTING.search(lowered):
            return _WORD.findall(lowered)
        result: list[str] = []
        for cjk, thai, other_script, word in _TOKEN.findall(lowered):
            if word:
                result.append(word)
            elif thai:
                from retrieval.language.thai import thai_words  # imported for Thai text only

                result.extend(thai_words(thai))
            elif cjk:
                result.extend(self._cjk_tokens(cjk))
            else:
                result.extend(_bigrams(other_script))
        return result

    def _cjk_tokens(self, run: str) -> list[str]:
        kana, hangul_letter, japanese_run = _cjk_patterns()
        if self.language == "ja" or kana.search(run):
            result: list[str] = []
            for kanji, hiragana, katakana, hangul in japanese_run.findall(run):
                if kanji or hangul:
                    result.extend(_bigrams(kanji or hangul))
                else:
                    result.append(hiragana or katakana)
            return result
        if hangul_letter.search(run):
            return [token for piece in japanese_run.findall(run) for token in _bigrams("".join(piece))]
        import rjieba  # loads jieba's dictionary: only when Chinese text comes

        return rjieba.cut(run)

    def stem(self, token: str) -> str:
        if self._prefix:
            return token[: self._prefix]
        return self._stemmer.stemWord(token) if self._stemmer is not None else token

    def stems(self, tokens: Sequence[str]) -> list[str]:
        if self._prefix:
            return [token[: self._prefix] for token in tokens]
        return self._stemmer.stemWords(tokens) if self._stemmer is not None else list(tokens)

    def content_tokens(self, text: str) -> list[str]:
        """Tokens that carry meaning (stop words removed), in order."""
        stop_words = self.stop_words
        return [token for token in self.tokens(text) if token not in stop_words]

    def terms(self, text: str) -> list[str]:
        """Stems of the tokens that carry meaning (all of them in :data:`INDEXES_STOP_WORDS`),
        in order, repeats kept: what the index holds."""
        stop_words = self._unindexed
        if not self._paired:
            return self.stems([token for token in self.tokens(text) if token not in stop_words])
        result: list[str] = []
        previous = ""
        for token in self.tokens(text):
            if token in stop_words:
                previous = ""
                continue
            result.append(token)
            if previous:
                result.append(f"{previous}{PAIR_JOIN}{token}")
            previous = token
        return result

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Each token with where it stands in ``text`` (start, end), for highlighting."""
        result: list[tuple[int, int, str]] = []
        for match in _TOKEN.finditer(text):
            start, piece = match.start(), match.group()
            if match.lastindex == 4:
                result.append((start, match.end(), self.lower(piece)))
            else:  # find each segment in the piece; bigrams overlap by one character
                lowered = self.lower(piece)
                offset = 0
                for token in self.tokens(piece):
                    at = lowered.find(token, offset)
                    if at < 0:
                        continue
                    result.append((start + at, start + at + len(token), token))
                    offset = at + (1 if match.lastindex != 2 and len(token) == 2 else len(token))
        return result


def _bigrams(run: str) -> list[str]:
    if len(run) < 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


@cache
def stop_words(language: str | None) -> frozenset[str]:
    """Stop words of ``language``: stopwords-iso's list (empty when it has none), but for
    English sumy's shorter one (stopwords-iso's holds "million", "first"...)."""
    if language == "en":  # read as a file: sumy.utils.get_stop_words would import requests (~0.1 s)
        listed = resources.files("sumy") / "data" / "stopwords" / "english.txt"
        return frozenset(listed.read_text("utf-8").split())
    if not language:
        return frozenset()
    import stopwordsiso  # reads its lists and package metadata (about 0.2 s): only when needed

    if stopwordsiso.has_lang(language):
        listed = frozenset(word.lower() for word in stopwordsiso.stopwords(language))
        return listed - LISTED_CONTENT_WORDS.get(language, frozenset())
    return frozenset()


def base_language(code: str | None) -> str | None:
    """The primary language of a tag (``pt-BR`` → ``pt``, `` ZH_hant `` → ``zh``); None for
    None, empty, or anything that is no language tag."""
    if not code:
        return None
    match = _LANGUAGE_TAG.fullmatch(code.strip().lower())
    return match.group(1) if match else None


@lru_cache(maxsize=64)
def words_of(language: str | None) -> Words:
    """The :class:`Words` of ``language`` (an ISO 639-1 code, a tag like ``pt-BR``, or None)."""
    return Words(base_language(language))


NEUTRAL = words_of(None)
