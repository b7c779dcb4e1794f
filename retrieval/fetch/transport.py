"""How a request travels: to a vetted IP address, within the fetch's caps.

The connection goes to the address itself; the original host name travels in the
``Host`` header and, for https, as TLS SNI and the name the certificate is verified
against, so a DNS answer that changes between the check and the connection cannot
redirect us. A failure that may be passing (a reset connection, 429, 502, 503, 504) is
retried with back-off while the deadline allows; the body is read with the size cap
applied after decompression and the deadline checked for every chunk. Every transport
failure becomes a :class:`~retrieval.errors.FetchError`; no httpx exception escapes.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from retrieval.config import FetchConfig
from retrieval.errors import N_, NP_, FetchError, FetchFailure
from retrieval.fetch.addresses import IPAddress, Target
from retrieval.sizes import ByteSize

# httpx, ssl and the client's TLS set-up cost about 0.2 s: they are loaded at the first
# fetch, so commands that fetch nothing start without them.
if TYPE_CHECKING:
    import ssl

    import httpx

logger = logging.getLogger(__name__)

RETRIES = 2
RETRY_BASE_S = 0.25
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class Transport:
    """One HTTP client for every fetch, opened at the first one; safe to share between threads.

    ``ssl_context`` replaces the default certificate store (httpx's, i.e. certifi).
    """

    def __init__(self, config: FetchConfig, ssl_context: ssl.SSLContext | None = None) -> None:
        self._config = config
        self._ssl_context = ssl_context
        self._client_lock = threading.Lock()
        self._opened: httpx.Client | None = None

    @property
    def _client(self) -> httpx.Client:
        with self._client_lock:
            if self._opened is None:
                self._opened = self._open_client()
            return self._opened

    def _open_client(self) -> httpx.Client:
        from http.cookiejar import CookieJar, DefaultCookiePolicy

        import httpx

        config = self._config
        return httpx.Client(
            verify=self._ssl_context or True,
            timeout=config.timeout_s,
            follow_redirects=False,
            # Proxy and certificate settings come from the config, not the environment.
            trust_env=False,
            # No pooled connections: a TLS connection verified for one host name must
            # not be reused for another name that happens to resolve to the same IP.
            limits=httpx.Limits(max_keepalive_connections=0),
            # One client serves every user, so it must not keep anyone's cookies.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            headers={"User-Agent": config.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    def close(self) -> None:
        with self._client_lock:
            if self._opened is not None:
                self._opened.close()

    def open(
        self,
        target: Target,
        addresses: list[IPAddress],
        headers: httpx.Headers,
        deadline: float,
    ) -> httpx.Response:
        """GET ``target`` from one of its vetted ``addresses``, streaming; again after a pause
        when the failure may be passing (a reset connection, 429, 502, 503, 504), as long as
        the deadline leaves time for it."""
        for attempt in range(RETRIES + 1):
            try:
                response = self._open_first(target, addresses, headers, deadline)
            except FetchError as error:
                delay = self._retry_delay(attempt, deadline)
                if error.reason is not FetchFailure.CONNECTION or delay is None:
                    raise
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                hint = _retry_after(response.headers.get("retry-after"))
                delay = self._retry_delay(attempt, deadline, hint)
                if delay is None:
                    return response  # the caller reports the status
                response.close()
            logger.debug("Retrying in %.2f s", delay)
            time.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _retry_delay(self, attempt: int, deadline: float, hint: float | None = None) -> float | None:
        """How long to wait before another attempt; None when none is left or time is short."""
        if attempt >= RETRIES:
            return None
        delay = hint if hint is not None else RETRY_BASE_S * 2**attempt * random.uniform(0.5, 1.5)
        if time.monotonic() + delay + RETRY_BASE_S >= deadline:
            return None
        return delay

    def _open_first(
        self,
        target: Target,
        addresses: list[IPAddress],
        headers: httpx.Headers,
        deadline: float,
    ) -> httpx.Response:
        """Send the request to the first vetted address that accepts a connection."""
        import httpx

        with self._transport_errors(target):
            for address in addresses[:-1]:
                try:
                    return self._send(target, address, headers, deadline)
                except httpx.ConnectError:
                    logger.debug("Could not connect to %s, trying the next address", address)
            return self._send(target, addresses[-1], headers, deadline)

    def _send(
        self, target: Target, address: IPAddress, headers: httpx.Headers, deadline: float
    ) -> httpx.Response:
        import httpx

        hop_headers = httpx.Headers(headers)
        hop_headers["Host"] = target.url.netloc.decode("ascii")
        request = self._client.build_request(
            "GET",
            target.url.copy_with(host=str(address)),
            headers=hop_headers,
            extensions={} if target.literal is not None else {"sni_hostname": target.host},
            timeout=self._remaining(deadline),
        )
        logger.debug("GET %s via %s", target.url, address)
        return self._client.send(request, stream=True)

    def read_body(self, target: Target, response: httpx.Response, deadline: float) -> bytes:
        """Stream the body, enforcing the size cap (after decompression) and the deadline.

        Decompression is done here rather than by httpx so that no single network
        chunk can inflate past the cap, and so that the deadline is checked for every
        chunk received, even ones that decompress to nothing.
        """
        limit = self._config.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large_error(limit)
        decompressor = _decompressor(response.headers.get("content-encoding", ""))
        body = bytearray()
        received = 0
        with self._transport_errors(target):
            for chunk in response.iter_raw():
                received += len(chunk)
                if decompressor is not None:
                    chunk = _inflate(target, decompressor, chunk, limit - len(body))
                body += chunk
                if received > limit or len(body) > limit:
                    raise too_large_error(limit)
                if time.monotonic() > deadline:
                    raise timeout_error(self._config.timeout_s)
        return bytes(body)

    @contextmanager
    def _transport_errors(self, target: Target) -> Iterator[None]:
        import ssl

        import httpx

        try:
            yield
        except httpx.TimeoutException as exc:
            raise timeout_error(self._config.timeout_s) from exc
        except httpx.ConnectError as exc:
            if _caused_by(exc, ssl.SSLError):
                message = N_("I couldn't establish a secure connection to {host}.")
            else:
                message = N_("I couldn't connect to {host}.")
            raise FetchError(message, FetchFailure.CONNECTION, host=target.host) from exc
        except httpx.HTTPError as exc:
            raise FetchError(
                "The connection to {host} broke off before the page arrived.",
                FetchFailure.CONNECTION, host=target.host,
            ) from exc

    def _remaining(self, deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise timeout_error(self._config.timeout_s)
        return remaining


def timeout_error(timeout_s: float) -> FetchError:
    return FetchError(
        NP_("The page took longer than {count:g} second to answer.",
            "The page took longer than {count:g} seconds to answer."),
        FetchFailure.TIMEOUT, count=timeout_s,
    )


def too_large_error(max_bytes: int) -> FetchError:
    return FetchError("The page is larger than {size}.", FetchFailure.TOO_LARGE, size=ByteSize(max_bytes))


def _decompressor(content_encoding: str) -> zlib._Decompress | None:
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if codings in (["gzip"], ["x-gzip"], ["deflate"]):
        # wbits 32 + 15 accepts both gzip and zlib framing; servers mix up the labels.
        return zlib.decompressobj(32 + zlib.MAX_WBITS)
    raise FetchError(
        "The site sent the page compressed as {codings}, which I can't read.",
        FetchFailure.UNSUPPORTED_TYPE, codings=", ".join(codings),
    )


def _inflate(target: Target, decompressor: zlib._Decompress, data: bytes, room: int) -> bytes:
    """Decompress ``data`` into at most ``room + 1`` bytes: one more than fits means too large.

    When the output stops short of that limit, zlib has consumed all of ``data``.
    """
    try:
        return decompressor.decompress(data, room + 1)
    except zlib.error as exc:
        raise FetchError(
            "The page from {host} arrived damaged.", FetchFailure.CONNECTION, host=target.host
        ) from exc


def _retry_after(value: str | None) -> float | None:
    """A Retry-After header in seconds (dates and nonsense are ignored)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    # httpcore chains the original error implicitly (__context__), httpx explicitly.
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        if isinstance(cause, kind):
            return True
        cause = cause.__cause__ or cause.__context__
    return False
