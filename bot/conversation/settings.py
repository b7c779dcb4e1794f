"""The chat's own choices and data: summary settings, its language, /export; and /stats
for the bot's admins."""

from __future__ import annotations

import asyncio
import json

from bot.commands import UsageError
from bot.conversation.context import Context, one_of
from bot.conversation.incoming import Incoming, Outbox
from bot.conversation.reading import MAX_SUMMARY_SENTENCES
from bot.i18n import DEFAULT_LANGUAGE, NP_, Translator, languages, resolve_language, translator
from bot.replies import Action, LanguageView, SettingsView, StatsView
from retrieval.errors import BriefbotError
from retrieval.owners import Owner
from retrieval.summarize import ALGORITHMS

# The /language argument and button that go back to each person's Telegram language.
AUTOMATIC = "auto"
EXPORT_OPML = "briefbot-feeds.opml"
EXPORT_JSON = "briefbot-export.json"


class SettingError(BriefbotError):
    """A /settings value out of range."""


# --- summary settings ------------------------------------------------------------------


async def settings_command(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    if args:
        if len(args) != 2 or args[0] not in {"sentences", "algorithm"}:
            raise UsageError("settings")
        await asyncio.to_thread(_change_setting, ctx, incoming.chat, args[0], args[1])
    await outbox.send(await asyncio.to_thread(_settings_view, ctx, incoming.chat, outbox.translator))


async def setting_button(ctx: Context, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> str:
    [value] = action.args
    changed = await asyncio.to_thread(_change_setting, ctx, chat, action.verb, value)
    t = outbox.translator
    if changed:
        await outbox.edit(message_id, await asyncio.to_thread(_settings_view, ctx, chat, t))
    if action.verb == "sentences":
        return t.ngettext("Summaries: {count} sentence.", "Summaries: {count} sentences.", int(value))
    return t.gettext("Method: {algorithm}.", algorithm=value)


def _settings_view(ctx: Context, chat: Owner, t: Translator) -> SettingsView:
    settings = ctx.state.settings(chat)
    chosen = ctx.state.language(chat)
    return SettingsView(
        sentences=settings.sentences or ctx.summary_defaults.sentences,
        algorithm=settings.algorithm or ctx.summary_defaults.algorithm,
        algorithms=ALGORITHMS,
        language=chosen or t.language,
        language_chosen=chosen is not None,
    )


def _change_setting(ctx: Context, chat: Owner, key: str, value: str) -> bool:
    """Store one setting; returns whether it changed."""
    settings = ctx.state.settings(chat)
    if key == "sentences":
        if not value.isdigit() or not 1 <= int(value) <= MAX_SUMMARY_SENTENCES:
            raise SettingError(
                NP_("Summaries can have 1 to {count} sentence.",
                    "Summaries can have 1 to {count} sentences."),
                count=MAX_SUMMARY_SENTENCES,
            )
        updated = settings.model_copy(update={"sentences": int(value)})
    else:
        if value not in ALGORITHMS:
            raise SettingError("The methods are {algorithms}.", algorithms=", ".join(ALGORITHMS))
        updated = settings.model_copy(update={"algorithm": value})
    if updated == settings:
        return False
    ctx.state.save_settings(chat, updated)
    return True


# --- language --------------------------------------------------------------------------


async def language_command(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    """``/language``, ``/language es`` or ``/language auto``."""
    if len(args) > 1:
        raise UsageError("language")
    if args:
        await _choose_language(ctx, incoming.chat, _language_argument(args[0]), outbox)
    chosen = await asyncio.to_thread(ctx.state.language, incoming.chat)
    await outbox.send(LanguageView(
        language=outbox.translator.language, chosen=chosen is not None,
        languages=languages(), changed=bool(args),
    ))


async def language_button(ctx: Context, chat: Owner, message_id: int, action: Action, outbox: Outbox) -> None:
    [value] = action.args
    language = None if value == AUTOMATIC else one_of(value, languages())
    await _choose_language(ctx, chat, language, outbox)
    await outbox.edit(message_id, LanguageView(
        language=language or outbox.translator.language, chosen=language is not None,
        languages=languages(), changed=True,
    ))


async def _choose_language(ctx: Context, chat: Owner, language: str | None, outbox: Outbox) -> None:
    """Store the chat's language (None: each person's own); what follows is written in
    it (or in the language of whoever wrote last, who chose to go back to their own)."""
    await asyncio.to_thread(ctx.state.set_language, chat, language)
    reply_language = await asyncio.to_thread(ctx.state.reply_language, chat)
    outbox.translator = translator(reply_language or DEFAULT_LANGUAGE)


def _language_argument(value: str) -> str | None:
    """The language ``/language VALUE`` chooses; None for ``auto`` (each person's own)."""
    if value.lower() == AUTOMATIC:
        return None
    language = resolve_language(value)
    if language != value.replace("_", "-").split("-")[0].lower():
        raise UsageError("language")
    return language


# --- the chat's data, the bot's load ---------------------------------------------------


async def export(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    async with outbox.working():
        exported = await asyncio.to_thread(ctx.engine.export, incoming.chat)
        document = json.dumps(
            exported.model_dump(mode="json", exclude={"opml"}), ensure_ascii=False, indent=2
        )
        t = outbox.translator
        await outbox.send_file(EXPORT_OPML, exported.opml.encode(), t.ngettext(
            "Your {count} feed, as OPML.", "Your {count} feeds, as OPML.", len(exported.feeds)
        ))
        contents = {
            "topics": t.ngettext("{count} topic", "{count} topics", len(exported.topics)),
            "feeds": t.ngettext("{count} feed", "{count} feeds", len(exported.feeds)),
            "articles": t.ngettext("{count} article", "{count} articles", len(exported.articles)),
        }
        await outbox.send_file(EXPORT_JSON, document.encode(), t.gettext(
            "Your {topics}, {feeds} and {articles} with their texts, as JSON.", **contents
        ))


async def stats(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    await outbox.send(await asyncio.to_thread(_stats_view, ctx))


def _stats_view(ctx: Context) -> StatsView:
    return StatsView(
        engine=ctx.engine.stats(),
        known_chats=ctx.state.count_chats(),
        load=ctx.load() if ctx.load else None,
    )
