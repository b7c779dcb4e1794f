"""Feeds, topics, alerts and digests in the engine, against feeds served on 127.0.0.1."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from retrieval.config import EngineConfig, FeedsConfig, FetchConfig, StorageConfig
from retrieval.engine import Engine
from retrieval.errors import BriefbotError, InputError, NotFound
from retrieval.fetch.transport import too_large_error
from retrieval.models import FeedInfo, StoredError
from retrieval.owners import EVERYONE, Owner
from retrieval.storage import Storage
from tests.support import ARTICLE_HTML, atom, rss
from tests.web import Page, WebServer

VOLCANO = [
    "The volcano on La Palma erupted again on Sunday, sending rivers of lava towards the western coast.",
    "Officials evacuated three villages overnight and closed the island airport to all flights.",
    "Scientists from the Canary Islands volcanology institute said the eruption could last for weeks.",
    "More than two thousand residents spent the night in sports halls and hotels in the capital.",
    "Farmers said the ash had already ruined most of this year's banana harvest on the slopes.",
    "The regional government promised emergency payments to families who lost their homes.",
    "Seismic sensors recorded hundreds of small earthquakes in the days before the eruption began.",
    "Ferries added extra crossings to the neighbouring island of Tenerife for those who wished to leave.",
]
SEALS = [
    "Harbour seals have returned to the Thames estuary in numbers not seen for decades.",
    "The survey counted twelve hundred seals on the sandbanks near Southend this summer.",
    "Researchers said cleaner water and a ban on commercial netting had helped the fish the seals eat.",
    "Dr. Anna Jones, who led the count, called the recovery remarkable for such a busy river.",
    "The society will repeat the survey next year with drones fitted with thermal cameras.",
    "Boat operators have started offering trips to watch the seals from a respectful distance.",
    "Conservation groups warned that noise from new construction could still disturb the colony.",
    "Volunteers will help to count pups on the northern banks during the breeding season.",
]


def long_text(sentences: list[str], repeat: int = 3) -> str:
    """A full-content entry (over the teaser threshold): the story told with its details."""
    return "".join(f"<p>{' '.join(sentences)}</p>" for _ in range(1)) + "".join(
        f"<p>{s} Details follow in paragraph {n}.</p>" for n in range(repeat) for s in sentences[:3]
    )


def volcano_item(guid: str = "v1", link: str = "https://news.example/volcano") -> dict[str, str]:
    return {"title": "La Palma volcano erupts again", "link": link, "guid": guid,
            "description": long_text(VOLCANO)}


def seals_item() -> dict[str, str]:
    return {"title": "Seals return to the Thames", "link": "https://news.example/seals", "guid": "s1",
            "description": long_text(SEALS)}


@pytest.fixture
def engine(storage: StorageConfig):
    config = EngineConfig(
        storage=storage,
        fetch=FetchConfig(allow_private=True, timeout_s=5),
        feeds=FeedsConfig(poll_seconds=60, max_entries_per_poll=5),
    )
    with Engine(config) as engine:
        yield engine


def test_feed_entries_are_ingested_once_and_polled_conditionally(engine: Engine, web: WebServer) -> None:
    feed = Page(rss("Island News", [volcano_item(), seals_item()]), "application/rss+xml", etag='"v1"')
    web.pages["/feed.xml"] = feed
    info, first = engine.add_feed(web.url("/feed.xml"), Owner.chat(1))
    assert info.title == "Island News"
    assert len(first.new_articles) == 2
    again = engine.poll_feed(info.id)
    assert again.not_modified and again.new_articles == []
    feed.etag = '"v2"'
    third = engine.poll_feed(info.id)
    assert not third.not_modified and third.new_articles == []
    assert [request.status for request in web.requests] == [200, 304, 200]
    assert [request.headers.get("If-None-Match") for request in web.requests] == [None, '"v1"', '"v1"']
    titles = {a.title for a in engine.articles(Owner.chat(1))}
    assert titles == {"La Palma volcano erupts again", "Seals return to the Thames"}
    assert engine.count_articles(Owner.chat(1)) == 2


def test_teaser_entries_fetch_the_article_page(engine: Engine, web: WebServer) -> None:
    article = "<html><head><title>Volcano</title></head><body><article><h1>La Palma volcano erupts again</h1>"
    article += "".join(f"<p>{s}</p>" for s in VOLCANO) + "</article></body></html>"
    web.pages["/story"] = Page(article)
    teaser = {"title": "La Palma volcano erupts again", "link": web.url("/story"), "guid": "t1",
              "description": "Lava flows towards the coast."}
    web.pages["/feed.xml"] = Page(rss("Teasers", [teaser]), "application/rss+xml")
    _, result = engine.add_feed(web.url("/feed.xml"), Owner.chat(1))
    assert web.paths == ["/feed.xml", "/story"]
    assert len(result.new_articles) == 1
    answer = engine.ask("How many villages were evacuated?", Owner.chat(1))
    assert "three villages" in answer.sentences[0].text
    assert answer.sentences[0].url == web.url("/story")


def test_a_web_page_leads_to_its_atom_feed(engine: Engine, web: WebServer) -> None:
    web.pages["/atom.xml"] = Page(atom("Atom News", [volcano_item()]), "application/atom+xml")
    web.pages["/"] = Page(
        b'<html><head><link rel="alternate" type="application/atom+xml" href="/atom.xml">'
        b"</head><body><p>Home</p></body></html>"
    )
    info, result = engine.add_feed(web.url("/"), Owner.chat(1))
    assert info.url == web.url("/atom.xml")
    assert info.title == "Atom News"
    assert len(result.new_articles) == 1


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<rss><channel><item><title>broken", "application/rss+xml", "feed"),
        (b"<html><body><p>No feed here.</p></body></html>", "text/html", "no RSS or Atom feed"),
    ],
)
def test_what_is_not_a_feed_is_refused(
    engine: Engine, web: WebServer, body: bytes, content_type: str, message: str
) -> None:
    web.pages["/x"] = Page(body, content_type)
    with pytest.raises(InputError, match=message):
        engine.add_feed(web.url("/x"), Owner.chat(1))
    assert engine.feeds_of(Owner.chat(1)) == []


def test_feed_articles_are_visible_to_subscribers_only(engine: Engine, web: WebServer) -> None:
    web.pages["/feed.xml"] = Page(rss("News", [volcano_item()]), "application/rss+xml")
    info, result = engine.add_feed(web.url("/feed.xml"), Owner.chat(1))
    (article_id,) = result.new_articles
    with pytest.raises(NotFound):
        engine.summarize(article_id, Owner.chat(2))
    assert engine.ask("Which airport was closed?", Owner.chat(2)).abstained
    with pytest.raises(NotFound):
        engine.forget(article_id, Owner.chat(1))  # a feed's article is not the chat's to delete
    engine.add_feed(web.url("/feed.xml"), Owner.chat(2))
    assert not engine.ask("Which airport was closed?", Owner.chat(2)).abstained
    engine.remove_feed(info.id, Owner.chat(1))
    assert engine.ask("Which airport was closed?", Owner.chat(1)).abstained
    assert [f.id for f in engine.feeds_of(Owner.chat(2))] == [info.id]
    with pytest.raises(NotFound):
        engine.remove_feed(info.id, Owner.chat(1))


def test_a_subscription_made_beside_the_engine_counts_from_the_next_question(
    engine: Engine, web: WebServer, storage: StorageConfig
) -> None:
    """What a chat may see is remembered while the data stays as it was: a subscription
    another process adds or drops (a command line beside the bot on SQLite, a replica on
    PostgreSQL) shows in the very next answer, listing and summary."""
    web.pages["/feed.xml"] = Page(rss("News", [volcano_item()]), "application/rss+xml")
    info, result = engine.add_feed(web.url("/feed.xml"), Owner.chat(1))
    (article_id,) = result.new_articles
    question, chat = "Which airport was closed?", Owner.chat(2)
    assert engine.ask(question, chat).abstained
    assert engine.articles(chat) == []
    beside = Storage(storage.database())
    try:
        beside.feeds.subscribe(chat, info.id)
        assert not engine.ask(question, chat).abstained
        assert [a.id for a in engine.articles(chat)] == [article_id]
        assert engine.summarize(article_id, chat).article_id == article_id
        beside.feeds.unsubscribe(chat, info.id)
        assert engine.ask(question, chat).abstained
        assert engine.articles(chat) == []
        with pytest.raises(NotFound):
            engine.summarize(article_id, chat)
    finally:
        beside.close()
    assert not engine.ask(question, Owner.chat(1)).abstained


def test_a_subscription_rolled_back_was_never_seen(engine: Engine, web: WebServer) -> None:
    """What a transaction showed before it was rolled back is not remembered."""
    web.pages["/feed.xml"] = Page(rss("News", [volcano_item()]), "application/rss+xml")
    info, _ = engine.add_feed(web.url("/feed.xml"), Owner.chat(1))
    question, chat = "Which airport was closed?", Owner.chat(2)
    with pytest.raises(RuntimeError), engine.storage.db.transaction():
        engine.storage.feeds.subscribe(chat, info.id)
        assert not engine.ask(question, chat).abstained
        raise RuntimeError("rolled back")
    assert engine.ask(question, chat).abstained
    assert engine.feeds_of(chat) == []


def test_feeds_for_everyone_come_from_the_config_or_an_admin(engine: Engine, web: WebServer) -> None:
    web.pages["/feed.xml"] = Page(rss("News", [volcano_item()]), "application/rss+xml")
    web.pages["/admin.xml"] = Page(rss("Admin", [seals_item()]), "application/rss+xml")
    engine.set_config_feeds([web.url("/feed.xml")])
    (feed_id,) = engine.due_feeds()
    assert len(engine.poll_feed(feed_id).new_articles) == 1
    engine.add_feed(web.url("/admin.xml"), EVERYONE)
    for chat in (Owner.chat(1), Owner.chat(99)):
        assert not engine.ask("Which airport was closed?", chat).abstained
        assert not engine.ask("How many seals were counted?", chat).abstained
        feeds = engine.feeds_of(chat)
        assert [(f.for_everyone, f.from_config) for f in feeds] == [(True, True), (True, False)]
    engine.set_config_feeds([])
    assert engine.ask("Which airport was closed?", Owner.chat(1)).abstained
    assert not engine.ask("How many seals were counted?", Owner.chat(1)).abstained


def test_failures_back_off_and_are_reported(engine: Engine, web: WebServer) -> None:
    web.pages["/feed.xml"] = Page(rss("News", [volcano_item()]), "application/rss+xml")
    info, _ = engine.add_feed(web.url("/feed.xml"), Owner.chat(1))
    web.pages["/feed.xml"] = Page(b"oops", "text/plain", 503)
    result = engine.poll_feed(info.id)
    assert result.error == "The site answered 503 Service Unavailable."
    (listed,) = engine.feeds_of(Owner.chat(1))
    assert listed.error_count == 1 and listed.last_error and listed.last_error.message == result.error
    assert engine.due_feeds(datetime.now(UTC) + timedelta(seconds=90)) == []
    assert engine.due_feeds(datetime.now(UTC) + timedelta(seconds=150)) == [info.id]


def test_a_feeds_last_error_is_kept_as_its_template() -> None:
    """Kept as template and parameters so that each reader sees it in their language; a
    sentence stored before (plain English) still reads as itself."""
    error = too_large_error(3 * 1024**2)
    kept = FeedInfo(id=1, url="https://a.example/feed", last_error=StoredError.of(error).model_dump_json())
    assert kept.last_error and kept.last_error.message == str(error) == "The page is larger than 3 MB."
    assert kept.last_error.error().template == error.template
    legacy = FeedInfo(id=1, url="https://a.example/feed", last_error="The site answered 503.")
    assert legacy.last_error and legacy.last_error.message == "The site answered 503."
    odd = FeedInfo(id=1, url="https://a.example/feed", last_error="{not json}")
    assert odd.last_error and odd.last_error.message == "{not json}"


def test_a_huge_feed_is_capped_per_poll(engine: Engine, web: WebServer) -> None:
    """The work of a poll is bounded by the cap, not by the feed: five entry pages are
    fetched of 10,000, and the rest are marked seen rather than left for later polls."""
    items = [
        {"title": f"Story {n}", "link": web.url(f"/story/{n}"), "guid": f"g{n}",
         "description": f"Short teaser number {n} about the island."}
        for n in range(10_000)
    ]
    web.pages["/big.xml"] = Page(rss("Big", items), "application/rss+xml")
    info, result = engine.add_feed(web.url("/big.xml"), Owner.chat(1))
    # Teasers whose pages cannot be fetched (these are 404) are kept as they are.
    assert len(result.new_articles) == 5
    assert {a.title for a in engine.articles(Owner.chat(1))} == {f"Story {n}" for n in range(5)}
    web.pages["/big.xml"] = Page(rss("Big", items[5:20]), "application/rss+xml")
    assert engine.poll_feed(info.id).new_articles == []  # entries beyond the cap were seen
    assert sorted(web.paths) == ["/big.xml"] * 2 + [f"/story/{n}" for n in range(5)]


def test_instant_topic_alerts_with_the_matching_sentences(engine: Engine, web: WebServer) -> None:
    engine.subscribe(Owner.chat(1), "volcano evacuated OR evacuation", mode="instant")
    engine.subscribe(Owner.chat(1), "seals -thames", mode="instant")
    engine.subscribe(Owner.chat(2), "volcano", mode="instant")  # chat 2 does not follow the feed
    web.pages["/feed.xml"] = Page(rss("News", [volcano_item(), seals_item()]), "application/rss+xml")
    engine.add_feed(web.url("/feed.xml"), Owner.chat(1))
    (alert,) = engine.pending_alerts()
    assert alert.owner == Owner.chat(1)
    assert alert.topic.query == "volcano evacuated OR evacuation"
    assert alert.title == "La Palma volcano erupts again"
    first = alert.sentences[0]
    assert "volcano" in first.text
    bold = {first.text[start:end] for start, end in first.highlights}
    assert "volcano" in bold
    engine.mark_alerted([alert])
    assert engine.pending_alerts() == []


def test_a_chats_own_articles_trigger_its_topics(engine: Engine) -> None:
    engine.subscribe(Owner.chat(1), '"harbour seals"', mode="instant")
    engine.ingest_text("\n\n".join(SEALS), Owner.chat(1))
    assert [a.owner for a in engine.pending_alerts()] == [Owner.chat(1)]


def test_digest_groups_the_same_story_and_is_recorded_once(engine: Engine, web: WebServer) -> None:
    engine.subscribe(Owner.chat(1), "volcano", mode="daily")
    copy = volcano_item(guid="other", link="https://other.example/volcano")
    copy["description"] = long_text([s.replace("Sunday", "Sunday morning") for s in VOLCANO])
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item(), seals_item()]), "application/rss+xml")
    web.pages["/b.xml"] = Page(rss("Other News", [copy]), "application/rss+xml")
    engine.add_feed(web.url("/a.xml"), Owner.chat(1))
    engine.add_feed(web.url("/b.xml"), Owner.chat(1))
    digest = engine.digest(Owner.chat(1))
    headings = [s.heading for s in digest.sections]
    assert headings == ["volcano", "From your feeds"]
    (volcano,) = digest.sections[0].items
    assert len(volcano.also_reported_by) == 1
    assert "volcano" in volcano.sentences[0].text.lower()
    (seals,) = digest.sections[1].items
    assert seals.title == "Seals return to the Thames"
    assert 1 <= len(seals.sentences) <= 2

    day = datetime.now(UTC).date()
    assert engine.record_digest(Owner.chat(1), day, "UTC", 2)
    assert not engine.record_digest(Owner.chat(1), day, "UTC", 2)
    assert engine.digest_handled_day(Owner.chat(1), "UTC") == day
    assert engine.digest(Owner.chat(1)).empty


def test_opml_import_and_export(engine: Engine, web: WebServer) -> None:
    web.pages["/a.xml"] = Page(rss("Island News", [volcano_item()]), "application/rss+xml")
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>'
        f'<outline text="A" xmlUrl="{web.url("/a.xml")}"/>'
        f'<outline text="Gone" xmlUrl="{web.url("/gone.xml")}"/></body></opml>'
    ).encode()
    progress: list[tuple[int, int]] = []
    results = engine.import_opml(opml, Owner.chat(1), lambda done, total: progress.append((done, total)))
    assert progress == [(1, 2), (2, 2)]
    [(first_url, added), (second_url, failure)] = results
    assert (first_url, second_url) == (web.url("/a.xml"), web.url("/gone.xml"))
    assert isinstance(added, FeedInfo) and added.title == "Island News"
    assert isinstance(failure, BriefbotError) and str(failure) == "The site answered 404 Not Found."
    assert [f.url for f in engine.feeds_of(Owner.chat(1))] == [web.url("/a.xml")]
    engine.subscribe(Owner.chat(1), "volcano")
    engine.ingest_text("\n\n".join(SEALS), Owner.chat(1))
    export = engine.export(Owner.chat(1))
    assert web.url("/a.xml") in export.opml
    assert [t.query for t in export.topics] == ["volcano"]
    assert [a["title"] for a in export.articles] == [SEALS[0]]
    with pytest.raises(InputError, match="OPML"):
        engine.import_opml(b"<not opml", Owner.chat(1))


def test_a_migrated_group_keeps_everything(engine: Engine, web: WebServer) -> None:
    own = engine.ingest_text("\n\n".join(SEALS), Owner.chat(-100))
    engine.subscribe(Owner.chat(-100), "volcano")
    web.pages["/feed.xml"] = Page(rss("News", [volcano_item()]), "application/rss+xml")
    engine.add_feed(web.url("/feed.xml"), Owner.chat(-100))
    engine.rename_owner(Owner.chat(-100), Owner.chat(-100200))
    assert engine.articles(Owner.chat(-100)) == []
    assert engine.article(own.id, Owner.chat(-100200)).id == own.id
    assert not engine.ask("How many seals were counted?", Owner.chat(-100200)).abstained
    assert not engine.ask("Which airport was closed?", Owner.chat(-100200)).abstained
    assert [t.query for t in engine.topics_of(Owner.chat(-100200))] == ["volcano"]
    assert engine.ask("How many seals were counted?", Owner.chat(-100)).abstained


def test_a_feed_nobody_follows_is_deleted_with_its_articles(engine: Engine, web: WebServer) -> None:
    web.pages["/secret.xml"] = Page(rss("Members only", [volcano_item()]), "application/rss+xml")
    web.pages["/public.xml"] = Page(rss("Public", [seals_item()]), "application/rss+xml")
    secret, _ = engine.add_feed(web.url("/secret.xml"), Owner.chat(1))
    engine.remove_feed(secret.id, Owner.chat(1))
    public, _ = engine.add_feed(web.url("/public.xml"), Owner.chat(2))
    assert public.id != secret.id
    assert [a.title for a in engine.articles(Owner.chat(2))] == ["Seals return to the Thames"]
    assert engine.ask("Which airport was closed?", Owner.chat(2)).abstained
    assert engine.stats().articles == 1
    assert engine.index.num_docs() == engine.stats().sentences


def test_an_empty_feed_is_fine_and_a_file_name_is_not_a_feed(
    engine: Engine, web: WebServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(rss("Local file", [volcano_item()]))
    web.pages["/empty.xml"] = Page(rss("Quiet News", []), "application/rss+xml")
    web.pages["/path.xml"] = Page(str(secret), "application/rss+xml")
    info, result = engine.add_feed(web.url("/empty.xml"), Owner.chat(1))
    assert info.title == "Quiet News" and result.new_articles == []
    assert engine.poll_feed(info.id).error is None
    with pytest.raises(InputError):
        engine.add_feed(web.url("/path.xml"), Owner.chat(1))
    assert [f.title for f in engine.feeds_of(Owner.chat(1))] == ["Quiet News"]
    assert engine.articles(Owner.chat(1)) == []


def test_a_big_export_lists_every_article_but_not_every_text(engine: Engine) -> None:
    for number in range(3):
        engine.ingest_text(f"Report number {number} says the tide was high. " * 20, Owner.chat(1))
    export = engine.export(Owner.chat(1), max_text_chars=1_000)  # each text is about 800
    assert len(export.articles) == 3
    assert [a["text"] is None for a in export.articles] == [False, True, True]


def test_a_feed_keeps_its_newest_articles(storage: StorageConfig, web: WebServer) -> None:
    config = EngineConfig(
        storage=storage,
        fetch=FetchConfig(allow_private=True, timeout_s=5),
        feeds=FeedsConfig(max_entries_per_poll=10, max_articles_per_feed=2),
    )
    items = [
        {"title": f"Story {n}", "link": f"https://news.example/{n}", "guid": f"g{n}",
         "description": long_text([s.replace("three", str(n + 3)) for s in VOLCANO])}
        for n in range(4)
    ]
    web.pages["/feed.xml"] = Page(rss("News", items), "application/rss+xml")
    with Engine(config) as engine:
        engine.add_feed(web.url("/feed.xml"), Owner.chat(1))
        assert [a.title for a in engine.articles(Owner.chat(1))] == ["Story 0", "Story 1"]
        assert engine.stats().articles == 2
        assert engine.index.num_docs() == engine.stats().sentences


def test_removing_a_feed_while_it_is_polled_stores_nothing_for_it(engine: Engine, web: WebServer) -> None:
    teaser = {"title": "Slow story", "link": web.url("/slow"), "guid": "slow", "description": ""}
    web.pages["/feed.xml"] = Page(rss("News", [teaser]), "application/rss+xml")
    web.pages["/slow"] = Page(b"busy", "text/plain", status=404)  # not there yet
    info, first = engine.add_feed(web.url("/feed.xml"), Owner.chat(1))
    assert first.new_articles == []
    web.pages["/slow"] = Page(ARTICLE_HTML)
    page_requested = web.hold("/slow")
    with ThreadPoolExecutor(1) as pool:
        polling = pool.submit(engine.poll_feed, info.id)
        page_requested.wait_held()  # the poll is now waiting for the entry's page
        engine.remove_feed(info.id, Owner.chat(1))
        page_requested.release()
        result = polling.result(timeout=30)
    assert result.error is None and result.new_articles == []
    assert web.requests[-1].status == 200  # the page did arrive, after the removal
    assert engine.stats().articles == 0
    assert engine.index.num_docs() == 0
    assert engine.feeds_of(Owner.chat(1)) == []


def test_a_migrated_group_does_not_store_its_texts_twice(engine: Engine) -> None:
    first = engine.ingest_text("\n\n".join(SEALS), Owner.chat(-5))
    engine.rename_owner(Owner.chat(-5), Owner.chat(-1005))
    again = engine.ingest_text("\n\n".join(SEALS), Owner.chat(-1005))
    assert again.duplicate and again.id == first.id
