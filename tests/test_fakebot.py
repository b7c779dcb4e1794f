"""The fake Bot API itself, where the tests and benchmarks rely on a behaviour of it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.fakebot import FakeBotApi


async def test_a_request_dropped_half_sent_is_kept_as_dropped_and_logs_no_error(
    fake_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """A stopping bot cancels the requests it is sending: the connection closes before the
    body has come. Nothing can be answered; that is no error of the server's."""
    caplog.set_level(logging.ERROR)
    _, writer = await asyncio.open_connection("127.0.0.1", fake_api.port)
    writer.write(
        f"POST /bot{fake_api.token}/sendMessage HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nchat_id=1".encode()
    )
    await writer.drain()
    await asyncio.sleep(0.2)  # the server reads the headers and waits for the rest of the body
    writer.close()
    await writer.wait_closed()
    for _ in range(100):
        if fake_api.dropped:
            break
        await asyncio.sleep(0.05)
    assert [call.method for call in fake_api.dropped] == ["sendMessage"]
    assert fake_api.calls == []
    assert caplog.records == []
