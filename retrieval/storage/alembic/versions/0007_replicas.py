"""What replicas share: the updates Telegram delivered, kept until one replica handled them
(``updates``), the leases of the jobs one replica at a time runs (``leases``), and the log
of changes each replica's search index follows (``index_changes``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from retrieval.storage.schema import BigId, UtcTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "updates",
        sa.Column("update_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", UtcTime, nullable=False),
        sa.Column("claimed_by", sa.Text),
        sa.Column("lease_until", UtcTime),
        sa.Column("done_at", UtcTime),
    )
    open_ = sa.text("done_at IS NULL")
    op.create_index("updates_open", "updates", ["received_at"], sqlite_where=open_, postgresql_where=open_)
    op.create_index("updates_done", "updates", ["done_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("until", UtcTime, nullable=False),
    )
    op.create_table(
        "index_changes",
        sa.Column("id", BigId, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.Text, sa.CheckConstraint("kind IN ('article', 'message')"), nullable=False),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("changed_at", UtcTime, nullable=False),
        sqlite_autoincrement=True,
    )
