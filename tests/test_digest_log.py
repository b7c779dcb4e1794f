"""The digest log, the one record of which digest each chat was sent and when: digests sent
on schedule or on demand, days skipped, and zones moved."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from retrieval.config import EngineConfig, StorageConfig
from retrieval.engine import Engine
from retrieval.owners import Owner

SEALS = (
    "Harbour seals have returned to the Thames estuary in numbers not seen for decades.\n\n"
    "The survey counted 1,200 seals on the sandbanks near Southend, up from 300 in 2005."
)
CHAT = Owner.chat(1)


@pytest.fixture
def engine(tmp_path: Path):
    with Engine(EngineConfig(storage=StorageConfig(path=str(tmp_path / "log.db")))) as engine:
        yield engine


def test_a_digest_asked_for_moves_the_next_ones_start_but_not_the_schedule(engine: Engine) -> None:
    engine.subscribe(CHAT, "seals")
    engine.ingest_text(SEALS, CHAT)
    digest = engine.digest(CHAT)
    assert not digest.empty
    today = datetime.now(UTC).date()
    assert engine.record_digest(CHAT, today, "UTC", 1, sent_at=digest.until, on_demand=True)
    assert engine.last_digest(CHAT) == digest.until
    assert engine.digest(CHAT).empty  # the next one, asked for or scheduled, starts there
    assert engine.digest_handled_day(CHAT, "UTC") is None  # today's scheduled digest still goes out
    assert engine.record_digest(CHAT, today, "UTC", 1, on_demand=True)  # as often as asked
    assert engine.record_digest(CHAT, today, "UTC", 0)
    assert engine.digest_handled_day(CHAT, "UTC") == today


def test_a_skipped_day_is_handled_but_sends_nothing(engine: Engine) -> None:
    day = date(2026, 3, 1)
    assert engine.skip_digest(CHAT, day, "Europe/Paris")
    assert not engine.skip_digest(CHAT, day, "Europe/Paris")
    assert not engine.record_digest(CHAT, day, "Europe/Paris", 4)
    assert engine.digest_handled_day(CHAT, "Europe/Paris") == day
    assert engine.last_digest(CHAT) is None  # nothing was sent: the next digest starts a day back
    assert engine.digest_handled_day(CHAT, "Asia/Tokyo") is None  # the same date elsewhere is another day
    assert engine.record_digest(CHAT, day + timedelta(days=1), "Europe/Paris", 4)


def test_days_handled_in_another_zone_count_by_when_their_digest_was_sent(engine: Engine) -> None:
    """Kiritimati (UTC+14) is a day ahead of Pago Pago (UTC-11)."""
    sent = datetime(2026, 3, 2, 8, 30, tzinfo=UTC) - timedelta(hours=14)  # 08:30 on 2 March in Kiritimati
    assert engine.record_digest(CHAT, date(2026, 3, 2), "Pacific/Kiritimati", 2, sent_at=sent)
    assert engine.digest_handled_day(CHAT, "Pacific/Kiritimati") == date(2026, 3, 2)
    assert engine.digest_handled_day(CHAT, "Pacific/Pago_Pago") == date(2026, 3, 1)  # 07:30 on 1 March there
    assert engine.skip_digest(CHAT, date(2026, 3, 5), "Pacific/Pago_Pago")
    assert engine.digest_handled_day(CHAT, "Pacific/Pago_Pago") == date(2026, 3, 5)


def test_a_migrated_group_keeps_its_digest_log(engine: Engine) -> None:
    group, supergroup = Owner.chat(-100), Owner.chat(-100200)
    sent = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    engine.record_digest(group, date(2026, 3, 2), "UTC", 3, sent_at=sent)
    engine.rename_owner(group, supergroup)
    assert engine.last_digest(supergroup) == sent
    assert engine.digest_handled_day(supergroup, "UTC") == date(2026, 3, 2)
    assert engine.last_digest(group) is None
