"""``briefbot migrate-to URL``: a SQLite installation copied into an empty PostgreSQL database.

The bot's old chat state file is imported first, so the copy holds everything. The engine
is opened on the SQLite database for the copy: it holds the database's lock, so no bot
writes to it meanwhile. The SQLite files are left as they were.
"""

from __future__ import annotations

from typing import TextIO

from bot.config import BotConfig
from bot.legacy_state import import_beside
from retrieval.config import POSTGRES_SCHEMES
from retrieval.engine import Engine
from retrieval.errors import ConfigError, InputError
from retrieval.storage import Storage
from retrieval.storage.copy import copy_database


def migrate_to(config: BotConfig, url: str, output: TextIO) -> None:
    if config.storage.url:
        raise ConfigError("migrate-to copies a SQLite installation, and this one is on PostgreSQL already.")
    if not url.startswith(POSTGRES_SCHEMES):
        raise ConfigError("migrate-to copies into a postgresql:// URL, not {location}.", location=url)
    path = config.storage.db_path()
    if not path.is_file():
        raise InputError("There is no Briefbot database at {path} to copy.", path=str(path))
    with Engine(config) as engine:
        import_beside(config.storage, engine.storage.db)
        target = Storage(url)
        try:
            counts = copy_database(engine.storage.db, target.db)
        finally:
            target.close()
    width = max(len(name) for name in counts)
    output.write(f"Copied {path} into {target.db.name}:\n")
    for name, count in counts.items():
        output.write(f"  {name:<{width}}  {count:>9,}\n")
    output.write(
        "Start Briefbot with [storage] url set to it (or BRIEFBOT_STORAGE__URL); each machine\n"
        "builds its search index from the database when it starts.\n"
    )
