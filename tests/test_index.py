"""The passage index on its own: errors are told apart by type, not by their text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import tantivy

from retrieval.errors import IndexBusy, IndexUnavailable
from retrieval.index import COMMON_MIN_SENTENCES, PASSAGE_BOOST, SENTENCE_BOOST, PassageIndex
from retrieval.language.words import words_of
from retrieval.owners import LOCAL, Owner
from retrieval.storage.articles import StoredSentence

SEALS = StoredSentence(1, 1, 1, "Harbour seals have returned to the Thames estuary.")


def test_an_index_another_writer_holds_is_busy_not_broken(tmp_path: Path) -> None:
    path = tmp_path / "passages.index"
    writer = PassageIndex(path)
    writer.add([SEALS], [LOCAL], "en")
    writer.commit()
    files = {p.name for p in path.iterdir()}
    other = PassageIndex(path)  # reads fine: its writer opens when it first writes
    assert other.num_docs() == 1
    with pytest.raises(IndexBusy):  # busy, so the engine never rebuilds it under the writer
        other.delete(1)
    assert {p.name for p in path.iterdir()} == files
    assert PassageIndex(path, writable=False).num_docs() == 1
    writer.close()


def test_a_damaged_index_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "passages.index"
    PassageIndex(path).close()
    (path / "meta.json").write_text("{not json")
    with pytest.raises(IndexUnavailable):
        PassageIndex(path)


def test_an_owner_whose_deleted_passage_hides_anothers_live_one_sees_only_its_own(tmp_path: Path) -> None:
    """An owner holding every passage is searched without the owner filter; counts of
    terms include deleted passages, so that must never be inferred from them alone."""
    index = PassageIndex(tmp_path / "passages.index")
    stems = words_of("en").terms("seals")
    index.add([SEALS], [LOCAL], "en")
    index.add([StoredSentence(2, 1, 1, "Grey seals rest on the sandbanks.")], [LOCAL], "en")
    theirs = StoredSentence(3, 1, 1, "The seals of the harbour are counted each spring.")
    index.add([theirs], [Owner.chat(7)], "en")
    index.commit()
    assert {hit.article_id for hit in index.search(stems, [LOCAL])} == {1, 2}
    index.delete(2)  # the command line's two passages, one deleted, as many as the live ones
    index.commit()
    assert {hit.article_id for hit in index.search(stems, [LOCAL])} == {1}
    assert {hit.article_id for hit in index.search(stems, [Owner.chat(7)])} == {3}
    index.delete(3)
    index.commit()
    assert {hit.article_id for hit in index.search(stems, [LOCAL])} == {1}
    index.close()


def test_a_stems_remembered_query_finds_what_later_commits_add(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query stem's term queries are kept across searches: they name the term only, so
    passages committed later are found, and the kept ones are bounded."""
    monkeypatch.setattr("retrieval.index.MAX_REMEMBERED_STEMS", 2)
    index = PassageIndex(tmp_path / "passages.index")
    seals, estuary, otters = (words_of("en").terms(word) for word in ("seals", "estuary", "otters"))
    index.add([SEALS], [LOCAL], "en")
    index.commit()
    assert index.search(otters, [LOCAL]) == []
    otter = StoredSentence(2, 1, 1, "Otters have returned to the river too.")
    index.add([otter], [LOCAL], "en")
    index.commit()
    assert [hit.article_id for hit in index.search(otters, [LOCAL])] == [2]
    assert {hit.article_id for hit in index.search(seals + otters, [LOCAL])} == {1, 2}
    assert [hit.article_id for hit in index.search(estuary, [LOCAL])] == [1]
    assert len(index._stem_clauses) <= 2
    index.delete(2)
    index.commit()
    assert [hit.article_id for hit in index.search(otters, [LOCAL])] == []
    index.close()


def test_which_languages_owners_hold_is_read_again_once_the_index_changes(tmp_path: Path) -> None:
    index = PassageIndex(tmp_path / "passages.index")
    index.add([SEALS], [LOCAL], "en")
    index.commit()
    assert index.holds_language([LOCAL], "en")
    assert not index.holds_language([LOCAL], "ro")
    romanian = StoredSentence(2, 1, 1, "Focile s-au întors în estuarul Tamisei.")
    index.add([romanian], [Owner.chat(7)], "ro")
    index.commit()
    assert not index.holds_language([LOCAL], "ro")  # another owner's
    assert index.holds_language([LOCAL, Owner.chat(7)], "ro")
    index.add([romanian._replace(article_id=3)], [LOCAL], "ro")
    index.commit()
    assert index.holds_language([LOCAL], "ro")
    index.delete(3)
    index.commit()
    assert not index.holds_language([LOCAL], "ro")
    index.close()


def test_what_the_writer_learnt_of_its_index_lasts_until_its_next_commit_only(tmp_path: Path) -> None:
    """The writing process keeps, until its next commit, that one owner holds every passage
    (its searches then skip the owner filter), which languages owners hold and how many
    sentences hold a stem: another owner's passage committed after must never be found
    by the first, and the counts must be the new ones."""
    index = PassageIndex(tmp_path / "passages.index")
    stems = words_of("en").terms("seals")
    index.add([SEALS], [LOCAL], "en")
    index.commit()
    assert [hit.article_id for hit in index.search(stems, [LOCAL])] == [1]
    assert index.doc_freqs(stems) == (1, {stems[0]: 1})
    assert not index.holds_language([LOCAL], "ro")
    theirs = StoredSentence(2, 1, 1, "The seals of the harbour are counted each spring.")
    index.add([theirs], [Owner.chat(7)], "en")
    index.add([StoredSentence(3, 1, 1, "Focile s-au întors în estuarul Tamisei.")], [LOCAL], "ro")
    assert index.doc_freqs(stems) == (1, {stems[0]: 1})  # not committed: not searchable yet
    index.commit()
    assert [hit.article_id for hit in index.search(stems, [LOCAL])] == [1]
    assert {hit.article_id for hit in index.search(stems, [LOCAL, Owner.chat(7)])} == {1, 2}
    assert index.doc_freqs(stems) == (3, {stems[0]: 2})
    assert index.holds_language([LOCAL], "ro")
    index.close()


def test_a_reader_beside_the_writer_follows_its_commits_without_keeping_what_it_learnt(
    tmp_path: Path,
) -> None:
    """A process that only reads learns of the writer's commits when its reader reloads on
    its own, unannounced: it must keep nothing of what an earlier search found (one owner
    holding every passage would let another chat's passages through)."""
    path = tmp_path / "passages.index"
    writer = PassageIndex(path)
    stems = words_of("en").terms("seals")
    writer.add([SEALS], [LOCAL], "en")
    writer.commit()
    reader = PassageIndex(path, writable=False)
    assert [hit.article_id for hit in reader.search(stems, [LOCAL])] == [1]
    theirs = StoredSentence(2, 1, 1, "The seals of the harbour are counted each spring.")
    writer.add([theirs], [Owner.chat(7)], "en")
    writer.commit()
    deadline = time.monotonic() + 10
    while reader.num_docs() < 2:  # the reader's file watcher reloads it within a second or so
        assert time.monotonic() < deadline, "the reader never saw the writer's commit"
        time.sleep(0.05)
    assert [hit.article_id for hit in reader.search(stems, [LOCAL])] == [1]
    assert reader.doc_freqs(stems) == (2, {stems[0]: 2})
    writer.close()


def test_a_stem_many_sentences_hold_is_searched_in_their_sentences_only(tmp_path: Path) -> None:
    """A sentence whose passage alone holds a stem is found by it until the stem is common:
    then only the sentences that hold it are, their term counting for the passage's too."""
    index = PassageIndex(tmp_path / "passages.index")
    stems = words_of("en").terms("seals")
    counted = StoredSentence(1, 2, 1, "They were counted in the spring.")
    index.add([SEALS, counted], [LOCAL], "en")
    grey = "Grey seals rest on the sandbanks."
    index.add([StoredSentence(2, p, p - 1, grey) for p in range(1, COMMON_MIN_SENTENCES - 1)], [LOCAL], "en")
    index.commit()
    assert index.doc_freqs(stems)[1] == {stems[0]: COMMON_MIN_SENTENCES - 1}
    assert (1, 2) in {(hit.article_id, hit.position) for hit in index.search(stems, [LOCAL], limit=1000)}
    index.add([StoredSentence(3, 1, 0, grey)], [LOCAL], "en")
    index.commit()
    hits = index.search(stems, [LOCAL], limit=1000)
    assert (1, 1) in {(hit.article_id, hit.position) for hit in hits}
    assert (1, 2) not in {(hit.article_id, hit.position) for hit in hits}
    in_sentences = tantivy.Query.term_query(index.schema, "sentence", stems[0])
    alone = index._now().searcher.search(in_sentences, 1000, count=False).hits
    assert sorted(hit.score for hit in hits) == pytest.approx(
        sorted((SENTENCE_BOOST + PASSAGE_BOOST) * score for score, _ in alone)
    )
    assert len(hits) == COMMON_MIN_SENTENCES
    index.close()
