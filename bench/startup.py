"""Start-up time of the reading commands: how long ``briefbot …`` takes to print, end to end.

Run from the repository root: ``python bench/startup.py`` (``--runs N`` for other than 5).
Each command runs as a new process, the way a user types it (``python -m bot.cli``, what the
``briefbot`` script runs), on a temporary database holding the seed article
(``../shared/seed/seed-article.txt``); the figure is the median wall time of the runs, after
one unmeasured warm-up run per command (the first run pays for the disk cache). The
interpreter alone (``python -c pass``) is measured in the same run as the baseline. CPU
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

# label -> command line after ``briefbot``; None is the interpreter alone.
COMMANDS: dict[str, list[str] | None] = {
    "python alone (baseline)": None,
    "briefbot articles": ["articles"],
    f'briefbot ask "{QUESTION}"': ["ask", QUESTION],
    "briefbot summarize 1": ["summarize", "1"],
    "briefbot --help": ["--help"],
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
        for label, command in COMMANDS.items():
            argv = [sys.executable, "-c", "pass"] if command is None else [*BRIEFBOT, *command]
            prints = command is not None
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
        is_command = COMMANDS[label] is not None
        verdict = ("yes" if median <= TARGET_SECONDS else "NO") if is_command else ""
        table.add_row(
            label, f"{median:.3f}", f"{min(walls):.3f}", f"{max(walls):.3f}", f"{cpu:.3f}", verdict
        )
        rows.append({"command": label, "wall_median": median, "cpu_median": cpu, "runs": runs})
    Console().print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": args.runs, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
