"""Errors the engine raises on purpose.

Every error carries one sentence meant for the person who sent the input; the CLI
prints it on stderr and the bot replies with it. Anything else is a bug.

The sentence is an English template with named placeholders (``"There is no article
{article_id}."``) plus its parameters, kept apart so that the bot can show it in its
reader's language: it looks :attr:`BriefbotError.template` up in its catalogs and fills
in :attr:`BriefbotError.params`. ``str(error)`` is the English sentence. Templates are
found for translation (``pybabel extract``, see babel.cfg) as the first argument of these
classes, or wrapped in :func:`N_` where one is written ahead of its use.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple


def N_(message: str) -> str:
    """Mark ``message`` for extraction; returns it unchanged (``N_`` is gettext's usual name
    for this no-op marker). The text is translated where it is shown, not where it is written."""
    return message


class Plural(NamedTuple):
    """A sentence whose words depend on its ``{count}`` parameter: translations have as many
    forms as their language needs (Russian three, Arabic six)."""

    singular: str
    plural: str

    def english(self, count: float) -> str:
        return self.singular if count == 1 else self.plural


def NP_(singular: str, plural: str) -> Plural:
    """Mark a sentence with a singular and a plural for extraction (like ``ngettext``)."""
    return Plural(singular, plural)


class BriefbotError(Exception):
    """Base class: ``str(error)`` is one clear sentence for the user, the template filled in."""

    def __init__(self, template: str | Plural, /, **params: Any) -> None:
        self.template = template
        self.params = params
        text = template.english(params["count"]) if isinstance(template, Plural) else template
        super().__init__(text.format(**params) if params else text)


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

    def __init__(self, template: str | Plural, reason: FetchFailure, /, **params: Any) -> None:
        super().__init__(template, **params)
        self.reason = reason
