"""The search index kept in step with the database, and the lock every write to both takes.

One process writes an index (it holds its lock file: ``<db file>.lock`` beside a SQLite
database, ``briefbot.lock`` in the index's folder with PostgreSQL); others may only read
beside it (``read_only``). Writes that touch the database and the index together run under
:meth:`SearchIndex.writing`, so the two never disagree for long, and :meth:`reconcile`
repairs what a crash left between them. With PostgreSQL, where other replicas write too,
the index follows the database's change log instead (:mod:`retrieval.services.index_follower`).

The index holds articles and the messages groups keep for their catch-up
(:func:`retrieval.index.message_source`). Both are marked ``indexed`` in SQLite once a
commit made them searchable; anything stored is added to the index writer at once, so a
commit makes everything unmarked searchable. Kept messages are committed in batches (by
:meth:`SearchIndex.commit_groups` before a group's search, and by any other commit), not
one by one as a group talks.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.errors import IndexBusy, IndexUnavailable
from retrieval.owners import Owner, OwnerKind
from retrieval.storage import Storage
from retrieval.storage.articles import FoundSentence, StoredSentence
from retrieval.storage.database import disk_usage

if TYPE_CHECKING:
    import logging

    from retrieval.index import PassageIndex
    from retrieval.services.index_follower import IndexFollower


def _log() -> logging.Logger:
    import logging  # here: a command that only reads never logs, and logging is 7 ms of its start-up

    return logging.getLogger(__name__)


class SearchIndex:
    """``read_only=True`` searches beside another process that writes (the running bot):
    anything that would change the index raises :class:`IndexBusy` before it changes anything.

    The index opens with :meth:`open`, or when :attr:`index` is first used; then, with
    ``read_when_busy``, read-only if another process holds it.
    """

    def __init__(
        self, storage: Storage, path: Path, *, read_only: bool = False, read_when_busy: bool = False
    ) -> None:
        self._storage = storage
        self._articles = storage.articles
        self._kept = storage.catchup
        self._read_only = read_only
        self._read_when_busy = read_when_busy
        self._path = path
        self._write_lock = threading.RLock()
        self._lock_fd: int | None = None
        self._passages: PassageIndex | None = None
        # PostgreSQL: other replicas write too, and this index follows their changes.
        self.follower = None if storage.db.is_sqlite else _follower(self, storage, path)

    @property
    def index(self) -> PassageIndex:
        if self._passages is None:
            with self._write_lock:
                if self._passages is None:
                    self.open()
        return self._passages  # type: ignore[return-value]

    @property
    def read_only(self) -> bool:
        """Whether this process only reads the index beside another that writes it (with
        ``read_when_busy``, known once the index is open: this opens it)."""
        if self._read_when_busy and self._passages is None:
            self.index  # noqa: B018 - opening it tells
        return self._read_only

    def open(self) -> None:
        """Take the database (unless reading only) and open its index, repaired if need be."""
        if not self._read_only:
            try:
                self._lock_fd = _lock_index(self._path)
            except IndexBusy:
                if not self._read_when_busy:
                    raise
                self._read_only = True
        if self._read_only:
            self._passages = self._open_for_reading()
            return
        self._passages = self._open()
        if self.follower is None:
            self.reconcile()
        else:
            self.follower.catch_up()

    def close(self) -> None:
        """Close the index; safe to call twice, and after a failed :meth:`open`."""
        with self._write_lock:
            if self._passages is not None:
                self._passages.close()
                self._passages = None

    def unlock(self) -> None:
        """Let another process take the database (after everything else is closed)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write lock: what happens inside is one step for the database and the index."""
        with self._write_lock:
            yield

    def check_writable(self) -> None:
        if self.read_only:
            raise IndexBusy("Another Briefbot process is using this database; I can only read now.")

    def add(self, article_id: int) -> None:
        """(Re-)index an article for the owners that now hold it (searchable after :meth:`commit`)."""
        self.index.delete(article_id)
        self._index(article_id)

    def commit(self) -> None:
        """Make everything stored so far searchable."""
        with self._write_lock:
            pending = self._articles.unindexed_ids()
            messages = self._kept.unindexed_ids()
            self.index.commit()
            self._articles.mark_indexed(pending)
            self._kept.mark_indexed(messages)

    def add_message(self, message_id: int, replaced: int | None = None) -> None:
        """Index a kept message (searchable after the next commit) in place of the version
        it replaced."""
        from retrieval.index import message_source

        if replaced is not None:
            self.index.delete(message_source(replaced))
        self._index_message(message_id)

    def remove_messages(self, message_ids: list[int]) -> None:
        """Take deleted kept messages out of the index, now."""
        from retrieval.index import message_source

        if not message_ids:
            return
        with self._write_lock:
            for message_id in message_ids:
                self.index.delete(message_source(message_id))
            self.commit()

    def commit_groups(self, owners: list[Owner]) -> None:
        """Make what the groups among ``owners`` kept searchable, if some of it is not yet."""
        groups = [owner.id for owner in owners if owner.kind is OwnerKind.GROUP]
        if groups and not self.read_only and self._kept.unindexed_ids(groups):
            self.commit()

    def sentences_in(self, ranges: list[tuple[int, int, int]]) -> list[FoundSentence]:
        """The sentences in the given (``article_id``, first, last) position ranges of the
        index's documents, articles' and kept messages' alike."""
        from retrieval.index import kept_message_id, message_source, names_kept_messages

        if not names_kept_messages(ranges):  # all but a group's questions
            return self._articles.sentences_in(ranges)
        found = self._articles.sentences_in([r for r in ranges if kept_message_id(r[0]) is None])
        keys = [
            (message_id, position)
            for source, first, last in ranges if (message_id := kept_message_id(source)) is not None
            for position in range(first, last + 1)
        ]
        for (message_id, position), text in self._kept.sentences_at(keys).items():
            found.append((message_source(message_id), position, text, None, None))
        return found

    def release(self, article_id: int, owner: Owner) -> None:
        """``owner`` no longer holds the article: delete it, or re-index it for those who do."""
        with self._write_lock:
            self.index.delete(article_id)
            if not self._articles.remove_owner(article_id, owner):
                self._index(article_id)

    def drop_owner(self, owner: Owner) -> None:
        """Release everything ``owner`` holds (a feed nobody follows any more)."""
        with self._write_lock:
            for article_id in self._articles.owned_by(owner):
                self.release(article_id, owner)
            self.commit()

    def rename_owner(self, old: Owner, new: Owner) -> None:
        """Move everything ``old`` holds to ``new`` (a group that became a supergroup)."""
        with self._write_lock:
            self._storage.rename_owner(old, new)
            self.index_unindexed()

    def reindex(self) -> int:
        """Rebuild the search index from the database; returns the number of articles indexed."""
        self.check_writable()
        with self._write_lock:
            self.index.delete_all()
            self._articles.mark_all_unindexed()
            self._kept.mark_all_unindexed()
            return self.index_unindexed()

    def reconcile(self) -> None:
        """Bring the index in line with the database after a crash or a lost index directory."""
        with self._write_lock:
            caught_up = self.index_unindexed()
            expected = self._articles.indexed_sentence_count() + self._kept.indexed_sentence_count()
            if self.index.num_docs() != expected:
                _log().warning(
                    "search index holds %d passages, database %d: rebuilding",
                    self.index.num_docs(), expected,
                )
                self.reindex()
            elif caught_up:
                _log().info("indexed %d articles missing from the search index", caught_up)

    def build(self) -> int:
        """Index everything the database holds into an emptied index, without the
        ``indexed`` marks (other replicas share them); returns how many articles and
        messages."""
        with self._write_lock:
            self.index.delete_all()
            articles, messages = self._articles.ids(), self._kept.ids()
            for article_id in articles:
                self._index(article_id)
            for message_id in messages:
                self._index_message(message_id)
            self.index.commit()
        return len(articles) + len(messages)

    def index_unindexed(self) -> int:
        """Index what SQLite holds and the index may not (after a crash, or to rebuild it);
        returns the number of articles and kept messages indexed."""
        pending = self._articles.unindexed_ids()
        for article_id in pending:
            self.add(article_id)
        messages = self._kept.unindexed_ids()
        for message_id in messages:
            self.add_message(message_id, replaced=message_id)
        if pending or messages:
            self.index.commit()
            self._articles.mark_indexed(pending)
            self._kept.mark_indexed(messages)
        return len(pending) + len(messages)

    def _index(self, article_id: int) -> None:
        """Index an article's sentences, in its language, for the owners that hold it."""
        from retrieval.index import sentence_terms
        from retrieval.language.detect import body_language

        info = self._articles.article(article_id)
        if info is None:
            return
        sentences = self._articles.sentences(article_id)
        language = info.language
        if language is None:  # stored before languages were detected
            paragraphs: dict[int, list[str]] = {}
            for sentence in sentences:
                paragraphs.setdefault(sentence.paragraph, []).append(sentence.text)
            language = body_language([" ".join(texts) for texts in paragraphs.values()])
            self._articles.set_language(article_id, language)
        # The stored terms are the index's: computed again with it (after the index format
        # changed, they did too) and stored where they changed.
        fresh = [s._replace(terms=sentence_terms(s.text, s.language or language)) for s in sentences]
        changed = {s.position: f.terms for s, f in zip(sentences, fresh, strict=True) if s.terms != f.terms}
        if changed:
            self._articles.set_terms(article_id, changed)
        self.index.add(fresh, self._articles.owners_of(article_id), language)

    def _index_message(self, message_id: int) -> None:
        """Index a kept message's sentences, in its language, for its group alone."""
        from retrieval.index import message_source

        message = self._kept.messages([message_id]).get(message_id)
        if message is None:
            return
        source = message_source(message_id)
        sentences = [
            StoredSentence(source, position, 0, text)
            for position, text in enumerate(message.sentences, start=1)
        ]
        self.index.add(sentences, [Owner.group(message.chat_id)], message.language)

    def size_bytes(self) -> int:
        return disk_usage(self.index.path.iterdir())

    def _open_for_reading(self) -> PassageIndex:
        from retrieval.index import PassageIndex  # tantivy: only for what searches

        try:
            return PassageIndex(self._path, writable=False)
        except IndexUnavailable:
            raise IndexBusy(
                "The running Briefbot is rebuilding its search index; try again in a moment."
            ) from None

    def _open(self) -> PassageIndex:
        from retrieval.index import PassageIndex

        try:
            return PassageIndex(self._path)
        except IndexUnavailable as exc:
            _log().warning("search index unusable (%s): rebuilding from the database", exc)
            if self.follower is None:  # with PostgreSQL, the lost position says so
                self._articles.mark_all_unindexed()
            return PassageIndex.recreate(self._path)


def _follower(search: SearchIndex, storage: Storage, path: Path) -> IndexFollower:
    from retrieval.services.index_follower import IndexFollower
    from retrieval.storage.changes import ChangeLog

    return IndexFollower(search, ChangeLog(storage.db), path)


def _lock_index(index_path: Path) -> int:
    """Hold the index's lock file (its path with ``.lock`` for ``.index``) for the engine's
    lifetime: one writing process per index, so no process ever rebuilds an index another
    one is using."""
    index_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise IndexBusy("Another Briefbot process is already using this database.") from None
    return fd
