"""The fetcher the engine calls: :meth:`Fetcher.fetch` follows redirects by hand, vets
every hop's addresses (:mod:`retrieval.fetch.addresses`) before the transport sends anything
to them (:mod:`retrieval.fetch.transport`), and returns a :class:`FetchedPage` of a media type
the caller accepts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING, Self

from retrieval.charset import decode_text
from retrieval.config import FetchConfig
from retrieval.errors import N_, NP_, FetchError, FetchFailure
from retrieval.fetch.addresses import (
    IPAddress,
    Resolver,
    Target,
    is_public_address,
    parse_target,
    redirect_target,
    resolve,
    vet,
)
from retrieval.fetch.transport import Transport

# httpx and ssl are loaded at the first fetch (see transport.py).
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

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CONDITIONAL_HEADERS = ("if-none-match", "if-modified-since")


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
        self._transport = Transport(config, ssl_context)

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
        target = parse_target(url)
        for _ in range(self._config.max_redirects + 1):
            addresses = vet(target, self._resolve, self._address_allowed)
            response = self._transport.open(target, addresses, sent, deadline)
            try:
                location = response.headers.get("location")
                if response.status_code not in _REDIRECT_STATUSES or not location:
                    conditional = any(name in sent for name in _CONDITIONAL_HEADERS)
                    return self._page(target, response, accept, deadline, conditional)
            finally:
                response.close()
            target = redirect_target(target, location)
            logger.debug("Redirected to %s", target.url)
        raise FetchError(
            NP_("The page redirected more than {count} time.",
                "The page redirected more than {count} times."),
            FetchFailure.TOO_MANY_REDIRECTS, count=self._config.max_redirects,
        )

    def close(self) -> None:
        self._transport.close()

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

    def _page(
        self,
        target: Target,
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
            content = self._transport.read_body(target, response, deadline)
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


def _sniff(content: bytes) -> str:
    if content.lstrip().startswith(b"<"):
        return "text/html"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


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


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)

