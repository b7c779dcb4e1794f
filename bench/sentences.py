"""Sentence boundaries per language: our splitter against the naive one and the candidates.

Run from the repository root: ``python bench/sentences.py``. Two tables:

- UD: boundary precision, recall and F1 on the 13 Universal Dependencies treebanks in
  ``../shared/bench/multilingual/sentences``, exactly as that folder's README defines them
  (documents joined with one space, "" for zh and ja; boundaries counted in non-whitespace
  characters; micro-averaged). Columns: the README's naive splitter, ours with the
  treebank's language, ours with language None (the language-neutral path), and the
  candidates tried: nupunkt (English Punkt), pysbd, sentencex (when installed).
- Thai (no treebank here): the XQuAD paragraphs in Thai split into sentences, compared with
  their English originals split by nupunkt, paragraph by paragraph (translations keep most
  sentences), and our speed.

``boundary_f1_by_language()`` (ours, ×100) is what ``bench/languages.py`` imports for its
"UD sentence F1" column. Writes ``bench/results/sentences.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
# First, even when PYTHONPATH names the root too: bench/retrieval.py must not shadow the package.
sys.path.insert(0, str(ROOT))

from bench.metrics import shared_dir  # noqa: E402
from retrieval.sentences import split_sentences  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "sentences.json"
UNSPACED = frozenset({"zh", "ja"})

Splitter = Callable[[str, str], list[str]]

_NAIVE = re.compile(r"(?<=[.!?؟।])(?=\s)|(?<=[。！？])")


def naive_split(text: str, language: str) -> list[str]:
    """The README's baseline: after . ! ? ؟ । when whitespace follows, and right after 。！？."""
    return [piece for piece in _NAIVE.split(text) if piece.strip()]


def ours(text: str, language: str) -> list[str]:
    return split_sentences(text, language)


def ours_neutral(text: str, language: str) -> list[str]:
    return split_sentences(text, None)


@dataclass(frozen=True)
class BoundaryScore:
    precision: float
    recall: float
    f1: float
    gold: int
    seconds: float


def ud_languages() -> list[str]:
    folder = _sentences_dir()
    return sorted(path.stem for path in folder.glob("*.json"))


def _sentences_dir() -> Path:
    return shared_dir() / "bench" / "multilingual" / "sentences"


@cache
def ud_documents(language: str) -> tuple[tuple[str, ...], ...]:
    data = json.loads((_sentences_dir() / f"{language}.json").read_text(encoding="utf-8"))
    return tuple(tuple(document) for document in data["documents"])


def _boundaries(sentences: list[str] | tuple[str, ...]) -> set[int]:
    """Offsets, in non-whitespace characters, where each sentence but the last ends."""
    offsets: set[int] = set()
    count = 0
    for sentence in sentences[:-1]:
        count += len("".join(sentence.split()))
        offsets.add(count)
    return offsets


def boundary_scores(language: str, splitter: Splitter) -> BoundaryScore:
    """Micro-averaged boundary P/R/F1 of ``splitter`` on the UD documents of ``language``."""
    joiner = "" if language in UNSPACED else " "
    matched = predicted = gold = 0
    seconds = 0.0
    for document in ud_documents(language):
        text = joiner.join(document)
        started = time.perf_counter()
        pieces = [piece for piece in splitter(text, language) if piece.strip()]
        seconds += time.perf_counter() - started
        expected, found = _boundaries(document), _boundaries(pieces)
        matched += len(expected & found)
        predicted += len(found)
        gold += len(expected)
    precision = matched / predicted if predicted else 0.0
    recall = matched / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return BoundaryScore(precision, recall, f1, gold, seconds)


def boundary_f1_by_language() -> dict[str, float]:
    """Our splitter's boundary F1 (×100) on each UD language, told the language."""
    return {language: 100 * boundary_scores(language, ours).f1 for language in ud_languages()}


def candidates() -> dict[str, Splitter]:
    """The splitters compared: the baseline, ours, and the libraries that are installed."""
    splitters: dict[str, Splitter] = {"naive": naive_split, "ours": ours, "ours, language None": ours_neutral}
    import nupunkt

    splitters["nupunkt"] = lambda text, _: nupunkt.sent_tokenize(text)
    try:
        import pysbd
    except ImportError:
        pass
    else:
        segmenters: dict[str, pysbd.Segmenter] = {}

        def pysbd_split(text: str, language: str) -> list[str]:
            if language not in segmenters:
                try:
                    segmenters[language] = pysbd.Segmenter(language=language, clean=False)
                except ValueError:  # a language pysbd does not have: its English rules
                    segmenters[language] = pysbd.Segmenter(language="en", clean=False)
            return segmenters[language].segment(text)

        splitters["pysbd"] = pysbd_split
    try:
        import sentencex
    except ImportError:
        pass
    else:
        splitters["sentencex"] = lambda text, language: list(sentencex.segment(language, text))
    return splitters


def ud_table(splitters: dict[str, Splitter]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for language in ud_languages():
        scores = {name: boundary_scores(language, splitter) for name, splitter in splitters.items()}
        rows.append({"language": language, **{name: asdict(score) for name, score in scores.items()}})
    table = Table(title="Sentence boundary F1 on UD dev (P / R under it for ours and naive)")
    table.add_column("language")
    table.add_column("gold", justify="right")
    for name in splitters:
        table.add_column(name, justify="right")
    table.add_column("ours − naive", justify="right")
    for row in rows:
        cells = []
        for name in splitters:
            score = row[name]
            assert isinstance(score, dict)
            cell = f"{100 * score['f1']:.1f}"
            if name in ("naive", "ours"):
                cell += f"\n{100 * score['precision']:.1f} / {100 * score['recall']:.1f}"
            cells.append(cell)
        gain = 100 * (row["ours"]["f1"] - row["naive"]["f1"])  # type: ignore[index]
        gold = row["naive"]["gold"]  # type: ignore[index]
        table.add_row(str(row["language"]), str(gold), *cells, f"{gain:+.1f}")
    Console(width=150).print(table)
    return rows


def _xquad_contexts(language: str) -> list[str]:
    path = shared_dir() / "bench" / "multilingual" / "xquad" / f"xquad.{language}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return [p["context"].lstrip("\ufeff") for article in data["data"] for p in article["paragraphs"]]


def thai_table() -> dict[str, dict[str, float]]:
    """Sentences per Thai XQuAD paragraph against its English original (nupunkt)."""
    import nupunkt
    from pythainlp.tokenize import crfcut

    english = [len(nupunkt.sent_tokenize(text)) for text in _xquad_contexts("en")]
    thai = _xquad_contexts("th")
    splitters: dict[str, Callable[[str], list[str]]] = {
        "naive": lambda text: naive_split(text, "th"),
        "PyThaiNLP CRFCut alone": crfcut.segment,
        "ours": lambda text: split_sentences(text, "th"),
        "ours, language None": lambda text: split_sentences(text, None),
    }
    results: dict[str, dict[str, float]] = {}
    for name, splitter in splitters.items():
        started = time.perf_counter()
        counts = [len([s for s in splitter(text) if s.strip()]) for text in thai]
        seconds = time.perf_counter() - started
        differences = [count - reference for count, reference in zip(counts, english, strict=True)]
        results[name] = {
            "sentences": sum(counts),
            "english_sentences": sum(english),
            "mean_abs_difference": statistics.fmean(abs(d) for d in differences),
            "same_count": sum(1 for d in differences if d == 0) / len(differences),
            "chars_per_second": sum(len(text) for text in thai) / seconds,
        }
    table = Table(title=f"Thai XQuAD: {len(thai)} paragraphs, sentences against the English originals")
    for column in ("splitter", "sentences", "English", "mean |Δ| per paragraph", "same count", "chars/s"):
        table.add_column(column, justify="left" if column == "splitter" else "right")
    for name, row in results.items():
        table.add_row(
            name,
            f"{row['sentences']:.0f}",
            f"{row['english_sentences']:.0f}",
            f"{row['mean_abs_difference']:.2f}",
            f"{100 * row['same_count']:.0f} %",
            f"{row['chars_per_second']:,.0f}",
        )
    Console(width=150).print(table)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only-ours", action="store_true", help="naive and ours only (faster)")
    arguments = parser.parse_args()
    splitters = candidates()
    if arguments.only_ours:
        splitters = {name: splitters[name] for name in ("naive", "ours", "ours, language None")}
    results = {"ud": ud_table(splitters), "thai": thai_table()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
