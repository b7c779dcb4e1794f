"""What a chat can take away (its export) and what an admin may measure (stats)."""

from __future__ import annotations

from retrieval.bot_models import Export, Stats
from retrieval.feeds import to_opml
from retrieval.owners import Owner
from retrieval.services.search_index import SearchIndex
from retrieval.storage import Storage

# A Telegram document holds 50 MB; article texts fill up to this many characters of it.
EXPORT_TEXT_CHARS = 20_000_000


def export(storage: Storage, owner: Owner, *, max_text_chars: int = EXPORT_TEXT_CHARS) -> Export:
    """Everything ``owner`` keeps: its feeds as OPML, its topics and own articles as JSON.

    Article texts fill up to ``max_text_chars``; past that, articles are listed without
    their text (``text`` is null).
    """
    feeds = storage.feeds.list(owner)
    articles = storage.articles.owned_texts(owner)
    room = max_text_chars
    for article in articles:
        room -= len(article["text"])
        if room < 0:
            article["text"] = None
    return Export(
        opml=to_opml(feeds, "Briefbot feeds"),
        feeds=feeds,
        topics=storage.topics.list(owner),
        articles=articles,
    )


def stats(storage: Storage, search: SearchIndex) -> Stats:
    """Sizes for an admin: what is stored, what is watched, what waits."""
    articles = storage.articles.totals()
    feeds, failing_feeds = storage.feeds.totals()
    topics, pending_alerts = storage.topics.totals()
    catchup_groups, kept_messages = storage.catchup.totals()
    return Stats(
        articles=articles.articles, sentences=articles.sentences, owners=articles.owners,
        feeds=feeds, failing_feeds=failing_feeds, topics=topics, pending_alerts=pending_alerts,
        index_passages=search.index.num_docs(), index_bytes=search.size_bytes(),
        database_bytes=storage.db.size_bytes(), catchup_groups=catchup_groups, kept_messages=kept_messages,
    )
