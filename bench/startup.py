"""Start-up time of the reading commands: how long ``briefbot …`` takes to print, end to end.

Run from the repository root: ``python bench/startup.py`` (``--runs N`` for other than 5).
Each command runs as a new process, the way a user types it (``python -m bot.cli``, what the
``briefbot`` script runs), on a temporary database holding the seed article
(``../shared/seed/seed-article.txt``); the figure is the median wall time of the runs, after
one unmeasured warm-up run per command (the first run pays for the disk cache). The
interpreter alone (``python -c pass``) is measured in the same run as the baseline, and so is
loading the configuration alone (pydantic and the config models, which every command
needs): the floor of a command's start-up as long as the configuration is pydantic's. CPU
time (user + system) is shown beside wall time because the machine is shared and wall time
swings with its load; CPU time swings much less.
Writes ``bench/results/startup.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/, whose retrieval.py would shadow the package

from bench.metrics import shared_dir  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "startup.json"
TARGET_SECONDS = 0.3
QUESTION = "What did Sheinbaum say about sovereignty?"
BRIEFBOT = [sys.executable, "-m", "bot.cli"]

LOAD_CONFIG = (
    "from bot.config import BotConfig; from retrieval.config import load_config; load_config(BotConfig)"
)

# label -> the command line; the references print nothing and have no verdict.
REFERENCES: dict[str, list[str]] = {
    "python alone (baseline)": [sys.executable, "-c", "pass"],
    "loading the config alone": [sys.executable, "-c", LOAD_CONFIG],
}
COMMANDS: dict[str, list[str]] = {
    **REFERENCES,
    "briefbot articles": [*BRIEFBOT, "articles"],
    f'briefbot ask "{QUESTION}"': [*BRIEFBOT, "ask", QUESTION],
    "briefbot summarize 1": [*BRIEFBOT, "summarize", "1"],
    "briefbot --help": [*BRIEFBOT, "--help"],
}


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str], env: dict[str, str], *, prints: bool = True) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``argv``."""
    cpu_before = cpu_of_children()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or (prints and not done.stdout.strip()):
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, cpu_of_children() - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    seed = shared_dir() / "seed" / "seed-article.txt"
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BRIEFBOT_STORAGE__PATH": str(Path(folder) / "b.db")}
        run_once([*BRIEFBOT, "ingest", str(seed)], env)
        timings: dict[str, list[tuple[float, float]]] = {}
        for label, argv in COMMANDS.items():
            prints = label not in REFERENCES
            run_once(argv, env, prints=prints)  # warm-up
            timings[label] = [run_once(argv, env, prints=prints) for _ in range(args.runs)]

    table = Table(title=f"Start-up to exit, {args.runs} runs each, seed article stored")
    columns = ("command", "wall median s", "min s", "max s", "CPU median s", f"≤ {TARGET_SECONDS} s")
    for column in columns:
        table.add_column(column, justify="left" if column == "command" else "right")
    rows = []
    for label, runs in timings.items():
        walls = [wall for wall, _ in runs]
        median = statistics.median(walls)
        cpu = statistics.median(cpu for _, cpu in runs)
        is_command = label not in REFERENCES
        verdict = ("yes" if median <= TARGET_SECONDS else "NO") if is_command else ""
        table.add_row(
            label, f"{median:.3f}", f"{min(walls):.3f}", f"{max(walls):.3f}", f"{cpu:.3f}", verdict
        )
        rows.append({"command": label, "wall_median": median, "cpu_median": cpu, "runs": runs})
    Console().print(table)
    load = os.getloadavg()[0]
    print(f"load average (1 min) at the end: {load:.2f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": args.runs, "load_average": load, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
