"""The passage index on its own: errors are told apart by type, not by their text."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.errors import IndexBusy, IndexUnavailable
from retrieval.index import PassageIndex
from retrieval.owners import LOCAL
from retrieval.storage.articles import StoredSentence

SEALS = StoredSentence(1, 1, 1, "Harbour seals have returned to the Thames estuary.")


def test_an_index_another_writer_holds_is_busy_not_broken(tmp_path: Path) -> None:
    path = tmp_path / "passages.index"
    writer = PassageIndex(path)
    writer.add([SEALS], [LOCAL], "en")
    writer.commit()
    files = {p.name for p in path.iterdir()}
    with pytest.raises(IndexBusy):  # busy, so the engine never rebuilds it under the writer
        PassageIndex(path)
    assert {p.name for p in path.iterdir()} == files
    assert PassageIndex(path, writable=False).num_docs() == 1
    writer.close()


def test_a_damaged_index_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "passages.index"
    PassageIndex(path).close()
    (path / "meta.json").write_text("{not json")
    with pytest.raises(IndexUnavailable):
        PassageIndex(path)
