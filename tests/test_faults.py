"""Crash safety: real child processes (tests/crash_child.py) are SIGKILLed at random moments
of an ingest, a reindex or a feed poll; after a restart nothing acknowledged is lost, no
article is half stored, and the search index matches SQLite. Also: a damaged index
directory is detected at start and rebuilt from SQLite.

The moments are found, not guessed: the parent waits for the child's n-th step (an ACK
line, a REINDEXED line, a stored article), sees how long its last step took on this machine
in this run, and kills it a random fraction of that later, inside the next step. Each test
checks that its kills did land where they were meant to."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html import escape
from pathlib import Path

import pytest

from retrieval.engine import Engine
from retrieval.errors import BriefbotError
from retrieval.models import Extracted
from tests.crash_child import OWNER, article_text, config, marker
from tests.support import rss
from tests.web import Page, WebServer

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0
SENTENCES = 20


class Child:
    """A running tests/crash_child.py; its stdout lines are kept with the time each arrived."""

    def __init__(self, args: list[str], stderr_path: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self._stderr = stderr_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_child", *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
        )
        self.stderr_path = stderr_path
        self.lines: list[tuple[float, str]] = []  # (time.monotonic() on arrival, line)
        self._ended = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append((time.monotonic(), line.strip()))
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, prefix: str, count: int = 1, timeout: float = START_TIMEOUT) -> float:
        """Block until the child has printed ``count`` lines starting with ``prefix``;
        returns the time the last of them arrived."""

        def arrivals() -> list[float]:
            return [at for at, line in self.lines if line.startswith(prefix)]

        with self._changed:
            self._changed.wait_for(lambda: len(arrivals()) >= count or self._ended, timeout)
            found = arrivals()
        if len(found) < count:
            why = "exited" if self._ended else f"was silent for {timeout} s"
            seen = f"{len(found)} of {count} {prefix!r} lines in {[line for _, line in self.lines][-5:]}"
            raise AssertionError(f"{seen}; the child {why}:\n{self.errors()}")
        return found[count - 1]

    def kill(self) -> list[str]:
        """SIGKILL the child; every line it had flushed by then."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        assert not self._reader.is_alive(), "the child's output never ended"
        return [line for _, line in self.lines]

    def errors(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text()[-3000:]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._stderr.close()


def in_next_step(started: float, ended: float, rng: random.Random) -> float:
    """A random moment of the step after the one that ran from ``started`` to ``ended``
    (if it takes as long): a random fraction of that step's duration after its end."""
    return ended + rng.uniform(0.0, 1.0) * (ended - started)


def kill_at(running: Child, moment: float) -> list[str]:
    """SIGKILL the child at ``moment`` (of time.monotonic); every line it had flushed."""
    time.sleep(max(0.0, moment - time.monotonic()))
    return running.kill()


@contextmanager
def child(tmp_path: Path, *args: str) -> Iterator[Child]:
    running = Child(list(args), tmp_path / f"child-{time.monotonic_ns()}.err")
    try:
        yield running
    finally:
        running.close()


def acks(lines: list[str]) -> dict[int, str]:
    """Article id -> marker of every acknowledged ingest."""
    return {int(parts[1]): parts[2] for parts in (line.split() for line in lines) if parts[0] == "ACK"}


def assert_consistent(db: Path, acknowledged: dict[int, str], sentences: int = SENTENCES) -> None:
    """Reopen the engine (as a restart would) and check database and index against each other."""
    with Engine(config(db)) as engine, engine.storage.db.reading() as sql:
        assert sql.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        partial = sql.execute(
            "SELECT a.id, a.sentence_count, COUNT(s.position) FROM articles a"
            " LEFT JOIN sentences s ON s.article_id = a.id GROUP BY a.id"
            " HAVING COUNT(s.position) != a.sentence_count"
        ).fetchall()
        assert [tuple(row) for row in partial] == []
        unowned = sql.execute(
            "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM ownership)"
        ).fetchall()
        assert unowned == []
        total = sql.execute("SELECT COALESCE(SUM(sentence_count), 0) FROM articles").fetchone()[0]
        assert engine.storage.articles.unindexed_ids() == []
        assert engine.index.num_docs() == total
        for article_id, word in acknowledged.items():
            info = engine.storage.articles.article(article_id)
            assert info is not None, f"acknowledged article {article_id} ({word}) is lost"
            assert info.title == f"Report {word}"
            assert info.sentences == sentences
            answer = engine.ask(f"Which item did the {word} committee review?", OWNER)
            assert not answer.abstained, word
            assert answer.sentences[0].article_id == article_id, word


def stored_articles(db: Path) -> int:
    """Articles in the database, read while a child may be writing it (or 0 before it exists)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as sql:
            return sql.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or busy for a moment
        return 0


def wait_until(condition: Callable[[], bool], timeout: float = START_TIMEOUT) -> float:
    """Poll ``condition`` until it holds; returns the time it was first seen to."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the child made no such progress in {timeout} s")
        time.sleep(0.002)
    return time.monotonic()


def stored_markers(db: Path) -> dict[str, int]:
    with Engine(config(db)) as engine, engine.storage.db.reading() as sql:
        titles = [row[0] for row in sql.execute("SELECT title FROM articles")]
    counts: dict[str, int] = {}
    for title in titles:
        word = title.removeprefix("Report ")
        counts[word] = counts.get(word, 0) + 1
    return counts


def build_articles(db: Path, numbers: range) -> dict[int, str]:
    articles = {}
    with Engine(config(db)) as engine:
        for number in numbers:
            word = marker(50, number)
            extracted = Extracted(title=f"Report {word}", text=article_text(word, SENTENCES))
            articles[engine.ingest(extracted, OWNER, commit=False).id] = word
        engine.commit()
    return articles


# --- SIGKILL during ingests ------------------------------------------------------------


def test_killed_ingests_lose_nothing_that_was_acknowledged(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    acknowledged: dict[int, str] = {}
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        step = rng.randint(2, 5)
        with child(tmp_path, "ingest", str(db), str(seed), "200", str(SENTENCES)) as running:
            started = running.wait_for("ACK", step - 1)
            lines = kill_at(running, in_next_step(started, running.wait_for("ACK", step), rng))
        assert "DONE" not in lines
        acknowledged |= acks(lines)
        assert len(acks(lines)) >= step
    assert_consistent(db, acknowledged)
    # Each round's unacknowledged in-flight article may or may not be there, but never twice.
    assert all(count == 1 for count in stored_markers(db).values())


def test_kill_while_rebuilding_the_index_at_start(tmp_path: Path) -> None:
    """A crash during the start-up rebuild of a lost index is harmless too."""
    db = tmp_path / "crash.db"
    index = db.with_name(db.name + ".index")
    acknowledged = build_articles(db, range(120))
    with Engine(config(db)) as engine:  # how long a rebuild of this database takes here
        started = time.monotonic()
        engine.reindex()
        rebuild = time.monotonic() - started
    rng = random.Random(4)
    mid_rebuild = 0
    for attempt in range(8):  # until two kills have landed inside the rebuild
        shutil.rmtree(index, ignore_errors=True)
        with child(tmp_path, "ingest", str(db), str(40 + attempt), "200", str(SENTENCES)) as running:
            running.wait_for("OPENING")
            began = wait_until(index.exists)  # the engine made a new index: it is rebuilding
            lines = kill_at(running, began + rng.uniform(0.05, 0.6) * rebuild)
        mid_rebuild += "READY" not in lines
        acknowledged |= acks(lines)
        if mid_rebuild == 2:
            break
    assert mid_rebuild == 2, f"only {mid_rebuild} of {attempt + 1} kills landed during the rebuild"
    assert_consistent(db, acknowledged)


def test_kill_in_the_middle_of_big_articles(tmp_path: Path) -> None:
    db = tmp_path / "big.db"
    big = 3_000
    rng = random.Random(21)
    with child(tmp_path, "ingest", str(db), "21", "6", str(big)) as running:
        started = running.wait_for("READY")
        stored = running.wait_for("ACK")
        first = kill_at(running, in_next_step(started, stored, rng))  # inside the second article
    with child(tmp_path, "ingest", str(db), "22", "6", str(big)) as running:
        ready = running.wait_for("READY")
        second = kill_at(running, ready + rng.uniform(0.1, 0.9) * (stored - started))  # the first
    assert "DONE" not in first and "DONE" not in second
    assert_consistent(db, acks(first) | acks(second), sentences=big)


def test_kill_during_reindex(tmp_path: Path) -> None:
    db = tmp_path / "reindex.db"
    acknowledged = build_articles(db, range(30))
    rng = random.Random(1)
    with child(tmp_path, "reindex", str(db)) as running:
        started = running.wait_for("REINDEXED")
        kill_at(running, in_next_step(started, running.wait_for("REINDEXED", 2), rng))
    assert_consistent(db, acknowledged)


# --- SIGKILL during a feed poll --------------------------------------------------------

FEED_ENTRIES = 100
FEED_SEED = 90


def feed_items(site_url: str) -> list[dict[str, str]]:
    items = []
    for number in range(FEED_ENTRIES):
        word = marker(FEED_SEED, number)
        paragraphs = article_text(word, SENTENCES).split("\n\n")
        items.append(
            {
                "title": f"Report {word}",
                "link": f"{site_url}/story/{number}",
                "guid": f"entry-{number}",
                "description": "".join(f"<p>{escape(p)}</p>" for p in paragraphs),
            }
        )
    return items


def test_killed_feed_polls_ingest_every_entry_exactly_once(tmp_path: Path, web: WebServer) -> None:
    db = tmp_path / "feed.db"
    web.pages["/feed.xml"] = Page(rss("Crash News", feed_items(web.base_url)), "application/rss+xml")
    feed_url = web.url("/feed.xml")
    for seed in (1, 2):
        rng = random.Random(seed)
        with child(tmp_path, "poll", str(db), feed_url) as running:
            running.wait_for("READY")
            step = stored_articles(db) + rng.randint(2, 6)
            started = wait_until(lambda: stored_articles(db) >= step - 1)  # noqa: B023 - called here
            ended = wait_until(lambda: stored_articles(db) >= step)  # noqa: B023
            lines = kill_at(running, in_next_step(started, ended, rng))
        assert not any(line.startswith("POLLED") for line in lines), "the poll ended before the kill"
    with Engine(config(db)) as engine:
        info, _ = engine.add_feed(feed_url, OWNER)
        engine.poll_feed(info.id)
    counts = stored_markers(db)
    expected = {marker(FEED_SEED, number) for number in range(FEED_ENTRIES)}
    assert set(counts) == expected
    assert all(count == 1 for count in counts.values()), {w: c for w, c in counts.items() if c != 1}
    with Engine(config(db)) as engine, engine.storage.db.reading() as sql:
        ids = {row[0]: row[1] for row in sql.execute("SELECT title, id FROM articles")}
        guids = sql.execute("SELECT article_id FROM feed_entries WHERE entry_key LIKE 'guid:%'").fetchall()
    assert sorted(row[0] for row in guids) == sorted(ids.values())
    assert_consistent(db, {article_id: title.removeprefix("Report ") for title, article_id in ids.items()})


# --- a damaged index directory is rebuilt at start -------------------------------------


def segment_files(index: Path, suffix: str) -> list[Path]:
    found = sorted(index.glob(f"*.{suffix}"))
    assert found, f"no .{suffix} files in {sorted(p.name for p in index.iterdir())}"
    return found


def truncate(index: Path, suffix: str) -> None:
    for path in segment_files(index, suffix):
        with path.open("r+b") as file:
            file.truncate(path.stat().st_size // 2)


def garble(index: Path, suffix: str) -> None:
    for path in segment_files(index, suffix):
        data = bytearray(path.read_bytes())
        for offset in range(0, len(data), 7):
            data[offset] ^= 0xFF
        path.write_bytes(bytes(data))


def delete(index: Path, suffix: str) -> None:
    for path in segment_files(index, suffix):
        path.unlink()


def stale_locks(index: Path) -> None:
    for name in (".tantivy-writer.lock", ".tantivy-meta.lock"):
        (index / name).write_text("left behind by a killed process")


def replace_with_file(index: Path) -> None:
    shutil.rmtree(index)
    index.write_text("not a directory")


DAMAGE = {
    "truncated .idx": lambda index: truncate(index, "idx"),
    "truncated .term": lambda index: truncate(index, "term"),
    "truncated .store": lambda index: truncate(index, "store"),
    "garbled .fast": lambda index: garble(index, "fast"),
    "garbled .fieldnorm": lambda index: garble(index, "fieldnorm"),
    "deleted .term": lambda index: delete(index, "term"),
    "deleted .idx": lambda index: delete(index, "idx"),
    "empty meta.json": lambda index: (index / "meta.json").write_text(""),
    "deleted meta.json": lambda index: (index / "meta.json").unlink(),
    "stale lock files": stale_locks,
    "index directory is a file": replace_with_file,
    "deleted .pos": lambda index: delete(index, "pos"),
}
@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_index_is_rebuilt_at_start(tmp_path: Path, damage: str) -> None:
    db = tmp_path / "damaged.db"
    articles = build_articles(db, range(5))
    DAMAGE[damage](db.with_name(db.name + ".index"))
    assert_consistent(db, articles)
    articles |= build_articles(db, range(5, 7))  # the rebuilt index takes new articles
    assert_consistent(db, articles)


def test_a_second_engine_does_not_destroy_the_running_ones_index(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    articles = build_articles(db, range(2))
    with Engine(config(db)) as running:
        index = running.index.path
        files_before = {p.name for p in index.iterdir()}
        with pytest.raises(BriefbotError):
            Engine(config(db)).close()
        assert files_before <= {p.name for p in index.iterdir()}
    assert_consistent(db, articles)


def test_a_reader_with_other_index_settings_never_touches_the_writers_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command-line process of another version beside the running bot: it may not read,
    but it must not rebuild (delete) the index the bot is writing."""
    import retrieval.index

    db = tmp_path / "skew.db"
    articles = build_articles(db, range(2))
    with Engine(config(db)) as running:
        files_before = {p.name for p in running.index.path.iterdir()}
        monkeypatch.setattr(retrieval.index, "FORMAT", "briefbot passages v999")
        with pytest.raises(BriefbotError):
            Engine(config(db))
        with pytest.raises(BriefbotError, match="rebuilding"):
            Engine(config(db), read_only=True)
        monkeypatch.undo()
        assert files_before <= {p.name for p in running.index.path.iterdir()}
        added = running.ingest_text(article_text("zqwxyz", SENTENCES), OWNER, title="Report zqwxyz")
    assert_consistent(db, articles | {added.id: "zqwxyz"})
