"""Rows listed in a statement (retrieval.storage.core.listed_rows), on both backends: given
inline or by a parameter's name, read from one JSON parameter or, in a read compiled ahead
for SQLite, from a VALUES list written into it, the same rows come out."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select

from retrieval.config import StorageConfig
from retrieval.models import Extracted
from retrieval.owners import EVERYONE, LOCAL, Owner
from retrieval.storage import Storage
from retrieval.storage.core import one_of, owners_in
from retrieval.storage.schema import articles, ownership

CHAT = Owner.chat(42)
FEED = Owner.feed(7)


@pytest.fixture
def store(storage: StorageConfig) -> Iterator[Storage]:
    opened = Storage(storage.database())
    yield opened
    opened.close()


def _add(
    store: Storage, text: str, owner: Owner, language: str | None, sentences: list[tuple[str, str | None]]
) -> int:
    return store.articles.add_article(
        Extracted(text=text, language=language), text[:20],
        [(1, sentence, own, None) for sentence, own in sentences], owner, public=False,
    )


def test_owner_lists_given_inline_or_by_name_find_the_same_articles(store: Storage) -> None:
    mine = _add(store, "Seals rest on the sandbanks.", LOCAL, "en", [("Seals rest on the sandbanks.", None)])
    chats = _add(store, "Otters fish in the river.", CHAT, "en", [("Otters fish in the river.", None)])
    fed = _add(store, "Herons wait by the weir.", FEED, "en", [("Herons wait by the weir.", None)])
    kind, owner_id = ownership.c.owner_kind, ownership.c.owner_id
    for owners, expected in [
        ([LOCAL], {mine}), ([LOCAL, CHAT], {mine, chats}), ([FEED, EVERYONE, CHAT], {chats, fed}),
        ([], set()), ([Owner.chat(43)], set()),
    ]:
        inline = select(ownership.c.article_id).where(owners_in(owners, kind, owner_id))
        with store.db.reading() as db:
            assert set(db.execute(inline).scalars()) == expected, owners
        assert {a.id for a in store.articles.articles(owners, limit=10)} == expected, owners
        assert store.articles.count_articles(owners) == len(expected), owners
        assert {i for i in (mine, chats, fed) if store.articles.visible(i, owners)} == expected, owners


def test_a_list_longer_than_sqlite_takes_parameters_goes_as_one(store: Storage) -> None:
    found = _add(store, "Seals rest on the sandbanks.", LOCAL, "en", [("Seals rest on the sandbanks.", None)])
    many = [*range(found + 1, found + 40_001), found]
    with store.db.reading() as db:
        assert list(db.execute(select(articles.c.id).where(one_of(articles.c.id, many))).scalars()) == [found]
        assert list(db.execute(select(articles.c.id).where(one_of(articles.c.id, [])))) == []


def test_position_ranges_read_the_sentences_with_their_language(store: Storage) -> None:
    english = _add(store, "One. Two. Three. Four.", LOCAL, "en", [
        ("One.", None), ("Two.", None), ("Drei.", "de"), ("Four.", None),
    ])
    unknown = _add(store, "Alpha. Beta.", LOCAL, None, [("Alpha.", None), ("Beta.", None)])
    gone = english + unknown + 1  # no such article: its range reads nothing
    found = store.articles.sentences_in([(english, 0, 3), (gone, 1, 2), (unknown, 2, 3)])
    assert sorted(found) == [
        (english, 1, "One.", "en", None), (english, 2, "Two.", "en", None),
        (english, 3, "Drei.", "de", None), (unknown, 2, "Beta.", None, None),
    ]
    assert store.articles.sentences_in([]) == []
    assert store.articles.titles_and_urls([unknown, gone, english]) == {
        english: ("One. Two. Three. Fou", None), unknown: ("Alpha. Beta.", None),
    }


def test_a_read_keeps_a_bounded_number_of_written_out_statements(store: Storage) -> None:
    """Each number of listed rows gets its SQL written once; a long-running bot meets many."""
    from retrieval.storage.articles import _titles_and_urls
    from retrieval.storage.database import MAX_WRITTEN_SHAPES

    found = _add(store, "Seals rest on the sandbanks.", LOCAL, "en", [("Seals rest on the sandbanks.", None)])
    cited = store.articles.titles_and_urls([found])
    assert list(cited) == [found]
    for size in range(2, 2 * MAX_WRITTEN_SHAPES + 1):
        assert store.articles.titles_and_urls([found] * size) == cited
        assert len(_titles_and_urls._written) <= MAX_WRITTEN_SHAPES


@pytest.mark.parametrize("name, listed", [
    ("_sentences_in", {"ranges": [(1, 1, 3), (2, 4, 6)]}), ("_titles_and_urls", {"ids": [(1,), (2,)]}),
])
def test_the_answer_paths_reads_take_the_listed_rows_in_step(
    tmp_path: Path, name: str, listed: dict[str, list[tuple[int, ...]]]
) -> None:
    """Each question runs these reads: SQLite reads their listed rows as it goes, rather
    than first copying them into a temporary table (a third more instructions)."""
    import retrieval.storage.articles

    database = tmp_path / "plan.db"
    Storage(StorageConfig(path=str(database)).database()).close()
    sql, values = getattr(retrieval.storage.articles, name).sqlite_call(listed)
    with closing(sqlite3.connect(database)) as driver:
        plan = [row[-1] for row in driver.execute(f"EXPLAIN QUERY PLAN {sql}", values)]
    assert any(step.startswith("SCAN") for step in plan), plan
    assert not any(step.startswith("MATERIALIZE") for step in plan), plan
