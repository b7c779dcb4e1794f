"""The engine end to end on a real SQLite file and a real PostgreSQL database (each test
runs on both), and a real tantivy index."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import select

from retrieval.config import EngineConfig, FetchConfig, LimitsConfig, StorageConfig
from retrieval.engine import Engine
from retrieval.errors import FetchError, InputError, NotFound
from retrieval.models import Extracted
from retrieval.owners import LOCAL, Owner
from retrieval.storage.schema import articles
from retrieval.summarize import ALGORITHMS
from tests.support import ARTICLE_HTML, make_pdf, shared_file
from tests.web import Page, WebServer

SEALS = (
    "Harbour seals have returned to the Thames estuary in numbers not seen for decades.\n\n"
    "The survey counted 1,200 seals on the sandbanks near Southend, up from 300 in 2005. "
    "Researchers said cleaner water had helped the fish the seals eat.\n\n"
    "The society will repeat the survey next summer with drones."
)
VOLCANO = (
    "The volcano on La Palma erupted again on Sunday, sending lava towards the coast.\n\n"
    "Officials evacuated three villages overnight and closed the airport to all flights."
)


def make_config(storage: StorageConfig, **limits: int) -> EngineConfig:
    return EngineConfig(
        storage=storage,
        fetch=FetchConfig(allow_private=True, timeout_s=5),
        limits=LimitsConfig(**limits),
    )


@pytest.fixture
def engine(storage: StorageConfig):
    with Engine(make_config(storage)) as engine:
        yield engine


def stored_text(engine: Engine, article_id: int) -> str:
    with engine.storage.db.reading() as db:
        return db.execute(select(articles.c.text).where(articles.c.id == article_id)).scalar_one()


def test_seed_page_becomes_its_title_and_seven_paragraphs(engine: Engine) -> None:
    expected = json.loads(shared_file("seed/expected.json").read_text())
    result = engine.ingest_text(shared_file("seed/seed-article.txt").read_text(), LOCAL)
    assert result.title == expected["title"]
    assert stored_text(engine, result.id) == "\n\n".join(expected["paragraphs"])


def test_seed_questions_are_answered_or_declined(engine: Engine) -> None:
    engine.ingest_text(shared_file("seed/seed-article.txt").read_text(), LOCAL)
    engine.ingest_text(SEALS, LOCAL)
    for case in json.loads(shared_file("seed/questions.json").read_text()):
        answer = engine.ask(case["question"], LOCAL)
        if case["expect"] is None:
            assert answer.abstained, case["question"]
            assert answer.sentences == []
        else:
            assert not answer.abstained, case["question"]
            assert case["expect"] in answer.sentences[0].text, case["question"]


def test_answer_sentences_are_verbatim_and_cited(engine: Engine) -> None:
    result = engine.ingest_text(SEALS, LOCAL, title="Seals")
    answer = engine.ask("How many seals did the survey count?", LOCAL)
    assert not answer.abstained
    first = answer.sentences[0]
    assert first.article_id == result.id
    assert first.title == "Seals"
    assert first.text == "The survey counted 1,200 seals on the sandbanks near Southend, up from 300 in 2005."
    assert first.index == 2
    assert first.text in stored_text(engine, result.id)
    assert 1 <= len(answer.sentences) <= 3


def test_sentences_are_read_by_position_ranges_and_cited_by_title(engine: Engine) -> None:
    """The answer path's reads: sentences in (article, first, last) ranges, however many
    (positions past either end give nothing), each with its article's language; then the
    cited articles' titles and links, of those still stored."""
    seals = engine.ingest(Extracted(title="Seals", text=SEALS, language="en"), LOCAL).id
    volcano = engine.ingest(Extracted(title="Volcano", text=VOLCANO, language="en"), LOCAL).id
    store = engine.storage.articles
    found = sorted(store.sentences_in([(seals, 0, 2), (volcano, 2, 9), (seals, 4, 4)]))
    assert [(article_id, position, language) for article_id, position, _, language, _ in found] == [
        (seals, 1, "en"), (seals, 2, "en"), (seals, 4, "en"), (volcano, 2, "en"),
    ]
    assert [row[2] for row in found] == [s.text for s in store.sentences(seals) if s.position != 3] + [
        "Officials evacuated three villages overnight and closed the airport to all flights.",
    ]
    ranges = [(seals, position, position) for position in range(1, 200)]
    assert sorted(store.sentences_in(ranges)) == [
        (s.article_id, s.position, s.text, "en", s.terms) for s in store.sentences(seals)
    ]
    assert store.sentences_in([]) == []
    titles = store.titles_and_urls([volcano, seals, 10**9])
    assert titles == {seals: ("Seals", None), volcano: ("Volcano", None)}
    assert store.titles_and_urls([]) == {}


def test_question_scoped_to_one_article(engine: Engine) -> None:
    seals = engine.ingest_text(SEALS, LOCAL)
    volcano = engine.ingest_text(VOLCANO, LOCAL)
    assert engine.ask("Which villages were evacuated?", LOCAL).sentences[0].article_id == volcano.id
    scoped = engine.ask("Which villages were evacuated?", LOCAL, article_id=seals.id)
    assert scoped.abstained


def test_summary_keeps_order_and_length(engine: Engine) -> None:
    result = engine.ingest_text(shared_file("seed/seed-article.txt").read_text(), LOCAL)
    for algorithm in ALGORITHMS:
        summary = engine.summarize(result.id, LOCAL, sentences=3, algorithm=algorithm)
        indexes = [s.index for s in summary.sentences]
        assert len(indexes) == 3, algorithm
        assert indexes == sorted(indexes), algorithm
        assert summary.algorithm == algorithm
        for sentence in summary.sentences:
            assert sentence.text in " ".join(stored_text(engine, result.id).split())
    half = engine.summarize(result.id, LOCAL, percent=50)
    assert len(half.sentences) == (half.total_sentences + 1) // 2


def test_same_text_or_url_is_stored_once(engine: Engine) -> None:
    first = engine.ingest(Extracted(text=SEALS, url="https://news.example/seals?utm_source=tg"), LOCAL)
    again = engine.ingest_text(SEALS, LOCAL)
    by_url = engine.ingest(Extracted(text=SEALS + " Updated.", url="https://news.example/seals"), LOCAL)
    assert again.duplicate and again.id == first.id
    assert by_url.duplicate and by_url.id == first.id
    assert engine.count_articles(LOCAL) == 1


def test_chats_see_only_their_own_articles(engine: Engine) -> None:
    mine = engine.ingest_text(SEALS, Owner.chat(1))
    with pytest.raises(NotFound):
        engine.article(mine.id, Owner.chat(2))
    with pytest.raises(NotFound):
        engine.summarize(mine.id, Owner.chat(2))
    with pytest.raises(NotFound):
        engine.forget(mine.id, Owner.chat(2))
    with pytest.raises(NotFound):
        engine.ask("How many seals?", Owner.chat(2), article_id=mine.id)
    assert engine.ask("How many seals were counted?", Owner.chat(2)).abstained
    assert engine.articles(Owner.chat(2)) == []

    # The same text from another chat is that chat's own copy: nothing of chat 1's is shared.
    theirs = engine.ingest_text(SEALS, Owner.chat(2), title="Their seals")
    assert not theirs.duplicate and theirs.id != mine.id
    assert engine.ingest_text(SEALS, Owner.chat(2)).duplicate
    assert engine.ask("How many seals were counted?", Owner.chat(2)).sentences[0].title == "Their seals"

    engine.forget(mine.id, Owner.chat(1))
    assert engine.articles(Owner.chat(1)) == []
    assert engine.storage.articles.article(mine.id) is None
    assert engine.ask("How many seals were counted?", Owner.chat(1)).abstained
    assert not engine.ask("How many seals were counted?", Owner.chat(2)).abstained


def test_a_private_article_is_never_found_by_its_url(engine: Engine, web: WebServer) -> None:
    """A file's own URL (here from its canonical link) is no key to it for other chats."""
    upload = ARTICLE_HTML.replace("<head>", '<head><link rel="canonical" href="SITE/seals.html">')
    public_page = "<html><body><p>" + "Public version of the page. " * 5 + "</p></body></html>"
    web.pages["/seals.html"] = Page(public_page)
    upload = upload.replace("SITE", web.base_url)
    private = engine.ingest_bytes(upload.encode(), Owner.chat(1), filename="s.html")
    fetched = engine.ingest_url(web.url("/seals.html"), Owner.chat(2))
    assert web.paths == ["/seals.html"]
    assert fetched.id != private.id and not fetched.duplicate
    assert engine.ask("Who led the count?", Owner.chat(2)).abstained
    # A page fetched for one chat is public: another chat sending the link shares it.
    again = engine.ingest_url(web.url("/seals.html"), Owner.chat(3))
    assert again.duplicate and again.id == fetched.id
    assert web.paths == ["/seals.html"]  # known by its URL: not fetched again


def test_shared_public_article_outlives_one_chat_forgetting_it(engine: Engine, web: WebServer) -> None:
    web.pages["/seals.html"] = Page(ARTICLE_HTML)
    first = engine.ingest_url(web.url("/seals.html"), Owner.chat(1))
    second = engine.ingest_url(web.url("/seals.html"), Owner.chat(2))
    assert second.duplicate and second.id == first.id
    engine.forget(first.id, Owner.chat(1))
    assert engine.ask("Who led the count?", Owner.chat(1)).abstained
    assert not engine.ask("Who led the count?", Owner.chat(2)).abstained
    engine.forget(first.id, Owner.chat(2))
    assert engine.storage.articles.article(first.id) is None
    assert engine.index.num_docs() == 0


def test_articles_are_listed_newest_first(engine: Engine) -> None:
    first = engine.ingest_text(SEALS, LOCAL)
    second = engine.ingest_text(VOLCANO, LOCAL)
    assert [a.id for a in engine.articles(LOCAL)] == [second.id, first.id]
    assert [a.id for a in engine.articles(LOCAL, limit=1, offset=1)] == [first.id]


EMPTY = "That is empty: there is no text to read."
NO_ARTICLE = "I couldn't find any article text in that."


@pytest.mark.parametrize(
    ("text", "refusal"),
    [("", EMPTY), ("   \n\t  ", EMPTY), ("\x00\x01\x02 binary", NO_ARTICLE),
     ("Advertisement\nAdvertisement\nSubscribe", NO_ARTICLE)],
)
def test_text_without_an_article_is_refused(engine: Engine, text: str, refusal: str) -> None:
    engine.ingest_text(SEALS, LOCAL)
    with pytest.raises(InputError) as raised:
        engine.ingest_text(text, LOCAL)
    assert str(raised.value) == refusal
    assert engine.count_articles(LOCAL) == 1


def test_binary_file_is_refused(engine: Engine) -> None:
    with pytest.raises(InputError, match="binary"):
        engine.ingest_bytes(bytes(range(256)) * 40, LOCAL, filename="photo.txt")


def test_limits_refuse_oversized_input(storage: StorageConfig) -> None:
    with Engine(make_config(storage, max_text_chars=2_000, max_sentences=3)) as engine:
        with pytest.raises(InputError, match="too long"):
            engine.ingest_text("A sentence that repeats. " * 200, LOCAL)
        with pytest.raises(InputError, match="sentences"):
            engine.ingest_text(SEALS, LOCAL)
        assert engine.count_articles(LOCAL) == 0


def test_unknown_ids_are_not_found(engine: Engine) -> None:
    for call in (engine.summarize, engine.forget, engine.article):
        with pytest.raises(NotFound, match="no article 404"):
            call(404, LOCAL)


def test_articles_survive_a_restart(storage: StorageConfig) -> None:
    with Engine(make_config(storage)) as engine:
        engine.ingest_text(SEALS, LOCAL)
    with Engine(make_config(storage)) as engine:
        assert not engine.ask("How many seals were counted?", LOCAL).abstained


def test_lost_index_is_rebuilt_from_the_database(storage: StorageConfig) -> None:
    with Engine(make_config(storage)) as engine:
        engine.ingest_text(SEALS, LOCAL)
        index_path = engine.index.path
    shutil.rmtree(index_path)
    with Engine(make_config(storage)) as engine:
        assert engine.index.num_docs() == 4
        assert not engine.ask("How many seals were counted?", LOCAL).abstained


def test_corrupt_index_is_rebuilt_from_the_database(storage: StorageConfig) -> None:
    with Engine(make_config(storage)) as engine:
        engine.ingest_text(SEALS, LOCAL)
        index_path = engine.index.path
    (index_path / "meta.json").write_text("{not json")
    with Engine(make_config(storage)) as engine:
        assert not engine.ask("How many seals were counted?", LOCAL).abstained


def test_uncommitted_articles_are_indexed_at_start(storage: StorageConfig) -> None:
    with Engine(make_config(storage)) as engine:
        engine.ingest(Extracted(text=SEALS), LOCAL, commit=False)
    with Engine(make_config(storage)) as engine:
        assert engine.storage.articles.unindexed_ids() == []
        assert not engine.ask("How many seals were counted?", LOCAL).abstained


def test_reindex_rebuilds_everything(engine: Engine) -> None:
    engine.ingest_text(SEALS, LOCAL)
    engine.ingest_text(VOLCANO, Owner.chat(5))
    assert engine.reindex() == 2
    assert engine.index.num_docs() == 6
    assert engine.ask("Which villages were evacuated?", LOCAL).abstained
    assert not engine.ask("Which villages were evacuated?", Owner.chat(5)).abstained


def test_link_is_fetched_extracted_and_stored(engine: Engine, web: WebServer) -> None:
    web.pages["/seals.html"] = Page(ARTICLE_HTML)
    result = engine.ingest_url(web.url("/seals.html"), Owner.chat(1))
    again = engine.ingest_url(web.url("/seals.html"), Owner.chat(2))
    assert web.paths == ["/seals.html"]
    assert result.title == "Harbour seals return to the estuary"
    assert again.duplicate and again.id == result.id
    info = engine.article(result.id, Owner.chat(1))
    assert info.url == web.url("/seals.html")
    assert info.author == "Ada Lovelace"
    assert "Home" not in stored_text(engine, result.id)
    answer = engine.ask("Who led the count?", Owner.chat(2))
    assert "Anna Jones" in answer.sentences[0].text


def test_a_link_to_a_pdf(engine: Engine, web: WebServer) -> None:
    pdf = make_pdf(SEALS.split("\n\n"), title="Seals return")
    web.pages["/seals.pdf"] = Page(pdf, "application/pdf")
    result = engine.ingest_url(web.url("/seals.pdf"), LOCAL)
    assert result.title == "Seals return"
    assert not engine.ask("How many seals were counted?", LOCAL).abstained


def test_unreachable_link_is_a_fetch_error(engine: Engine, web: WebServer) -> None:
    missing = web.url("/gone.html")
    with pytest.raises(FetchError) as raised:
        engine.ingest_url(missing, LOCAL)
    assert str(raised.value) == "The site answered 404 Not Found."
    assert engine.count_articles(LOCAL) == 0


def test_a_chat_keeps_a_limited_number_of_articles(storage: StorageConfig) -> None:
    with Engine(make_config(storage, max_articles_per_owner=1)) as engine:
        engine.ingest_text(SEALS, Owner.chat(1))
        with pytest.raises(InputError, match="already keeps 1 article"):
            engine.ingest_text(VOLCANO, Owner.chat(1))
        assert engine.ingest_text(SEALS, Owner.chat(1)).duplicate  # what it has is no new article
        engine.ingest_text(VOLCANO, Owner.chat(2))
        with pytest.raises(InputError):
            engine.ingest_text(VOLCANO, Owner.chat(1))  # another chat's copy still counts as new here
        assert engine.count_articles(Owner.chat(1)) == 1


def test_stats(engine: Engine) -> None:
    engine.ingest_text(SEALS, Owner.chat(1))
    engine.ingest_text(VOLCANO, Owner.chat(2))
    engine.subscribe(Owner.chat(1), "seals", mode="instant")
    stats = engine.stats()
    assert (stats.articles, stats.sentences, stats.owners, stats.topics) == (2, 6, 2, 1)
    assert stats.index_passages == 6
    assert stats.index_bytes > 0 and stats.database_bytes > 0


def test_index_built_with_other_settings_is_rebuilt(storage: StorageConfig) -> None:
    with Engine(make_config(storage)) as engine:
        engine.ingest_text(SEALS, LOCAL)
        marker = engine.index.path / "briefbot-format"
    before = "briefbot passages v6 (size, time and number words are terms), window 2"
    marker.write_text(before)  # what an index was built with before passages of three sentences
    with Engine(make_config(storage)) as engine:
        assert marker.read_text() != before
        assert engine.index.num_docs() == 4
        assert not engine.ask("How many seals were counted?", LOCAL).abstained


def test_links_that_differ_in_their_query_are_different_pages(engine: Engine, web: WebServer) -> None:
    def page(name: str, verdict: str) -> str:
        return (
            f"<html><body><article><p>{name}'s salary review says {verdict}.</p>"
            f"<p>The review was written by the finance team in March this year.</p>"
            f"<p>It will be discussed with {name} at the next meeting.</p></article></body></html>"
        )

    secret, other = page("Alice", "she earns a great deal"), page("Bob", "he earns rather less")
    web.pages["/doc?key=ALICE"] = Page(secret)
    web.pages["/doc?key=BOB"] = Page(other)
    web.pages["/story.html"] = Page(ARTICLE_HTML)
    web.pages["/story.html?utm_source=tg&fbclid=ALICE"] = Page(ARTICLE_HTML)
    alice = engine.ingest_url(web.url("/doc?key=ALICE"), Owner.chat(1))
    bob = engine.ingest_url(web.url("/doc?key=BOB"), Owner.chat(2))
    tracked = engine.ingest_url(web.url("/story.html?utm_source=tg&fbclid=ALICE"), Owner.chat(1))
    plain = engine.ingest_url(web.url("/story.html"), Owner.chat(2))
    assert bob.id != alice.id and not bob.duplicate
    assert engine.ask("What does the salary review say?", Owner.chat(2)).sentences[0].text.startswith("Bob")
    assert plain.duplicate and plain.id == tracked.id
    assert engine.article(plain.id, Owner.chat(2)).url == web.url("/story.html")
