"""What the bot remembers per chat, on SQLite and on PostgreSQL: settings, language, which
message shows which article, which messages were handled, deliveries, renamed chats."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.state import HANDLED_PER_CHAT, SHOWN_PER_CHAT, ChatSettings, ChatState, DigestSettings
from retrieval.config import StorageConfig
from retrieval.owners import LOCAL, Owner, OwnerKind
from retrieval.storage import Storage

CHAT, OTHER, SUPERGROUP = Owner.chat(1), Owner.chat(2), Owner.chat(-1001)


@pytest.fixture
def state(storage: StorageConfig) -> Iterator[ChatState]:
    store = Storage(storage.database())
    yield ChatState(store.db)
    store.close()


def test_settings_and_language_are_kept_apart(state: ChatState) -> None:
    assert state.settings(CHAT) == ChatSettings()
    state.save_settings(CHAT, ChatSettings(sentences=4, algorithm="lexrank"))
    state.note_language(CHAT, "fa")
    state.set_last_article(CHAT, 7)
    assert state.settings(CHAT) == ChatSettings(sentences=4, algorithm="lexrank")
    assert (state.language(CHAT), state.reply_language(CHAT), state.last_article(CHAT)) == (None, "fa", 7)
    state.set_language(CHAT, "pt")
    state.note_language(CHAT, None)  # nobody's language known: nothing changes
    assert (state.language(CHAT), state.reply_language(CHAT)) == ("pt", "pt")
    assert state.settings(OTHER) == ChatSettings() and state.reply_language(OTHER) is None


def test_only_the_newest_shown_and_handled_messages_are_kept(state: ChatState) -> None:
    state.remember_shown(CHAT, list(range(1, SHOWN_PER_CHAT + 11)), 5)
    state.remember_shown(CHAT, [SHOWN_PER_CHAT + 10], 6)  # shown again: the newer article
    state.remember_shown(OTHER, [1], 9)
    assert state.shown_article(CHAT, 10) is None and state.shown_article(CHAT, 11) == 5
    assert state.shown_article(CHAT, SHOWN_PER_CHAT + 10) == 6
    assert state.shown_article(OTHER, 1) == 9
    for message_id in range(1, HANDLED_PER_CHAT + 6):
        state.mark_handled(CHAT, message_id)
    state.mark_handled(CHAT, 100)  # handled twice: still once
    assert not state.was_handled(CHAT, 5) and state.was_handled(CHAT, 6)
    assert state.was_handled(CHAT, HANDLED_PER_CHAT + 5) and not state.was_handled(OTHER, 6)


def test_deliveries_pause_and_come_back(state: ChatState) -> None:
    alert = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC) + timedelta(hours=1)
    for chat in (CHAT, OTHER, LOCAL):
        state.note_active(chat)
    state.save_digest_settings(CHAT, DigestSettings(time="07:15", zone="Asia/Tehran", enabled=False))
    state.set_last_alert(CHAT, alert)
    state.pause(OTHER)
    assert state.count_chats() == 3
    assert [d.chat for d in state.deliveries(OwnerKind.CHAT)] == [CHAT]
    delivery = state.delivery(CHAT)
    assert delivery.digest == DigestSettings(time="07:15", zone="Asia/Tehran", enabled=False)
    assert delivery.last_alert_at == alert and not delivery.paused
    state.note_active(OTHER)  # it wrote again
    assert [d.chat for d in state.deliveries(OwnerKind.CHAT)] == [CHAT, OTHER]
    assert state.delivery(OTHER).digest == DigestSettings()


def test_a_group_that_became_a_supergroup_keeps_its_state(state: ChatState) -> None:
    state.save_settings(CHAT, ChatSettings(sentences=2))
    state.set_language(CHAT, "tr")
    state.save_digest_settings(CHAT, DigestSettings(time="06:00"))
    state.save_settings(SUPERGROUP, ChatSettings(sentences=5))  # replaced by the group's
    state.remember_shown(CHAT, [3], 4)
    state.mark_handled(CHAT, 3)
    state.rename_chat(CHAT, SUPERGROUP)
    assert state.settings(SUPERGROUP) == ChatSettings(sentences=2)
    assert state.language(SUPERGROUP) == "tr"
    assert state.delivery(SUPERGROUP).digest.time == "06:00"
    assert state.settings(CHAT) == ChatSettings() and state.count_chats() == 1
    assert state.shown_article(CHAT, 3) is None and not state.was_handled(CHAT, 3)
    assert state.former_names(SUPERGROUP) == [CHAT]
    state.rename_chat(CHAT, SUPERGROUP)  # told twice: nothing more changes
    assert state.former_names(SUPERGROUP) == [CHAT] and state.settings(SUPERGROUP).sentences == 2
