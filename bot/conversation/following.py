"""Following: feeds (and OPML imports), topics and digests, by command and by button."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import get_args

from bot import schedule
from bot.commands import UsageError
from bot.conversation.context import Context, id_argument, one_of
from bot.conversation.incoming import Incoming, Outbox, find_links
from bot.following import NOTHING_NEW
from bot.replies import (
    MODE_MEANING,
    Action,
    DigestSettingsView,
    DigestView,
    FeedAdded,
    FeedImport,
    FeedList,
    Notice,
    TopicList,
)
from bot.state import DigestSettings
from retrieval.errors import BriefbotError, NotFound
from retrieval.models import FeedInfo, TopicMode
from retrieval.owners import EVERYONE, Owner

log = logging.getLogger(__name__)

# An OPML import edits its progress message at most this often.
PROGRESS_EVERY_S = 2.0


# --- feeds -----------------------------------------------------------------------------


async def add_feed(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    await _follow(ctx, "addfeed", args, incoming.chat, outbox)


async def add_feed_for_everyone(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    await _follow(ctx, "addfeed_all", args, EVERYONE, outbox)


async def _follow(ctx: Context, command: str, args: list[str], owner: Owner, outbox: Outbox) -> None:
    links = find_links(" ".join(args))
    if len(links) != 1:
        raise UsageError(command)
    async with outbox.working():
        feed, result = await ctx.workers.fetch(ctx.engine.add_feed, links[0].url, owner)
        await outbox.send(FeedAdded(feed=feed, new_articles=len(result.new_articles)))


async def feeds(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    await outbox.send(await asyncio.to_thread(_feed_list, ctx, incoming.chat))


async def remove_feed(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    feed_id = id_argument(args, "removefeed")
    feed = await asyncio.to_thread(_unfollow, ctx, incoming.chat, feed_id, incoming.admin)
    await outbox.send(Notice(text=outbox.translator.gettext(
        "Stopped following {feed} (#{feed_id}).", feed=feed.title or feed.url, feed_id=feed.id
    )))


async def unfeed_button(ctx: Context, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> str:
    [feed_id] = action.args
    feed = await asyncio.to_thread(_unfollow, ctx, chat, int(feed_id), False)
    await outbox.edit(message_id, await asyncio.to_thread(_feed_list, ctx, chat))
    return outbox.translator.gettext("Stopped following {feed}.", feed=feed.title or feed.url)


async def import_opml(ctx: Context, chat: Owner, data: bytes, outbox: Outbox) -> None:
    """Follow every feed of an OPML file, in one message that shows the progress, then the outcome."""
    t = outbox.translator
    progress_id = (await outbox.send(Notice(text=t.gettext("Importing feeds…"))))[0]
    loop = asyncio.get_running_loop()
    last_edit = 0.0

    def progress(done: int, total: int) -> None:
        """Called in the worker thread after each feed; edits the message now and then."""
        nonlocal last_edit
        if done == total or time.monotonic() - last_edit < PROGRESS_EVERY_S:
            return
        last_edit = time.monotonic()
        notice = Notice(text=t.gettext("Importing feeds: {done} of {total}…", done=done, total=total))
        try:
            asyncio.run_coroutine_threadsafe(outbox.edit(progress_id, notice), loop).result()
        except Exception as error:  # a progress message that fails to update is no reason to stop
            log.warning("could not show the import's progress: %s", type(error).__name__)
            log.debug("the error in full", exc_info=error)

    async with outbox.working():
        try:
            results = await ctx.workers.fetch(ctx.engine.import_opml, data, chat, progress)
        except BriefbotError as error:
            await outbox.edit(progress_id, Notice(text=t.error(error)))
            return
    added = [outcome for _, outcome in results if isinstance(outcome, FeedInfo)]
    failed = [(url, t.error(outcome)) for url, outcome in results if isinstance(outcome, BriefbotError)]
    await outbox.edit(progress_id, FeedImport(added=added, failed=failed))


def _feed_list(ctx: Context, chat: Owner) -> FeedList:
    return FeedList(feeds=ctx.engine.feeds_of(chat), now=datetime.now(UTC))


def _unfollow(ctx: Context, chat: Owner, feed_id: int, admin: bool) -> FeedInfo:
    """Stop following a feed; a feed for every chat only an admin can remove, for all."""
    feed = next((f for f in ctx.engine.feeds_of(chat) if f.id == feed_id), None)
    if feed is None:
        raise NotFound("You don't follow a feed {feed_id}.", feed_id=feed_id)
    if not feed.for_everyone:
        return ctx.engine.remove_feed(feed_id, chat)
    if not admin:
        raise NotFound(
            "Feed {feed_id} comes to every chat; only the bot's admins can remove it.", feed_id=feed_id
        )
    if feed.from_config:
        raise NotFound(
            "Feed {feed_id} is in the configuration (feeds.urls); remove it there.", feed_id=feed_id
        )
    ctx.engine.remove_feed(feed_id, EVERYONE)
    return feed


# --- topics ----------------------------------------------------------------------------


async def subscribe(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    if not args:
        raise UsageError("subscribe")
    topic = await asyncio.to_thread(ctx.engine.subscribe, incoming.chat, " ".join(args))
    await outbox.send(TopicList(topics=[topic], added=topic))


async def topics(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    await outbox.send(await asyncio.to_thread(_topic_list, ctx, incoming.chat))


async def unsubscribe(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    topic_id = id_argument(args, "unsubscribe")
    topic = await asyncio.to_thread(ctx.engine.unsubscribe, topic_id, incoming.chat)
    await outbox.send(Notice(text=outbox.translator.gettext(
        "Stopped watching “{query}” (#{topic_id}).", query=topic.query, topic_id=topic.id
    )))


async def mode_button(ctx: Context, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> str:
    topic_id, mode = action.args
    topic = await asyncio.to_thread(
        ctx.engine.set_topic_mode, int(topic_id), chat, one_of(mode, get_args(TopicMode))
    )
    await outbox.edit(message_id, await asyncio.to_thread(_topic_list, ctx, chat))
    t = outbox.translator
    meaning = t.gettext(MODE_MEANING[topic.mode])
    return t.gettext("“{query}”: {meaning}.", query=topic.query, meaning=meaning)


async def untopic_button(ctx: Context, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> str:
    [topic_id] = action.args
    topic = await asyncio.to_thread(ctx.engine.unsubscribe, int(topic_id), chat)
    await outbox.edit(message_id, await asyncio.to_thread(_topic_list, ctx, chat))
    return outbox.translator.gettext("Stopped watching “{query}”.", query=topic.query)


def _topic_list(ctx: Context, chat: Owner) -> TopicList:
    return TopicList(topics=ctx.engine.topics_of(chat))


# --- digests ---------------------------------------------------------------------------


async def digest(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    """What is new since the last digest, now. It counts as a digest: the next one, asked
    for or scheduled, starts where it was built."""
    chat = incoming.chat
    async with outbox.working():
        digest = await asyncio.to_thread(ctx.engine.digest, chat)
        if digest.empty:
            await outbox.send(Notice(text=outbox.translator.gettext(NOTHING_NEW)))
            return
        settings = (await asyncio.to_thread(ctx.state.delivery, chat)).digest
        day = schedule.local_now(settings, ctx.digest_defaults, datetime.now(UTC))
        await outbox.send(DigestView(digest=digest, day=day))
    items = sum(len(section.items) for section in digest.sections)
    await asyncio.to_thread(
        ctx.engine.record_digest, chat, day.date(), schedule.digest_zone(settings, ctx.digest_defaults),
        items, sent_at=digest.until, on_demand=True,
    )


async def digest_at(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    """``/digest_at 07:30 Europe/Paris``; the time or the zone alone changes only that."""
    if len(args) > 2:
        raise UsageError("digest_at")
    if args:
        changes: dict[str, object] = {"enabled": True}
        for arg in args:
            if "/" in arg or arg.isalpha():
                changes["zone"] = schedule.parse_zone(arg)
            else:
                changes["time"] = schedule.parse_time(arg)
        await asyncio.to_thread(_change_digest, ctx, incoming.chat, changes)
    await outbox.send(await asyncio.to_thread(_digest_settings_view, ctx, incoming.chat))


async def digest_off(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    await asyncio.to_thread(_change_digest, ctx, incoming.chat, {"enabled": False})
    await outbox.send(await asyncio.to_thread(_digest_settings_view, ctx, incoming.chat))


async def digest_button(ctx: Context, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> None:
    [value] = action.args
    field = "nothing_new_note" if action.verb == "dnote" else "enabled"
    on = one_of(value, ("on", "off")) == "on"
    await asyncio.to_thread(_change_digest, ctx, chat, {field: on})
    await outbox.edit(message_id, await asyncio.to_thread(_digest_settings_view, ctx, chat))


def _change_digest(ctx: Context, chat: Owner, changes: dict[str, object]) -> None:
    """Store new digest settings; a time that already passed today starts tomorrow."""
    settings = ctx.state.delivery(chat).digest.model_copy(update=changes)
    ctx.state.save_digest_settings(chat, settings)
    if "time" in changes or "zone" in changes:
        passed = schedule.already_past_day(settings, ctx.digest_defaults, datetime.now(UTC))
        if passed is not None:
            ctx.engine.skip_digest(chat, passed, schedule.digest_zone(settings, ctx.digest_defaults))


def _digest_settings_view(ctx: Context, chat: Owner) -> DigestSettingsView:
    now = datetime.now(UTC)
    settings: DigestSettings = ctx.state.delivery(chat).digest
    defaults = ctx.digest_defaults
    handled = schedule.handled_day(ctx.engine, chat, settings, defaults)
    return DigestSettingsView(
        time=schedule.digest_time(settings, defaults),
        zone=schedule.digest_zone(settings, defaults),
        enabled=settings.enabled,
        nothing_new_note=settings.nothing_new_note,
        next_at=schedule.next_digest_at(settings, defaults, handled, now),
        now=now,
    )
