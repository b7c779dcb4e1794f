"""The BM25 passage index, on disk, with tantivy.

One index document per sentence: the sentence itself (``sentence`` field) and the
passage around it, the sentence with its neighbours (``passage`` field). Both hold the
terms :mod:`retrieval.language.words` makes of the text in its article's language (stems
of the content words, CJK bigrams, Thai words), joined by spaces: tantivy only splits them
again, so the index and every other part of the engine agree on what a word is. A query
scores both (a stem many sentences hold, the sentence only: :meth:`PassageIndex.search`),
so the best hit is at once the best passage and the sentence in it that answers. Each
document carries its article's owners (their text form), so a search is filtered to what
the caller may see inside the index, not after it.

A message a group keeps for its catch-up is indexed the same way, as a short article of
its own held by the group's ``group`` owner; its documents' ``article_id`` is the kept
message's id negated (:func:`message_source`), so the two never meet.

The index is derived data: SQLite is the truth and :meth:`PassageIndex.delete_all`
plus re-adding every article rebuilds it.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Hashable, Sequence
from functools import partial
from pathlib import Path
from typing import NamedTuple, TypeVar

import tantivy

from retrieval.errors import IndexBusy, IndexUnavailable
from retrieval.language.words import words_of
from retrieval.owners import Owner
from retrieval.storage.articles import StoredSentence

ANALYZER = "terms"
# Sentences on each side of the focus sentence in its passage. 1 rather than 2: the passage
# postings (four fifths of what a search reads) are 40 % shorter, a question at 100k passages
# takes 7 % fewer instructions, and the answers are as good: P@1 +0.6 at 100k passages and
# -0.4 at 1M (bench/ask.py, 2,000 questions), -0.1 on SQuAD (bench/qa.py), in 12 languages
# +0.03 on average each alone and -0.2 all in one database (bench/languages.py). Ranking
# whole documents by their passages loses more (bench/retrieval.py, nDCG@10 -0.005 by the
# best passage, -0.019 by the sum of the best three).
WINDOW = 1
SENTENCE_BOOST = 1.0
PASSAGE_BOOST = 1.0
# Written into the index directory; change it whenever what a document holds changes.
FORMAT = f"briefbot passages v6 (size, time and number words are terms), window {WINDOW}"
FORMAT_FILE = "briefbot-format"
UNKNOWN_LANGUAGE = "und"  # ISO 639-2 "undetermined"
MAX_REMEMBERED_LANGUAGES = 10_000  # (owners, language) answers of holds_language kept at most
MAX_REMEMBERED_STEMS = 10_000  # stems whose query clauses are kept at most
MAX_REMEMBERED_FACTS = 100_000  # answers a snapshot keeps at most, of each kind
# A stem at least this share of the sentences hold, and at least this many, is searched in
# the sentences only (PassageIndex.search).
COMMON_SHARE = 0.005
COMMON_MIN_SENTENCES = 500


def sentence_terms(text: str, language: str | None) -> str:
    """What the index holds of a sentence in ``language``: its terms, joined by spaces."""
    return " ".join(words_of(language).terms(text))


def message_source(message_id: int) -> int:
    """The ``article_id`` a kept group message's sentences have in the index."""
    return -message_id


def kept_message_id(source: int) -> int | None:
    """The kept message a hit's ``article_id`` names, or None when it names an article."""
    return -source if source < 0 else None


def names_kept_messages(ranges: Sequence[tuple[int, int, int]]) -> bool:
    """Whether any of the (``article_id``, first, last) ranges is in a kept message."""
    return bool(ranges) and min(ranges)[0] < 0


class Hit(NamedTuple):
    article_id: int
    position: int
    score: float


# A hit from its (article_id, position, score) tuple: tuple's own constructor, without the
# Python-level __new__ of a NamedTuple (a search builds twenty).
_hit = partial(tuple.__new__, Hit)


_Clause = tuple[tantivy.Occur, tantivy.Query]
_Key = TypeVar("_Key", bound=Hashable)
_Value = TypeVar("_Value")


def _held_by_one_of(searcher: tantivy.Searcher, owners: Sequence[Owner]) -> bool:
    """Whether one of ``owners`` holds every document: filtering by them then changes
    nothing, and a search without the filter is about twice as fast on a large index (it
    scores the same matches, without intersecting them with the owners' documents).

    Exact: term counts include deleted documents, so it holds only when the index has
    none, which the languages tell (every document has one language term, so their counts
    add up to the live documents exactly when none is deleted).
    """
    total = searcher.num_docs
    if not any(searcher.doc_freq("owner", str(owner)) == total for owner in dict.fromkeys(owners)):
        return False
    return sum(count for _, count in searcher.terms_with_prefix("language", "")) == total


class _Snapshot:
    """The index as one reload of it reads, and what questions learnt of it so far.

    A process that writes the index is the only one that changes it, and its reader reloads
    only at its own commits (by hand, not on a file watcher's notice): until the next one
    every search reads these very segments, so what was learnt of them is exactly true
    and is kept (whether one owner holds every document, which languages owners hold, how
    many sentences hold a stem). A process that only reads beside a writer keeps nothing
    here: its reader follows the writer's commits unannounced.
    """

    __slots__ = ("searcher", "remembers", "common", "held_by_one", "languages_held", "sentence_freqs")

    def __init__(self, searcher: tantivy.Searcher, *, remembers: bool) -> None:
        self.searcher = searcher
        self.remembers = remembers
        # How many sentences make a stem common (PassageIndex.search).
        self.common = max(COMMON_MIN_SENTENCES, COMMON_SHARE * searcher.num_docs)
        self.held_by_one: dict[tuple[Owner, ...], bool] = {}
        self.languages_held: dict[tuple[tuple[Owner, ...], str], bool] = {}
        self.sentence_freqs: dict[str, int] = {}

    def held_by_one_of(self, owners: tuple[Owner, ...]) -> bool:
        held = self.held_by_one.get(owners)
        if held is None:
            held = _held_by_one_of(self.searcher, owners)
            self.keep(self.held_by_one, owners, held)
        return held

    def sentence_freq(self, stem: str) -> int:
        frequency = self.sentence_freqs.get(stem)
        if frequency is None:
            frequency = self.searcher.doc_freq("sentence", stem)
            self.keep(self.sentence_freqs, stem, frequency)
        return frequency

    def keep(self, kept: dict[_Key, _Value], key: _Key, value: _Value) -> None:
        """Keep an answer found of this snapshot, if it remembers (no closures: a question
        asks these a dozen times, and a lambda each costs a twentieth of what is saved)."""
        if self.remembers:
            if len(kept) >= MAX_REMEMBERED_FACTS:
                kept.clear()
            kept[key] = value


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("article_id", indexed=True, fast=True)
    builder.add_integer_field("position", fast=True)
    builder.add_text_field("owner", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("language", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("sentence", tokenizer_name=ANALYZER, index_option="freq")
    # Frequencies without positions: nothing runs phrase queries, and positions cost a
    # third of the index size and a fifth of the indexing time.
    builder.add_text_field("passage", tokenizer_name=ANALYZER, index_option="freq")
    return builder.build()


def _analyzer() -> tantivy.TextAnalyzer:
    """The fields hold ready-made terms separated by spaces."""
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


class PassageIndex:
    """``writable=False`` opens the index for searching only, beside a process that writes.
    A writable index opens its writer when it first writes: a command that only reads
    (``briefbot ask`` on an index in step with its database) never starts tantivy's writer
    and its threads (a few milliseconds)."""

    def __init__(self, path: Path, *, heap_bytes: int = 64_000_000, writable: bool = True) -> None:
        self.path = path
        self.schema = _schema()
        self._lock = threading.Lock()
        self._heap_bytes = heap_bytes
        self._writable = writable
        self._writer: tantivy.IndexWriter | None = None
        # What holds_language found beside a writer, for the index as it was then
        # (documents, segments); the writing process keeps it in its _Snapshot instead.
        self._languages_state: tuple[int, int] = (-1, -1)
        self._languages_held: dict[tuple[frozenset[Owner], str], bool] = {}
        self._stem_clauses: dict[tuple[str, bool], tuple[_Clause, ...]] = {}
        self._snapshot: _Snapshot | None = None  # the writing process's, since its last reload
        self._open()

    def _open(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._check_format()
            self._index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
            self._index.register_tokenizer(ANALYZER, _analyzer())
            if self._writable:  # see _Snapshot
                self._index.config_reader("Manual")
            self._index.reload()
            self._probe()
        except (ValueError, OSError) as exc:  # tantivy's one error type, for corrupt and incompatible indexes
            raise IndexUnavailable(str(exc)) from exc
        if self._writable:
            self._snapshot = _Snapshot(self._index.searcher(), remembers=True)

    def _open_writer(self) -> tantivy.IndexWriter:
        """The index opened and read fine, so a writer it refuses is one another process
        holds: tantivy has no error type of its own to say so, and a busy index must never
        be taken for a broken one (that would rebuild it under the other process)."""
        try:
            return self._index.writer(heap_size=self._heap_bytes, num_threads=1)
        except ValueError:
            raise IndexBusy("Another Briefbot process is already using this database.") from None

    def _check_format(self) -> None:
        """An index built with other passage settings is rebuilt, not mixed with new passages."""
        marker = self.path / FORMAT_FILE
        if not (self.path / "meta.json").exists():
            if not self._writable:
                raise IndexUnavailable("there is no index to read yet")
            marker.write_text(FORMAT)
        elif not marker.exists() or marker.read_text() != FORMAT:
            raise IndexUnavailable("the index was built with other passage settings")

    def _probe(self) -> None:
        """Read every field's postings once: a damaged segment file fails here, not at search."""
        searcher = self._index.searcher()
        for field in ("sentence", "passage", "owner"):
            searcher.search(tantivy.Query.term_query(self.schema, field, "probe"), 1, count=False)

    @classmethod
    def recreate(cls, path: Path) -> PassageIndex:
        """Throw away whatever is at ``path`` and start an empty index there."""
        if path.is_symlink() or path.is_file():
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)
        return cls(path)

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.wait_merging_threads()

    @property
    def writer(self) -> tantivy.IndexWriter:
        """The index's writer, opened now if this is its first write (callers hold ``_lock``)."""
        if self._writer is None:
            if not self._writable:
                raise IndexBusy("Another Briefbot process is using this database; I can only read now.")
            self._writer = self._open_writer()
        return self._writer

    # --- writing ----------------------------------------------------------------

    def add(
        self, sentences: Sequence[StoredSentence], owners: Sequence[Owner], language: str | None
    ) -> None:
        """Index one article's sentences (not visible to searches before :meth:`commit`),
        each in its own language if it has one, else in the article's ``language``; a
        sentence's terms are computed unless it carries them."""
        terms = [
            s.terms if s.terms is not None else sentence_terms(s.text, s.language or language)
            for s in sentences
        ]
        owner_names = [str(owner) for owner in owners]
        with self._lock:
            for i, sentence in enumerate(sentences):
                passage = " ".join(terms[max(0, i - WINDOW) : i + WINDOW + 1])
                document = tantivy.Document(
                    article_id=sentence.article_id,
                    position=sentence.position,
                    owner=owner_names,
                    language=sentence.language or language or UNKNOWN_LANGUAGE,
                    sentence=terms[i],
                    passage=passage,
                )
                self.writer.add_document(document)

    def delete(self, article_id: int) -> None:
        with self._lock:
            self.writer.delete_documents_by_term("article_id", article_id)

    def delete_all(self) -> None:
        with self._lock:
            self.writer.delete_all_documents()

    def commit(self) -> None:
        with self._lock:
            self.writer.commit()
            self._index.reload()
            self._snapshot = _Snapshot(self._index.searcher(), remembers=True)

    # --- reading ----------------------------------------------------------------

    def _now(self) -> _Snapshot:
        """The index as a search reads it now."""
        return self._snapshot or _Snapshot(self._index.searcher(), remembers=False)

    def num_docs(self) -> int:
        return self._now().searcher.num_docs

    def doc_freqs(self, stems: Sequence[str]) -> tuple[int, dict[str, int]]:
        """The number of documents, and how many of them hold each stem in their sentence."""
        snapshot = self._now()
        known = snapshot.sentence_freqs
        return snapshot.searcher.num_docs, {
            stem: known[stem] if stem in known else snapshot.sentence_freq(stem) for stem in stems
        }

    def holds_language(self, owners: Sequence[Owner], language: str) -> bool:
        """Whether any passage ``owners`` may see is in ``language``.

        Remembered, as the search that tells visits every passage of the owners in that
        language (milliseconds for an owner holding a hundred thousand): by the writing
        process until its next commit (:class:`_Snapshot`), beside a writer until the
        index changes (its number of documents or of segments).
        """
        if not owners:
            return False
        snapshot = self._snapshot
        if snapshot is not None:
            key = (tuple(owners), language)
            held = snapshot.languages_held.get(key)
            if held is None:
                held = self._holds_language_in(snapshot.searcher, owners, language)
                snapshot.keep(snapshot.languages_held, key, held)
            return held
        searcher = self._index.searcher()
        # Never remembered: the index can count as many documents and segments after a
        # language first arrives (an article re-indexed in another one) as before.
        if searcher.doc_freq("language", language) == 0:
            return False
        state = (searcher.num_docs, searcher.num_segments)
        if state != self._languages_state or len(self._languages_held) >= MAX_REMEMBERED_LANGUAGES:
            self._languages_state, self._languages_held = state, {}
        key = (frozenset(owners), language)
        held = self._languages_held.get(key)
        if held is None:
            held = self._languages_held[key] = self._holds_language_in(searcher, owners, language)
        return held

    def _holds_language_in(self, searcher: tantivy.Searcher, owners: Sequence[Owner], language: str) -> bool:
        query = tantivy.Query.boolean_query([
            (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "language", language)),
            (tantivy.Occur.Must, self._owner_filter(owners)),
        ])
        return searcher.search(query, 1, count=False).hits != []

    def search(
        self,
        stems: Sequence[str],
        owners: Sequence[Owner],
        *,
        article_id: int | None = None,
        limit: int = 30,
    ) -> list[Hit]:
        """Best sentences for the query stems among the documents ``owners`` may see.

        A common stem (one that ``COMMON_SHARE`` of the sentences hold, and at least
        ``COMMON_MIN_SENTENCES``) is searched in the sentences only: its passage postings,
        three times as long, are what most of a search's time went to at 100k passages,
        for a term of low IDF. Its term in the sentence counts for both (its boost is the
        two fields' together): a passage holds what its sentence does, so only a sentence
        whose neighbours alone hold the stem scores less than it would. A question takes
        11 % fewer instructions at 100k passages, the answers as good there and at 1M
        (bench/ask.py, 2,000 questions; the sentence term counted once, 1.2 points of P@1
        fewer at 1M; 1.5 or 3 times, 0.5 and 0.6 fewer). The floor leaves a small index,
        whose postings are all short, searched as before (bench/qa.py, bench/languages.py:
        no answer changes).
        """
        if not stems or not owners:
            return []
        snapshot = self._now()
        searcher = snapshot.searcher
        remembered, known, common = self._stem_clauses, snapshot.sentence_freqs, snapshot.common
        clauses: list[_Clause] = []
        for stem in dict.fromkeys(stems):
            is_common = (known[stem] if stem in known else snapshot.sentence_freq(stem)) >= common
            clauses += remembered.get((stem, is_common)) or self._clauses_of(stem, common=is_common)
        query = tantivy.Query.boolean_query(clauses)
        filters = [] if snapshot.held_by_one_of(tuple(owners)) else [self._owner_filter(owners)]
        if article_id is not None:
            filters.append(tantivy.Query.term_query(self.schema, "article_id", article_id))
        if filters:
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query)]
                + [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters]
            )
        # Every match is scored whatever the limit: tantivy-py collects the top documents
        # beside the optional count (a MultiCollector), which never skips postings the way
        # tantivy's own top-k search does (block-max WAND); 1 or 30 hits take as long. No
        # total count (a fifth more) and no stored-document reads: the ids come from the
        # fast-field columns.
        found = searcher.search(query, limit, count=False).hits
        addresses = [address for _, address in found]
        return list(map(_hit, zip(
            searcher.fast_field_values("article_id", addresses),
            searcher.fast_field_values("position", addresses),
            [score for score, _ in found],
            strict=True,
        )))

    def _clauses_of(self, stem: str, *, common: bool) -> tuple[_Clause, ...]:
        """A query stem's clauses: its term in the sentence and in the passage or, for a
        common stem, in the sentence only, counting for both (:meth:`search`). Kept (they
        hold no documents, only the term), as building a term query takes a microsecond
        and questions share their stems."""
        if len(self._stem_clauses) >= MAX_REMEMBERED_STEMS:
            self._stem_clauses.clear()
        if common:
            clauses: tuple[_Clause, ...] = (
                (tantivy.Occur.Should, self._term("sentence", stem, SENTENCE_BOOST + PASSAGE_BOOST)),
            )
        else:
            clauses = (
                (tantivy.Occur.Should, self._term("sentence", stem, SENTENCE_BOOST)),
                (tantivy.Occur.Should, self._term("passage", stem, PASSAGE_BOOST)),
            )
        self._stem_clauses[stem, common] = clauses
        return clauses

    def _term(self, field: str, stem: str, boost: float) -> tantivy.Query:
        term = tantivy.Query.term_query(self.schema, field, stem)
        # A boost of 1 changes no score.
        return term if boost == 1.0 else tantivy.Query.boost_query(term, boost)

    def _owner_filter(self, owners: Sequence[Owner]) -> tantivy.Query:
        """Documents any of ``owners`` holds.

        Term queries rather than a term-set query: a term set first collects every
        document of every owner into a bitset, which costs milliseconds for an owner
        holding hundreds of thousands of passages.
        """
        terms = [
            tantivy.Query.term_query(self.schema, "owner", str(owner)) for owner in dict.fromkeys(owners)
        ]
        if len(terms) == 1:
            return terms[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, term) for term in terms])
