"""The schema three ways must be one: what the stores query (retrieval/storage/schema.py),
what the Alembic revisions build (on SQLite and PostgreSQL), and what an old SQLite
database has once the pre-Alembic steps ran and it was stamped. And the SQL of the reads
compiled ahead for SQLite must be what their Core statements compile to."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Identity, create_engine, text

from retrieval.config import StorageConfig
from retrieval.storage import Storage
from retrieval.storage.compile_reads import compiled_reads
from retrieval.storage.database import AS_VALUES, READS
from retrieval.storage.legacy import MIGRATIONS
from retrieval.storage.schema import metadata
from retrieval.storage.sqlite_reads import SQL
from retrieval.storage.upgrade import HEAD, LEGACY_REVISIONS, SCRIPTS, current_revision


def test_head_names_the_newest_revision() -> None:
    assert ScriptDirectory(str(SCRIPTS)).get_current_head() == HEAD


def test_the_revisions_build_the_schema_the_stores_query(storage: StorageConfig) -> None:
    store = Storage(storage.database())
    try:
        assert current_revision(store.db) == HEAD
        with store.db.reading() as db:
            context = MigrationContext.configure(
                db, opts={"compare_type": True, "compare_server_default": True}
            )
            differences = [
                difference for difference in compare_metadata(context, metadata)
                if not (store.db.is_sqlite and _identity(difference))
            ]
            if not store.db.is_sqlite:  # partial there too, though schema.py names it for SQLite
                partial = {
                    index.name for table in metadata.tables.values() for index in table.indexes
                    if index.dialect_options["sqlite"]["where"] is not None
                }
                query = "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '% WHERE %'"
                found = set(db.execute(text(query)).scalars())
                assert found == partial == {
                    "articles_unindexed", "digests_day", "kept_messages_unindexed", "updates_open"
                }
    finally:
        store.close()
    assert differences == []


def _identity(difference: object) -> bool:
    """SQLite has no identity columns to compare (its AUTOINCREMENT is compared below)."""
    return isinstance(difference, list) and isinstance(difference[0][-1], Identity)


def test_an_old_database_once_stamped_has_the_schema_a_new_one_gets(tmp_path: Path) -> None:
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    with sqlite3.connect(old) as db:  # the first version; opening it runs the other steps
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
    assert max(LEGACY_REVISIONS) == len(MIGRATIONS)
    for path in (old, new):
        Storage(path).close()
    assert sqlite_schema(old) == sqlite_schema(new)


def sqlite_schema(path: Path) -> dict[str, object]:
    """Tables with their columns, keys, checks and options, and indexes, as SQLite reads them
    (not as the statements that made them were spelt)."""
    schema: dict[str, object] = {}
    with sqlite3.connect(path) as db:
        for kind, name, sql in db.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"):
            spelt = " ".join(sql.replace('"', "").split())
            if kind == "index":
                schema[name] = re.sub(r"\s*\(\s*", "(", spelt.split(" ON ", 1)[1])
                continue
            columns = [
                # An INTEGER PRIMARY KEY is the rowid: NOT NULL whether it says so or not.
                (cid, column, kind, bool(notnull or (pk and kind == "INTEGER")), default, pk)
                for cid, column, kind, notnull, default, pk, _ in db.execute(f"PRAGMA table_xinfo({name})")
            ]
            keys = [  # unique constraints and primary keys, by their columns
                (unique, origin, partial, [row[2] for row in db.execute(f"PRAGMA index_info({index})")])
                for _, index, unique, origin, partial in db.execute(f"PRAGMA index_list({name})")
            ]
            schema[name] = {
                "columns": columns,
                "keys": sorted(keys),
                "foreign keys": sorted(db.execute(f"PRAGMA foreign_key_list({name})").fetchall()),
                "checks": sorted(_checks(spelt)),
                "autoincrement": "AUTOINCREMENT" in spelt,
                "without rowid": spelt.endswith("WITHOUT ROWID"),
            }
    schema.pop("alembic_version", None)
    return schema


def _checks(sql: str) -> list[str]:
    """The conditions of every CHECK in a CREATE TABLE statement."""
    found = []
    for start in (match.end() for match in re.finditer(r"CHECK\s*\(", sql)):
        depth, end = 1, start
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            end += 1
        found.append(sql[start : end - 1])
    return found


def test_the_reads_compiled_ahead_are_those_of_their_core_statements(tmp_path: Path) -> None:
    """retrieval/storage/sqlite_reads.py is generated: run
    ``python -m retrieval.storage.compile_reads`` when this fails."""
    assert compiled_reads() == SQL
    # And it is what SQLAlchemy itself would run on a SQLite database of this machine.
    engine = create_engine(f"sqlite:///{tmp_path / 'b.db'}")
    with engine.connect():
        dialect = engine.dialect
    for name, read in READS.items():
        compiled = read.statement.compile(dialect=dialect, compile_kwargs={AS_VALUES: True})
        assert SQL[name] == (str(compiled), tuple(compiled.positiontup or ()), compiled.params), name
    engine.dispose()
