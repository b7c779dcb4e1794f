"""The bot process's memory: at most two malloc arenas.

glibc gives every thread that allocates an arena of its own, up to eight per core, and
keeps what the thread freed there for its next allocations. The bot runs many threads
(the event loop, the pools that fetch and poll feeds, the executor that runs the engine,
tantivy's and SQLite's work inside them), and under load each arena grew to the most its
thread ever held at once: in ``bench/load.py`` fifteen thread arenas held 285 of the bot's
629 MiB of anonymous memory. Capped at two arenas, two bots side by side under the same
overload for ten minutes ended at 212 MiB against 363, answering as many messages.
"""

from __future__ import annotations

import ctypes
import ctypes.util

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas at ``arenas`` (call before threads start: an arena, once
    made, stays). False where the C library is not glibc (musl, macOS), which has no such
    arenas."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # musl has a mallopt that does nothing
        return False
    return libc.mallopt(_M_ARENA_MAX, arenas) == 1
