"""``briefbot migrate-to URL``: a SQLite installation, its old chat state file included,
copied into an empty PostgreSQL database, where everything is where it was."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.config import BotConfig
from bot.state import ChatSettings, ChatState
from retrieval.config import StorageConfig
from retrieval.engine import Engine
from retrieval.models import GroupMessage
from retrieval.owners import LOCAL, Owner
from retrieval.storage.schema import metadata
from tests.pgserver import PostgresServer
from tests.test_upgrade import BRIDGE, NOTES, SEALS, VOLCANO, version_0_state_file

CHAT, GROUP = Owner.chat(1), Owner.chat(-100)
SENT = datetime(2026, 1, 2, 8, 0, 5, 123456, tzinfo=UTC)
KEPT = GroupMessage(
    chat_id=GROUP.id, message_id=7, author_id=3, author="Оля", sent_at=datetime.now(UTC),
    text="Встречаемся в субботу у входа в парк в девять утра.",
)


def sqlite_installation(folder: Path) -> tuple[BotConfig, dict[str, int]]:
    """A SQLite database with articles of several owners (one forgotten), a topic with its
    match, a digest sent, chat state, and the bot's old state file beside it."""
    config = BotConfig(storage=StorageConfig(path=str(folder / "briefbot.db")))
    with Engine(config) as engine:
        engine.subscribe(GROUP, "volcano", mode="instant")
        engine.start_catchup(GROUP)
        engine.keep_message(KEPT)
        ids = {
            "seals": engine.ingest_text(SEALS, CHAT).id,
            "notes": engine.ingest_text(NOTES, LOCAL).id,
            "volcano": engine.ingest_text(VOLCANO, GROUP).id,
        }
        engine.forget(engine.ingest_text(BRIDGE, GROUP).id, GROUP)  # the last id given
        engine.record_digest(CHAT, date(2026, 1, 2), "Europe/Paris", 1, sent_at=SENT)
        ChatState(engine.storage.db).save_settings(GROUP, ChatSettings(sentences=4))
    version_0_state_file(folder / "briefbot.bot.db")  # chat 1's settings and more
    return config, ids


def run(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_sqlite_installation_moves_to_postgresql(
    tmp_path: Path, postgres: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config, ids = sqlite_installation(tmp_path)
    url = postgres.create_database()
    code, out, err = run("--db", config.storage.path, "migrate-to", url, capsys=capsys)
    assert code == 0, err
    assert f"into {url}:" in out
    counted = {line.split()[0]: int(line.split()[1].replace(",", "")) for line in out.splitlines()[1:-2]}
    assert set(counted) == set(metadata.tables)
    assert counted["articles"] == 3 and counted["chats"] == 3 and counted["digests"] == 1
    assert not (tmp_path / "briefbot.bot.db").exists()  # imported into SQLite first, then copied

    on_postgres = BotConfig(storage=StorageConfig(url=url, path=str(tmp_path / "replica")))
    with Engine(on_postgres) as engine:
        with engine.storage.db.reading() as db:
            copied = {
                table.name: db.execute(select(func.count()).select_from(table)).scalar_one()
                for table in metadata.sorted_tables
            }
        assert copied == counted
        assert [a.id for a in engine.articles(CHAT)] == [ids["seals"]]
        assert [a.id for a in engine.articles(GROUP)] == [ids["volcano"]]
        assert "1,200 seals" in engine.ask("How many seals did the survey count?", CHAT).sentences[0].text
        assert engine.ask("How many seals did the survey count?", GROUP).abstained
        [said] = engine.ask("Где мы встречаемся в субботу?", GROUP).sentences
        assert (said.text, said.message.author) == (KEPT.text, "Оля")
        assert engine.catch_up(GROUP, last=5).messages == 1
        [alert] = engine.pending_alerts()
        assert (alert.owner, alert.article_id) == (GROUP, ids["volcano"])
        assert engine.last_digest(CHAT) == SENT
        assert engine.digest_handled_day(CHAT, "Europe/Paris") == date(2026, 1, 2)
        state = ChatState(engine.storage.db)
        assert state.settings(GROUP) == ChatSettings(sentences=4)
        assert state.settings(CHAT) == ChatSettings(sentences=5, algorithm="lsa")  # from the old file
        # Ids go on after the highest ever given, the forgotten article's included.
        assert engine.ingest_text(BRIDGE, CHAT).id == ids["volcano"] + 2
        assert engine.subscribe(CHAT, "ferry").id == 2

    code, _, err = run("--db", config.storage.path, "migrate-to", url, capsys=capsys)
    assert code != 0 and err.startswith("briefbot: The database ") and "is not empty" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--db", "postgresql://nobody@127.0.0.1:1/none", "migrate-to", "postgresql://x@127.0.0.1:1/y"],
         "on PostgreSQL already"),
        (["migrate-to", "mysql://somewhere/db"], "into a postgresql:// URL"),
        (["migrate-to", "postgresql://x@127.0.0.1:1/y"], "There is no Briefbot database"),
    ],
)
def test_migrate_to_refuses_with_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    if arguments[0] != "--db":
        arguments = ["--db", str(tmp_path / "missing.db"), *arguments]
    code, out, err = run(*arguments, capsys=capsys)
    assert code != 0 and out == ""
    assert err.startswith("briefbot: ") and message in err and err.count("\n") == 1
