"""ROUGE of Briefbot's summaries on CNN/DailyMail test articles, through the engine.

Each article is stored in a temporary engine and summarised with every algorithm by
``Engine.summarize`` (3 sentences), so the scores include our sentence splitting and
storage. Lead-3 is the ``lead`` algorithm; the oracle picks 3 of the stored sentences
greedily against the reference and is an upper bound for any extractive method.

Run from the repository root: ``python bench/summaries.py``.
Writes ``bench/results/summaries.json``.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rouge_score import rouge_scorer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.metrics import shared_dir  # noqa: E402
from retrieval.config import EngineConfig, StorageConfig  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.models import Extracted  # noqa: E402
from retrieval.owners import LOCAL  # noqa: E402
from retrieval.summarize import ALGORITHMS  # noqa: E402

SUMMARY_SENTENCES = 3
OWNER = LOCAL
METRICS = ("rouge1", "rouge2", "rougeLsum")
RESULTS = Path(__file__).resolve().parent / "results" / "summaries.json"
# CNN's text keeps its paragraph breaks as two spaces after a sentence end.
_PARAGRAPH_BREAK = re.compile(r"(?<=[.!?\"'’”])\s{2,}")


@dataclass(frozen=True)
class Article:
    id: str
    text: str
    reference: list[str]


@dataclass
class SystemScores:
    rouge: dict[str, list[float]]
    seconds: list[float]

    def means(self) -> dict[str, float]:
        scores = {name: round(100 * statistics.fmean(values), 2) for name, values in self.rouge.items()}
        if self.seconds:
            scores["ms_per_article"] = round(1000 * statistics.fmean(self.seconds), 2)
        return scores


def load_articles(path: Path) -> list[Article]:
    articles = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            reference = [s.strip() for s in row["reference"].split(" . ") if s.strip()]
            articles.append(Article(row["id"], row["article"], reference))
    return articles


def as_extracted(article: Article) -> Extracted:
    """The raw article text as paragraphs; no title (the engine takes the first sentence)."""
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(article.text) if p.strip()]
    return Extracted(text="\n\n".join(paragraphs))


def new_scores() -> SystemScores:
    return SystemScores({name: [] for name in METRICS}, [])


def add_score(
    scores: SystemScores, scorer: rouge_scorer.RougeScorer, reference: str, summary: list[str]
) -> None:
    result = scorer.score(reference, "\n".join(summary))
    for name in METRICS:
        scores.rouge[name].append(result[name].fmeasure)


def oracle(scorer: rouge_scorer.RougeScorer, reference: str, sentences: list[str]) -> list[str]:
    """Up to 3 sentences added greedily while they raise ROUGE-1 + ROUGE-2 F1."""
    chosen: list[int] = []
    best = 0.0
    while len(chosen) < SUMMARY_SENTENCES:
        gains = []
        for i in range(len(sentences)):
            if i in chosen:
                continue
            summary = "\n".join(sentences[j] for j in sorted([*chosen, i]))
            result = scorer.score(reference, summary)
            gains.append((result["rouge1"].fmeasure + result["rouge2"].fmeasure, i))
        if not gains or max(gains)[0] <= best:
            break
        best, pick = max(gains)
        chosen.append(pick)
    return [sentences[i] for i in sorted(chosen)]


def evaluate(articles: list[Article], workdir: Path) -> dict[str, SystemScores]:
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    config = EngineConfig(storage=StorageConfig(path=str(workdir / "bench.db")))
    systems = {name: new_scores() for name in (*ALGORITHMS, "oracle")}
    with Engine(config) as engine:
        ids = [engine.ingest(as_extracted(a), OWNER, commit=False).id for a in articles]
        engine.commit()
        for article, article_id in zip(articles, ids, strict=True):
            reference = "\n".join(article.reference)
            for algorithm in ALGORITHMS:
                started = time.perf_counter()
                summary = engine.summarize(
                    article_id, OWNER, sentences=SUMMARY_SENTENCES, algorithm=algorithm
                )
                systems[algorithm].seconds.append(time.perf_counter() - started)
                add_score(systems[algorithm], scorer, reference, [s.text for s in summary.sentences])
            stored = [s.text for s in engine.storage.articles.sentences(article_id)]
            add_score(systems["oracle"], scorer, reference, oracle(scorer, reference, stored))
    return systems


def show(results: dict[str, dict[str, float]], count: int) -> None:
    table = Table(title=f"CNN/DM summaries, {count} articles, {SUMMARY_SENTENCES} sentences")
    for column in ("system", "R-1", "R-2", "R-Lsum", "ms/article"):
        table.add_column(column, justify="left" if column == "system" else "right")
    for name, scores in sorted(results.items(), key=lambda item: -item[1]["rouge1"]):
        ms = scores.get("ms_per_article")
        table.add_row(name, *(f"{scores[m]:.2f}" for m in METRICS), "" if ms is None else f"{ms:.1f}")
    Console().print(table)


def main() -> None:
    data = shared_dir() / "bench" / "summaries" / "cnndm.jsonl"
    if not data.is_file():
        sys.exit(f"Summary data not found: {data} does not exist.")
    articles = load_articles(data)
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as workdir:
        systems = evaluate(articles, Path(workdir))
    results = {name: scores.means() for name, scores in systems.items()}
    show(results, len(articles))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {"articles": len(articles), "sentences": SUMMARY_SENTENCES, "systems": results}
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
