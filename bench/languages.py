"""Briefbot in every XQuAD language: answers, abstention, sentence splitting and ingest speed.

XQuAD (``../shared/bench/multilingual/xquad``) holds the same 24 Wikipedia articles and
620 questions in 12 languages. Everything goes through the real engine, as bench/qa.py
does: articles are stored with ``Engine.ingest`` (title, then the paragraphs; the titles
are the English page names in every language, so each article is also a page with an
English title and a body in its own language) and questions are asked with ``Engine.ask``.

- P@1 alone: every article of one language stored; a question counts when the first
  cited sentence contains a gold answer (both NFKC-normalised, casefolded, whitespace
  collapsed). Answered %: share not declined.
- P@1 together: the articles of all 12 languages in one database, every question asked.
- Half stored: the first 12 articles stored; declined % of the questions about the other
  12, answered % of those about the stored ones.
- BM25: the plain baseline of the data's README, recomputed here (rank-bm25 over the
  naive splitter's sentences, lower-cased ``\\w+`` tokens with combining marks, character
  bigrams for zh and th, no stemming), so both rows come from the same run.
- Sentence F1: ``bench/sentences.py`` on the UD dev sentences, when that bench exists.
- Ingest: articles and thousands of characters stored per second (wall time), alone.

Run from the repository root: ``python bench/languages.py`` (``--languages en,ru`` for some).
Writes ``bench/results/languages.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/, whose retrieval.py would shadow the package

from bench.metrics import shared_dir  # noqa: E402
from retrieval.config import EngineConfig, StorageConfig  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.models import Extracted  # noqa: E402
from retrieval.owners import LOCAL  # noqa: E402

LANGUAGES = ("en", "vi", "es", "de", "el", "ro", "ru", "tr", "ar", "zh", "hi", "th")
OWNER = LOCAL
RESULTS = ROOT / "bench" / "results" / "languages.json"


@dataclass(frozen=True)
class Article:
    title: str
    text: str


@dataclass(frozen=True)
class Question:
    language: str
    text: str
    answers: tuple[str, ...]  # normalised gold answers
    article: int  # position of its article in the file


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def load(language: str) -> tuple[list[Article], list[Question]]:
    path = shared_dir() / "bench" / "multilingual" / "xquad" / f"xquad.{language}.json"
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles: list[Article] = []
    questions: list[Question] = []
    for number, entry in enumerate(data):
        contexts = [paragraph["context"] for paragraph in entry["paragraphs"]]
        articles.append(Article(entry["title"].replace("_", " "), "\n\n".join(contexts)))
        for paragraph in entry["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(normalise(a["text"]) for a in qa["answers"]))
                questions.append(Question(language, qa["question"], answers, number))
    return articles, questions


def open_engine(workdir: Path, name: str) -> Engine:
    return Engine(EngineConfig(storage=StorageConfig(path=str(workdir / f"{name}.db"))))


def store(engine: Engine, articles: Sequence[Article]) -> float:
    """Store the articles (one commit at the end); returns the seconds it took."""
    started = time.perf_counter()
    for article in articles:
        engine.ingest(Extracted(title=article.title, text=article.text), OWNER, commit=False)
    engine.commit()
    return time.perf_counter() - started


def ask(engine: Engine, questions: Sequence[Question]) -> list[tuple[bool, bool]]:
    """(answered, first sentence right) for every question."""
    outcomes = []
    for question in questions:
        answer = engine.ask(question.text, OWNER)
        first = normalise(answer.sentences[0].text) if answer.sentences else ""
        outcomes.append((bool(answer.sentences), any(gold in first for gold in question.answers)))
    return outcomes


def percent(values: Sequence[bool]) -> float:
    return round(100 * sum(values) / len(values), 1) if values else 0.0


# --- the plain BM25 baseline -----------------------------------------------------------

_NAIVE_END = re.compile(r"(?<=[.!?؟।])\s+|(?<=[。！？])")
_WORD = re.compile(r"[\w\u0300-\u036f\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963"
                   r"\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]+")


def _baseline_tokens(text: str, language: str) -> list[str]:
    runs = _WORD.findall(text.lower())
    if language not in {"zh", "th"}:
        return runs
    return [run[i : i + 2] for run in runs for i in range(max(1, len(run) - 1))]


def plain_bm25(articles: Sequence[Article], questions: Sequence[Question], language: str) -> float:
    from rank_bm25 import BM25Okapi

    sentences = [
        sentence.strip()
        for article in articles
        for paragraph in article.text.split("\n\n")
        for sentence in _NAIVE_END.split(paragraph)
        if sentence.strip()
    ]
    bm25 = BM25Okapi([_baseline_tokens(s, language) for s in sentences])
    right = []
    for question in questions:
        scores = bm25.get_scores(_baseline_tokens(question.text, language))
        best = max(range(len(sentences)), key=scores.__getitem__)
        right.append(any(gold in normalise(sentences[best]) for gold in question.answers))
    return percent(right)


# --- sentence boundaries ----------------------------------------------------------------


def sentence_f1() -> dict[str, float]:
    """UD boundary F1 per language from bench/sentences.py, when it is there."""
    try:
        from bench.sentences import boundary_f1_by_language  # type: ignore[import-not-found]
    except ImportError:
        return {}
    return boundary_f1_by_language()


# --- the run ----------------------------------------------------------------------------


def measure(languages: Sequence[str], workdir: Path) -> dict:
    data = {language: load(language) for language in languages}
    results: dict[str, dict] = {}
    for language, (articles, questions) in data.items():
        with open_engine(workdir, f"alone-{language}") as engine:
            seconds = store(engine, articles)
            outcomes = ask(engine, questions)
        half = len(articles) // 2
        with open_engine(workdir, f"half-{language}") as engine:
            store(engine, articles[:half])
            stored = ask(engine, [q for q in questions if q.article < half])
            absent = ask(engine, [q for q in questions if q.article >= half])
        characters = sum(len(a.text) for a in articles)
        results[language] = {
            "bm25": plain_bm25(articles, questions, language),
            "p_at_1": percent([right for _, right in outcomes]),
            "answered": percent([answered for answered, _ in outcomes]),
            "answered_stored": percent([answered for answered, _ in stored]),
            "declined_absent": percent([not answered for answered, _ in absent]),
            "articles_per_s": round(len(articles) / seconds, 1),
            "kchars_per_s": round(characters / seconds / 1000, 1),
        }
        print(language, results[language], flush=True)
    with open_engine(workdir, "together") as engine:
        for articles, _ in data.values():
            store(engine, articles)
        for language, (_, questions) in data.items():
            results[language]["p_at_1_together"] = percent([right for _, right in ask(engine, questions)])
    for language, f1 in sentence_f1().items():
        results.setdefault(language, {})["sentence_f1"] = f1
    return results


def show(results: dict) -> None:
    table = Table(title="XQuAD dev (24 articles, 620 questions per language), through the engine")
    columns = {
        "bm25": "BM25 P@1", "p_at_1": "P@1 alone", "p_at_1_together": "P@1 all 12 in one DB",
        "answered": "answered %", "declined_absent": "half: declined absent %",
        "answered_stored": "half: answered stored %", "sentence_f1": "UD sentence F1",
        "articles_per_s": "ingest articles/s", "kchars_per_s": "ingest k chars/s",
    }
    shown = [key for key in columns if any(key in row for row in results.values())]
    table.add_column("language")
    for key in shown:
        table.add_column(columns[key], justify="right")
    for language, row in results.items():
        table.add_row(language, *(f"{row[key]:.1f}" if key in row else "" for key in shown))
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default=",".join(LANGUAGES), help="comma-separated XQuAD languages")
    args = parser.parse_args()
    languages = [language for language in args.languages.split(",") if language]
    unknown = sorted(set(languages) - set(LANGUAGES))
    if unknown:
        sys.exit(f"XQuAD has no {', '.join(unknown)}; it has {', '.join(LANGUAGES)}.")
    with tempfile.TemporaryDirectory(prefix="briefbot-languages-") as tmp:
        results = measure(languages, Path(tmp))
    show(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
