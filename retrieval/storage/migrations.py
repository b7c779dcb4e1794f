"""The database schema, as the list of steps that built it.

Each entry upgrades the schema by one version (``PRAGMA user_version``). Never edit an
entry once a release has shipped it: append a new one.
"""

from __future__ import annotations

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
]
