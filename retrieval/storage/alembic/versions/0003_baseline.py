"""The schema as the pre-Alembic step 3 left it (``PRAGMA user_version`` 3): articles,
sentences, ownership, feeds, subscriptions, feed entries, topics, their anchors and matches,
and the digest log.

A SQLite database from before Alembic never runs this: it is brought to the last of the
pre-Alembic steps and stamped at the revision with that schema (:mod:`retrieval.storage.upgrade`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from retrieval.storage.schema import OWNER_KINDS, BigId, Flag, LocalDay, UtcTime

revision = "0003"
down_revision = None
branch_labels = None
depends_on = None


def _owner(prefix: str = "owner") -> list[sa.Column]:
    kind = f"{prefix}_kind"
    return [
        sa.Column(kind, sa.Text, sa.CheckConstraint(f"{kind} IN ({OWNER_KINDS})"), nullable=False),
        sa.Column(f"{prefix}_id", BigId, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", BigId, sa.Identity(), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("canonical_url", sa.Text),
        sa.Column("public", Flag, nullable=False, server_default=sa.false()),
        sa.Column("site", sa.Text),
        sa.Column("author", sa.Text),
        sa.Column("published", sa.Text),
        sa.Column("language", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("text_hash", sa.Text, nullable=False),
        *_owner("copy_of"),
        sa.Column("sentence_count", sa.Integer, nullable=False),
        sa.Column("added_at", UtcTime, nullable=False),
        sa.Column("indexed", Flag, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("text_hash", "copy_of_kind", "copy_of_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("articles_canonical_url", "articles", ["canonical_url"])
    unindexed = sa.text("indexed = 0" if op.get_context().dialect.name == "sqlite" else "indexed = false")
    op.create_index(
        "articles_unindexed", "articles", ["id"], sqlite_where=unindexed, postgresql_where=unindexed
    )
    op.create_table(
        "sentences",
        sa.Column("article_id", BigId, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("paragraph", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("article_id", "position"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ownership",
        *_owner(),
        sa.Column("article_id", BigId, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("added_at", UtcTime, nullable=False),
        sa.PrimaryKeyConstraint("owner_kind", "owner_id", "article_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ownership_article", "ownership", ["article_id"])
    _feeds()
    _topics()
    _digests()


def _feeds() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", BigId, sa.Identity(), primary_key=True),
        sa.Column("url", sa.Text, nullable=False, unique=True),
        sa.Column("title", sa.Text),
        sa.Column("site_url", sa.Text),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("last_fetched_at", UtcTime),
        sa.Column("last_error", sa.Text),
        sa.Column("error_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_poll_at", UtcTime, nullable=False),
        sa.Column("added_at", UtcTime, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "subscriptions",
        *_owner(),
        sa.Column("feed_id", BigId, sa.ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("added_at", UtcTime, nullable=False),
        sa.Column("from_config", Flag, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("owner_kind", "owner_id", "feed_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("subscriptions_feed", "subscriptions", ["feed_id"])
    op.create_table(
        "feed_entries",
        sa.Column("feed_id", BigId, sa.ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("entry_key", sa.Text, nullable=False),
        sa.Column("article_id", BigId, sa.ForeignKey("articles.id", ondelete="SET NULL")),
        sa.Column("seen_at", UtcTime, nullable=False),
        sa.PrimaryKeyConstraint("feed_id", "entry_key"),
        sqlite_with_rowid=False,
    )


def _topics() -> None:
    op.create_table(
        "topics",
        sa.Column("id", BigId, sa.Identity(), primary_key=True),
        *_owner(),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column(
            "mode", sa.Text, sa.CheckConstraint("mode IN ('instant', 'daily', 'off')"), nullable=False,
            server_default="daily",
        ),
        sa.Column("added_at", UtcTime, nullable=False),
        sa.UniqueConstraint("owner_kind", "owner_id", "query"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "topic_anchors",
        sa.Column("stem", sa.Text, nullable=False),
        sa.Column("topic_id", BigId, sa.ForeignKey("topics.id", ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("stem", "topic_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("topic_anchors_topic", "topic_anchors", ["topic_id"])
    op.create_table(
        "topic_matches",
        sa.Column("topic_id", BigId, sa.ForeignKey("topics.id", ondelete="CASCADE"), nullable=False),
        sa.Column("article_id", BigId, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("matched_at", UtcTime, nullable=False),
        sa.Column("alerted_at", UtcTime),
        sa.PrimaryKeyConstraint("topic_id", "article_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("topic_matches_article", "topic_matches", ["article_id"])


def _digests() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    op.create_table(
        "digests",
        sa.Column("id", BigId, sa.Identity(), primary_key=True),
        *_owner(),
        sa.Column(
            "kind", sa.Text, sa.CheckConstraint("kind IN ('scheduled', 'on_demand', 'skipped')"),
            nullable=False,
        ),
        sa.Column(
            "day", LocalDay, *([sa.CheckConstraint("date(day) = day")] if sqlite else []), nullable=False
        ),
        sa.Column("zone", sa.Text, nullable=False),
        sa.Column("sent_at", UtcTime),
        sa.Column("items", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint("(sent_at IS NULL) = (kind = 'skipped')"),
    )
    scheduled = sa.text("kind != 'on_demand'")
    op.create_index(
        "digests_day", "digests", ["owner_kind", "owner_id", "zone", "day"], unique=True,
        sqlite_where=scheduled, postgresql_where=scheduled,
    )
    op.create_index("digests_sent", "digests", ["owner_kind", "owner_id", "sent_at"])
