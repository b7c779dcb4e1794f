"""Sizes in bytes as people read them: the one formatter, for the engine's errors and the bot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

_UNITS = ("KB", "MB", "GB", "TB")


def byte_size(
    count: int,
    *,
    number: Callable[[float], str] | None = None,
    bytes_: Callable[[int], str] | None = None,
) -> str:
    """``count`` bytes in binary units, as Telegram counts its limits: ``"512 bytes"``,
    ``"1.5 KB"``, ``"20 MB"`` (one decimal, none when it is zero).

    In English, unless a language gives its own ``number`` (a number of units, rounded to one
    decimal, written with at most one) and ``bytes_`` (a count under 1 KB, with its word):
    see :meth:`bot.i18n.Translator.size`.
    """
    if count < 1024:
        return (bytes_ or _english_bytes)(count)
    size, unit = count / 1024, 0
    while round(size, 1) >= 1024 and unit < len(_UNITS) - 1:
        size /= 1024
        unit += 1
    return f"{(number or _english_number)(round(size, 1))} {_UNITS[unit]}"


@dataclass(frozen=True)
class ByteSize:
    """A size among an error's parameters: English in ``str(error)``, in its reader's
    language where the bot shows the error."""

    count: int

    def __format__(self, spec: str) -> str:
        return format(byte_size(self.count), spec)


def _english_number(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")


def _english_bytes(count: int) -> str:
    return f"{count:,} byte{'' if count == 1 else 's'}"
