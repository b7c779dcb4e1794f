"""A database written by an older Briefbot upgrades in place, and the bot's old chat state
file is imported into the database: everything they held is still there, and still
visible to exactly whom it was visible before."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from bot.config import BotConfig
from bot.legacy_state import MIGRATIONS as STATE_MIGRATIONS
from bot.legacy_state import import_beside, import_legacy_state
from bot.state import ChatSettings, ChatState, Delivery, DigestSettings
from retrieval.config import EngineConfig, StorageConfig
from retrieval.engine import Engine
from retrieval.errors import InputError, NotFound
from retrieval.index import sentence_terms
from retrieval.models import Extracted
from retrieval.owners import EVERYONE, LOCAL, Owner, OwnerKind
from retrieval.sentences import split_paragraphs
from retrieval.storage import Storage
from retrieval.storage.articles import text_hash
from retrieval.storage.legacy import MIGRATIONS, upgrade_legacy
from retrieval.storage.upgrade import HEAD

SEALS = (
    "Harbour seals have returned to the Thames estuary in numbers not seen for decades.\n\n"
    "The survey counted 1,200 seals on the sandbanks near Southend, up from 300 in 2005."
)
PAGE = (
    "The tide in the estuary rises twice a day because of the moon.\n\n"
    "Boat owners check the tables before they leave the harbour."
)
VOLCANO = (
    "The volcano on La Palma erupted again on Sunday, sending lava towards the coast.\n\n"
    "Officials evacuated three villages overnight and closed the airport to all flights."
)
NOTES = "My own notes say the ferry leaves at nine in the morning.\n\nThe return ferry leaves at six."
BRIDGE = (
    "The old bridge over the river will close for repairs in March.\n\n"
    "Engineers found cracks in two of its stone arches during the winter inspection."
)
ADDED = "2026-01-02T07:00:00.000000+00:00"
SENT = "2026-01-02T08:00:05.123456+00:00"
SENT_BEFORE_ZONES = "2025-12-30T22:30:00.000000+00:00"


def version_1_database(path: Path) -> None:
    """What Briefbot wrote before owners had columns of their own: owners as text, and a
    private article's de-duplication key prefixed with its owner's text form."""
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    articles = [
        # id, text, owner of the private copy (None: public), url, holders
        (1, SEALS, "chat:-100", None, ["chat:-100"]),
        (2, PAGE, None, "https://news.example/tides", ["chat:1", "chat:2"]),
        (3, VOLCANO, "feed:1", "https://news.example/volcano", ["feed:1"]),
        (4, NOTES, "local", None, ["local"]),
        (5, BRIDGE, None, "https://city.example/bridge", ["feed:2"]),
    ]
    for article_id, text, private_to, url, holders in articles:
        key = f"{private_to}:{text_hash(text)}" if private_to else text_hash(text)
        sentences = split_paragraphs(text.split("\n\n"))
        db.execute(
            "INSERT INTO articles (id, title, url, canonical_url, public, text, dedupe_key, sentence_count,"
            " added_at, indexed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (article_id, sentences[0].text[:40], url, url, int(private_to is None), text, key, len(sentences),
             ADDED),
        )
        db.executemany(
            "INSERT INTO sentences (article_id, position, paragraph, text) VALUES (?, ?, ?, ?)",
            [(article_id, n, s.paragraph, s.text) for n, s in enumerate(sentences, start=1)],
        )
        db.executemany(
            "INSERT INTO ownership (owner, article_id, added_at) VALUES (?, ?, ?)",
            [(holder, article_id, ADDED) for holder in holders],
        )
    db.execute("UPDATE sqlite_sequence SET seq = 6 WHERE name = 'articles'")  # article 6 was forgotten
    db.executemany(
        "INSERT INTO feeds (id, url, title, next_poll_at, added_at) VALUES (?, ?, ?, ?, ?)",
        [(1, "https://news.example/feed.xml", "Island News", ADDED, ADDED),
         (2, "https://city.example/feed.xml", "City News", ADDED, ADDED)],
    )
    db.executemany(
        "INSERT INTO subscriptions (owner, feed_id, added_at, from_config) VALUES (?, ?, ?, ?)",
        [("chat:1", 1, ADDED, 0), ("*", 2, ADDED, 1)],  # feed 2 comes to every chat
    )
    db.execute(
        "INSERT INTO feed_entries (feed_id, entry_key, article_id, seen_at) VALUES (1, 'guid:v1', 3, ?)",
        (ADDED,),
    )
    db.execute(
        "INSERT INTO topics (id, owner, query, mode, added_at) VALUES (1, 'chat:1', 'volcano', 'instant', ?)",
        (ADDED,),
    )
    db.execute("INSERT INTO topic_anchors (stem, topic_id) VALUES ('volcano', 1)")
    db.execute("INSERT INTO topic_matches (topic_id, article_id, matched_at) VALUES (1, 3, ?)", (ADDED,))
    db.executemany(  # digests were recorded under the local day and zone, or the day alone before that
        "INSERT INTO digests (owner, day, sent_at, items) VALUES (?, ?, ?, ?)",
        [("chat:1", "2026-01-02 Europe/Paris", SENT, 2), ("chat:2", "2025-12-30", SENT_BEFORE_ZONES, 1)],
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def config(path: Path) -> EngineConfig:
    return EngineConfig(storage=StorageConfig(path=str(path)))


def test_a_version_1_database_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    version_1_database(path)
    group, first, second, stranger = Owner.chat(-100), Owner.chat(1), Owner.chat(2), Owner.chat(9)
    with Engine(config(path)) as engine:
        # Who sees what is as before: a chat its own, a page both chats sent, feeds through subscriptions.
        assert {a.id for a in engine.articles(group)} == {1, 5}
        assert {a.id for a in engine.articles(LOCAL)} == {4, 5}
        assert {a.id for a in engine.articles(first)} == {2, 3, 5}
        assert {a.id for a in engine.articles(second)} == {2, 5}
        assert [a.id for a in engine.articles(stranger)] == [5]
        with pytest.raises(NotFound):
            engine.article(1, second)
        assert not engine.ask("How many seals did the survey count?", group).abstained
        assert engine.ask("How many seals did the survey count?", second).abstained
        assert "three villages" in engine.ask("Which villages were evacuated?", first).sentences[0].text
        assert engine.ask("Which villages were evacuated?", stranger).abstained
        assert not engine.ask("When will the bridge close?", stranger).abstained

        # De-duplication still knows whose copy each article is.
        assert engine.ingest_text(SEALS, group).duplicate
        theirs = engine.ingest_text(SEALS, Owner.chat(5))
        assert not theirs.duplicate and theirs.id == 7  # ids carry on after the forgotten article 6
        page = Extracted(text=PAGE, url="https://news.example/tides")
        shared = engine.ingest(page, Owner.chat(3), public=True)
        assert shared.duplicate and shared.id == 2
        assert engine.ingest_text(NOTES, LOCAL).duplicate

        # Feeds, topics, alerts and digests.
        feeds = [(f.id, f.title, f.for_everyone, f.from_config) for f in engine.feeds_of(first)]
        assert feeds == [(1, "Island News", False, False), (2, "City News", True, True)]
        assert [f.id for f in engine.feeds_of(stranger)] == [2]
        assert [(t.query, t.mode) for t in engine.topics_of(first)] == [("volcano", "instant")]
        [alert] = engine.pending_alerts(OwnerKind.CHAT)
        assert (alert.owner, alert.article_id) == (first, 3)
        assert engine.last_digest(first) == datetime.fromisoformat(SENT)
        assert engine.digest_handled_day(first, "Europe/Paris") == date(2026, 1, 2)
        assert not engine.record_digest(first, date(2026, 1, 2), "Europe/Paris", 3)  # that day was sent
        assert engine.last_digest(second) == datetime.fromisoformat(SENT_BEFORE_ZONES)
        assert engine.digest_handled_day(second, "Asia/Tokyo") == date(2025, 12, 31)  # sent then, there
        assert engine.last_digest(stranger) is None
        assert engine.stats().owners == 6  # chats -100, 1, 2, 3 and 5, and the command line

        # A group that became a supergroup keeps de-duplicating what it sent before.
        engine.rename_owner(group, Owner.chat(-100200))
        assert engine.ingest_text(SEALS, Owner.chat(-100200)).id == 1
        engine.remove_feed(2, EVERYONE)
        assert engine.articles(stranger) == []
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0] == 10  # 5 gone with its feed, 7 new


def test_a_database_with_catchup_from_before_alembic_upgrades_in_place(tmp_path: Path) -> None:
    """The last schema before Alembic (from step 4 on, groups keep their messages), with a
    group's Russian chatter kept and indexed, as that Briefbot left it."""
    path = tmp_path / "catchup.db"
    version_1_database(path)
    group = Owner.chat(-1001234567890)
    kept = [
        ("Встречаемся в субботу у входа в парк в девять утра.", 9),
        ("Я возьму термос с чаем и бутерброды на всех.", 10),
    ]
    db = sqlite3.connect(path)
    upgrade_legacy(db, MIGRATIONS)  # as the Briefbot before Alembic upgraded it
    db.execute("INSERT INTO catchup_groups VALUES (?, ?)", (group.id, ADDED))
    for message_id, (text, minute) in enumerate(kept, start=1):
        db.execute(
            "INSERT INTO kept_messages (chat_id, message_id, author_id, author, sent_at, language, text,"
            " sentence_count, indexed) VALUES (?, ?, 7, 'Оля', ?, 'ru', ?, 1, 1)",
            (group.id, message_id, f"2026-01-02T07:{minute:02d}:00.000000+00:00", text),
        )
        db.execute("INSERT INTO kept_sentences VALUES (?, 1, ?)", (message_id, text))
    db.commit()
    db.close()
    now = datetime.fromisoformat("2026-01-02T08:00:00+00:00")
    with Engine(config(path)) as engine:
        assert engine.catchup_on(group)
        catch_up = engine.catch_up(group, last=10, now=now)
        assert catch_up.messages == 2
        quoted = {quote.text for section in catch_up.sections for quote in section.quotes}
        assert quoted <= {text for text, _ in kept}
        answer = engine.ask("Где мы встречаемся в субботу?", group)
        assert answer.sentences[0].text == kept[0][0] and answer.sentences[0].message.author == "Оля"
        assert engine.ask("Где мы встречаемся в субботу?", Owner.chat(1)).abstained
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        assert db.execute("SELECT COUNT(*) FROM kept_sentences").fetchone()[0] == 2


def test_an_upgrade_that_fails_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    version_1_database(path)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO ownership (owner, article_id, added_at) VALUES ('somebody', 2, ?)", (ADDED,))
    with pytest.raises(InputError, match="can't use"):
        Engine(config(path))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'alembic_version'").fetchall() == []
        assert db.execute("SELECT COUNT(*) FROM ownership").fetchone()[0] == 7
        key = db.execute("SELECT dedupe_key FROM articles WHERE id = 1").fetchone()[0]
        assert key.startswith("chat:-100:")


def test_sentences_stored_before_their_terms_get_those_the_index_holds(storage: StorageConfig) -> None:
    """Revision 0008: each sentence gets its terms in its own language, else its article's;
    a reindex computes them again (as after the index's format changed)."""
    with Engine(EngineConfig(storage=storage)) as engine:
        bridge = engine.ingest_text(BRIDGE, LOCAL).id
        volcano = engine.ingest_text(VOLCANO, LOCAL).id
    store = Storage(storage.database())
    try:  # back to what revision 0007 left: a German sentence, an article of no known language
        with store.db.transaction() as db:
            db.execute(sql("UPDATE sentences SET language = 'de' WHERE article_id = :id AND position = 2"),
                       {"id": bridge})
            db.execute(sql("UPDATE articles SET language = NULL WHERE id = :id"), {"id": volcano})
            db.execute(sql("ALTER TABLE sentences DROP COLUMN terms"))
            db.execute(sql("UPDATE alembic_version SET version_num = '0007'"))
    finally:
        store.close()
    query = sql(
        "SELECT s.text, s.language, a.language, s.terms FROM sentences s"
        " JOIN articles a ON a.id = s.article_id ORDER BY s.article_id, s.position"
    )
    store = Storage(storage.database())
    try:
        with store.db.reading() as db:
            rows = db.execute(query).all()
        assert [own or article for _, own, article, _ in rows] == ["en", "de", None, None]
        for sentence, own, article, terms in rows:
            assert terms == sentence_terms(sentence, own or article)
        assert rows[1][3] != sentence_terms(rows[1][0], "en")  # German stems, not English ones
        with store.db.transaction() as db:
            db.execute(sql("UPDATE sentences SET terms = 'stale'"))
    finally:
        store.close()
    with Engine(EngineConfig(storage=storage)) as engine:
        engine.reindex()
        assert "close for repairs" in engine.ask("When will the old bridge close?", LOCAL).sentences[0].text
    store = Storage(storage.database())
    try:
        with store.db.reading() as db:
            rows = db.execute(query).all()
    finally:
        store.close()
    assert [own or article for _, own, article, _ in rows] == ["en", "de", "en", "en"]  # found at reindex
    for sentence, own, article, terms in rows:
        assert terms == sentence_terms(sentence, own or article)


def version_0_state_file(path: Path) -> None:
    """The bot's own state file from before its versions were counted."""
    db = sqlite3.connect(path)
    db.executescript(STATE_MIGRATIONS[0])
    db.execute("INSERT INTO chats VALUES ('chat:1', 5, 'lsa', 12), ('local', 2, NULL, 3)")
    db.execute("INSERT INTO shown VALUES ('chat:1', 100, 12)")
    db.execute(
        "INSERT INTO delivery VALUES ('chat:1', '07:30', 'Europe/Paris', 1, 0, '2026-01-02', 0, ?),"
        " ('chat:-100', NULL, NULL, 0, 1, NULL, 1, NULL)",
        (SENT,),
    )
    db.execute("INSERT INTO handled VALUES ('chat:1', 100)")
    db.execute("INSERT INTO renamed VALUES ('chat:-5', 'chat:-100')")
    db.commit()
    db.close()


def test_the_bots_chat_state_file_from_before_is_imported(storage: StorageConfig, tmp_path: Path) -> None:
    path = tmp_path / "old.bot.db"
    version_0_state_file(path)
    store = Storage(storage.database())
    try:
        assert import_legacy_state(path, store.db)
        state = ChatState(store.db)
        chat = Owner.chat(1)
        assert state.settings(chat) == ChatSettings(sentences=5, algorithm="lsa")
        assert state.settings(LOCAL) == ChatSettings(sentences=2)
        assert (state.last_article(chat), state.last_article(LOCAL)) == (12, 3)
        assert state.shown_article(chat, 100) == 12 and state.was_handled(chat, 100)
        assert state.delivery(chat) == Delivery(
            chat=chat, digest=DigestSettings(time="07:30", zone="Europe/Paris", nothing_new_note=False),
            last_alert_at=datetime.fromisoformat(SENT),
        )
        assert state.delivery(Owner.chat(-100)).paused
        assert [d.chat for d in state.deliveries(OwnerKind.CHAT)] == [chat]  # the paused group waits
        assert state.former_names(Owner.chat(-100)) == [Owner.chat(-5)]
        assert state.count_chats() == 2
        assert not import_legacy_state(path, store.db)  # imported once: the file is renamed
    finally:
        store.close()
    imported = path.with_name("old.bot.db.imported")
    assert not path.exists() and imported.is_file()
    with sqlite3.connect(imported) as db:  # only read: left as it was
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0


def test_the_state_file_beside_a_sqlite_database_is_imported_at_start(tmp_path: Path) -> None:
    config = BotConfig(storage=StorageConfig(path=str(tmp_path / "briefbot.db")))
    version_0_state_file(tmp_path / "briefbot.bot.db")
    with Engine(config) as engine:
        assert import_beside(config.storage, engine.storage.db)
        assert ChatState(engine.storage.db).settings(Owner.chat(1)).algorithm == "lsa"
    assert sorted(path.name for path in tmp_path.glob("*.bot.db*")) == ["briefbot.bot.db.imported"]


def test_a_state_file_that_cannot_be_read_is_left_alone(storage: StorageConfig, tmp_path: Path) -> None:
    path = tmp_path / "old.bot.db"
    version_0_state_file(path)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO renamed VALUES ('somebody', 'chat:1')")  # names no owner
    store = Storage(storage.database())
    try:
        with pytest.raises(InputError, match="can't read the old chat state"):
            import_legacy_state(path, store.db)
        assert ChatState(store.db).count_chats() == 0
    finally:
        store.close()
    assert path.is_file()


# The bot's state file as Briefbot wrote it before chats had a language (no user_version).
STATE_BEFORE_LANGUAGES = """
CREATE TABLE chats (chat TEXT PRIMARY KEY, sentences INTEGER, algorithm TEXT, last_article INTEGER);
CREATE TABLE delivery (
    chat TEXT PRIMARY KEY, digest_time TEXT, time_zone TEXT, digest_enabled INTEGER NOT NULL DEFAULT 1,
    nothing_new_note INTEGER NOT NULL DEFAULT 1, handled_day TEXT, paused INTEGER NOT NULL DEFAULT 0,
    last_alert_at TEXT
);
CREATE TABLE renamed (old TEXT NOT NULL, new TEXT NOT NULL, PRIMARY KEY (new, old)) WITHOUT ROWID;
INSERT INTO chats VALUES ('chat:7', 5, 'textrank', 3);
INSERT INTO delivery (chat, digest_time, time_zone, handled_day)
    VALUES ('chat:7', '08:30', 'Europe/Kyiv', '2026-01-02');
INSERT INTO renamed VALUES ('chat:-5', 'chat:7');
"""


def test_bot_state_from_before_languages_is_imported(storage: StorageConfig, tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(STATE_BEFORE_LANGUAGES)
    chat, supergroup = Owner.chat(7), Owner.chat(-1007)
    store = Storage(storage.database())
    try:
        assert import_legacy_state(path, store.db)
        state = ChatState(store.db)
        assert state.settings(chat) == ChatSettings(sentences=5, algorithm="textrank")
        assert state.last_article(chat) == 3
        delivery = state.delivery(chat)
        assert (delivery.digest.time, delivery.digest.zone) == ("08:30", "Europe/Kyiv")
        assert state.former_names(chat) == [Owner.chat(-5)]
        assert state.language(chat) is None and state.reply_language(chat) is None
        state.note_language(chat, "uk")
        assert (state.language(chat), state.reply_language(chat)) == (None, "uk")
        state.set_language(chat, "ru")
        assert (state.language(chat), state.reply_language(chat)) == ("ru", "ru")
        assert state.settings(chat).sentences == 5  # a language beside the settings, not over them
        state.rename_chat(chat, supergroup)
    finally:
        store.close()
    reopened = Storage(storage.database())  # imported once: opening it again changes nothing
    try:
        state = ChatState(reopened.db)
        assert state.language(supergroup) == "ru"
        assert state.settings(supergroup) == ChatSettings(sentences=5, algorithm="textrank")
        assert state.settings(chat) == ChatSettings()
    finally:
        reopened.close()
