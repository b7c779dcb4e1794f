"""The schema steps from before Alembic: how SQLite databases were upgraded until then.

Each entry upgraded the engine's database by one version (``PRAGMA user_version``). An
older database is brought up to the last of them by :func:`upgrade_legacy` and then
stamped at the Alembic revision that equals it (:mod:`retrieval.storage.upgrade`). Frozen:
new changes are Alembic revisions. The bot's old state file has its own list
(:mod:`bot.legacy_state`), run the same way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from retrieval.owners import Owner

MIGRATIONS: list[str] = [
    """
    -- dedupe_key: the hash of the text for a public article (one our fetcher read at its
    -- URL), of the owner and the text for anything else, so identical private texts are
    -- never shared between chats. AUTOINCREMENT: ids are never reused, so an id a chat
    -- once saw cannot come to mean another article.
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        url TEXT,
        canonical_url TEXT,
        public INTEGER NOT NULL DEFAULT 0,
        site TEXT,
        author TEXT,
        published TEXT,
        language TEXT,
        text TEXT NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE,
        sentence_count INTEGER NOT NULL,
        added_at TEXT NOT NULL,
        indexed INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX articles_canonical_url ON articles(canonical_url);
    CREATE INDEX articles_unindexed ON articles(id) WHERE indexed = 0;

    CREATE TABLE sentences (
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        paragraph INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (article_id, position)
    ) WITHOUT ROWID;

    CREATE TABLE ownership (
        owner TEXT NOT NULL,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        PRIMARY KEY (owner, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX ownership_article ON ownership(article_id);

    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT NOT NULL UNIQUE,
        title TEXT,
        site_url TEXT,
        etag TEXT,
        last_modified TEXT,
        last_fetched_at TEXT,
        last_error TEXT,
        error_count INTEGER NOT NULL DEFAULT 0,
        next_poll_at TEXT NOT NULL,
        added_at TEXT NOT NULL
    );

    -- owner "*" is every chat. from_config: listed in the config file (re-applied at start).
    CREATE TABLE subscriptions (
        owner TEXT NOT NULL,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        from_config INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (owner, feed_id)
    ) WITHOUT ROWID;
    CREATE INDEX subscriptions_feed ON subscriptions(feed_id);

    CREATE TABLE feed_entries (
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        entry_key TEXT NOT NULL,
        article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (feed_id, entry_key)
    ) WITHOUT ROWID;

    CREATE TABLE topics (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        owner TEXT NOT NULL,
        query TEXT NOT NULL,
        mode TEXT NOT NULL DEFAULT 'daily' CHECK (mode IN ('instant', 'daily', 'off')),
        added_at TEXT NOT NULL,
        UNIQUE (owner, query)
    );

    CREATE TABLE topic_anchors (
        stem TEXT NOT NULL,
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
        PRIMARY KEY (stem, topic_id)
    ) WITHOUT ROWID;
    CREATE INDEX topic_anchors_topic ON topic_anchors(topic_id);

    CREATE TABLE topic_matches (
        topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        matched_at TEXT NOT NULL,
        alerted_at TEXT,
        PRIMARY KEY (topic_id, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX topic_matches_article ON topic_matches(article_id);

    CREATE TABLE digests (
        owner TEXT NOT NULL,
        day TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        items INTEGER NOT NULL,
        PRIMARY KEY (owner, day)
    ) WITHOUT ROWID;
    """,
    """
    -- Owners get columns of their own: kind ('local', 'chat', 'feed', 'everyone') and id
    -- (the chat's or the feed's, 0 for the others). An article's de-duplication key is
    -- split the same way: the hash of its text, and whose copy it is (everyone's for a
    -- public article, else the owner that sent it). Ids carry on where they stopped.
    CREATE TABLE articles_v2 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        url TEXT,
        canonical_url TEXT,
        public INTEGER NOT NULL DEFAULT 0,
        site TEXT,
        author TEXT,
        published TEXT,
        language TEXT,
        text TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        copy_of_kind TEXT NOT NULL CHECK (copy_of_kind IN ('local', 'chat', 'feed', 'everyone')),
        copy_of_id INTEGER NOT NULL,
        sentence_count INTEGER NOT NULL,
        added_at TEXT NOT NULL,
        indexed INTEGER NOT NULL DEFAULT 0,
        UNIQUE (text_hash, copy_of_kind, copy_of_id)
    );
    INSERT INTO articles_v2
        SELECT id, title, url, canonical_url, public, site, author, published, language, text,
            substr(dedupe_key, -64),
            CASE WHEN public THEN 'everyone' ELSE owner_kind(substr(dedupe_key, 1, length(dedupe_key) - 65))
            END,
            CASE WHEN public THEN 0 ELSE owner_id(substr(dedupe_key, 1, length(dedupe_key) - 65)) END,
            sentence_count, added_at, indexed
        FROM articles;
    DELETE FROM sqlite_sequence WHERE name = 'articles_v2';
    INSERT INTO sqlite_sequence (name, seq)
        SELECT 'articles_v2', seq FROM sqlite_sequence WHERE name = 'articles';
    DROP TABLE articles;
    ALTER TABLE articles_v2 RENAME TO articles;
    CREATE INDEX articles_canonical_url ON articles(canonical_url);
    CREATE INDEX articles_unindexed ON articles(id) WHERE indexed = 0;

    CREATE TABLE ownership_v2 (
        owner_kind TEXT NOT NULL CHECK (owner_kind IN ('local', 'chat', 'feed', 'everyone')),
        owner_id INTEGER NOT NULL,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        PRIMARY KEY (owner_kind, owner_id, article_id)
    ) WITHOUT ROWID;
    INSERT INTO ownership_v2
        SELECT owner_kind(owner), owner_id(owner), article_id, added_at FROM ownership;
    DROP TABLE ownership;
    ALTER TABLE ownership_v2 RENAME TO ownership;
    CREATE INDEX ownership_article ON ownership(article_id);

    CREATE TABLE subscriptions_v2 (
        owner_kind TEXT NOT NULL CHECK (owner_kind IN ('local', 'chat', 'feed', 'everyone')),
        owner_id INTEGER NOT NULL,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        from_config INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (owner_kind, owner_id, feed_id)
    ) WITHOUT ROWID;
    INSERT INTO subscriptions_v2
        SELECT owner_kind(owner), owner_id(owner), feed_id, added_at, from_config FROM subscriptions;
    DROP TABLE subscriptions;
    ALTER TABLE subscriptions_v2 RENAME TO subscriptions;
    CREATE INDEX subscriptions_feed ON subscriptions(feed_id);

    CREATE TABLE topics_v2 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        owner_kind TEXT NOT NULL CHECK (owner_kind IN ('local', 'chat', 'feed', 'everyone')),
        owner_id INTEGER NOT NULL,
        query TEXT NOT NULL,
        mode TEXT NOT NULL DEFAULT 'daily' CHECK (mode IN ('instant', 'daily', 'off')),
        added_at TEXT NOT NULL,
        UNIQUE (owner_kind, owner_id, query)
    );
    INSERT INTO topics_v2
        SELECT id, owner_kind(owner), owner_id(owner), query, mode, added_at FROM topics;
    DELETE FROM sqlite_sequence WHERE name = 'topics_v2';
    INSERT INTO sqlite_sequence (name, seq)
        SELECT 'topics_v2', seq FROM sqlite_sequence WHERE name = 'topics';
    DROP TABLE topics;
    ALTER TABLE topics_v2 RENAME TO topics;

    CREATE TABLE digests_v2 (
        owner_kind TEXT NOT NULL CHECK (owner_kind IN ('local', 'chat', 'feed', 'everyone')),
        owner_id INTEGER NOT NULL,
        day TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        items INTEGER NOT NULL,
        PRIMARY KEY (owner_kind, owner_id, day)
    ) WITHOUT ROWID;
    INSERT INTO digests_v2
        SELECT owner_kind(owner), owner_id(owner), day, sent_at, items FROM digests;
    DROP TABLE digests;
    ALTER TABLE digests_v2 RENAME TO digests
    """,
    """
    -- The digest log: one row per digest sent (on its schedule or asked for) and per day
    -- whose scheduled digest was skipped (too late, nothing to send, or a time set after
    -- it had passed). day is the local date in zone (the same date in another zone is
    -- another day), sent_at is NULL for a skipped day. One scheduled or skipped row per
    -- owner, zone and day. Version 1 recorded 'YYYY-MM-DD Zone', or the date alone
    -- before it knew zones: the zone is then ''.
    CREATE TABLE digests_v3 (
        id INTEGER PRIMARY KEY,
        owner_kind TEXT NOT NULL CHECK (owner_kind IN ('local', 'chat', 'feed', 'everyone')),
        owner_id INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('scheduled', 'on_demand', 'skipped')),
        day TEXT NOT NULL CHECK (date(day) = day),
        zone TEXT NOT NULL,
        sent_at TEXT,
        items INTEGER NOT NULL DEFAULT 0,
        CHECK ((sent_at IS NULL) = (kind = 'skipped'))
    );
    INSERT INTO digests_v3 (owner_kind, owner_id, kind, day, zone, sent_at, items)
        SELECT owner_kind, owner_id, 'scheduled', substr(day, 1, 10), ltrim(substr(day, 11)), sent_at, items
        FROM digests;
    DROP TABLE digests;
    ALTER TABLE digests_v3 RENAME TO digests;
    CREATE UNIQUE INDEX digests_day ON digests(owner_kind, owner_id, zone, day) WHERE kind != 'on_demand';
    CREATE INDEX digests_sent ON digests(owner_kind, owner_id, sent_at)
    """,
    """
    -- Catch-up: the groups where an admin turned it on, and the text messages (and
    -- captions) they keep, each split into sentences as articles are. A message's id is
    -- never reused (the search index holds its sentences under it, negated), and an
    -- edited message is kept again under a new id. Messages go with their group, and expire.
    CREATE TABLE catchup_groups (
        chat_id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL
    );
    CREATE TABLE kept_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL REFERENCES catchup_groups(chat_id) ON DELETE CASCADE,
        message_id INTEGER NOT NULL,
        thread_id INTEGER,
        reply_to INTEGER,
        author_id INTEGER NOT NULL,
        author TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        edited_at TEXT,
        link TEXT,
        language TEXT,
        text TEXT NOT NULL,
        sentence_count INTEGER NOT NULL,
        indexed INTEGER NOT NULL DEFAULT 0,
        UNIQUE (chat_id, message_id)
    );
    CREATE INDEX kept_messages_sent ON kept_messages(chat_id, sent_at);
    CREATE INDEX kept_messages_author ON kept_messages(chat_id, author_id, sent_at);
    CREATE INDEX kept_messages_expiry ON kept_messages(sent_at);
    CREATE INDEX kept_messages_unindexed ON kept_messages(chat_id) WHERE indexed = 0;
    CREATE TABLE kept_sentences (
        message INTEGER NOT NULL REFERENCES kept_messages(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (message, position)
    ) WITHOUT ROWID
    """,
    """
    -- A sentence's own language, when its paragraph is in another language than its
    -- article (a quotation), NULL for the article's.
    ALTER TABLE sentences ADD COLUMN language TEXT
    """,
]


def upgrade_legacy(db: sqlite3.Connection, steps: Sequence[str]) -> int:
    """Run the steps the database has not had yet, inside the caller's transaction, with
    foreign keys off (a step may rebuild a table others refer to); returns the version
    reached. A step may read an owner's text form with the SQL functions
    ``owner_kind(text)`` and ``owner_id(text)``. Statements are split on semicolons: none
    may appear in a comment or a literal."""
    db.create_function("owner_kind", 1, _owner_kind, deterministic=True)
    db.create_function("owner_id", 1, _owner_id, deterministic=True)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(steps[version:], start=version + 1):
        for statement in script.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {number}")
    return max(version, len(steps))


def _owner_kind(text: str) -> str:
    return Owner.parse(text).kind.value


def _owner_id(text: str) -> int:
    return Owner.parse(text).id
