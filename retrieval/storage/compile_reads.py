"""Writes :mod:`retrieval.storage.sqlite_reads`: the SQLite SQL of every :func:`read`,
compiled from its Core statement. Run ``python -m retrieval.storage.compile_reads`` after
changing a read or the schema (``tests/test_schema.py`` fails until then).
"""

from __future__ import annotations

import pkgutil
import textwrap
from importlib import import_module
from pathlib import Path
from typing import Any

import retrieval.storage
from retrieval.storage.database import READS, compile_for_sqlite

TARGET = Path(__file__).with_name("sqlite_reads.py")
HEADER = '''"""The SQLite SQL of the reads written with :func:`retrieval.storage.database.read`, compiled
from their Core statements by ``python -m retrieval.storage.compile_reads``: do not edit.
A reading command runs these through the driver without loading SQLAlchemy.
"""

from typing import Any

# read -> (SQL, its parameters in order, the values the statement itself gives)
'''


def compiled_reads() -> dict[str, tuple[str, tuple[str, ...], dict[str, Any]]]:
    """Every named read of the storage modules, compiled for SQLite."""
    for module in pkgutil.iter_modules(retrieval.storage.__path__):
        if module.name not in {"compile_reads", "sqlite_reads"} and not module.ispkg:
            import_module(f"retrieval.storage.{module.name}")
    compiled = {}
    for name in sorted(READS):
        sql, parameters, values = compile_for_sqlite(READS[name].statement)
        compiled[name] = (sql, parameters, {key: _plain(value) for key, value in values.items()})
    return compiled


def module_text() -> str:
    lines = [HEADER + "SQL: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {"]
    for name, (sql, parameters, values) in compiled_reads().items():
        lines.append(f"    {name!r}: (")
        lines.append("        (")
        lines.extend(f"            {piece!r}" for piece in _pieces(sql))
        lines.append("        ),")
        lines.append(f"        {parameters!r},")
        lines.append(f"        {values!r},")
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _pieces(sql: str) -> list[str]:
    """``sql`` in pieces short enough for a line each, which join to it exactly."""
    pieces = []
    for line in sql.splitlines(keepends=True):
        pieces.extend(textwrap.wrap(line, 88, replace_whitespace=False, drop_whitespace=False,
                                    break_on_hyphens=False, break_long_words=False))
    assert "".join(pieces) == sql
    return pieces


def _plain(value: Any) -> Any:
    """A parameter's value as a literal the module can hold (a StrEnum as its text)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return str(value)
    raise TypeError(f"a read's own parameter must be text or a number, not {value!r}")


if __name__ == "__main__":
    TARGET.write_text(module_text())
    print(f"wrote {TARGET}")
