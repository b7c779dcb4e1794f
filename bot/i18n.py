"""Marks Briefbot's own words for translation.

A string defined ahead of use (a command's description, a usage message) is wrapped in
:func:`N_` where it is written: ``pybabel extract -k N_`` finds it there, and the English
text stays the message id. It is translated where it is shown, in the reader's language,
not where it is defined.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for extraction; returns it unchanged (``N_`` is gettext's usual name
    for this no-op marker)."""
    return message
