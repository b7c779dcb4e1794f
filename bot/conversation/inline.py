"""Inline mode (``@briefbot question`` in any chat): answers from the asker's own articles.

The asker is the owner of their private chat with the bot, whose articles they sent it;
nothing a group keeps for its catch-up is ever offered, nor anyone else's articles.
"""

from __future__ import annotations

from bot.conversation.context import Context
from bot.replies import InlineView
from retrieval.owners import Owner

MAX_RESULTS = 5
SUMMARY_SENTENCES = 2


def inline_view(ctx: Context, asker: Owner, query: str) -> InlineView:
    """Cited sentences that answer ``query`` or, for an empty one, short summaries of the
    asker's latest articles."""
    query = query.strip()
    if not query:
        latest = ctx.engine.articles(asker, limit=MAX_RESULTS)
        algorithm = ctx.state.settings(asker).algorithm or ctx.summary_defaults.algorithm
        summaries = [
            ctx.engine.summarize(info.id, asker, sentences=SUMMARY_SENTENCES, algorithm=algorithm)
            for info in latest
        ]
        return InlineView(summaries=summaries, has_articles=bool(latest))
    answer = ctx.engine.ask(query, asker, max_sentences=MAX_RESULTS)
    own = [sentence for sentence in answer.sentences if sentence.message is None]
    answer = answer.model_copy(update={"sentences": own, "abstained": not own})
    has_articles = not answer.abstained or ctx.engine.count_articles(asker) > 0
    return InlineView(answer=answer, has_articles=has_articles)
