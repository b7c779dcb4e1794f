"""The bot's chat state moves into the database: chats (settings, last article, language),
shown messages, handled messages, deliveries (digest settings, pause, last alert) and
renamed chats. They were the tables of the bot's own file, ``briefbot.bot.db``, which the
bot imports once at start (:mod:`bot.legacy_state`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from retrieval.storage.schema import OWNER_KINDS, BigId, Flag, UtcTime

revision = "0006"
down_revision = "0005"
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
        "chats",
        *_owner(),
        sa.Column("sentences", sa.Integer),
        sa.Column("algorithm", sa.Text),
        sa.Column("last_article", BigId),
        sa.Column("language", sa.Text),
        sa.Column("seen_language", sa.Text),
        sa.PrimaryKeyConstraint("owner_kind", "owner_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "shown_messages",
        *_owner(),
        sa.Column("message_id", BigId, nullable=False),
        sa.Column("article_id", BigId, nullable=False),
        sa.PrimaryKeyConstraint("owner_kind", "owner_id", "message_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "handled_messages",
        *_owner(),
        sa.Column("message_id", BigId, nullable=False),
        sa.PrimaryKeyConstraint("owner_kind", "owner_id", "message_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "deliveries",
        *_owner(),
        sa.Column("digest_time", sa.Text),
        sa.Column("time_zone", sa.Text),
        sa.Column("digest_enabled", Flag, nullable=False, server_default=sa.true()),
        sa.Column("nothing_new_note", Flag, nullable=False, server_default=sa.true()),
        sa.Column("paused", Flag, nullable=False, server_default=sa.false()),
        sa.Column("last_alert_at", UtcTime),
        sa.PrimaryKeyConstraint("owner_kind", "owner_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "renamed_chats",
        *_owner("old"),
        *_owner("new"),
        sa.PrimaryKeyConstraint("new_kind", "new_id", "old_kind", "old_id"),
        sqlite_with_rowid=False,
    )
