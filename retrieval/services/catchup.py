"""Catch-up for groups: keeping what a group says (only where it asked for it), forgetting
it, and telling someone back what they missed in a few verbatim quotes.

Kept messages belong to their group: they are indexed for its ``group`` owner, which only
the group itself searches (:mod:`retrieval.services.visibility`); they expire after
``[catchup] retention_days``; turning catch-up off deletes them all, and any member can
delete their own. Times are the messages' own (Telegram's dates); ``now`` can be given,
so that expiry is tested without waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from retrieval import catchup
from retrieval.bot_models import CatchUp, CatchUpSection, QuotedMessage
from retrieval.config import EngineConfig
from retrieval.errors import InputError
from retrieval.language.detect import detect_language
from retrieval.models import GroupMessage
from retrieval.owners import Owner, OwnerKind
from retrieval.sentences import split_paragraphs
from retrieval.services.search_index import SearchIndex
from retrieval.storage import Storage
from retrieval.storage.catchup import KeptMessage

# The most messages one catch-up reads (the newest of its window).
MAX_WINDOW = 1000
# "What did I miss": the window starts at the asker's last message, passing over those of
# the last few minutes (the "I'm back, what did I miss?" they may have just written); it
# starts this long ago when they never wrote.
JUST_WRITTEN = timedelta(minutes=10)
DEFAULT_WINDOW = timedelta(hours=24)


class Catchups:
    def __init__(self, config: EngineConfig, storage: Storage, search: SearchIndex) -> None:
        self._retention = timedelta(days=config.catchup.retention_days)
        self._max_chars = config.limits.max_text_chars
        self._kept = storage.catchup
        self._search = search

    # --- turning it on and off ----------------------------------------------------------

    def start(self, owner: Owner) -> bool:
        """Keep the group's messages from now on; False when it already did."""
        self._search.check_writable()
        return self._kept.start(_chat_id(owner))

    def stop(self, owner: Owner) -> int:
        """Stop keeping the group's messages and delete all it kept; returns how many."""
        self._search.check_writable()
        with self._search.writing():
            deleted = self._kept.stop(_chat_id(owner))
            self._search.remove_messages(deleted)
        return len(deleted)

    def is_on(self, owner: Owner) -> bool:
        return owner.kind is OwnerKind.CHAT and self._kept.is_on(owner.id)

    def move_group(self, old: Owner, new: Owner) -> None:
        """A group became a supergroup: catch-up stays on; what the old group kept goes."""
        if old.kind is OwnerKind.CHAT and new.kind is OwnerKind.CHAT:
            with self._search.writing():
                self._search.remove_messages(self._kept.move_group(old.id, new.id))

    # --- keeping and forgetting ------------------------------------------------------

    def keep(self, message: GroupMessage) -> bool:
        """Keep a message posted in a group with catch-up on (an edit replaces the version
        kept); False when the group keeps nothing or the message holds no text. It is
        searchable after the next commit (:meth:`SearchIndex.commit_groups`)."""
        text = message.text.strip()
        if not text or len(text) > self._max_chars or not self._kept.is_on(message.chat_id):
            return False
        language = detect_language(text)
        lines = [line for line in text.splitlines() if line.strip()]
        sentences = [s.text for s in split_paragraphs(lines, language)]
        if not sentences:
            return False
        self._search.check_writable()
        with self._search.writing():
            kept = self._kept.keep(message.model_copy(update={"text": text}), sentences, language)
            if kept is not None:
                self._search.add_message(kept.id, kept.replaced)
        return kept is not None

    def forget_member(self, owner: Owner, member_id: int) -> int:
        """Delete everything one member said in the group; returns how many messages."""
        self._search.check_writable()
        with self._search.writing():
            deleted = self._kept.forget_author(_chat_id(owner), member_id)
            self._search.remove_messages(deleted)
        return len(deleted)

    def expire(self, now: datetime | None = None) -> int:
        """Delete every kept message older than the retention, and make what was kept since
        the last commit searchable; returns how many messages were deleted."""
        self._search.check_writable()
        cutoff = (now or datetime.now(UTC)) - self._retention
        with self._search.writing():
            deleted = self._kept.expire(cutoff)
            self._search.remove_messages(deleted)
            self._search.commit()
        return len(deleted)

    # --- catching up -------------------------------------------------------------------

    def catch_up(
        self,
        owner: Owner,
        *,
        asker: int | None = None,
        since: datetime | None = None,
        last: int | None = None,
        now: datetime | None = None,
    ) -> CatchUp:
        """What the group said, in 3–7 verbatim quotes grouped by thread: its last ``last``
        messages, those sent after ``since``, or else those since the ``asker``'s last message
        (then what the asker wrote is not quoted back to them)."""
        chat_id = _chat_id(owner)
        if not self._kept.is_on(chat_id):
            raise InputError("This group keeps no messages: catch-up is off.")
        now = now or datetime.now(UTC)
        if not self._search.read_only:
            with self._search.writing():
                self._search.remove_messages(self._kept.expire(now - self._retention, chat_id))
        kind: Literal["since_asker", "since", "last"] = "last" if last is not None else "since"
        if since is None and last is None:
            since = self._kept.last_sent_by(chat_id, asker, now - JUST_WRITTEN) if asker is not None else None
            kind = "since" if since is None else "since_asker"
            since = since or now - DEFAULT_WINDOW
        window = self._kept.window(chat_id, since=since, last=last, limit=MAX_WINDOW)
        # What they missed: not what they wrote themselves since (their "I'm back!").
        unquoted = [asker] if kind == "since_asker" else []
        sections = [_section(section, window) for section in catchup.catch_up(window, unquoted=unquoted)]
        since = None if last is not None else since
        return CatchUp(chat_id=chat_id, window=kind, since=since, messages=len(window), sections=sections)


def _section(section: catchup.Section, window: list[KeptMessage]) -> CatchUpSection:
    members = [window[i] for i in section.members]
    return CatchUpSection(
        messages=len(members),
        people=len({m.author_id for m in members}),
        started=members[0].sent_at,
        ended=members[-1].sent_at,
        quotes=[_quote(window[quote.message], quote.sentence) for quote in section.quotes],
    )


def _quote(message: KeptMessage, sentence: int | None) -> QuotedMessage:
    if sentence is None:
        return QuotedMessage(message=message.ref, text=message.text, sentences=len(message.sentences))
    return QuotedMessage(
        message=message.ref, text=message.sentences[sentence], sentence=sentence + 1,
        sentences=len(message.sentences),
    )


def _chat_id(owner: Owner) -> int:
    if owner.kind is not OwnerKind.CHAT:
        raise InputError("Only a group chat can keep its messages.")
    return owner.id
