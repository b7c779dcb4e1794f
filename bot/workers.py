"""Thread pools for the engine's blocking calls that wait on the network.

Fetching a page can take up to ``fetch.timeout_s`` (a server that drips its answer), and
asyncio's default pool has only ``cpu_count + 4`` threads: a few slow links, or the feed
poll, would leave none for questions and summaries, and every chat would wait. Links and
feed additions get their own pool, feed polls another of ``feeds.max_concurrent`` threads;
quick engine and state calls stay on the default pool (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

# Links fetched at the same time, across all chats.
FETCH_THREADS = 32

P = ParamSpec("P")
T = TypeVar("T")


class Workers:
    def __init__(self, feed_polls: int, fetches: int = FETCH_THREADS) -> None:
        self._fetches = ThreadPoolExecutor(fetches, thread_name_prefix="briefbot-fetch")
        self._feed_polls = ThreadPoolExecutor(feed_polls, thread_name_prefix="briefbot-feeds")

    async def fetch(self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a call that fetches what a user sent (a link, a feed to add)."""
        return await _run(self._fetches, function, *args, **kwargs)

    async def poll(self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a scheduled feed poll."""
        return await _run(self._feed_polls, function, *args, **kwargs)

    def close(self) -> None:
        """Wait for the calls under way (the engine closes after them); drop queued ones."""
        for pool in (self._fetches, self._feed_polls):
            pool.shutdown(wait=True, cancel_futures=True)


async def _run(
    pool: ThreadPoolExecutor, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    return await asyncio.get_running_loop().run_in_executor(
        pool, functools.partial(function, *args, **kwargs)
    )
