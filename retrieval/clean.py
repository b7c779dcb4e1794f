"""Text-mode boilerplate removal for pasted web pages.

When someone selects a whole web page and pastes it, the article arrives wrapped in
navigation, teasers, ads and footers, and the markup that HTML extractors rely on is gone.
This module classifies lines (or hard-wrapped blocks) in the spirit of jusText — length,
stop-word density, sentence punctuation, known boilerplate phrases, repetition — smooths the
classes with their context, keeps the strongest contiguous run of prose and picks the
headline that stands right before it.

The lines and their features (length, words, sentence cues) are in
:mod:`retrieval.page_lines`, what page furniture says (known phrases, cookie notices,
comment headers, datelines) in :mod:`retrieval.boilerplate`; this module holds the
classifier: the stop words of the page's language, each line's class, the smoothing, the
main span and the title.

Every feature holds in any language: lengths count a Chinese or Japanese character as
the several Latin letters it stands for; sentence ends are those of every script, and a
long line of Thai or Lao (scripts without sentence punctuation) reads as prose; stop words
come from the page's language (stopwords-iso), and their thresholds are scaled to the
page's own prose, since a Turkish or Arabic sentence has fewer separate stop words than
an English one. Known boilerplate phrases are English.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from functools import cache

import stopwordsiso

from retrieval.boilerplate import DATELINE, is_title_case
from retrieval.language.words import stop_words as _stop_words
from retrieval.page_lines import LENGTH_HIGH, LENGTH_LOW, Kind, Unit, split_units

__all__ = ["CleanedPage", "clean_page_text"]


@dataclass(frozen=True)
class CleanedPage:
    title: str | None
    paragraphs: list[str]


# jusText's stop-word thresholds, tuned on page text (see bench/extraction.py); its length
# thresholds are in page_lines.py.
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
MAX_HEADING_DISTANCE = 200
TITLE_WINDOW = 12
# Weights of the main-span search: words of good text against a fixed cost per junk line,
# and a higher one for comment headers and "Related"-style section headings.
JUNK_COST = 12.0
BREAK_COST = 40.0
TINY_POST_LINES = 2

_NOT_HEADLINE_ENDS = (".", ",", ";", ":", "。", "，", "、", "；", "：", "।", "،", "؛")


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


def clean_page_text(text: str, language: str | None = None) -> CleanedPage:
    """Title and body paragraphs of a pasted page, boilerplate removed, in original order.

    ``language`` (ISO 639-1) chooses the stop words; when None, the list that fits the
    page best is taken.
    """
    if not isinstance(text, str) or not text.strip():
        return CleanedPage(title=None, paragraphs=[])
    units = [Unit(block) for block in split_units(text)]
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


def _stop_rule(units: list[Unit], language: str | None) -> _StopRule:
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


def _count_stops(units: list[Unit], stop_words: frozenset[str]) -> int:
    for unit in units:
        unit.stops = sum(1 for token in unit.stop_tokens if token in stop_words)
    return sum(unit.stops for unit in units)


def _best_stop_language(units: list[Unit], total: int) -> tuple[str, int]:
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


def _mark_repeats(units: list[Unit]) -> None:
    """Lines seen more than once are page furniture; of a repeated long paragraph keep the first."""
    counts = Counter(unit.key for unit in units)
    seen: set[str] = set()
    for unit in units:
        if counts[unit.key] < 2:
            continue
        if unit.chars < LENGTH_HIGH or unit.key in seen:
            unit.junk = True
        seen.add(unit.key)


def _classify(unit: Unit, rule: _StopRule) -> Kind:
    """The context-free class: jusText's length and stop-word rules plus our own cues."""
    if unit.junk or not unit.tokens:
        return Kind.BAD
    if unit.chars < LENGTH_LOW or (not unit.sentence and unit.chars < LENGTH_HIGH):
        return Kind.SHORT
    if rule.title_case and is_title_case(unit.text, rule.words):
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


def _is_prose(unit: Unit) -> bool:
    return not unit.junk and (unit.sentence or unit.cf >= Kind.NEAR_GOOD)


def _is_headline(unit: Unit) -> bool:
    return (
        not unit.junk
        and 2 <= unit.words <= 30
        and unit.chars <= 250
        and not unit.text.endswith(_NOT_HEADLINE_ENDS)
    )


def _looks_clean(units: list[Unit]) -> bool:
    """Nothing but prose, perhaps under one headline: an article pasted without its page."""
    body = units[1:] if len(units) > 1 and _is_headline(units[0]) else units
    return all(_is_prose(unit) for unit in body)


def _clean_result(units: list[Unit]) -> CleanedPage:
    if len(units) > 1 and _is_headline(units[0]) and not _is_prose(units[0]):
        return CleanedPage(title=units[0].text, paragraphs=[unit.text for unit in units[1:]])
    return CleanedPage(title=None, paragraphs=[unit.text for unit in units])


def _fallback(units: list[Unit]) -> CleanedPage:
    """No paragraph stands out: a post of a line or two keeps its lines of two words or more
    that are not boilerplate; anything longer keeps the lines that read like sentences."""
    if len(units) <= TINY_POST_LINES:
        kept = [unit.text for unit in units if not unit.junk and unit.words > 1]
    else:
        kept = [unit.text for unit in units if _is_prose(unit)]
    return CleanedPage(title=None, paragraphs=kept)


def _promote_prose_runs(units: list[Unit]) -> None:
    """Consecutive near-good sentences vouch for each other (one-sentence-paragraph styles)."""
    run: list[Unit] = []
    for unit in [*units, None]:
        if unit is not None and unit.kind >= Kind.NEAR_GOOD and unit.sentence:
            run.append(unit)
            continue
        if len(run) > 1:
            for member in run:
                member.kind = Kind.GOOD
        run = []


def _neighbours(units: list[Unit], accept: frozenset[Kind]) -> tuple[list[Kind], list[Kind]]:
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


def _smooth(units: list[Unit]) -> None:
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


def _promote_headings(units: list[Unit]) -> None:
    """A short headline-like line closely followed by good text is a subheading."""
    gap = MAX_HEADING_DISTANCE + 1  # characters between this unit and the next good one
    for unit in reversed(units):
        if unit.kind == Kind.SHORT and gap <= MAX_HEADING_DISTANCE and _is_headline(unit):
            unit.kind = Kind.NEAR_GOOD
        gap = 0 if unit.kind == Kind.GOOD else gap + unit.chars


def _main_span(units: list[Unit]) -> tuple[int, int] | None:
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


def _span_weight(unit: Unit) -> float:
    if unit.kind == Kind.GOOD:
        return unit.words
    return -BREAK_COST if unit.section_break else -JUNK_COST


def _find_title(units: list[Unit], body_start: int) -> int | None:
    """The headline right before the body, preferring one that the page's first line repeats."""
    first_line = units[0].key
    candidates = [
        index
        for index in range(body_start - 1, max(-1, body_start - 1 - TITLE_WINDOW), -1)
        if _is_headline(units[index]) and not DATELINE.search(units[index].key)
    ]
    for index in candidates:
        if index > 0 and units[index].words >= 3 and units[index].key in first_line:
            return index
    for index in candidates:
        if units[index].words >= 4:
            return index
    return None
