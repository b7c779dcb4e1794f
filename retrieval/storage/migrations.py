"""The database schema, as the list of steps that built it.

Each entry upgrades the schema by one version (``PRAGMA user_version``). Never edit an
entry once a release has shipped it: append a new one. Steps run in one transaction with
foreign keys off, so one may rebuild a table others refer to (SQLite changes a primary
key only by create, copy, drop and rename); ``owner_kind(text)`` and ``owner_id(text)``
read an owner's text form (as version 1 stored it) in them. Statements are split on
semicolons: none may appear in a comment or a literal.
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
    -- A sentence's own language, when its paragraph is in another language than its
    -- article (a quotation), NULL for the article's.
    ALTER TABLE sentences ADD COLUMN language TEXT
    """,
]
