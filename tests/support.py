"""Helpers shared by the tests: the shared evaluation data, a ``briefbot`` process, an
article page, feeds and PDFs."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.fakebot import FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# The ``briefbot`` console script, whether or not it is on the PATH.
BRIEFBOT = [sys.executable, "-c", "from bot.cli import program; program()"]
STOP_TIMEOUT_S = 30


def shared_file(relative: str) -> Path:
    """A file from ../shared, or skip the test where that folder is absent."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


def assert_linear(work: Callable[[int], object], size: int, factor: int = 10) -> None:
    """``work(factor * size)`` must cost about ``factor`` times ``work(size)``, not
    ``factor ** 2``: at most ``3 * factor`` times. Both are measured here, in the same run,
    in CPU time of this process (other processes on the machine hardly count), best of a
    few runs each; a quadratic regression fails after one run of the large input."""

    def cpu(n: int) -> float:
        started = time.process_time()
        work(n)
        return time.process_time() - started

    small = min(cpu(size) for _ in range(5))
    limit = 3 * factor * small
    large = []
    for _ in range(3):
        large.append(cpu(factor * size))
        if large[-1] <= limit or large[-1] > 10 * limit:
            break
    assert min(large) <= limit, (
        f"{factor} times the input took {min(large) / small:.0f} times the CPU time ({small:.4f} s"
        f" for {size}, {min(large):.4f} s for {factor * size})"
    )


def bot_environment(api: FakeBotApi, **settings: str) -> dict[str, str]:
    """The environment of a ``briefbot`` process talking to the fake Bot API ``api``;
    ``settings`` add or override BRIEFBOT_* variables."""
    return {
        **os.environ,
        "BRIEFBOT_TELEGRAM__TOKEN": api.token,
        "BRIEFBOT_TELEGRAM__BASE_URL": api.base_url,
        "BRIEFBOT_TELEGRAM__BASE_FILE_URL": api.base_file_url,
        **settings,
    }


@dataclass(frozen=True)
class Exited:
    returncode: int
    output: str  # stdout and stderr, as written


class BriefbotProcess:
    """A running ``briefbot`` (see :func:`running_briefbot`); what it writes to stdout and
    stderr goes to one file, so a talkative process never blocks on a full pipe."""

    def __init__(self, process: asyncio.subprocess.Process, log: IO[bytes]) -> None:
        self.process = process
        self._log = log
        self._terminated = False

    def terminate(self) -> None:
        """SIGTERM, once, unless the process has exited."""
        if self.process.returncode is None and not self._terminated:
            self.process.send_signal(signal.SIGTERM)
            self._terminated = True

    async def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> Exited:
        """SIGTERM (unless sent already), the exit within ``timeout_s``, and what it wrote."""
        self.terminate()
        returncode = await asyncio.wait_for(self.process.wait(), timeout_s)
        size = os.fstat(self._log.fileno()).st_size
        # pread leaves the offset the process writes at alone.
        return Exited(returncode, os.pread(self._log.fileno(), size, 0).decode(errors="replace"))


@asynccontextmanager
async def running_briefbot(
    environment: Mapping[str, str], *args: str, cwd: Path = ROOT
) -> AsyncIterator[BriefbotProcess]:
    """``briefbot run`` (or ``briefbot *args``) as a real process. At the end, unless it has
    exited, it is stopped by SIGTERM (SIGKILL after ``STOP_TIMEOUT_S``), or killed at once
    where the block failed."""
    with tempfile.TemporaryFile() as log:
        process = await asyncio.create_subprocess_exec(
            *BRIEFBOT, *(args or ("run",)), env=dict(environment), cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT,
        )
        briefbot = BriefbotProcess(process, log)
        try:
            yield briefbot
            if process.returncode is None:
                await briefbot.stop()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


ARTICLE_HTML = """<!doctype html>
<html lang="en"><head><title>Harbour seals return to the estuary | Coastal News</title>
<meta name="author" content="Ada Lovelace"></head>
<body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article>
<h1>Harbour seals return to the estuary</h1>
<p>Harbour seals have returned to the Thames estuary in numbers not seen for decades,
according to a survey published on Tuesday by the Zoological Society of London.</p>
<p>The survey counted 1,200 seals on the sandbanks near Southend, up from 300 in 2005.
Researchers said cleaner water and a ban on commercial netting had helped the fish the seals eat.</p>
<p>"It is a remarkable recovery," said Dr. Anna Jones, who led the count. "We did not expect
the population to grow this fast."</p>
<p>The society will repeat the survey next summer with drones fitted with thermal cameras.</p>
</article>
<footer>Copyright 2026 Coastal News. All rights reserved.</footer>
</body></html>
"""


def rss(title: str, items: list[dict[str, str]]) -> bytes:
    """An RSS 2.0 document; each item has title, link, guid and description (HTML)."""
    from html import escape

    entries = "".join(
        f"<item><title>{escape(i['title'])}</title><link>{escape(i['link'])}</link>"
        f"<guid>{escape(i.get('guid', i['link']))}</guid>"
        f"<pubDate>{i.get('date', 'Sun, 29 Nov 2026 08:00:00 GMT')}</pubDate>"
        f"<description>{escape(i['description'])}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example/</link>"
        f"<description>Test feed</description>{entries}</channel></rss>"
    ).encode()


def atom(title: str, entries: list[dict[str, str]]) -> bytes:
    from html import escape

    body = "".join(
        f"<entry><title>{escape(e['title'])}</title><link href=\"{escape(e['link'])}\"/>"
        f"<id>{escape(e.get('guid', e['link']))}</id><updated>2026-11-29T08:00:00Z</updated>"
        f"<content type=\"html\">{escape(e['description'])}</content></entry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test</id><updated>2026-11-29T08:00:00Z</updated>"
        f"{body}</feed>"
    ).encode()


def make_pdf(paragraphs: list[str], title: str | None = None) -> bytes:
    """A small real PDF whose text layer holds the paragraphs (one line each)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    lines = [f"BT /F1 11 Tf 40 {780 - 30 * n} Td ({escape(p)}) Tj ET" for n, p in enumerate(paragraphs)]
    stream = "\n".join(lines).encode("latin-1")
    info = f"<< /Title ({escape(title)}) >>" if title else "<< >>"
    return one_page_pdf(b"<< /Length %d >>" % len(stream), stream, info=info.encode("latin-1"))


def one_page_pdf(stream_dictionary: bytes, stream: bytes, *, info: bytes = b"<< >>") -> bytes:
    """A one-page PDF (Helvetica, its text in windows-1252) with the given content stream,
    cross-reference table and all."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 2000 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        stream_dictionary + b"\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        info,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref,
    )
    return bytes(out)
