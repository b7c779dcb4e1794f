"""A replica's search index following PostgreSQL.

Each replica keeps its own search index, derived from the shared database: it applies the
changes every replica logs (:mod:`retrieval.storage.changes`) a few times a second, so an
article stored through one replica is found through every other within a second or so.
How far an index has followed the log is kept beside it (``briefbot-position`` in the
index's folder); an index without one (a new replica, an empty disk, a lost index) or one
that fell further behind than the log keeps is built from the database, and then follows.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.storage.changes import ChangeLog

if TYPE_CHECKING:
    from retrieval.services.search_index import SearchIndex

log = logging.getLogger(__name__)

POSITION_FILE = "briefbot-position"
FOLLOW_EVERY_S = 0.25
FOLLOW_BATCH = 500
FORGET_EVERY_S = 600.0


class IndexFollower:
    def __init__(self, search: SearchIndex, changes: ChangeLog, index_path: Path) -> None:
        self._search = search
        self._changes = changes
        self._position_file = index_path / POSITION_FILE
        self._position: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def catch_up(self) -> None:
        """At start: follow the log from where this index stopped, or build it anew."""
        position = self._read_position()
        oldest = self._changes.oldest_id()
        # Ids may skip (a transaction rolled back), so "oldest - 1" may rebuild for nothing;
        # never the other way round.
        if position is None or (oldest is not None and position < oldest - 1):
            start = self._changes.last_id()  # before reading: what comes after is followed
            built = self._search.build()
            log.info("built the search index from the database: %d articles and messages", built)
            self._save_position(start)
        else:
            self._position = position
        self.follow()
        self._search.commit()  # and what was stored but never committed is marked indexed

    def follow(self) -> int:
        """Apply the changes logged since this index's position; returns how many."""
        applied = 0
        while self._position is not None:
            changes = self._changes.since(self._position, FOLLOW_BATCH)
            if not changes:
                break
            with self._search.writing():
                for kind, item_id in dict.fromkeys((kind, item_id) for _, kind, item_id in changes):
                    if kind == "article":
                        self._search.add(item_id)
                    else:
                        self._search.add_message(item_id, replaced=item_id)
                self._search.index.commit()
                self._save_position(changes[-1][0])
            applied += len(changes)
        return applied

    def start(self) -> None:
        """Follow on a thread of its own until :meth:`stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="briefbot-index-follower", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        forgotten_at = 0.0
        while not self._stop.wait(FOLLOW_EVERY_S):
            try:
                self.follow()
                if time.monotonic() - forgotten_at > FORGET_EVERY_S:
                    self._changes.forget_old()
                    forgotten_at = time.monotonic()
            except Exception as error:  # the database may be away for a moment: try again
                log.warning("following the database's changes failed: %s", error)

    def _read_position(self) -> int | None:
        try:
            return int(self._position_file.read_text(encoding="ascii"))
        except (FileNotFoundError, ValueError):
            return None

    def _save_position(self, position: int) -> None:
        partial = self._position_file.with_suffix(".partial")
        partial.write_text(str(position), encoding="ascii")
        partial.replace(self._position_file)
        self._position = position
