"""Briefbot's own words in its reader's language: gettext catalogs through Babel.

Every sentence Briefbot writes is an English message id with named placeholders, marked
where it is written: ``t.gettext("Forgot #{article_id}.", article_id=5)`` where it is
shown, :func:`N_` (or :func:`NP_`, with a plural) where it is defined ahead of use. The
engine's errors carry their template and parameters (:mod:`retrieval.errors`), and
:meth:`Translator.error` says them in the reader's language. ``pybabel extract`` (see
babel.cfg) collects every message id into ``bot/locales/briefbot.pot``; each language has
its ``bot/locales/<lang>/LC_MESSAGES/briefbot.po`` and the compiled ``.mo`` beside it,
shipped in the package. Article text and quoted sentences are never translated.

Right-to-left languages (Persian, Arabic) get their lines' direction set explicitly: see
:func:`bot.render.to_html`.
"""

from __future__ import annotations

import gettext
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, format_time, format_timedelta
from babel.numbers import format_decimal
from babel.units import format_unit

from retrieval.errors import N_, NP_, BriefbotError, Plural
from retrieval.sizes import ByteSize, byte_size

__all__ = [
    "DEFAULT_LANGUAGE", "DOMAIN", "ENGLISH", "LOCALES", "N_", "NP_", "Phrase", "Plural",
    "Translator", "language_from_environment", "languages", "resolve_language", "translator",
]

DOMAIN = "briefbot"
LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT_LANGUAGE = "en"
# Unicode isolates: a run of text (a title, a URL, a command) inside a sentence of another
# direction keeps its own direction and does not pull the punctuation around it along.
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
# A CLDR number pattern: sizes like "2.5 MB" ("2,5 MB" in German), "20 MB" with no decimal.
AT_MOST_ONE_DECIMAL = "#,##0.#"


@dataclass(frozen=True)
class Phrase:
    """Words translated only when shown: a message id (or a :class:`Plural` chosen by the
    ``count`` parameter) and its parameters, which may be phrases themselves."""

    message: str | Plural
    params: Mapping[str, Any] = field(default_factory=dict)

    def __format__(self, spec: str) -> str:
        """In English (as ``str(error)`` of an error that holds the phrase)."""
        return format(translator(DEFAULT_LANGUAGE).say(self), spec)


@cache
def languages() -> tuple[str, ...]:
    """The languages Briefbot speaks: English, and each one with a compiled catalog."""
    compiled = sorted(path.parent.parent.name for path in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (DEFAULT_LANGUAGE, *(code for code in compiled if code != DEFAULT_LANGUAGE))


def resolve_language(code: str | None) -> str:
    """The language to answer someone whose client says ``code`` (Telegram's ``language_code``,
    an IETF tag like ``pt-br`` or ``zh-hans``, or a POSIX locale like ``pt_BR.UTF-8``):
    one Briefbot speaks, else English."""
    if not code:
        return DEFAULT_LANGUAGE
    primary = code.replace("_", "-").split(".")[0].split("-")[0].lower()
    return primary if primary in languages() else DEFAULT_LANGUAGE


def language_from_environment(environ: Mapping[str, str]) -> str:
    """The terminal's language, from its locale variables (the first set one wins, as in
    POSIX: LC_ALL, LC_MESSAGES, LANG)."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if value := environ.get(variable):
            return resolve_language(None if value in {"C", "POSIX"} else value)
    return DEFAULT_LANGUAGE


@cache
def translator(language: str | None) -> Translator:
    """The translator for ``language`` (any code, resolved with :func:`resolve_language`;
    None for English)."""
    return Translator(resolve_language(language))


class Translator:
    """Translates Briefbot's messages into one language and formats numbers and dates for it."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = Locale.parse(language)
        self._catalog: gettext.NullTranslations = gettext.translation(
            DOMAIN, LOCALES, [language], fallback=True
        ) if language != DEFAULT_LANGUAGE else gettext.NullTranslations()

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"

    @property
    def name(self) -> str:
        """The language's name in itself: "Русский", "Español", "فارسی"."""
        name = self.locale.display_name or self.language
        return name[:1].upper() + name[1:]

    def language_name(self, code: str) -> str:
        """Another language's name in this one (Babel's): "Russian", "русский", "ruso"; an
        unknown code stays as it is."""
        return self.locale.languages.get(code) or code

    @property
    def right_to_left(self) -> bool:
        return self.locale.character_order == "right-to-left"

    # --- words ---------------------------------------------------------------------------

    def gettext(self, message: str, /, **params: Any) -> str:
        """``message`` in this language, its ``{placeholders}`` filled in with ``params``."""
        if not message:
            return message
        return self._fill(self._catalog.gettext(message), params)

    def ngettext(self, singular: str, plural: str, count: float, /, **params: Any) -> str:
        """The form of the sentence this language uses for ``count`` (also its ``{count}``)."""
        text = self._catalog.ngettext(singular, plural, _plural_number(count))
        return self._fill(text, {"count": count, **params})

    def pieces(self, message: str | Plural, slots: Collection[str], /, **params: Any) -> list[str]:
        """``message`` in this language, split at its placeholders named in ``slots``: text
        at even positions (the other placeholders filled in), slot names at odd ones."""
        if isinstance(message, Plural):
            count = params["count"]
            text = self._catalog.ngettext(message.singular, message.plural, _plural_number(count))
        else:
            text = self._catalog.gettext(message)
        result = [""]
        for literal, name, spec, _ in Formatter().parse(text):
            result[-1] += literal
            if name is None:
                continue
            if name in slots:
                isolate = self.right_to_left
                result[-1] += FIRST_STRONG_ISOLATE if isolate else ""
                result += [name, POP_DIRECTIONAL_ISOLATE if isolate else ""]
            else:
                result[-1] += format(self._value(params[name]), spec or "")
        return result

    def say(self, phrase: Phrase | str) -> str:
        if isinstance(phrase, str):
            return self.gettext(phrase)
        return self._message(phrase.message, phrase.params)

    def error(self, error: BriefbotError) -> str:
        """The error's sentence in this language."""
        return self._message(error.template, error.params)

    def _message(self, message: str | Plural, params: Mapping[str, Any]) -> str:
        if isinstance(message, Plural):
            return self.ngettext(message.singular, message.plural, params["count"], **params)
        return self.gettext(message, **params)

    def _fill(self, text: str, params: Mapping[str, Any]) -> str:
        if not params:
            return text
        values = {name: self._value(value) for name, value in params.items()}
        return text.format(**values)

    def _value(self, value: Any) -> Any:
        if isinstance(value, Phrase):
            value = self.say(value)
        elif isinstance(value, ByteSize):
            value = self.size(value.count)
        if isinstance(value, str) and self.right_to_left:
            return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
        return value

    # --- numbers, dates and times -------------------------------------------------------

    def number(self, value: float, pattern: str | None = None) -> str:
        """``1,234.5`` as this language writes it; ``pattern`` is a CLDR pattern (``#,##0.0``)."""
        return format_decimal(value, pattern, locale=self.locale)

    def size(self, count: int) -> str:
        """``count`` bytes as this language writes them: ``1.5 KB``, ``20 MB``, ``512 bytes``
        (the units are the same in every language)."""

        def bytes_(small: int) -> str:
            return self.ngettext("{count} byte", "{count} bytes", small, count=self.number(small))

        return byte_size(count, number=lambda units: self.number(units, AT_MOST_ONE_DECIMAL), bytes_=bytes_)

    def date(self, value: date | datetime, width: str = "medium") -> str:
        """``3 Feb 2025`` as this language writes it."""
        return format_date(value, width, locale=self.locale)

    def day(self, value: date | datetime, *, short: bool = False) -> str:
        """A day without its year, ``Mon, February 3`` (``short``: ``Mon, Feb 3``), as this
        language writes it."""
        return format_skeleton("MMMEd" if short else "MMMMEd", value, locale=self.locale)

    def time(self, value: datetime | time) -> str:
        """``07:30`` or ``7:30 AM``, as this language writes a time of day."""
        return format_time(value, "short", locale=self.locale)

    def datetime(self, value: datetime) -> str:
        return format_datetime(value, "medium", locale=self.locale)

    def duration(self, delta: timedelta) -> str:
        """``3 hours``, ``90 minutes``, ``2 days``: a length of time in this language, in the
        largest unit that says it exactly (hours up to two days, so a day reads ``24 hours``)."""
        minutes = max(1, round(delta.total_seconds() / 60))
        if minutes % (24 * 60) == 0 and minutes >= 2 * 24 * 60:
            return format_unit(minutes // (24 * 60), "duration-day", locale=self.locale)
        if minutes % 60 == 0:
            return format_unit(minutes // 60, "duration-hour", locale=self.locale)
        return format_unit(minutes, "duration-minute", locale=self.locale)

    def relative(self, delta: timedelta) -> str:
        """``in 3 hours`` or ``5 minutes ago``: a time from now, in this language."""
        return format_timedelta(delta, add_direction=True, locale=self.locale)


def _plural_number(count: float) -> int:
    """gettext chooses plural forms for whole numbers; a fraction takes the form of the
    nearest one."""
    return int(round(count))


ENGLISH = translator(DEFAULT_LANGUAGE)
