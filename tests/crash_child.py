"""A child process for tests/test_faults.py: works on a Briefbot database until it is killed.

    python -m tests.crash_child ingest DB SEED COUNT SENTENCES
    python -m tests.crash_child reindex DB
    python -m tests.crash_child poll DB FEED_URL

It prints ``OPENING`` before it opens the engine (which reconciles the index with SQLite),
``READY`` once the engine is open, then ``ACK <article_id> <marker>`` after each
``Engine.ingest`` returned (the moment the bot would reply to the user), flushing every
line, so the parent knows exactly what was acknowledged when it sends SIGKILL.
"""

from __future__ import annotations

import sys
from pathlib import Path

from retrieval.config import EngineConfig, FeedsConfig, FetchConfig, StorageConfig
from retrieval.engine import Engine
from retrieval.models import Extracted
from retrieval.owners import Owner

OWNER = Owner.chat(1)
TOPICS = ["harbour", "bridge", "library", "orchard", "railway", "market", "museum", "canal"]


def config(db: Path) -> EngineConfig:
    return EngineConfig(
        storage=StorageConfig(path=str(db)),
        fetch=FetchConfig(allow_private=True, timeout_s=5),
        feeds=FeedsConfig(max_entries_per_poll=100),
    )


def marker(seed: int, number: int) -> str:
    """A word that occurs in one article only (letters only, so stemming keeps it whole)."""
    letters = "bcdfghjklmnpqrtvwxz"  # no s or y, which the stemmer may change
    base = len(letters)
    word = ""
    for value in (seed, number):
        word += letters[value % base] + letters[value // base % base] + letters[value // base**2 % base]
    return "zq" + word


def article_text(word: str, sentences: int) -> str:
    """``sentences`` distinct sentences about ``word``, four to a paragraph."""
    lines = [
        f"The {word} committee reviewed item {i} of the {TOPICS[i % len(TOPICS)]} plan on day {i + 1}."
        for i in range(sentences)
    ]
    return "\n\n".join(" ".join(lines[i : i + 4]) for i in range(0, sentences, 4))


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def ingest(db: Path, seed: int, count: int, sentences: int) -> None:
    with Engine(config(db)) as engine:
        say("READY")
        for number in range(count):
            word = marker(seed, number)
            extracted = Extracted(title=f"Report {word}", text=article_text(word, sentences))
            result = engine.ingest(extracted, OWNER)
            say(f"ACK {result.id} {word}")
        say("DONE")


def reindex(db: Path) -> None:
    with Engine(config(db)) as engine:
        say("READY")
        while True:
            say(f"REINDEXED {engine.reindex()}")


def poll(db: Path, url: str) -> None:
    with Engine(config(db)) as engine:
        say("READY")
        info, result = engine.add_feed(url, OWNER)
        say(f"POLLED {info.id} {len(result.new_articles)}")


def main(argv: list[str]) -> None:
    mode, db = argv[0], Path(argv[1])
    say("OPENING")
    if mode == "ingest":
        ingest(db, int(argv[2]), int(argv[3]), int(argv[4]))
    elif mode == "reindex":
        reindex(db)
    elif mode == "poll":
        poll(db, argv[2])
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
