"""Where sentences end by their punctuation, in any script.

A sentence may end at a terminator of any script (. ! ? … ؟ ۔ । ։ ። ။ ។ and more),
followed by closing quotes or brackets and then whitespace; the full-width terminators of
Chinese and Japanese (。！？) end a sentence with no space after them. A full stop is not
an end after an initial ("J. Smith"), a dotted abbreviation ("т.е."), a title from the
language's short list ("Dr."), an ordinal where ordinals take a full stop ("3. Oktober"),
or a short word or a number before a lower-case word or a number ("ca. 10", "т. е.").
No end comes before a comma ("¿Por qué? -, se pregunta"), nor before a lower-case word
after "!" ("Yahoo! and AOL") or after a closing quote ("“…” dedi"). An ellipsis after a
word ends a sentence before a word with capitals, in either case; one standing alone
("word ... next") not before a lower-case word.

Measured with ``bench/sentences.py`` against the Universal Dependencies treebanks.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["CLOSERS", "SENTENCE_END_MARKS", "split_at_sentence_ends"]

_TERMINATORS = ".!?…‼⁇⁈⁉‽\u037e؟۔।॥։።፧။។៕᙮"  # U+037E: the Greek question mark
_FULL_WIDTH_TERMINATORS = "。！？｡"
_FULL_WIDTH_STOP = "．"  # also a decimal point between full-width digits
# Every mark that ends a sentence in some script, whatever the language.
SENTENCE_END_MARKS = _TERMINATORS + _FULL_WIDTH_TERMINATORS + _FULL_WIDTH_STOP
CLOSERS = "\"'”’»›)]}」』】〕〉》）］｝〗〙〛"
_DASHES = "-–—"
# Extra terminators of some languages: the Greek question mark is typed as ";", and
# Armenian text often ends sentences with ":" in place of "։".
_LANGUAGE_TERMINATORS = {"el": ";", "hy": ":"}

# Titles and abbreviations that are followed by a capitalised word (a name, a place) in
# running text, so that the capital letter says nothing. Kept short on purpose: other
# abbreviations before a lower-case word or a number are recognised by their shape.
_TITLES = frozenset({"dr", "prof", "mr", "mrs", "ms", "jr", "sr", "st"})
_ABBREVIATIONS: dict[str, frozenset[str]] = {
    "de": _TITLES | {"hr", "hrn", "fr", "dipl", "ing", "nr", "bzw", "ca", "vgl", "sog", "str", "mio", "mrd"},
    "fr": _TITLES | {"mme", "mlle", "mgr", "me", "ste", "av", "bd"},
    "es": _TITLES | {"sr", "sra", "srta", "dra", "sto", "sta", "av", "avda", "ud", "uds", "dña", "gral"},
    "pt": _TITLES | {"sr", "sra", "srta", "dra", "profa", "av", "eng", "exmo", "exma", "sto", "sta"},
    "it": _TITLES | {"sig", "sigg", "dott", "avv", "ing", "on", "sen", "gen", "geom", "rag", "mons"},
    "nl": _TITLES | {"dhr", "mevr", "mr", "ir", "ing", "drs", "nr", "blz"},
    "pl": _TITLES | {"dr", "prof", "inż", "mgr", "hab", "ul", "nr", "ks", "płk", "gen"},
    "ru": frozenset({"г", "гг", "ул", "им", "св", "акад", "проф", "тов", "гр", "пр", "просп", "д", "др"}),
    "uk": frozenset({"вул", "ім", "св", "акад", "проф", "м", "с", "смт", "просп", "пров", "д", "др"}),
    "id": _TITLES | {"drs", "ir", "h", "hj", "tb", "kh", "kol", "jl", "no"},
    "tr": _TITLES | {"doç", "av", "yrd", "sn", "alb", "org", "bkz"},
    "vi": frozenset({"tp", "q", "p", "gs", "ts", "ths", "pgs", "bs"}),
    "el": frozenset({"κ", "δρ", "καθ", "αγ", "οδ"}),
}

# Languages that write ordinals with a full stop ("am 3. Oktober", "5. září").
_ORDINAL_DOT = frozenset(
    {"de", "da", "nb", "nn", "no", "fi", "is", "et", "lv", "cs", "sk", "sl", "hr", "sr", "bs", "hu"}
    | {"pl", "tr"}
)
ORDINAL_DIGITS = 2

_DOTTED_ABBREVIATION = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}")
# A word this short (or a number) before a full stop and a lower-case word is an
# abbreviation or an ordinal ("ca. 10", "т. е.", "am 3. oktober"), not a sentence end.
SHORT_WORD = 3
_NEXT_TOKEN = re.compile(r"\s*(\S+)")
_OPENERS = "\"'“‘«‹([{„¿¡"


@cache
def _candidates(terminators: str) -> re.Pattern[str]:
    """Runs of end marks and closers that may end a sentence."""
    return re.compile(
        rf"(?:[{re.escape(terminators)}]+[{re.escape(CLOSERS)}]*)+(?=\s|$)"
        rf"|(?:[{_FULL_WIDTH_TERMINATORS}]|{_FULL_WIDTH_STOP}(?![0-9０-９]))"
        rf"(?:[{re.escape(_FULL_WIDTH_TERMINATORS + _FULL_WIDTH_STOP + CLOSERS)}])*"
    )


def split_at_sentence_ends(text: str, language: str | None) -> list[str]:
    """``text`` cut after each sentence end; the pieces joined give ``text`` back."""
    pieces: list[str] = []
    start = 0
    end_of_text = len(text.rstrip())
    terminators = _TERMINATORS + _LANGUAGE_TERMINATORS.get(language or "", "")
    for match in _candidates(terminators).finditer(text):
        end = match.end()
        if end >= end_of_text:
            break
        if _is_sentence_end(text, match.start(), match.group(), language):
            pieces.append(text[start:end])
            start = end
    pieces.append(text[start:])
    return pieces


def _is_sentence_end(text: str, at: int, run: str, language: str | None) -> bool:
    if run[0] in _FULL_WIDTH_TERMINATORS or run[0] == _FULL_WIDTH_STOP:
        return True
    following = _NEXT_TOKEN.match(text, at + len(run))
    next_word = following.group(1) if following else ""
    if next_word.lstrip(CLOSERS + _DASHES)[:1] in (",", ";", ":"):
        return False  # "¿Por qué? -, se pregunta": the sentence goes on
    first = _first_alphanumeric(next_word)
    marks = run.rstrip(CLOSERS)
    word = _previous_word(text, at)
    if marks.endswith(("..", "…")):
        if any(ch.isalnum() for ch in word):  # "word... Next", "word... next"; not "word… ۱۲"
            return first.isupper() or first.islower()  # a letter of a script with capitals
        return not first.islower()  # "word ... next" goes on
    if first.islower() and ("!" in marks or marks != run):
        return False  # "Yahoo! and AOL"; "“… inecek.” dedi": the sentence goes on
    if marks != ".":
        return True
    core = word.lstrip(_OPENERS)
    if first.islower() and (core.isdigit() or (core.isalpha() and len(core) <= SHORT_WORD)):
        return False
    if first.isdigit() and core.isalpha() and core.islower() and len(core) <= SHORT_WORD:
        return False
    if language in _ORDINAL_DOT and core.isdigit() and len(core) <= ORDINAL_DIGITS:
        return False
    if len(core) == 1 and core.isupper():
        return False  # an initial
    if _DOTTED_ABBREVIATION.fullmatch(core):
        return False
    abbreviation = core.lower()
    return abbreviation not in _TITLES and abbreviation not in _ABBREVIATIONS.get(language or "", ())


def _previous_word(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end]


def _first_alphanumeric(word: str) -> str:
    return next((ch for ch in word if ch.isalnum()), "")
