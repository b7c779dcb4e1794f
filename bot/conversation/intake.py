"""Intake: links to read, pasted or forwarded text, files (an OPML file imports feeds),
and what Briefbot cannot read. Each article stored is answered with its summary."""

from __future__ import annotations

import asyncio
from pathlib import PurePath

from bot.conversation import following, reading
from bot.conversation.context import Context
from bot.conversation.incoming import Attachment, Forward, Incoming, Outbox
from bot.i18n import N_
from bot.replies import Notice
from retrieval.errors import BriefbotError
from retrieval.extract import can_read, unreadable
from retrieval.models import IngestResult
from retrieval.owners import Owner

# Telegram lets bots download files up to 20 MB.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
# Files from this size on get a progress message that is edited as the work goes on.
PROGRESS_FROM_BYTES = 256 * 1024
MAX_LINKS = 5
OPML_TYPES = frozenset({"text/x-opml", "application/xml", "text/xml"})
CANT_READ = N_(
    "I can't read {what}. Send me a link, some text, or a .txt, .md, .html or .pdf file, and ask me "
    "questions about them."
)
CANT_READ_THAT = N_(
    "I can't read that. Send me a link, some text, or a .txt, .md, .html or .pdf file, and ask me "
    "questions about them."
)


async def cant_read(incoming: Incoming, outbox: Outbox) -> None:
    """A message with nothing Briefbot reads (a sticker, a photo..., or no text at all)."""
    t = outbox.translator
    await outbox.send(Notice(text=(
        t.gettext(CANT_READ, what=t.gettext(incoming.unsupported)) if incoming.unsupported
        else t.gettext(CANT_READ_THAT)
    )))


async def links(ctx: Context, chat: Owner, urls: list[str], outbox: Outbox) -> None:
    t = outbox.translator
    if len(urls) > MAX_LINKS:
        await outbox.send(Notice(text=t.ngettext(
            "That's {count} link; I'll read the first {limit}.",
            "That's {count} links; I'll read the first {limit}.", len(urls), limit=MAX_LINKS,
        )))
    for url in urls[:MAX_LINKS]:
        try:
            async with outbox.working():
                result = await ctx.workers.fetch(ctx.engine.ingest_url, url, chat)
                await reading.show_saved(ctx, chat, result, outbox)
        except BriefbotError as error:
            reason = t.error(error)
            text = t.gettext("{url}: {error}", url=url, error=reason) if len(urls) > 1 else reason
            await outbox.send(Notice(text=text))


async def text_message(ctx: Context, chat: Owner, text: str, forward: Forward | None, outbox: Outbox) -> None:
    async with outbox.working():
        result = await asyncio.to_thread(
            ctx.engine.ingest_text, text, chat,
            url=forward.url if forward else None, site=forward.source if forward else None,
        )
        await reading.show_saved(ctx, chat, result, outbox, source=forward.source if forward else None)


async def file(ctx: Context, chat: Owner, attachment: Attachment, outbox: Outbox) -> None:
    t = outbox.translator
    size = attachment.size or 0
    if size > MAX_DOWNLOAD_BYTES:
        await outbox.send(Notice(text=t.gettext(
            "{name} is {size}; Telegram lets me download files of up to {limit}.",
            name=attachment.name, size=t.size(size), limit=t.size(MAX_DOWNLOAD_BYTES),
        )))
        return
    suffix = PurePath(attachment.name).suffix.lower()
    if _may_be_opml(attachment):
        data = await attachment.download()
        if suffix == ".opml" or b"<opml" in data[:4096].lower():
            await following.import_opml(ctx, chat, data, outbox)
            return
    if not can_read(attachment.name, attachment.mime_type):
        await outbox.send(Notice(text=t.error(unreadable(PurePath(attachment.name).suffix))))
        return
    async with outbox.working():
        if size < PROGRESS_FROM_BYTES:
            data = await attachment.download()
            result = await _ingest(ctx, chat, attachment, data)
            await reading.show_saved(ctx, chat, result, outbox)
            return
        await _large_file(ctx, chat, attachment, outbox)


async def _large_file(ctx: Context, chat: Owner, attachment: Attachment, outbox: Outbox) -> None:
    """A file big enough to take a while: one message says what is happening, then shows the summary."""
    t = outbox.translator
    notice = Notice(text=t.gettext(
        "Downloading {name} ({size})…", name=attachment.name, size=t.size(attachment.size or 0)
    ))
    progress = (await outbox.send(notice))[0]
    try:
        data = await attachment.download()
        await outbox.edit(progress, Notice(text=t.gettext("Reading {name}…", name=attachment.name)))
        result = await _ingest(ctx, chat, attachment, data)
    except BriefbotError as error:
        await outbox.edit(progress, Notice(text=t.error(error)))
        return
    await reading.show_saved(ctx, chat, result, outbox, replace=progress)


def readable(attachment: Attachment) -> bool:
    """Whether Briefbot reads files of this name and type (an OPML file imports feeds)."""
    return can_read(attachment.name, attachment.mime_type) or _may_be_opml(attachment)


def _may_be_opml(attachment: Attachment) -> bool:
    suffix = PurePath(attachment.name).suffix.lower()
    return suffix == ".opml" or (attachment.mime_type in OPML_TYPES and suffix in {".xml", ""})


async def _ingest(ctx: Context, chat: Owner, attachment: Attachment, data: bytes) -> IngestResult:
    return await asyncio.to_thread(
        ctx.engine.ingest_bytes, data, chat, filename=attachment.name, content_type=attachment.mime_type
    )

