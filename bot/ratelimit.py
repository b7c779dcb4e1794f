"""How many requests each chat may make: a token bucket per chat.

A chat may send ``per_minute`` requests at once, then one every ``60 / per_minute``
seconds. The first request over the limit is answered with a warning; the ones after it
are ignored until the chat has room again, so a flood gets one reply, not one per message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from bot.i18n import N_

SLOW_DOWN = N_("You're sending messages faster than I can read them; wait a minute.")
# Buckets are swept once this many chats have one: a full bucket is the same as none.
SWEEP_FROM = 10_000


class Verdict(Enum):
    SERVE = "serve"
    WARN = "warn"
    IGNORE = "ignore"


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class ChatRateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.refill_per_s = per_minute / 60
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def check(self, chat_id: int) -> Verdict:
        """Take one request from the chat's bucket."""
        if not self.capacity:
            return Verdict.SERVE
        now = self.clock()
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            if len(self._buckets) >= SWEEP_FROM:
                self._sweep(now)
            bucket = self._buckets[chat_id] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.refill_per_s)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return Verdict.SERVE
        if bucket.warned:
            return Verdict.IGNORE
        bucket.warned = True
        return Verdict.WARN

    def limited_chats(self) -> int:
        """Chats told to slow down that have not been served since."""
        return sum(bucket.warned for bucket in self._buckets.values())

    def _sweep(self, now: float) -> None:
        self._buckets = {
            chat_id: bucket for chat_id, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self.refill_per_s < self.capacity
        }
