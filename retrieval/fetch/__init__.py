"""The project's one URL fetcher: a GET that strangers' links cannot turn against us.

This package is the SSRF boundary. A URL's host is resolved once, every resolved
address is checked, and the connection goes to the vetted IP address itself (the
original name travels in the ``Host`` header and, for https, as TLS SNI and the name
the certificate is verified against), so a DNS answer that changes between the
check and the connection cannot redirect us. Redirects are followed by hand and
every hop is checked the same way before anything is sent to it.

Every failure is a :class:`~retrieval.errors.FetchError` carrying one sentence for
the person who sent the link; no httpx exception escapes.

- ``addresses.py``: where a fetch may go (URL checks, one resolution, the address policy);
- ``transport.py``: how a request travels (to the vetted IP with the name in ``Host`` and
  SNI; retries with back-off; size, decompression and time caps);
- ``fetcher.py``: :class:`Fetcher` and :class:`FetchedPage`, what the engine calls.

httpx and ssl are imported at the first fetch, not with this package.
"""

from retrieval.fetch.addresses import IPAddress, Resolver, is_public_address, resolve
from retrieval.fetch.fetcher import FEEDS, HTML_AND_TEXT, FetchedPage, Fetcher

__all__ = [
    "FEEDS",
    "HTML_AND_TEXT",
    "FetchedPage",
    "Fetcher",
    "IPAddress",
    "Resolver",
    "is_public_address",
    "resolve",
]
