"""When a chat's daily digest is due: its time and IANA time zone, or the configured ones.

Which days were already handled (their digest sent or skipped) is the engine's digest log
(:mod:`retrieval.services.digests`), the one record of which digest was sent when; this
module reads it and decides, it keeps no state of its own.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel

from bot.state import DigestSettings
from retrieval.config import DigestConfig
from retrieval.engine import Engine
from retrieval.errors import BriefbotError
from retrieval.owners import Owner

# A digest missed while the bot was down is still sent this late; later, that day's is skipped.
MAX_DIGEST_LATENESS = timedelta(hours=3)
_TIME = re.compile(r"([01]?\d|2[0-3])[:.h]([0-5]\d)")


class ScheduleError(BriefbotError):
    """A digest time or time zone the bot cannot use."""


class DueDigest(BaseModel):
    day: date  # the local date, in ``zone``
    zone: str
    late: timedelta

    @property
    def too_late(self) -> bool:
        return self.late > MAX_DIGEST_LATENESS


def parse_time(text: str) -> str:
    """``7:30``, ``07:30`` or ``07.30`` as ``07:30``."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ScheduleError("“{text}” is not a time of day; write it as HH:MM, for example 07:30.", text=text)
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_zone(text: str) -> str:
    """An IANA time zone name, in its proper case (``asia/tokyo`` is ``Asia/Tokyo``)."""
    name = _zone_names().get(text.strip().lower())
    if name is None:
        raise ScheduleError(
            "I don't know the time zone “{text}”; use an IANA name like Europe/Paris or Asia/Tokyo.",
            text=text,
        )
    return name


@cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def digest_time(settings: DigestSettings, defaults: DigestConfig) -> str:
    return settings.time or defaults.default_time


def digest_zone(settings: DigestSettings, defaults: DigestConfig) -> str:
    return settings.zone or defaults.timezone


def local_now(settings: DigestSettings, defaults: DigestConfig, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(digest_zone(settings, defaults)))


def handled_day(engine: Engine, chat: Owner, settings: DigestSettings, defaults: DigestConfig) -> date | None:
    """The last local day (in the chat's zone) whose digest was sent or skipped."""
    return engine.digest_handled_day(chat, digest_zone(settings, defaults))


def due_at(settings: DigestSettings, defaults: DigestConfig, day: date) -> datetime:
    hours, minutes = map(int, digest_time(settings, defaults).split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=ZoneInfo(digest_zone(settings, defaults)))


def due_digest(
    settings: DigestSettings, defaults: DigestConfig, handled: date | None, now: datetime
) -> DueDigest | None:
    """Today's digest (local day), if its time has come and it was neither sent nor skipped."""
    if not settings.enabled:
        return None
    local = local_now(settings, defaults, now)
    scheduled = due_at(settings, defaults, local.date())
    if local < scheduled or (handled is not None and handled >= local.date()):
        return None
    return DueDigest(day=local.date(), zone=digest_zone(settings, defaults), late=local - scheduled)


def already_past_day(settings: DigestSettings, defaults: DigestConfig, now: datetime) -> date | None:
    """Today's local day if today's digest time has passed: a time set now starts tomorrow."""
    local = local_now(settings, defaults, now)
    return local.date() if local >= due_at(settings, defaults, local.date()) else None


def next_digest_at(
    settings: DigestSettings, defaults: DigestConfig, handled: date | None, now: datetime
) -> datetime | None:
    if not settings.enabled:
        return None
    today = local_now(settings, defaults, now).date()
    handled_today = handled is not None and handled >= today
    return due_at(settings, defaults, today + timedelta(days=1) if handled_today else today)
