"""Each replica's search index follows PostgreSQL: what one replica stores, forgets or keeps
is found (or no longer found) through another, and a replica with an empty disk builds its
index from the database before it answers. Replicas here are engines on one database, each
with its own folder."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from retrieval.config import EngineConfig, StorageConfig
from retrieval.engine import Engine
from retrieval.models import GroupMessage
from retrieval.owners import Owner
from retrieval.services.index_follower import POSITION_FILE
from retrieval.storage.changes import KEEP_CHANGES, ChangeLog
from tests.conftest import SCHEMA_TEMPLATE
from tests.pgserver import PostgresServer
from tests.test_upgrade import SEALS, VOLCANO

CHAT, GROUP = Owner.chat(1), Owner.chat(-1001234567890)
# The wait is generous for a loaded machine; bench/replicas.py measures the real delay.
FOLLOW_TIMEOUT_S = 10
RUSSIAN = "Встречаемся в субботу у входа в парк в девять утра."
PERSIAN = "کلاس شنبه در ساختمان شماره دو برگزار می‌شود."


@pytest.fixture
def database(postgres: PostgresServer) -> Iterator[str]:
    url = postgres.create_database(template=SCHEMA_TEMPLATE)
    yield url
    postgres.drop_database(url)


def replica(database: str, folder: Path, *, follow: bool = True) -> Engine:
    engine = Engine(EngineConfig(storage=StorageConfig(url=database, path=str(folder))))
    if follow:
        assert engine.search.follower is not None
        engine.search.follower.start()
    return engine


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + FOLLOW_TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {FOLLOW_TIMEOUT_S} s: {what}")
        time.sleep(0.05)


def answers(engine: Engine, question: str, owner: Owner, expected: str) -> bool:
    answer = engine.ask(question, owner)
    return not answer.abstained and expected in answer.sentences[0].text


def test_what_one_replica_stores_or_forgets_the_other_answers_from(database: str, tmp_path: Path) -> None:
    with replica(database, tmp_path / "a") as first, replica(database, tmp_path / "b") as second:
        seals = first.ingest_text(SEALS, CHAT).id
        until(lambda: answers(second, "How many seals did the survey count?", CHAT, "1,200"), "seals found")
        assert second.ask("How many seals did the survey count?", Owner.chat(2)).abstained

        second.ingest_text(VOLCANO, Owner.chat(2))  # and the other way round
        until(lambda: answers(first, "Which villages were evacuated?", Owner.chat(2), "three villages"),
              "volcano found")

        first.forget(seals, CHAT)
        until(lambda: second.ask("How many seals did the survey count?", CHAT).abstained, "seals forgotten")


def test_what_a_group_keeps_through_one_replica_the_other_quotes(database: str, tmp_path: Path) -> None:
    with replica(database, tmp_path / "a") as first, replica(database, tmp_path / "b") as second:
        first.start_catchup(GROUP)
        for message_id, text in enumerate([RUSSIAN, PERSIAN], start=1):
            first.keep_message(GroupMessage(
                chat_id=GROUP.id, message_id=message_id, author_id=7, author="Оля", text=text,
                sent_at=datetime.now(UTC),
            ))
        first.commit()
        until(lambda: answers(second, "Где мы встречаемся в субботу?", GROUP, RUSSIAN), "Russian found")
        until(lambda: answers(second, "کلاس شنبه در کدام ساختمان است؟", GROUP, "ساختمان"), "Persian found")
        assert second.forget_member(GROUP, 7) == 2
        until(lambda: first.ask("Где мы встречаемся в субботу?", GROUP).abstained, "messages forgotten")


def test_a_replica_with_an_empty_disk_builds_its_index_then_follows(
    database: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with replica(database, tmp_path / "a", follow=False) as first:
        first.ingest_text(SEALS, CHAT)
        first.ingest_text(VOLCANO, CHAT)
        # A new replica: nothing on its disk. It answers as soon as it is open.
        with caplog.at_level(logging.INFO, logger="retrieval.services.index_follower"), \
                replica(database, tmp_path / "new", follow=False) as fresh:
            assert [r for r in caplog.records if r.getMessage().startswith("built the search index")]
            assert answers(fresh, "How many seals did the survey count?", CHAT, "1,200")
            assert fresh.index.num_docs() == first.index.num_docs()
        position = tmp_path / "new" / "briefbot.index" / POSITION_FILE
        followed = int(position.read_text())
        first.forget(first.ingest_text("The ferry leaves at nine.\n\nIt returns at six.", CHAT).id, CHAT)
        first.ingest_text("The old bridge will close for repairs in March.", CHAT)
        # Back after a stop: it follows the log from where it stopped, rebuilding nothing.
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="retrieval.services.index_follower"), \
                replica(database, tmp_path / "new", follow=False) as back:
            assert not [r for r in caplog.records if r.getMessage().startswith("built the search index")]
            assert answers(back, "When will the bridge close?", CHAT, "March")
            assert back.ask("When does the ferry leave?", CHAT).abstained
            assert back.index.num_docs() == first.index.num_docs()
        assert int(position.read_text()) > followed



def test_a_replica_further_behind_than_the_log_keeps_rebuilds(
    database: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with replica(database, tmp_path / "a", follow=False) as first:
        first.ingest_text(SEALS, CHAT)
        with replica(database, tmp_path / "b", follow=False):
            pass  # built, and stopped
        first.ingest_text(VOLCANO, CHAT)
        first.ingest_text("The old bridge will close for repairs in March.", CHAT)
        changes = ChangeLog(first.storage.db)
        changes.forget_old(datetime.now(UTC) + KEEP_CHANGES + timedelta(minutes=1))
        assert changes.oldest_id() == changes.last_id()  # the newest is kept: the log's end
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="retrieval.services.index_follower"), \
                replica(database, tmp_path / "b", follow=False) as back:
            assert [r for r in caplog.records if r.getMessage().startswith("built the search index")]
            assert answers(back, "Which villages were evacuated?", CHAT, "three villages")
            assert back.index.num_docs() == first.index.num_docs()
