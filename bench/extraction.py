"""Article extraction benchmark: our page-text cleaner and HTML extraction on the Zyte pages.

Run from the repository root: ``python bench/extraction.py``. Scores (a) ``clean_page_text``
on the flat page text, (b) the flat page text as it is, (c) ``extract_html`` on the HTML,
with the Zyte benchmark's shingle metric, and writes ``bench/results/extraction.json``.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.metrics import shared_dir, zyte_scores  # noqa: E402
from retrieval.clean import clean_page_text  # noqa: E402
from retrieval.errors import BriefbotError  # noqa: E402
from retrieval.extract import extract_html  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "extraction.json"


def _load_json(path: Path) -> dict[str, dict[str, str]]:
    return json.loads(path.read_text(encoding="utf-8"))


def _cleaned(text: str) -> str:
    page = clean_page_text(text)
    return "\n".join(([page.title] if page.title else []) + page.paragraphs)


def _extracted(html: str, url: str) -> str:
    try:
        return extract_html(html, url).text
    except BriefbotError:  # no article found: an empty prediction
        return ""


def _score(
    name: str,
    inputs: dict[str, tuple[str, str]],
    method: Callable[[str, str], str],
    truth: dict[str, str],
) -> dict[str, str | float | int]:
    start = time.perf_counter()
    predictions = {key: method(text, url) for key, (text, url) in inputs.items()}
    seconds = time.perf_counter() - start
    return {
        "method": name,
        **zyte_scores(predictions, truth),
        "docs": len(predictions),
        "seconds": round(seconds, 3),
        "ms_per_doc": round(1000 * seconds / max(1, len(predictions)), 3),
    }


def main() -> None:
    data = shared_dir() / "bench" / "extraction"
    truth = {key: item["articleBody"] for key, item in _load_json(data / "ground-truth.json").items()}
    page_text = {
        key: (item["text"], item["url"]) for key, item in _load_json(data / "page-text.json").items()
    }
    html = {key: (_read_html(data / "html" / f"{key}.html.gz"), url) for key, (_, url) in page_text.items()}
    results = [
        _score("clean_page_text on page text", page_text, lambda text, _: _cleaned(text), truth),
        _score("page text as it is", page_text, lambda text, _: text, truth),
        _score("extract_html on HTML (text)", html, _extracted, truth),
    ]
    _print_table(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _read_html(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")


def _print_table(results: list[dict[str, str | float | int]]) -> None:
    table = Table(title="Article extraction (Zyte metric)")
    for column in ("method", "F1", "P", "R", "docs", "seconds"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for row in results:
        table.add_row(
            str(row["method"]),
            f"{row['f1']:.3f}",
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            str(row["docs"]),
            f"{row['seconds']:.2f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
