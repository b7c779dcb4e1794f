"""Inline results: what an inline query offers (:class:`bot.replies.InlineView`) as
Telegram's inline results, each a message the asker can send into the chat they are in.

An answer offers each cited sentence on its own: the sentence verbatim, then its article's
title linked to the sentence in the article. An empty query offers each of the latest
articles as its title and a short summary, each sentence linked to where it stands. Someone
who has no articles yet gets a button that opens the bot instead.
"""

from __future__ import annotations

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode

from bot.i18n import N_, Translator
from bot.layout import Line, citation, quoted, styled
from bot.render import MAX_MESSAGE, line_html
from bot.replies import InlineView
from retrieval.models import CitedSentence, Summary

# The private chat opens with "/start inline".
START_PARAMETER = "inline"
SEND_ARTICLES_FIRST = N_("Send me articles first")
NOTHING_FOUND = N_("Nothing about that in your articles")
# TRANSLATORS: an inline answer as it is sent into a chat: the quoted sentence in your
# language's quotation marks, then the article it comes from (a link).
CITED = N_("“{text}” — {source}")
# How much of a sentence or a title the list of results shows (the message sent holds it all).
SHOWN_CHARS = 120
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def inline_results(
    view: InlineView, t: Translator
) -> tuple[list[InlineQueryResultArticle], InlineQueryResultsButton | None]:
    """The results to offer, and the button above them (None when there are results)."""
    if not view.has_articles:
        return [], _open_the_bot(t.gettext(SEND_ARTICLES_FIRST))
    if view.answer is not None:
        results = [_answer_result(n, sentence, t) for n, sentence in enumerate(view.answer.sentences)]
    else:
        results = [_summary_result(summary, t) for summary in view.summaries]
    return results, None if results else _open_the_bot(t.gettext(NOTHING_FOUND))


def _open_the_bot(text: str) -> InlineQueryResultsButton:
    return InlineQueryResultsButton(text, start_parameter=START_PARAMETER)


def _answer_result(number: int, sentence: CitedSentence, t: Translator) -> InlineQueryResultArticle:
    source = quoted(sentence.title, url=citation(sentence, "").url)
    line: Line = tuple(styled(t, CITED, {"text": quoted(sentence.text), "source": source}))
    return InlineQueryResultArticle(
        id=f"{number}-{sentence.article_id}-{sentence.index}",
        title=_shown(sentence.text),
        description=_shown(sentence.title),
        input_message_content=_content([line], t),
    )


def _summary_result(summary: Summary, t: Translator) -> InlineQueryResultArticle:
    lines: list[Line] = [(quoted(summary.title, "bold", summary.url),)]
    lines += [(quoted(f"{s.text} "), citation(s, str(s.index))) for s in summary.sentences]
    while len(lines) > 2 and _length(lines) > MAX_MESSAGE:  # a summary of very long sentences
        lines.pop()
    return InlineQueryResultArticle(
        id=f"summary-{summary.article_id}",
        title=_shown(summary.title),
        description=_shown(summary.sentences[0].text) if summary.sentences else None,
        input_message_content=_content(lines, t),
    )


def _content(lines: list[Line], t: Translator) -> InputTextMessageContent:
    text = "\n".join(line_html(line, t) for line in lines)
    return InputTextMessageContent(text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)


def _length(lines: list[Line]) -> int:
    """The visible text's length as Telegram counts it (UTF-16 code units, a newline each)."""
    return sum(len("".join(span.text for span in line).encode("utf-16-le")) // 2 + 1 for line in lines)


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1].rstrip() + "…"
