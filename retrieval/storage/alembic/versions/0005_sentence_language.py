"""A sentence's own language, when its paragraph is in another language than its article
(a quotation); NULL for the article's. The same as the pre-Alembic step 5
(:mod:`retrieval.storage.legacy`), where a SQLite database that had it is stamped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sentences", sa.Column("language", sa.Text))
