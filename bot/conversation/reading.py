"""Reading: questions, summaries, the article list and forgetting an article, by command
and by button; and what the chat last saw, so that a reply asks about that article."""

from __future__ import annotations

import asyncio

from bot import schedule
from bot.commands import UsageError
from bot.conversation.context import Context
from bot.conversation.incoming import Incoming, Outbox
from bot.i18n import Translator
from bot.reading import NO_ARTICLES
from bot.replies import Action, AnswerView, ArticlePage, AskPrompt, Notice, Reply, SummaryView
from retrieval.models import IngestResult, Summary
from retrieval.owners import Owner

MAX_SUMMARY_SENTENCES = 50
PAGE_SIZE = 10


async def ask(ctx: Context, chat: Owner, question: str, reply_to: int | None, outbox: Outbox) -> None:
    """Answer a question about the chat's articles, or about the one the replied-to message shows."""
    article_id = None
    if reply_to is not None:
        article_id = await asyncio.to_thread(ctx.state.shown_article, chat, reply_to)
    async with outbox.working():
        view = await asyncio.to_thread(_answer, ctx, chat, question, article_id, outbox.translator)
        ids = await outbox.send(view)
    if isinstance(view, AnswerView):
        cited = {sentence.article_id for sentence in view.answer.sentences}
        if len(cited) == 1 and (article_id := cited.pop()) is not None:  # not a group's message
            await asyncio.to_thread(ctx.state.remember_shown, chat, ids, article_id)


async def show_saved(
    ctx: Context,
    chat: Owner,
    result: IngestResult,
    outbox: Outbox,
    *,
    source: str | None = None,
    replace: int | None = None,
) -> None:
    """The summary of an article just stored (in place of message ``replace``, if given)."""
    summary = await asyncio.to_thread(summarize, ctx, chat, result.id, None)
    view = SummaryView(summary=summary, saved="duplicate" if result.duplicate else "new", source=source)
    ids = await (outbox.edit(replace, view) if replace is not None else outbox.send(view))
    await asyncio.to_thread(_remember, ctx, chat, ids, result.id)


# --- commands --------------------------------------------------------------------------


async def ask_command(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    if not args:
        raise UsageError("ask")
    await ask(ctx, incoming.chat, " ".join(args), incoming.reply_to, outbox)


async def summary_command(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    chat = incoming.chat
    article_id: int | None = None
    sentences: int | None = None
    for arg in args:
        if arg.startswith("#") and arg[1:].isdigit():
            article_id = int(arg[1:])
        elif arg.isdigit():
            sentences = min(int(arg), MAX_SUMMARY_SENTENCES)
        else:
            raise UsageError("summary")
    if article_id is None:
        article_id = await asyncio.to_thread(_current_article, ctx, chat, incoming.reply_to)
    if article_id is None:
        await outbox.send(Notice(text=outbox.translator.gettext(NO_ARTICLES)))
        return
    summary = await asyncio.to_thread(summarize, ctx, chat, article_id, sentences)
    ids = await outbox.send(SummaryView(summary=summary))
    await asyncio.to_thread(_remember, ctx, chat, ids, article_id)


async def articles(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    await outbox.send(await asyncio.to_thread(_page, ctx, incoming.chat, 0))


async def forget(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    chat = incoming.chat
    if len(args) == 1 and args[0].lstrip("#").isdigit():
        article_id: int | None = int(args[0].lstrip("#"))
    elif not args and incoming.reply_to is not None:
        article_id = await asyncio.to_thread(ctx.state.shown_article, chat, incoming.reply_to)
    else:
        article_id = None
    if article_id is None:
        raise UsageError("forget")
    info = await asyncio.to_thread(ctx.engine.forget, article_id, chat)
    if await asyncio.to_thread(ctx.state.last_article, chat) == article_id:
        await asyncio.to_thread(ctx.state.set_last_article, chat, None)
    await outbox.send(Notice(text=outbox.translator.gettext(
        "Forgot #{article_id}, “{title}”.", article_id=info.id, title=info.title
    )))


# --- buttons ---------------------------------------------------------------------------


async def length_button(ctx: Context, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> None:
    article, sentences = (int(arg) for arg in action.args)
    summary = await asyncio.to_thread(summarize, ctx, chat, article, sentences)
    ids = await outbox.edit(message_id, SummaryView(summary=summary))
    await asyncio.to_thread(_remember, ctx, chat, ids, article)


async def ask_button(ctx: Context, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> None:
    [article] = action.args
    info = await asyncio.to_thread(ctx.engine.article, int(article), chat)
    ids = await outbox.send(AskPrompt(article=info))
    await asyncio.to_thread(ctx.state.remember_shown, chat, ids, info.id)


async def page_button(ctx: Context, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> None:
    [offset] = action.args
    await outbox.edit(message_id, await asyncio.to_thread(_page, ctx, chat, int(offset)))


# --- synchronous helpers, run in worker threads ----------------------------------------


def summarize(ctx: Context, chat: Owner, article_id: int, sentences: int | None) -> Summary:
    """The article's summary at the chat's length and method (``sentences`` overrides the length)."""
    settings = ctx.state.settings(chat)
    return ctx.engine.summarize(
        article_id, chat,
        sentences=sentences or settings.sentences or ctx.summary_defaults.sentences,
        algorithm=settings.algorithm or ctx.summary_defaults.algorithm,
    )


def _answer(ctx: Context, chat: Owner, question: str, article_id: int | None, t: Translator) -> Reply:
    answer = ctx.engine.ask(question, chat, article_id=article_id)
    if article_id is not None:
        title = ctx.engine.article(article_id, chat).title if answer.abstained else None
        return AnswerView(answer=answer, scope_title=title)
    if ctx.engine.catchup_on(chat):  # the group's messages were searched too
        zone = schedule.digest_zone(ctx.state.delivery(chat).digest, ctx.digest_defaults)
        return AnswerView(answer=answer, group_messages=True, zone=zone)
    if answer.abstained and ctx.engine.count_articles(chat) == 0:
        return Notice(text=t.gettext(NO_ARTICLES))
    return AnswerView(answer=answer)


def _remember(ctx: Context, chat: Owner, message_ids: list[int], article_id: int) -> None:
    ctx.state.remember_shown(chat, message_ids, article_id)
    ctx.state.set_last_article(chat, article_id)


def _current_article(ctx: Context, chat: Owner, reply_to: int | None) -> int | None:
    if reply_to is not None and (shown := ctx.state.shown_article(chat, reply_to)) is not None:
        return shown
    last = ctx.state.last_article(chat)
    if last is not None:
        return last
    newest = ctx.engine.articles(chat, limit=1)
    return newest[0].id if newest else None


def _page(ctx: Context, chat: Owner, offset: int) -> ArticlePage:
    offset = max(0, offset)
    return ArticlePage(
        articles=ctx.engine.articles(chat, limit=PAGE_SIZE, offset=offset),
        offset=offset,
        total=ctx.engine.count_articles(chat),
        page_size=PAGE_SIZE,
    )
