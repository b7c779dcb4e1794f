"""Group catch-up: /catchup on|off (the group's admins), /tldr and /forgetme.

What a group says among itself is never answered: the transport hands it to the engine
(:meth:`retrieval.engine.Engine.keep_message`) without a word, and the engine keeps it only
where an admin turned catch-up on.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

from bot import schedule
from bot.commands import UsageError
from bot.conversation.context import Context
from bot.conversation.incoming import Group, Incoming, Outbox
from bot.groups import IS_OFF, IS_ON, KEEPS
from bot.i18n import N_, NP_
from bot.replies import CatchUpView, Notice
from retrieval.errors import BriefbotError
from retrieval.services.catchup import MAX_WINDOW

ONLY_IN_GROUPS = N_(
    "This works in groups: add me to one, and one of its admins can turn on /catchup there."
)
ADMINS_ONLY = N_("Only this group's admins can turn catch-up on or off.")
CANNOT_SEE = N_(
    "I can't read this group's messages: Telegram shows a bot in privacy mode only the "
    "commands and replies meant for it, so I would have nothing to quote. To fix it, the "
    "bot's owner turns privacy mode off (in @BotFather: /setprivacy, then Disable) and adds me "
    "to the group again, or an admin of the group makes me an admin. Then send /catchup on again."
)
ALREADY_ON = N_("Catch-up is already on.")
TURNED_OFF = NP_(
    "Catch-up is off: I deleted the {count} message I kept and keep no more.",
    "Catch-up is off: I deleted the {count} messages I kept and keep no more.",
)
FORGOT = NP_(
    "I deleted the {count} message of yours I kept in this group.",
    "I deleted the {count} messages of yours I kept in this group.",
)
NOTHING_OF_YOURS = N_("I keep no messages of yours in this group.")
# "/tldr 3h": minutes, hours or days.
_DURATION = re.compile(r"(\d{1,5})([mhd])")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


async def catchup_command(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    """``/catchup``: whether the group keeps its messages; ``on`` or ``off`` (admins) changes it."""
    if len(args) > 1 or (args and args[0].lower() not in ("on", "off")):
        raise UsageError("catchup")
    group, chat, t = _group(incoming), incoming.chat, outbox.translator
    keeps = t.ngettext(*KEEPS, ctx.catchup.retention_days)
    on = await asyncio.to_thread(ctx.engine.catchup_on, chat)
    if not args:
        await outbox.send(Notice(text=f"{t.gettext(IS_ON)} {keeps}" if on else t.gettext(IS_OFF)))
        return
    if not await group.member_is_admin():
        await outbox.send(Notice(text=t.gettext(ADMINS_ONLY)))
        return
    if args[0].lower() == "off":
        if not on:
            await outbox.send(Notice(text=t.gettext(IS_OFF)))
            return
        deleted = await asyncio.to_thread(ctx.engine.stop_catchup, chat)
        await outbox.send(Notice(text=t.ngettext(*TURNED_OFF, deleted)))
    elif not await group.bot_sees_every_message():
        await outbox.send(Notice(text=t.gettext(CANNOT_SEE)))
    else:
        started = await asyncio.to_thread(ctx.engine.start_catchup, chat)
        await outbox.send(Notice(text=f"{t.gettext(IS_ON if started else ALREADY_ON)} {keeps}"))


async def tldr(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    """``/tldr``: what was said since the asker's last message (``3h``: in the last three
    hours; ``200``: in the last 200 messages), in a few verbatim quotes."""
    duration, last = _window(args)
    group, chat = _group(incoming), incoming.chat
    if not await asyncio.to_thread(ctx.engine.catchup_on, chat):
        await outbox.send(Notice(text=outbox.translator.gettext(IS_OFF)))
        return
    now = datetime.now(UTC)
    async with outbox.working():
        catch_up = await asyncio.to_thread(
            ctx.engine.catch_up, chat, asker=group.member, since=now - duration if duration else None,
            last=last, now=now,
        )
        settings = (await asyncio.to_thread(ctx.state.delivery, chat)).digest
        zone = schedule.digest_zone(settings, ctx.digest_defaults)
        await outbox.send(CatchUpView(catch_up=catch_up, zone=zone, now=now))


async def forgetme(ctx: Context, args: list[str], incoming: Incoming, outbox: Outbox) -> None:
    """``/forgetme``: delete everything the group kept of what its sender wrote."""
    group, t = _group(incoming), outbox.translator
    deleted = await asyncio.to_thread(ctx.engine.forget_member, incoming.chat, group.member)
    await outbox.send(Notice(text=t.ngettext(*FORGOT, deleted) if deleted else t.gettext(NOTHING_OF_YOURS)))


def _group(incoming: Incoming) -> Group:
    if incoming.group is None:
        raise BriefbotError(ONLY_IN_GROUPS)
    return incoming.group


def _window(args: list[str]) -> tuple[timedelta | None, int | None]:
    """The window /tldr asks for: a duration (``3h``), a number of messages (``200``), or
    neither (since the asker's last message)."""
    if not args:
        return None, None
    if len(args) == 1:
        if args[0].isdigit() and int(args[0]) > 0:
            return None, min(int(args[0]), MAX_WINDOW)
        if (match := _DURATION.fullmatch(args[0].lower())) and int(match[1]) > 0:
            return int(match[1]) * _UNITS[match[2]], None
    raise UsageError("tldr")
