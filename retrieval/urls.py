"""The name of the site a URL belongs to, as articles, citations and feeds show it."""

from __future__ import annotations

from urllib.parse import urlsplit


def site_of(url: str | None) -> str | None:
    """The URL's host in lower case, without ``www.`` or port; None when it has none.

    Not courlan's ``extract_domain``: it gives the registered domain (``bbc.co.uk`` for
    ``news.bbc.co.uk``) or, in its fast mode, keeps the host's case, and neither has a
    name for an IP address with a port.
    """
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:  # an unclosed "[" in the host
        return None
    return host.removeprefix("www.") or None if host else None
