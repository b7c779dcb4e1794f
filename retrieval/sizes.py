"""Sizes in bytes as people read them."""

from __future__ import annotations

_UNITS = ("KB", "MB", "GB", "TB")


def byte_size(count: int) -> str:
    """``count`` bytes in binary units, as Telegram counts its limits: ``"512 bytes"``,
    ``"1.5 KB"``, ``"20 MB"`` (one decimal, none when it is zero)."""
    if count < 1024:
        return f"{count:,} byte{'' if count == 1 else 's'}"
    size, unit = count / 1024, 0
    while round(size, 1) >= 1024 and unit < len(_UNITS) - 1:
        size /= 1024
        unit += 1
    return f"{round(size, 1):,.1f}".removesuffix(".0") + f" {_UNITS[unit]}"
