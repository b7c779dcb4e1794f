"""Errors the engine raises on purpose.

Every error carries one sentence meant for the person who sent the input; the CLI
prints it on stderr and the bot replies with it. Anything else is a bug.
"""

from __future__ import annotations

from enum import StrEnum


class BriefbotError(Exception):
    """Base class: ``str(error)`` is one clear sentence for the user."""


class InputError(BriefbotError):
    """The input cannot become an article: empty, binary, too large, unreadable."""


class NotFound(BriefbotError):
    """An article id (or other id) that does not exist or that the caller may not see."""


class ConfigError(BriefbotError):
    """A configuration file or environment variable is invalid."""


class IndexBusy(BriefbotError):
    """Another process writes the search index (never a reason to rebuild it)."""


class IndexUnavailable(Exception):
    """The search index directory is missing, unreadable or from another schema: rebuild it.

    Not a :class:`BriefbotError`: the engine rebuilds the index, the user never sees it."""


class FetchFailure(StrEnum):
    INVALID_URL = "invalid_url"
    REFUSED_ADDRESS = "refused_address"
    UNRESOLVABLE = "unresolvable"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    HTTP_STATUS = "http_status"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    NOT_AN_ARTICLE = "not_an_article"


class FetchError(BriefbotError):
    """A URL could not be fetched; ``reason`` says why in machine-readable form."""

    def __init__(self, message: str, reason: FetchFailure) -> None:
        super().__init__(message)
        self.reason = reason
