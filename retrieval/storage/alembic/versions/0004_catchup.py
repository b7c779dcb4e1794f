"""Group catch-up: the groups that keep their messages (``catchup_groups``), the messages
they keep (``kept_messages``) and their sentences (``kept_sentences``). The same schema as
the pre-Alembic step 4 (:mod:`retrieval.storage.legacy`): a SQLite database from before
Alembic runs that step instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from retrieval.storage.schema import BigId, Flag, UtcTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catchup_groups",
        sa.Column("chat_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("started_at", UtcTime, nullable=False),
    )
    op.create_table(
        "kept_messages",
        sa.Column("id", BigId, sa.Identity(), primary_key=True),
        sa.Column(
            "chat_id", BigId, sa.ForeignKey("catchup_groups.chat_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("message_id", BigId, nullable=False),
        sa.Column("thread_id", BigId),
        sa.Column("reply_to", BigId),
        sa.Column("author_id", BigId, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("sent_at", UtcTime, nullable=False),
        sa.Column("edited_at", UtcTime),
        sa.Column("link", sa.Text),
        sa.Column("language", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sentence_count", sa.Integer, nullable=False),
        sa.Column("indexed", Flag, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("chat_id", "message_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("kept_messages_sent", "kept_messages", ["chat_id", "sent_at"])
    op.create_index("kept_messages_author", "kept_messages", ["chat_id", "author_id", "sent_at"])
    op.create_index("kept_messages_expiry", "kept_messages", ["sent_at"])
    unindexed = sa.text("indexed = 0" if op.get_context().dialect.name == "sqlite" else "indexed = false")
    op.create_index(
        "kept_messages_unindexed", "kept_messages", ["chat_id"], sqlite_where=unindexed,
        postgresql_where=unindexed,
    )
    op.create_table(
        "kept_sentences",
        sa.Column("message", BigId, sa.ForeignKey("kept_messages.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("message", "position"),
        sqlite_with_rowid=False,
    )
