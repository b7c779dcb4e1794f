"""The bot's malloc arenas, counted by glibc itself in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.memory import ARENAS

ROOT = Path(__file__).resolve().parents[1]
# Six threads allocate (bytes beyond pymalloc's 512 go to malloc), then glibc reports its
# arenas ("heaps") through malloc_info.
PROGRAM = """
import ctypes, sys, tempfile, threading
from bot.memory import limit_malloc_arenas
if sys.argv[1] == "limit":
    assert limit_malloc_arenas()
barrier = threading.Barrier(6)
def work():
    barrier.wait()
    kept = [bytes(100_000) for _ in range(20)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(6)]
for thread in threads: thread.start()
for thread in threads: thread.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile() as report:
    stream = libc.fopen(report.name.encode(), b"w")
    libc.malloc_info(0, ctypes.c_void_p(stream))
    libc.fclose(ctypes.c_void_p(stream))
    print(open(report.name).read().count("<heap nr="))
"""


def arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")
def test_the_bot_allocates_in_two_arenas_however_many_threads_it_runs() -> None:
    assert arenas("limit") <= ARENAS
    assert arenas("free") > ARENAS  # what the limit prevents: an arena per thread
