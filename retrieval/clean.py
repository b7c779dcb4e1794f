"""Text-mode boilerplate removal for pasted web pages.

When someone selects a whole web page and pastes it, the article arrives wrapped in
navigation, teasers, ads and footers, and the markup that HTML extractors rely on is gone.
This module classifies lines (or hard-wrapped blocks) in the spirit of jusText — length,
stop-word density, sentence punctuation, known boilerplate phrases, repetition — smooths the
classes with their context, keeps the strongest contiguous run of prose and picks the
headline that stands right before it.

Every feature holds in any language: lengths count a Chinese or Japanese character as
the several Latin letters it stands for; sentence ends are those of every script, and a
long line of Thai or Lao (scripts without sentence punctuation) reads as prose; stop words
come from the page's language (stopwords-iso), and their thresholds are scaled to the
page's own prose, since a Turkish or Arabic sentence has fewer separate stop words than
an English one. Known boilerplate phrases are English.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from functools import cache

import regex
import stopwordsiso

from retrieval.language.sentence_ends import CLOSERS, SENTENCE_END_MARKS
from retrieval.language.words import stop_words as _stop_words

__all__ = ["CleanedPage", "clean_page_text"]


@dataclass(frozen=True)
class CleanedPage:
    title: str | None
    paragraphs: list[str]


class Kind(IntEnum):
    BAD = 0
    SHORT = 1
    NEAR_GOOD = 2
    GOOD = 3


# jusText's thresholds, tuned on page text (see bench/extraction.py).
LENGTH_LOW = 50
LENGTH_HIGH = 200
STOP_LOW = 0.30
STOP_HIGH = 0.32
# A line that ends like a sentence needs fewer stop words: news prose is full of names.
STOP_SENTENCE = 0.10
# With the language unknown, English is tried first; a page with fewer English stop words
# than this is matched against the other languages' lists, and one with fewer than
# MIN_PAGE_STOP_DENSITY in any list is judged by length and punctuation alone.
ENGLISH_PAGE_STOP_DENSITY = 0.25
MIN_PAGE_STOP_DENSITY = 0.08
# The stop thresholds above were tuned on English pages, whose prose is this dense in
# English stop words. Other languages' lists cover their prose less or more (Turkish and
# Arabic attach many function words to the word), so on a page in another language the
# thresholds are scaled by the median density of its long sentence-ending lines against
# this one, between MIN_STOP_SCALE and 1; PROSE_SAMPLE_TOKENS words of them are needed.
PROSE_STOP_DENSITY = 0.45
MIN_STOP_SCALE = 0.3
PROSE_SAMPLE_TOKENS = 100
# Lines of prose hold a sentence end inside at least this often, even when the line
# itself ends in a colon or a citation mark.
INNER_SENTENCE_ENDS = 2
# Latin letters a character of these scripts stands for, in length thresholds.
HAN_WEIGHT = 3
KANA_HANGUL_WEIGHT = 2
# Letters per word, to count the words of text written without spaces.
LETTERS_PER_WORD = 6
MAX_HEADING_DISTANCE = 200
TITLE_WINDOW = 12
# Longer lines are never boilerplate by a phrase alone.
PHRASE_CHECK_CHARS = 160
# Weights of the main-span search: words of good text against a fixed cost per junk line,
# and a higher one for comment headers and "Related"-style section headings.
JUNK_COST = 12.0
BREAK_COST = 40.0
SECTION_HEADER_WORDS = 5
TITLE_CASE_HEAD_CHARS = 90
DATELINE_WORDS = 10
TINY_POST_LINES = 2

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
_NOT_HEADLINE_ENDS = (".", ",", ";", ":", "。", "，", "、", "；", "：", "।", "،", "؛")

# All patterns run on the lower-cased, whitespace-normalised line.
_BOILERPLATE_LINE = re.compile(
    r"""\W*(?:
        advertisements?|ad|sponsored(?:\ content)?|promoted|
        share(?:\ this)?(?:\ (?:article|story|post|page))?|tweet|e-?mail|print|
        comments?|\d+\ comments?|
        read\ more|continue\ reading|show\ more|see\ more|load\ more|view\ more|
        related(?:\ (?:articles?|stories|posts|content|topics))?|recommended|trending|
        most\ (?:read|popular|viewed|shared)|up\ next|more\ stories|
        sign\ (?:up|in)|log\ ?in|subscribe|newsletters?|menu|search|close|caption|
        next|previous|back\ to\ top|skip\ to\ (?:main\ )?content|loading|
        image\ \d+\ of\ \d+|\d+\ ?/\ ?\d+|tags?|topics|categories|
        facebook|twitter|linkedin|whatsapp|pinterest|reddit|instagram|youtube|rss
    )\W*""",
    re.VERBOSE,
)
_BOILERPLATE_PHRASE = re.compile(
    r"""\bphoto(?:graph)?s?\ ?(?:by\b|:|credit)|\bimage\ ?(?:credit|source|:)|\bcredit\ ?:|
        getty\ images|shutterstock|\bap\ photo\b|\bfile\ photo\b|
        ©|\(c\)\ ?\d{4}|\bcopyright\b|all\ rights\ reserved|
        \bcookies?\b|privacy\ policy|terms\ (?:of|and)\ (?:use|service|conditions)|
        \bsign\ up\b|\bsubscribe\b|\bnewsletter|\bshare\ (?:this|on)\b|\bfollow\ us\b|
        \bclick\ here\b|\bread\ (?:more|next|also)\b|\balso\ read\b|
        join\ the\ conversation|download\ (?:the|our)\ app|you\ (?:may|might)\ also|
        \badvertisement\b|\bsponsored\b|\ball\ comments\b|\bskip\ to\b""",
    re.VERBOSE,
)
# Words of which at least one must occur before _BOILERPLATE_PHRASE is worth running.
_PHRASE_TRIGGERS = frozenset(
    {
        "photo", "photos", "photograph", "image", "credit", "getty", "shutterstock", "ap", "file",
        "c", "copyright", "rights", "cookie", "cookies", "privacy", "terms", "sign", "subscribe",
        "newsletter", "newsletters", "share", "follow", "click", "read", "join", "download", "may",
        "might", "advertisement", "sponsored", "comments", "skip"
    }
)
# Cookie banners and legal footers are boilerplate however long they are. (Checked on
# the line's words: a regular expression with two ".*" went quadratic on long lines.)
_COOKIE_WORDS = frozenset({"cookie", "cookies"})
_CONSENT_WORDS = frozenset({"agree", "accept", "consent", "privacy"})
# Headers of reader comments: the main span must not run on into a comment thread.
_COMMENT_MARK = re.compile(
    r"""\b\d+\ ?(?:s|m|h|d|w|mins?|minutes?|hrs?|hours?|days?|weeks?|months?|years?)\ ago\b|
        \b(?:said|says|wrote|writes)\ ?:$|^\W*(?:reply|report|quote)\W*$|
        \brating\ ?:\ ?\d+\ votes?\b|leave\ a\ (?:reply|comment)|cancel\ reply|
        \bin\ reply\ to\b|bloggers\ like\ this""",
    re.VERBOSE,
)
# Headings of the page sections that follow an article: teasers, comments, more links.
_SECTION_HEADER = re.compile(
    r"""\W*(?:related(?:\ \w+)?|recommended(?:\ \w+)?|trending(?:\ \w+)?|popular|
        most\ (?:read|popular|viewed|shared)|more\ (?:stories|news|from|in|on|like)\b.*|
        up\ next|read\ next|(?:view\ |all\ |\d+\ )?comments?|
        you\ (?:may|might)\ (?:also\ )?like|don'?t\ miss|editor'?s\ picks?|
        (?:other|latest|top)\ (?:stories|news|articles|headlines)
    )\W*""",
    re.VERBOSE,
)
_COMMENT_TRIGGERS = frozenset(
    {
        "ago", "said", "says", "wrote", "writes", "reply", "report", "quote", "rating", "leave",
        "cancel", "bloggers"
    }
)
_DIGIT = re.compile(r"\d")
_BYLINE_STARTS = ("by ", "updated", "published", "posted")
_DATELINE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}\b|"
    r"\b\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|"
    r"\b\d{1,2}:\d{2}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|"
    r"^(?:by|updated|published|posted)\b"
)
# Words after the first one, unless they follow sentence punctuation or a quote.
_INNER_WORD = re.compile(r"(?<=[^\W\d_,;–—-]) +(\w+)")


@cache
def _stop_languages() -> tuple[str, ...]:
    """The languages that have stop-word lists, English first."""
    return ("en", *sorted(language for language in stopwordsiso.langs() if language != "en"))


@dataclass(frozen=True)
class _StopRule:
    """The stop words of the page's language and the densities that make a line prose."""

    words: frozenset[str]
    used: bool
    # Capitalised stop words mark a headline only where headlines are Title Cased.
    title_case: bool = False
    low: float = STOP_LOW
    high: float = STOP_HIGH
    sentence: float = STOP_SENTENCE


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


class _Unit:
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
        self.section_break = _is_section_break(self.key, self.tokens)
        self.junk = (
            self.section_break
            or _is_boilerplate(self.key, self.tokens)
            or _is_dateline(self.key, self.tokens, self.sentence)
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


def _is_section_break(key: str, tokens: list[str]) -> bool:
    """A comment header or the heading of a section that follows the article."""
    if len(tokens) <= SECTION_HEADER_WORDS and _SECTION_HEADER.fullmatch(key):
        return True
    return (
        len(key) <= PHRASE_CHECK_CHARS
        and not _COMMENT_TRIGGERS.isdisjoint(tokens)
        and _COMMENT_MARK.search(key) is not None
    )


def _is_dateline(key: str, tokens: list[str], sentence: bool) -> bool:
    """A byline or timestamp standing on its own line."""
    return (
        not sentence
        and len(tokens) <= DATELINE_WORDS
        and (_DIGIT.search(key) is not None or key.startswith(_BYLINE_STARTS))
        and _DATELINE.search(key) is not None
    )


def _is_boilerplate(key: str, tokens: list[str]) -> bool:
    if key.startswith(("©", "copyright")):
        return True
    if "cookie" in key and not _COOKIE_WORDS.isdisjoint(tokens) and not _CONSENT_WORDS.isdisjoint(tokens):
        return True
    if len(key) > PHRASE_CHECK_CHARS:
        return False
    if len(tokens) <= 6 and _BOILERPLATE_LINE.fullmatch(key):
        return True
    return ("©" in key or not _PHRASE_TRIGGERS.isdisjoint(tokens)) and bool(
        _BOILERPLATE_PHRASE.search(key)
    )


def _is_title_case(text: str, stop_words: frozenset[str]) -> bool:
    """Two Capitalised stop words inside the line: a headline or a teaser, not prose."""
    capitalised = 0
    for word in _INNER_WORD.findall(text[:TITLE_CASE_HEAD_CHARS]):
        if word[0].isupper() and not word.isupper() and word.lower() in stop_words:
            capitalised += 1
    return capitalised >= 2


def clean_page_text(text: str, language: str | None = None) -> CleanedPage:
    """Title and body paragraphs of a pasted page, boilerplate removed, in original order.

    ``language`` (ISO 639-1) chooses the stop words; when None, the list that fits the
    page best is taken.
    """
    if not isinstance(text, str) or not text.strip():
        return CleanedPage(title=None, paragraphs=[])
    units = [_Unit(block) for block in _split_units(text)]
    rule = _stop_rule(units, language)
    _mark_repeats(units)
    for unit in units:
        unit.cf = unit.kind = _classify(unit, rule)
    if _looks_clean(units):
        return _clean_result(units)
    _promote_prose_runs(units)
    _smooth(units)
    span = _main_span(units)
    if span is None:
        return _fallback(units)
    start, end = span
    body_start = next((i for i in range(start, end) if units[i].cf >= Kind.NEAR_GOOD), start)
    title_index = _find_title(units, body_start)
    if title_index is not None:
        start = max(start, title_index + 1)
    paragraphs = [unit.text for unit in units[start:end] if unit.kind == Kind.GOOD]
    title = units[title_index].text if title_index is not None else None
    return CleanedPage(title=title, paragraphs=paragraphs)


def _split_units(text: str) -> list[str]:
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


def _stop_rule(units: list[_Unit], language: str | None) -> _StopRule:
    """Count each unit's stop words in the list of the page's language and scale the
    thresholds to the page's prose."""
    total = sum(len(unit.stop_tokens) for unit in units) or 1
    if language is None:
        language, covered = _best_stop_language(units, total)
    else:
        covered = _count_stops(units, _stop_words(language))
    stop_words = _stop_words(language)
    title_case = language == "en"
    if not stop_words or covered < MIN_PAGE_STOP_DENSITY * total:
        return _StopRule(words=stop_words, used=False, title_case=title_case)
    prose = [unit for unit in units if unit.sentence and unit.chars >= LENGTH_HIGH and not unit.junk]
    if language == "en" or sum(len(unit.stop_tokens) for unit in prose) < PROSE_SAMPLE_TOKENS:
        return _StopRule(words=stop_words, used=True, title_case=title_case)
    density = statistics.median(unit.stop_density for unit in prose)
    scale = min(1.0, max(MIN_STOP_SCALE, density / PROSE_STOP_DENSITY))
    return _StopRule(
        words=stop_words, used=True, title_case=title_case, low=STOP_LOW * scale,
        high=STOP_HIGH * scale, sentence=STOP_SENTENCE * scale,
    )


def _count_stops(units: list[_Unit], stop_words: frozenset[str]) -> int:
    for unit in units:
        unit.stops = sum(1 for token in unit.stop_tokens if token in stop_words)
    return sum(unit.stops for unit in units)


def _best_stop_language(units: list[_Unit], total: int) -> tuple[str, int]:
    """English if the page has enough English stop words, else the language whose list
    covers most of its words; each unit's stop words are counted in that list."""
    languages = _stop_languages()
    best = languages[0]
    covered = _count_stops(units, _stop_words(best))
    if covered >= ENGLISH_PAGE_STOP_DENSITY * total:
        return best, covered
    counts: Counter[str] = Counter()
    for unit in units:
        counts.update(unit.stop_tokens)
    for language in languages[1:]:
        candidate_covered = sum(counts[word] for word in _stop_words(language) & counts.keys())
        if candidate_covered > covered:
            best, covered = language, candidate_covered
    if best != languages[0]:
        _count_stops(units, _stop_words(best))
    return best, covered


def _mark_repeats(units: list[_Unit]) -> None:
    """Lines seen more than once are page furniture; of a repeated long paragraph keep the first."""
    counts = Counter(unit.key for unit in units)
    seen: set[str] = set()
    for unit in units:
        if counts[unit.key] < 2:
            continue
        if unit.chars < LENGTH_HIGH or unit.key in seen:
            unit.junk = True
        seen.add(unit.key)


def _classify(unit: _Unit, rule: _StopRule) -> Kind:
    """The context-free class: jusText's length and stop-word rules plus our own cues."""
    if unit.junk or not unit.tokens:
        return Kind.BAD
    if unit.chars < LENGTH_LOW or (not unit.sentence and unit.chars < LENGTH_HIGH):
        return Kind.SHORT
    if rule.title_case and _is_title_case(unit.text, rule.words):
        return Kind.BAD
    if not rule.used:
        if unit.sentence:
            return Kind.GOOD if unit.chars > LENGTH_HIGH else Kind.NEAR_GOOD
        return Kind.SHORT
    density = unit.stop_density
    if density >= rule.high:
        return Kind.GOOD if unit.chars > LENGTH_HIGH else Kind.NEAR_GOOD
    if density >= rule.low or (unit.sentence and density >= rule.sentence):
        return Kind.NEAR_GOOD
    return Kind.BAD


def _is_prose(unit: _Unit) -> bool:
    return not unit.junk and (unit.sentence or unit.cf >= Kind.NEAR_GOOD)


def _is_headline(unit: _Unit) -> bool:
    return (
        not unit.junk
        and 2 <= unit.words <= 30
        and unit.chars <= 250
        and not unit.text.endswith(_NOT_HEADLINE_ENDS)
    )


def _looks_clean(units: list[_Unit]) -> bool:
    """Nothing but prose, perhaps under one headline: an article pasted without its page."""
    body = units[1:] if len(units) > 1 and _is_headline(units[0]) else units
    return all(_is_prose(unit) for unit in body)


def _clean_result(units: list[_Unit]) -> CleanedPage:
    if len(units) > 1 and _is_headline(units[0]) and not _is_prose(units[0]):
        return CleanedPage(title=units[0].text, paragraphs=[unit.text for unit in units[1:]])
    return CleanedPage(title=None, paragraphs=[unit.text for unit in units])


def _fallback(units: list[_Unit]) -> CleanedPage:
    """No paragraph stands out: a post of a line or two keeps its lines of two words or more
    that are not boilerplate; anything longer keeps the lines that read like sentences."""
    if len(units) <= TINY_POST_LINES:
        kept = [unit.text for unit in units if not unit.junk and unit.words > 1]
    else:
        kept = [unit.text for unit in units if _is_prose(unit)]
    return CleanedPage(title=None, paragraphs=kept)


def _promote_prose_runs(units: list[_Unit]) -> None:
    """Consecutive near-good sentences vouch for each other (one-sentence-paragraph styles)."""
    run: list[_Unit] = []
    for unit in [*units, None]:
        if unit is not None and unit.kind >= Kind.NEAR_GOOD and unit.sentence:
            run.append(unit)
            continue
        if len(run) > 1:
            for member in run:
                member.kind = Kind.GOOD
        run = []


def _neighbours(units: list[_Unit], accept: frozenset[Kind]) -> tuple[list[Kind], list[Kind]]:
    """For every unit, the class of the nearest unit before and after it whose class is in
    ``accept``; BAD beyond the edges."""
    before: list[Kind] = []
    last = Kind.BAD
    for unit in units:
        before.append(last)
        if unit.kind in accept:
            last = unit.kind
    after: list[Kind] = []
    last = Kind.BAD
    for unit in reversed(units):
        after.append(last)
        if unit.kind in accept:
            last = unit.kind
    after.reverse()
    return before, after


_DECIDED = frozenset({Kind.BAD, Kind.GOOD})
_DECIDED_OR_NEAR = frozenset({Kind.BAD, Kind.GOOD, Kind.NEAR_GOOD})


def _smooth(units: list[_Unit]) -> None:
    """jusText's context-sensitive pass: short and near-good units take their neighbours' class."""
    _promote_headings(units)
    before, after = _neighbours(units, _DECIDED)
    near_before, near_after = _neighbours(units, _DECIDED_OR_NEAR)
    new_kinds: dict[int, Kind] = {}
    for index, unit in enumerate(units):
        if unit.kind != Kind.SHORT:
            continue
        prev_kind, next_kind = before[index], after[index]
        if prev_kind == next_kind:
            new_kinds[index] = prev_kind
        elif (prev_kind == Kind.BAD and near_before[index] == Kind.NEAR_GOOD) or (
            next_kind == Kind.BAD and near_after[index] == Kind.NEAR_GOOD
        ):
            new_kinds[index] = Kind.GOOD
        else:
            new_kinds[index] = Kind.BAD
    for index, kind in new_kinds.items():
        units[index].kind = kind
    before, after = _neighbours(units, _DECIDED)
    for index, unit in enumerate(units):
        if unit.kind == Kind.NEAR_GOOD:
            both_bad = before[index] == after[index] == Kind.BAD
            unit.kind = Kind.BAD if both_bad else Kind.GOOD


def _promote_headings(units: list[_Unit]) -> None:
    """A short headline-like line closely followed by good text is a subheading."""
    gap = MAX_HEADING_DISTANCE + 1  # characters between this unit and the next good one
    for unit in reversed(units):
        if unit.kind == Kind.SHORT and gap <= MAX_HEADING_DISTANCE and _is_headline(unit):
            unit.kind = Kind.NEAR_GOOD
        gap = 0 if unit.kind == Kind.GOOD else gap + unit.chars


def _main_span(units: list[_Unit]) -> tuple[int, int] | None:
    """The contiguous run of units with the most good text net of the junk inside it."""
    best: tuple[int, int] | None = None
    best_score = 0.0
    score = 0.0
    start = 0
    for index, unit in enumerate(units):
        if score <= 0:
            score = 0.0
            start = index
        score += _span_weight(unit)
        if score > best_score:
            best_score = score
            best = (start, index + 1)
    return best


def _span_weight(unit: _Unit) -> float:
    if unit.kind == Kind.GOOD:
        return unit.words
    return -BREAK_COST if unit.section_break else -JUNK_COST


def _find_title(units: list[_Unit], body_start: int) -> int | None:
    """The headline right before the body, preferring one that the page's first line repeats."""
    first_line = units[0].key
    candidates = [
        index
        for index in range(body_start - 1, max(-1, body_start - 1 - TITLE_WINDOW), -1)
        if _is_headline(units[index]) and not _DATELINE.search(units[index].key)
    ]
    for index in candidates:
        if index > 0 and units[index].words >= 3 and units[index].key in first_line:
            return index
    for index in candidates:
        if units[index].words >= 4:
            return index
    return None
