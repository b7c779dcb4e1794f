"""The passage index on its own: errors are told apart by type, not by their text."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.errors import IndexBusy, IndexUnavailable
from retrieval.index import PassageIndex
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
