"""The bot process's memory: at most two malloc arenas, and free memory given back.

glibc gives every thread that allocates an arena of its own, up to eight per core, and
keeps what the thread freed there for its next allocations. The bot runs many threads
(the event loop, the pools that fetch and poll feeds, the executor that runs the engine,
tantivy's and SQLite's work inside them), and under load each arena grew to the most its
thread ever held at once: in ``bench/load.py`` fifteen thread arenas held 285 of the bot's
629 MiB of anonymous memory. Capped at two arenas, two bots side by side under the same
overload for ten minutes ended at 212 MiB against 363, answering as many messages.

Even in two arenas, ``free`` gives memory back to the system only from the top of the
main one: a page freed below a block still in use stays in the process. After fifteen
minutes of overload a third of the heap was such free memory (mallinfo2, in a diagnostic
run of ``bench/load.py``: 92 MiB free beside 172 in use), kept from the peaks of parsing
and indexing. Every :data:`RELEASE_EVERY_S` the bot gives it back (``malloc_trim``, which
releases the free pages anywhere in the heap), so that it keeps about what it uses.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from functools import cache

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h
RELEASE_EVERY_S = 60.0


@cache
def _glibc() -> ctypes.CDLL | None:
    """The C library if it is glibc (musl and macOS have no arenas, and musl's mallopt and
    malloc_trim do nothing)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:
        return None
    return libc if hasattr(libc, "gnu_get_libc_version") else None


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas at ``arenas`` (call before threads start: an arena, once
    made, stays). False where the C library is not glibc."""
    libc = _glibc()
    return libc is not None and libc.mallopt(_M_ARENA_MAX, arenas) == 1


def release_free_memory() -> bool:
    """Give the pages malloc holds free back to the system: True if it released any."""
    libc = _glibc()
    return libc is not None and libc.malloc_trim(0) == 1


async def release_free_memory_regularly(every_s: float = RELEASE_EVERY_S) -> None:
    """Run for the process's life: :func:`release_free_memory` every ``every_s`` seconds
    (on a thread: it walks the heap, holding its lock, for some milliseconds)."""
    while True:
        await asyncio.sleep(every_s)
        await asyncio.to_thread(release_free_memory)
