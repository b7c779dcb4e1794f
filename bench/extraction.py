"""Article extraction benchmark: our page-text cleaner and HTML extraction on the Zyte pages,
and the cleaner on plain articles in twelve languages.

Run from the repository root: ``python bench/extraction.py``. Scores (a) ``clean_page_text``
on the flat page text (through ``extract_text``, in the language the page is in), (b)
the flat page text as it is, (c) ``extract_html`` on the HTML, with the Zyte benchmark's
shingle metric. Then pastes each XQuAD article (title, then its paragraphs, separated by
blank lines; ``../shared/bench/multilingual/xquad``) in each of its 12 languages through
``extract_text`` (the intake of pasted text, language unknown) and through
``clean_page_text`` with the language given: the share of the text's characters kept and
the articles refused, which on plain articles should be all and none.
Writes ``bench/results/extraction.json``.
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
# First, even when PYTHONPATH names the root too: bench/retrieval.py must not shadow the package.
sys.path.insert(0, str(ROOT))

from bench.metrics import shared_dir, zyte_scores  # noqa: E402
from retrieval.clean import clean_page_text  # noqa: E402
from retrieval.errors import BriefbotError, InputError  # noqa: E402
from retrieval.extract import extract_html, extract_text  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "extraction.json"


def _load_json(path: Path) -> dict[str, dict[str, str]]:
    return json.loads(path.read_text(encoding="utf-8"))


def _cleaned(text: str) -> str:
    """The cleaner as intake runs it (``extract_text``, in the language the page is in)."""
    try:
        page = extract_text(text)
    except InputError:  # nothing kept: an empty prediction
        return ""
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
    plain = plain_articles()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"zyte": results, "plain_articles": plain}, indent=2) + "\n", "utf-8")


def _xquad_articles(path: Path) -> list[tuple[str, list[str]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        (
            article["title"].replace("_", " "),
            [paragraph["context"].lstrip("\ufeff").strip() for paragraph in article["paragraphs"]],
        )
        for article in data["data"]
    ]


def _kept(paragraphs: list[str], kept_text: str) -> tuple[int, int]:
    """Characters of the paragraphs' lines kept whole, and all of them (a pasted paragraph
    with a line break inside is two lines)."""
    kept_lines = {line.strip() for line in kept_text.splitlines()}
    lines = [line.strip() for paragraph in paragraphs for line in paragraph.splitlines() if line.strip()]
    return sum(len(line) for line in lines if line in kept_lines), sum(map(len, lines))


def plain_articles() -> list[dict[str, str | float | int]]:
    """Plain articles pasted in each XQuAD language: text kept and articles refused."""
    folder = shared_dir() / "bench" / "multilingual" / "xquad"
    rows: list[dict[str, str | float | int]] = []
    for path in sorted(folder.glob("xquad.*.json")):
        language = path.name.split(".")[1]
        articles = _xquad_articles(path)
        counts = {"intake": [0, 0, 0], "cleaner": [0, 0, 0]}  # kept chars, all chars, refused
        for title, paragraphs in articles:
            text = "\n\n".join([title, *paragraphs])
            try:
                intake = extract_text(text).text
            except InputError:
                intake = ""
            page = clean_page_text(text, language)
            for name, kept_text in (("intake", intake), ("cleaner", "\n".join(page.paragraphs))):
                kept, total = _kept(paragraphs, kept_text)
                counts[name][0] += kept
                counts[name][1] += total
                counts[name][2] += not kept_text
        rows.append(
            {
                "language": language,
                "articles": len(articles),
                **{f"{name}_kept": kept / total for name, (kept, total, _) in counts.items()},
                **{f"{name}_refused": refused for name, (_, _, refused) in counts.items()},
            }
        )
    table = Table(title="Plain XQuAD articles pasted as text: characters kept, articles refused")
    columns = ("language", "articles", "intake kept", "refused", "cleaner(language) kept", "refused")
    for column in columns:
        table.add_column(column, justify="left" if column == "language" else "right")
    for row in rows:
        table.add_row(
            str(row["language"]),
            str(row["articles"]),
            f"{100 * float(row['intake_kept']):.1f} %",
            str(row["intake_refused"]),
            f"{100 * float(row['cleaner_kept']):.1f} %",
            str(row["cleaner_refused"]),
        )
    Console().print(table)
    return rows


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
