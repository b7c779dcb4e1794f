"""What the search index holds of each sentence, stored beside it (``sentences.terms``): its
terms in its language (:func:`retrieval.index.sentence_terms`), so that answering a
question reads them instead of tokenizing and stemming every candidate sentence again.

Existing sentences get theirs here, computed as the index computes them: in the
sentence's own language, else its article's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from retrieval.index import sentence_terms

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ARTICLES_PER_BATCH = 500

_articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("language", sa.Text))
_sentences = sa.table(
    "sentences",
    sa.column("article_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("language", sa.Text),
    sa.column("terms", sa.Text),
)


def upgrade() -> None:
    op.add_column("sentences", sa.Column("terms", sa.Text))
    db = op.get_bind()
    article_ids = list(db.execute(sa.select(_articles.c.id).order_by(_articles.c.id)).scalars())
    s = _sentences.c
    read = (
        sa.select(s.article_id, s.position, s.text, sa.func.coalesce(s.language, _articles.c.language))
        .join_from(_sentences, _articles, _articles.c.id == s.article_id)
        .where(s.article_id.between(sa.bindparam("first"), sa.bindparam("last")))
    )
    write = (
        _sentences.update()
        .where(s.article_id == sa.bindparam("a"), s.position == sa.bindparam("p"))
        .values(terms=sa.bindparam("t"))
    )
    for start in range(0, len(article_ids), ARTICLES_PER_BATCH):
        batch = article_ids[start : start + ARTICLES_PER_BATCH]
        rows = db.execute(read, {"first": batch[0], "last": batch[-1]}).all()
        db.execute(
            write,
            [
                {"a": article_id, "p": position, "t": sentence_terms(text, language)}
                for article_id, position, text, language in rows
            ],
        )
