"""The project's one URL fetcher: a GET that strangers' links cannot turn against us.

This module is the SSRF boundary. A URL's host is resolved once, every resolved
address is checked, and the connection goes to the vetted IP address itself (the
original name travels in the ``Host`` header and, for https, as TLS SNI and the name
the certificate is verified against), so a DNS answer that changes between the
check and the connection cannot redirect us. Redirects are followed by hand and
every hop is checked the same way before anything is sent to it.

Every failure is a :class:`~retrieval.errors.FetchError` carrying one sentence for
the person who sent the link; no httpx exception escapes.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING, Self

from retrieval.charset import decode_text
from retrieval.config import FetchConfig
from retrieval.errors import N_, NP_, FetchError, FetchFailure
from retrieval.sizes import ByteSize

# httpx, ssl and the client's TLS set-up cost about 0.2 s: they are loaded at the first
# fetch, so commands that fetch nothing start without them.
if TYPE_CHECKING:
    import ssl

    import httpx

logger = logging.getLogger(__name__)

HTML_AND_TEXT = frozenset({"text/html", "application/xhtml+xml", "text/plain", "text/markdown"})
FEEDS = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/xml",
        "text/xml",
        "application/rdf+xml",
        "application/feed+json",
    }
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> IP address strings``; called once per hop with an ASCII host name."""

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRIES = 2
RETRY_BASE_S = 0.25
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_CONDITIONAL_HEADERS = ("if-none-match", "if-modified-since")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# "example.org/story" or "example.org:8080": a host name with a dot, no scheme.
_BARE_HOST = re.compile(r"[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:[/?#]|$)")
_HOST_NAME = re.compile(r"[A-Za-z0-9._-]+")

_PRIVATE = N_("That address points to a private network, so I won't fetch it.")


@dataclass(frozen=True)
class FetchedPage:
    """A successful response (or a 304 answer to a conditional request)."""

    url: str
    """Final URL after redirects, with the original host name."""
    status: int
    content_type: str
    """Media type only, lower case (``"text/html"``); empty for a 304 without one."""
    content: bytes
    """The body, decompressed; empty for a 304."""
    encoding: str | None
    """The charset named in the ``Content-Type`` header, if any."""
    headers: Mapping[str, str]
    """Response headers, case-insensitive (``headers["etag"]``)."""

    def text(self) -> str:
        """The body as text (see :func:`~retrieval.charset.decode_text`); raises
        :class:`~retrieval.errors.InputError` for a binary or empty body."""
        return decode_text(self.content, self.encoding)


class Fetcher:
    """Fetches http(s) URLs within :class:`FetchConfig`'s limits; safe to share between threads.

    ``resolver`` maps ``(host, port)`` to IP address strings (default: the system's
    ``getaddrinfo``); tests inject one so no name leaves the machine. ``accept`` is the
    set of media types a fetch may return unless the call passes its own.
    ``ssl_context`` replaces the default certificate store (httpx's, i.e. certifi).

    Which addresses may be contacted is decided by :meth:`_address_allowed`, the one
    place the policy lives. It is a method rather than a constructor argument on
    purpose: production code has no reason to change it, and the tests override it
    in a subclass so that a loopback server can play the part of a public site and
    prove that a redirect from it to a private address is refused.
    """

    def __init__(
        self,
        config: FetchConfig,
        resolver: Resolver | None = None,
        *,
        accept: frozenset[str] = HTML_AND_TEXT,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._config = config
        self._resolve = resolver or resolve
        self._accept = accept
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

    def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        accept: frozenset[str] | None = None,
    ) -> FetchedPage:
        """GET ``url``, following up to ``max_redirects`` redirects.

        ``headers`` are sent to every hop (so never put credentials in them). If they
        include ``If-None-Match`` or ``If-Modified-Since``, a 304 answer is returned as
        a page with status 304 and no content. A URL without a scheme gets https.
        """
        import httpx

        accept = self._accept if accept is None else accept
        deadline = time.monotonic() + self._config.timeout_s
        sent = httpx.Headers(headers or {})
        sent["Accept"] = ", ".join(sorted(accept)) + ", */*;q=0.1"
        target = _parse(url)
        for _ in range(self._config.max_redirects + 1):
            addresses = self._vet(target)
            response = self._open_retrying(target, addresses, sent, deadline)
            try:
                location = response.headers.get("location")
                if response.status_code not in _REDIRECT_STATUSES or not location:
                    conditional = any(name in sent for name in _CONDITIONAL_HEADERS)
                    return self._page(target, response, accept, deadline, conditional)
            finally:
                response.close()
            target = _redirect(target, location)
            logger.debug("Redirected to %s", target.url)
        raise FetchError(
            NP_("The page redirected more than {count} time.",
                "The page redirected more than {count} times."),
            FetchFailure.TOO_MANY_REDIRECTS, count=self._config.max_redirects,
        )

    def close(self) -> None:
        with self._client_lock:
            if self._opened is not None:
                self._opened.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _address_allowed(self, address: IPAddress, port: int) -> bool:
        return self._config.allow_private or is_public_address(address)

    def _vet(self, target: _Target) -> list[IPAddress]:
        """Resolve ``target`` once and return its addresses, all of which may be contacted."""
        addresses = [target.literal] if target.literal is not None else self._lookup(target)
        refused = [a for a in addresses if not self._address_allowed(a, target.port)]
        if refused:
            logger.info("Refused %s: it resolves to %s", target.host, refused[0])
            raise FetchError(_PRIVATE, FetchFailure.REFUSED_ADDRESS)
        return addresses

    def _lookup(self, target: _Target) -> list[IPAddress]:
        unresolvable = FetchError(
            "I couldn't find the site {host}.", FetchFailure.UNRESOLVABLE, host=target.host
        )
        try:
            answers = self._resolve(target.host, target.port)
            addresses = list(dict.fromkeys(ipaddress.ip_address(a) for a in answers))
        except (OSError, UnicodeError, ValueError) as exc:
            raise unresolvable from exc
        if not addresses:
            raise unresolvable
        return addresses

    def _open_retrying(
        self,
        target: _Target,
        addresses: list[IPAddress],
        headers: httpx.Headers,
        deadline: float,
    ) -> httpx.Response:
        """:meth:`_open`, again after a pause when the failure may be passing (a reset
        connection, 429, 502, 503, 504), as long as the deadline leaves time for it."""
        for attempt in range(RETRIES + 1):
            try:
                response = self._open(target, addresses, headers, deadline)
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

    def _open(
        self,
        target: _Target,
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
        self, target: _Target, address: IPAddress, headers: httpx.Headers, deadline: float
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

    def _page(
        self,
        target: _Target,
        response: httpx.Response,
        accept: frozenset[str],
        deadline: float,
        conditional: bool,
    ) -> FetchedPage:
        import httpx

        status = response.status_code
        media_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        if status == 304 and conditional:
            content = b""
        elif 200 <= status < 300:
            if media_type and media_type not in accept:
                raise _unsupported(media_type)
            content = self._read_body(target, response, deadline)
            media_type = media_type or _sniff(content)
            if media_type not in accept:
                raise _unsupported(media_type)
        else:
            raise FetchError(
                "The site answered {status}.", FetchFailure.HTTP_STATUS, status=_status_text(status)
            )
        return FetchedPage(
            url=str(target.url),
            status=status,
            content_type=media_type,
            content=content,
            encoding=response.charset_encoding,
            headers=httpx.Headers(response.headers),
        )

    def _read_body(self, target: _Target, response: httpx.Response, deadline: float) -> bytes:
        """Stream the body, enforcing the size cap (after decompression) and the deadline.

        Decompression is done here rather than by httpx so that no single network
        chunk can inflate past the cap, and so that the deadline is checked for every
        chunk received, even ones that decompress to nothing.
        """
        limit = self._config.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large()
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
                    raise self._too_large()
                if time.monotonic() > deadline:
                    raise self._timeout()
        return bytes(body)

    @contextmanager
    def _transport_errors(self, target: _Target) -> Iterator[None]:
        import ssl

        import httpx

        try:
            yield
        except httpx.TimeoutException as exc:
            raise self._timeout() from exc
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
            raise self._timeout()
        return remaining

    def _timeout(self) -> FetchError:
        return FetchError(
            NP_("The page took longer than {count:g} second to answer.",
                "The page took longer than {count:g} seconds to answer."),
            FetchFailure.TIMEOUT, count=self._config.timeout_s,
        )

    def _too_large(self) -> FetchError:
        return FetchError(
            "The page is larger than {size}.", FetchFailure.TOO_LARGE, size=ByteSize(self._config.max_bytes)
        )


def resolve(host: str, port: int) -> list[str]:
    """The default :data:`Resolver`: the system's ``getaddrinfo``.

    It has no timeout of its own; the system resolver's (typically 5 s per server
    and attempt) applies before the fetch deadline starts to matter.
    """
    infos = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_ADDRCONFIG
    )
    return [info[4][0] for info in infos]


def is_public_address(address: IPAddress) -> bool:
    """Whether ``address`` is on the public internet, including any IPv4 address embedded in it.

    Refuses loopback, private, shared (100.64/10), link-local (and so cloud metadata
    at 169.254.169.254), multicast, reserved, unspecified and site-local addresses,
    and IPv6 addresses that carry a non-public IPv4 address (IPv4-mapped, 6to4,
    NAT64). Python also counts all of 64:ff9b::/96 and ::/8 as reserved.
    """
    embedded = _embedded_ipv4(address)
    if embedded is not None and not is_public_address(embedded):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour


@dataclass(frozen=True)
class _Target:
    """A URL that passed the syntax checks, with the parts the connection needs."""

    url: httpx.URL
    host: str
    """ASCII host: IDNA-encoded name, or IP literal without brackets."""
    port: int
    literal: IPAddress | None
    """The address itself when the host is an IP literal (in any spelling)."""


def _parse(raw: str) -> _Target:
    import httpx

    text = raw.strip()
    if "://" not in text and _BARE_HOST.match(text):
        text = "https://" + text
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise _invalid_url() from exc
    return _target(url)


def _redirect(current: _Target, location: str) -> _Target:
    import httpx

    try:
        url = current.url.join(location)
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise FetchError("The page redirected to an invalid address.", FetchFailure.INVALID_URL) from exc
    return _target(url)


def _target(url: httpx.URL) -> _Target:
    if not url.scheme:
        raise _invalid_url()
    if url.scheme not in _DEFAULT_PORTS:
        raise FetchError("I can only fetch http:// and https:// links.", FetchFailure.INVALID_URL)
    if url.userinfo:
        raise FetchError(
            "I don't fetch links that contain a user name or password.", FetchFailure.INVALID_URL
        )
    host = url.raw_host.decode("ascii")
    literal = _literal_address(host)
    if literal is None and not _HOST_NAME.fullmatch(host):
        raise _invalid_url()
    port = url.port or _DEFAULT_PORTS[url.scheme]
    return _Target(url=url, host=host, port=port, literal=literal)


def _literal_address(host: str) -> IPAddress | None:
    """The address if ``host`` is an IP literal, else None.

    IPv4 goes through ``inet_aton`` so that every spelling the C library would
    connect to (``2130706433``, ``0x7f.1``, ``127.1``) is checked as the address it
    really is, never handed to the resolver as a name.
    """
    try:
        if ":" in host:
            return ipaddress.IPv6Address(host)
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


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


def _inflate(target: _Target, decompressor: zlib._Decompress, data: bytes, room: int) -> bytes:
    """Decompress ``data`` into at most ``room + 1`` bytes: one more than fits means too large.

    When the output stops short of that limit, zlib has consumed all of ``data``.
    """
    try:
        return decompressor.decompress(data, room + 1)
    except zlib.error as exc:
        raise FetchError(
            "The page from {host} arrived damaged.", FetchFailure.CONNECTION, host=target.host
        ) from exc


def _sniff(content: bytes) -> str:
    if content.lstrip().startswith(b"<"):
        return "text/html"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


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


def _unsupported(media_type: str) -> FetchError:
    major = media_type.partition("/")[0]
    if major == "image":
        message = N_("That link leads to an image ({media_type}), not an article.")
    elif major == "video":
        message = N_("That link leads to a video ({media_type}), not an article.")
    elif major == "audio":
        message = N_("That link leads to an audio file ({media_type}), not an article.")
    elif media_type == "application/pdf":
        message = N_("That link leads to a PDF document ({media_type}), not an article.")
    elif media_type in FEEDS:
        message = N_("That link leads to a feed ({media_type}), not an article.")
    else:
        message = N_("That link leads to a file ({media_type}), not an article.")
    return FetchError(message, FetchFailure.UNSUPPORTED_TYPE, media_type=media_type)


def _invalid_url() -> FetchError:
    return FetchError("That isn't a web address I can fetch.", FetchFailure.INVALID_URL)


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)

