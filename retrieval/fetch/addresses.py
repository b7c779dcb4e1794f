"""Where a fetch may go: a URL checked and parsed into a :class:`Target`, its host resolved
once, and every address it resolves to vetted before anything is sent to it.

The policy itself (:func:`is_public_address`) refuses private, loopback, link-local and
every other non-public address, including IPv4 addresses hidden inside IPv6 ones. The
fetcher vets the first URL and every redirect hop the same way, and connects to the
addresses vetted here, never to a name resolved again.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrieval.errors import N_, FetchError, FetchFailure

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> IP address strings``; called once per hop with an ASCII host name."""
AddressPolicy = Callable[[IPAddress, int], bool]
"""``(address, port) -> whether it may be contacted``."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# "example.org/story" or "example.org:8080": a host name with a dot, no scheme.
_BARE_HOST = re.compile(r"[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:[/?#]|$)")
_HOST_NAME = re.compile(r"[A-Za-z0-9._-]+")

_PRIVATE = N_("That address points to a private network, so I won't fetch it.")


@dataclass(frozen=True)
class Target:
    """A URL that passed the syntax checks, with the parts the connection needs."""

    url: httpx.URL
    host: str
    """ASCII host: IDNA-encoded name, or IP literal without brackets."""
    port: int
    literal: IPAddress | None
    """The address itself when the host is an IP literal (in any spelling)."""


def parse_target(raw: str) -> Target:
    """The target of a URL someone sent; a URL without a scheme gets https."""
    import httpx

    text = raw.strip()
    if "://" not in text and _BARE_HOST.match(text):
        text = "https://" + text
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise _invalid_url() from exc
    return _target(url)


def redirect_target(current: Target, location: str) -> Target:
    """The target of a redirect's ``Location``, relative to the URL that answered it."""
    import httpx

    try:
        url = current.url.join(location)
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise FetchError("The page redirected to an invalid address.", FetchFailure.INVALID_URL) from exc
    return _target(url)


def _target(url: httpx.URL) -> Target:
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
    return Target(url=url, host=host, port=port, literal=literal)


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


def vet(target: Target, resolver: Resolver, allowed: AddressPolicy) -> list[IPAddress]:
    """Resolve ``target`` once and return its addresses, all of which may be contacted."""
    addresses = [target.literal] if target.literal is not None else _lookup(target, resolver)
    refused = [a for a in addresses if not allowed(a, target.port)]
    if refused:
        logger.info("Refused %s: it resolves to %s", target.host, refused[0])
        raise FetchError(_PRIVATE, FetchFailure.REFUSED_ADDRESS)
    return addresses


def _lookup(target: Target, resolver: Resolver) -> list[IPAddress]:
    unresolvable = FetchError(
        "I couldn't find the site {host}.", FetchFailure.UNRESOLVABLE, host=target.host
    )
    try:
        answers = resolver(target.host, target.port)
        addresses = list(dict.fromkeys(ipaddress.ip_address(a) for a in answers))
    except (OSError, UnicodeError, ValueError) as exc:
        raise unresolvable from exc
    if not addresses:
        raise unresolvable
    return addresses


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


def _invalid_url() -> FetchError:
    return FetchError("That isn't a web address I can fetch.", FetchFailure.INVALID_URL)
