"""Start-up time of the reading commands: how long ``briefbot …`` takes to print, end to end.

Run from the repository root: ``python bench/startup.py`` (``--runs N`` for other than 5;
``--code DIR`` to measure another checkout of Briefbot beside this one, e.g. the version
before a change: their runs alternate, so both see the same load; the last column is then the
median of the differences in CPU time between this checkout's run and the other's beside it,
steadier than the difference of their medians on a loaded machine).
Each command runs as a new process, the way a user types it (``python -m bot.cli``, what the
``briefbot`` script runs), on a temporary database holding the seed article
(``../shared/seed/seed-article.txt``), named by ``BRIEFBOT_STORAGE__PATH`` (as a config file
would name it: the configuration is validated), and once more by ``--db`` with nothing else set
(nothing to validate); the figure is the median wall time of the runs, after
one unmeasured warm-up run per command (the first run pays for the disk cache). The
interpreter alone (``python -c pass``) is measured in the same run as the baseline, and so is
loading the configuration alone (pydantic and the config models, validating the storage
path the environment sets, as the program loads it: pydantic's plugins switched off, the
objects left to the system at exit): what a command given a configuration pays before
anything else. CPU
time (user + system) is shown beside wall time because the machine is shared and wall time
swings with its load; CPU time swings much less.

Each checkout's packages (``retrieval``, ``bot``) are copied, without their ``__pycache__``,
and run from the copy. Python's bytecode is cached as in an installed Briefbot (``pip
install`` compiles every module): the warm-up run writes it, into a folder of the run's own
(``PYTHONPYCACHEPREFIX``), even where ``PYTHONDONTWRITEBYTECODE`` is set. ``--no-bytecode``
measures what a checkout run with ``PYTHONDONTWRITEBYTECODE=1`` pays instead: every module of
Briefbot compiled from its source on every run (the standard library's and other packages'
bytecode is used as always).
Writes ``bench/results/startup.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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

# The database's path in a command line: the command names it with --db, and
# BRIEFBOT_STORAGE__PATH is left unset (the other runs set it), so that its configuration has
# nothing to validate, as for whoever runs briefbot without a config file.
DB = "DB"
STORAGE_PATH = "BRIEFBOT_STORAGE__PATH"

# Loading the configuration as the program does before any command: pydantic's plugins
# switched off and the objects left to the system at exit. (Loaded bare, it paid 30 M
# instructions more than `briefbot articles` for the plugin look-up and 30 M for the
# interpreter's last garbage collections, which no command pays.)
LOAD_CONFIG = """
from retrieval.cli import run_as_process, without_pydantic_plugins

def load() -> int:
    from bot.config import BotConfig
    from retrieval.config import load_config

    with without_pydantic_plugins():
        load_config(BotConfig)
    return 0

run_as_process(load)
"""

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
    f"briefbot --db {DB} articles": [*BRIEFBOT, "--db", DB, "articles"],
}

Run = tuple[float, float]  # (wall, CPU) seconds


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str], code: Path, env: dict[str, str], *, prints: bool = True) -> Run:
    """(wall, CPU) seconds of one run of ``argv`` with the copy ``code``. It runs in that
    folder: ``-m`` and ``-c`` put the working directory first on the import path."""
    if DB in argv:
        argv = [env[STORAGE_PATH] if arg == DB else arg for arg in argv]
        env = {name: value for name, value in env.items() if name != STORAGE_PATH}
    cpu_before = cpu_of_children()
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=code, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or (prints and not done.stdout.strip()):
        sys.exit(f"{' '.join(argv)} ({code}) failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, cpu_of_children() - cpu_before


PACKAGES = ("retrieval", "bot")


def copy_of(checkout: Path, folder: Path) -> Path:
    """The checkout's packages copied into ``folder``, without the bytecode cached beside them."""
    code = folder / "code"
    for package in PACKAGES:
        shutil.copytree(checkout / package, code / package, ignore=shutil.ignore_patterns("__pycache__"))
    return code


def environment(code: Path, folder: Path, *, bytecode: bool) -> dict[str, str]:
    """The environment the copy ``code`` runs in: its own database and bytecode folder."""
    env = {**os.environ, "PYTHONPATH": str(code), STORAGE_PATH: str(folder / "b.db")}
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder / "bytecode")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def paired_difference(runs: list[Run], other: list[Run]) -> float:
    """The median, over the rounds, of this run's CPU time minus the other checkout's run
    right beside it: the two runs of a round see the same load, so the difference holds where
    the medians of each drift with the machine's load."""
    return statistics.median(cpu - other_cpu for (_, cpu), (_, other_cpu) in zip(runs, other, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--code", type=Path, metavar="DIR", help="another checkout to measure beside this one"
    )
    parser.add_argument(
        "--no-bytecode", dest="bytecode", action="store_false",
        help="compile Briefbot's modules on every run (PYTHONDONTWRITEBYTECODE=1)",
    )
    args = parser.parse_args()
    checkouts = {"this checkout": ROOT}
    if args.code is not None:
        checkouts = {str(args.code.resolve()): args.code.resolve(), **checkouts}
    seed = shared_dir() / "seed" / "seed-article.txt"
    timings: dict[str, dict[str, list[Run]]] = {name: {} for name in checkouts}
    with tempfile.TemporaryDirectory() as temporary:
        copies, envs = {}, {}
        for number, (name, checkout) in enumerate(checkouts.items()):
            folder = Path(temporary) / str(number)
            copies[name] = copy_of(checkout, folder)
            envs[name] = environment(copies[name], folder, bytecode=args.bytecode)
            run_once([*BRIEFBOT, "ingest", str(seed)], copies[name], envs[name])
        for label, argv in COMMANDS.items():
            prints = label not in REFERENCES
            for name in checkouts:
                run_once(argv, copies[name], envs[name], prints=prints)  # warm-up
                timings[name][label] = []
            for _ in range(args.runs):
                for name in checkouts:
                    timings[name][label].append(run_once(argv, copies[name], envs[name], prints=prints))

    report(timings, checkouts, runs=args.runs, bytecode=args.bytecode)


def report(
    timings: dict[str, dict[str, list[Run]]], checkouts: dict[str, Path], *, runs: int, bytecode: bool
) -> None:
    """Print the table and write it to RESULTS."""
    cached = "bytecode cached" if bytecode else "no bytecode: compiled every run"
    title = f"Start-up to exit, {runs} runs each, seed article stored, {cached}"
    table = Table(title=title)
    table.add_column("command")
    if len(checkouts) > 1:
        table.add_column("checkout")
    columns = ["wall median s", "min s", "max s", "CPU median s", f"≤ {TARGET_SECONDS} s"]
    if len(checkouts) > 1:
        columns.append("CPU vs --code ms")
    for column in columns:
        table.add_column(column, justify="right")
    rows = []
    for label in COMMANDS:
        for name in checkouts:
            measured = timings[name][label]
            walls = [wall for wall, _ in measured]
            median = statistics.median(walls)
            cpu = statistics.median(cpu for _, cpu in measured)
            is_command = label not in REFERENCES
            verdict = ("yes" if median <= TARGET_SECONDS else "NO") if is_command else ""
            cells = [f"{median:.3f}", f"{min(walls):.3f}", f"{max(walls):.3f}", f"{cpu:.3f}", verdict]
            row = {
                "command": label, "checkout": str(checkouts[name]), "wall_median": median,
                "cpu_median": cpu, "runs": measured,
            }
            if len(checkouts) > 1:
                other = timings[next(iter(checkouts))][label]
                if name == "this checkout":
                    row["cpu_vs_code"] = paired_difference(measured, other)
                    cells.append(f"{1000 * row['cpu_vs_code']:+.1f}")
                else:
                    cells.append("")
            table.add_row(label, *([name] if len(checkouts) > 1 else []), *cells)
            rows.append(row)
    Console(width=150).print(table)
    load = os.getloadavg()[0]
    print(f"load average (1 min) at the end: {load:.2f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(
        {"runs": runs, "bytecode": bytecode, "load_average": load, "rows": rows}, indent=2
    ))


if __name__ == "__main__":
    main()
