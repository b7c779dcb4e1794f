"""Answer sentences and abstention on SQuAD dev, through the engine.

Every article is stored in a temporary engine (its paragraphs as one text, the SQuAD
title as title) and every question goes through ``Engine.ask``. A question counts as
answered right when the first cited sentence contains one of its gold answers
(case-insensitive); R@3 looks at every cited sentence (at most 3). An abstention is a
miss for both, so the "no abstention" rows call ``rank_answers`` with
``min_coverage=0`` to score the ranking alone.

Abstention is measured twice: with 12 of the 24 SQuAD v1.1 articles stored (questions
about the other 12 should be declined) and on SQuAD v2 (questions marked impossible
should be declined). The abstention score is the coverage of the best sentence; the top
BM25 score is shown beside it as the baseline. The seed article's questions are checked
last.

Run from the repository root: ``python bench/qa.py``. Writes ``bench/results/qa.json``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.metrics import shared_dir  # noqa: E402
from retrieval.answer import MIN_COVERAGE, RankedSentence, rank_answers  # noqa: E402
from retrieval.config import EngineConfig, StorageConfig  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.models import Extracted  # noqa: E402
from retrieval.owners import LOCAL  # noqa: E402

OWNER = LOCAL
ANSWERED_SHARE = 0.9  # the abstention threshold that still answers this share
RESULTS = Path(__file__).resolve().parent / "results" / "qa.json"


@dataclass(frozen=True)
class Article:
    title: str
    text: str


@dataclass(frozen=True)
class Question:
    text: str
    answers: tuple[str, ...]  # lower-cased gold answer texts; empty when impossible
    article: int  # position of its article in the data set


@dataclass(frozen=True)
class Outcome:
    first: bool  # the first sentence holds a gold answer
    any: bool  # one of the sentences does
    answered: bool


# Ranks a question over the stored articles, or within one (article_id).
Ranker = Callable[[Engine, str, "int | None"], list[str]]


def load_squad(path: Path) -> tuple[list[Article], list[Question]]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles: list[Article] = []
    questions: list[Question] = []
    for number, entry in enumerate(data):
        contexts = [paragraph["context"] for paragraph in entry["paragraphs"]]
        articles.append(Article(entry["title"].replace("_", " "), "\n\n".join(contexts)))
        for paragraph in entry["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"].lower() for a in qa["answers"]))
                questions.append(Question(qa["question"], answers, number))
    return articles, questions


def open_engine(workdir: Path, name: str) -> Engine:
    return Engine(EngineConfig(storage=StorageConfig(path=str(workdir / f"{name}.db"))))


def store(engine: Engine, articles: Sequence[Article]) -> list[int]:
    ids = [
        engine.ingest(Extracted(title=a.title, text=a.text), OWNER, commit=False).id
        for a in articles
    ]
    engine.commit()
    return ids


def engine_answer(engine: Engine, question: str, article_id: int | None) -> list[str]:
    """The cited sentences of ``Engine.ask``; empty when it abstains."""
    answer = engine.ask(question, OWNER, article_id=article_id)
    return [sentence.text for sentence in answer.sentences]


def ranked(engine: Engine, question: str, article_id: int | None) -> list[RankedSentence]:
    """The engine's ranking with abstention switched off."""
    return rank_answers(
        question, engine.index, engine.storage.articles.sentences_in, [OWNER],
        article_id=article_id, min_coverage=0.0,
    )


def ranking_only(engine: Engine, question: str, article_id: int | None) -> list[str]:
    return [r.text for r in ranked(engine, question, article_id)]


def outcome(sentences: Sequence[str], answers: Sequence[str]) -> Outcome:
    hits = [any(answer in sentence.lower() for answer in answers) for sentence in sentences]
    return Outcome(first=bool(hits) and hits[0], any=any(hits), answered=bool(sentences))


def percent(values: Sequence[bool]) -> float:
    return round(100 * sum(values) / len(values), 1) if values else 0.0


def summarise(outcomes: Sequence[Outcome]) -> dict[str, float]:
    answered = [o for o in outcomes if o.answered]
    return {
        "p_at_1": percent([o.first for o in outcomes]),
        "r_at_3": percent([o.any for o in outcomes]),
        "answered": percent([o.answered for o in outcomes]),
        "p_at_1_when_answered": percent([o.first for o in answered]),
    }


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a positive scores above a negative (ties count half)."""
    if not positives or not negatives:
        return 0.0
    pooled = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j < len(pooled) and pooled[j][0] == pooled[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2
        rank_sum += mean_rank * sum(label for _, label in pooled[i:j])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return round((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg), 3)


def separation(positives: Sequence[float], negatives: Sequence[float]) -> dict[str, float]:
    """AUROC, and the negatives declined at the threshold that keeps 90% of positives."""
    threshold = sorted(positives)[int(len(positives) * (1 - ANSWERED_SHARE))]
    return {
        "auroc": auroc(positives, negatives),
        "threshold_at_90": round(threshold, 3),
        "declined_at_90": percent([score < threshold for score in negatives]),
    }


# --- the three experiments -----------------------------------------------------------


def ranking_quality(engine: Engine, ids: list[int], questions: list[Question]) -> dict:
    runs: dict[str, tuple[Ranker, bool]] = {
        "all articles": (engine_answer, False),
        "own article": (engine_answer, True),
        "all, never abstain": (ranking_only, False),
        "own, never abstain": (ranking_only, True),
    }
    results = {}
    for name, (ranker, own) in runs.items():
        started = time.perf_counter()
        outcomes = [
            outcome(ranker(engine, q.text, ids[q.article] if own else None), q.answers)
            for q in questions
        ]
        elapsed = time.perf_counter() - started
        results[name] = summarise(outcomes) | {"questions_per_s": round(len(questions) / elapsed)}
    return results


def abstention_scores(
    engine: Engine, questions: Sequence[Question]
) -> tuple[list[float], list[float], list[bool]]:
    """Coverage and BM25 score of the best sentence, and whether ``Engine.ask`` answers."""
    coverage, bm25, answered = [], [], []
    for q in questions:
        best = ranked(engine, q.text, None)[:1]
        coverage.append(best[0].coverage if best else 0.0)
        bm25.append(best[0].bm25 if best else 0.0)
        answered.append(not engine.ask(q.text, OWNER).abstained)
    return coverage, bm25, answered


def half_stored(workdir: Path, articles: list[Article], questions: list[Question]) -> dict:
    stored = set(range(0, len(articles), 2))
    with open_engine(workdir, "half") as engine:
        store(engine, [articles[i] for i in sorted(stored)])
        inside = [q for q in questions if q.article in stored]
        outside = [q for q in questions if q.article not in stored]
        cov_in, bm25_in, answered_in = abstention_scores(engine, inside)
        cov_out, bm25_out, answered_out = abstention_scores(engine, outside)
    return {
        "stored_articles": len(stored),
        "answered_stored": percent(answered_in),
        "declined_absent": percent([not a for a in answered_out]),
        "coverage": separation(cov_in, cov_out),
        "bm25": separation(bm25_in, bm25_out),
    }


def unanswerable(workdir: Path, articles: list[Article], questions: list[Question]) -> dict:
    possible = [q for q in questions if q.answers]
    impossible = [q for q in questions if not q.answers]
    with open_engine(workdir, "v2") as engine:
        store(engine, articles)
        cov_yes, bm25_yes, answered_yes = abstention_scores(engine, possible)
        cov_no, bm25_no, answered_no = abstention_scores(engine, impossible)
        outcomes = [outcome(engine_answer(engine, q.text, None), q.answers) for q in possible]
    return {
        "answerable": len(possible),
        "impossible": len(impossible),
        "answered_answerable": percent(answered_yes),
        "declined_impossible": percent([not a for a in answered_no]),
        "p_at_1_answerable": summarise(outcomes)["p_at_1"],
        "coverage": separation(cov_yes, cov_no),
        "bm25": separation(bm25_yes, bm25_no),
    }


def seed_checks(workdir: Path, seed: Path) -> list[dict]:
    """The seed article's questions: expected text in the first sentence, or an abstention."""
    questions = json.loads((seed / "questions.json").read_text(encoding="utf-8"))
    checks = []
    with open_engine(workdir, "seed") as engine:
        engine.ingest_text((seed / "seed-article.txt").read_text(encoding="utf-8"), OWNER)
        for item in questions:
            answer = engine.ask(item["question"], OWNER)
            first = answer.sentences[0].text if answer.sentences else None
            expected = item["expect"]
            passed = first is None if expected is None else first is not None and expected in first
            checks.append({"question": item["question"], "first": first, "passed": passed})
    return checks


# --- output --------------------------------------------------------------------------


def show(results: dict) -> None:
    console = Console()
    ranking = Table(title=f"SQuAD v1.1 dev-a: {results['questions']:,} questions, 24 articles")
    for column in ("pool", "P@1", "R@3", "answered %", "P@1 if answered", "questions/s"):
        ranking.add_column(column, justify="left" if column == "pool" else "right")
    for name, row in results["ranking"].items():
        ranking.add_row(
            name, *(f"{row[k]:.1f}" for k in ("p_at_1", "r_at_3", "answered", "p_at_1_when_answered")),
            f"{row['questions_per_s']:,}",
        )
    console.print(ranking)

    half, v2 = results["half_stored"], results["squad_v2"]
    abstention = Table(title=f"Abstention (engine threshold: coverage ≥ {MIN_COVERAGE})")
    for column in ("setup", "answered %", "declined %", "score", "AUROC", "declined @90% answered"):
        abstention.add_column(column, justify="left" if column in ("setup", "score") else "right")
    setups = (
        ("v1.1, 12/24 stored", half, half["answered_stored"], half["declined_absent"]),
        ("v2 impossible", v2, v2["answered_answerable"], v2["declined_impossible"]),
    )
    for name, block, answered, declined in setups:
        for score in ("coverage", "bm25"):
            numbers = block[score]
            abstention.add_row(
                name if score == "coverage" else "",
                f"{answered:.1f}" if score == "coverage" else "",
                f"{declined:.1f}" if score == "coverage" else "",
                score, f"{numbers['auroc']:.3f}", f"{numbers['declined_at_90']:.1f}",
            )
    console.print(abstention)
    console.print(f"SQuAD v2 P@1 on answerable questions: {v2['p_at_1_answerable']:.1f}")

    passed = sum(check["passed"] for check in results["seed"])
    console.print(f"Seed checks: {passed}/{len(results['seed'])} passed")
    for check in results["seed"]:
        if not check["passed"]:
            console.print(f"  [red]failed[/red] {check['question']!r} -> {check['first']!r}")


def main() -> None:
    shared = shared_dir()
    squad = shared / "bench" / "qa"
    for name in ("squad-v1.1-dev-a.json", "squad-v2.0-dev-a.json"):
        if not (squad / name).is_file():
            sys.exit(f"SQuAD data not found: {squad / name} does not exist.")
    articles, questions = load_squad(squad / "squad-v1.1-dev-a.json")
    v2_articles, v2_questions = load_squad(squad / "squad-v2.0-dev-a.json")
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as tmp:
        workdir = Path(tmp)
        with open_engine(workdir, "all") as engine:
            ids = store(engine, articles)
            sentences = engine.storage.articles.indexed_sentence_count()
            ranking = ranking_quality(engine, ids, questions)
        results = {
            "questions": len(questions),
            "sentences": sentences,
            "min_coverage": MIN_COVERAGE,
            "ranking": ranking,
            "half_stored": half_stored(workdir, articles, questions),
            "squad_v2": unanswerable(workdir, v2_articles, v2_questions),
            "seed": seed_checks(workdir, shared / "seed"),
        }
    show(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
