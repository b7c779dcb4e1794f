"""Group catch-up in the engine: keeping a group's messages, quoting them back (/tldr) and
answering from them (/ask), forgetting them, on SQLite and PostgreSQL and a real index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from retrieval.bot_models import CatchUp
from retrieval.catchup import LONG_CHARS
from retrieval.config import CatchupConfig, EngineConfig, StorageConfig
from retrieval.engine import Engine
from retrieval.errors import InputError
from retrieval.models import GroupMessage
from retrieval.owners import Owner
from tests.chatter import ENGLISH, GROUPS, Chatter

GROUP = -1001234567890
OTHER_GROUP = -1009876543210
# Two hours ago: a catch-up (which reads the real time unless told otherwise) keeps what
# was said then.
STARTED = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
FIRST_MESSAGE = 100
SEALS = "Harbour seals have returned to the Thames estuary in numbers not seen for decades."


def link(chat_id: int, message_id: int) -> str:
    return f"https://t.me/c/{-chat_id - 10**12}/{message_id}"


def post(
    engine: Engine,
    chatter: Chatter,
    chat_id: int = GROUP,
    *,
    start: datetime = STARTED,
    first: int = FIRST_MESSAGE,
) -> list[GroupMessage]:
    """Post every line of the chatter in the group, with message ids from ``first`` on;
    returns the messages as posted."""
    posted = []
    for number, line in enumerate(chatter.lines):
        message = GroupMessage(
            chat_id=chat_id, message_id=first + number, author_id=chatter.people[line.author],
            author=line.author, text=line.text, sent_at=start + timedelta(minutes=line.minute),
            reply_to=None if line.reply_to is None else first + line.reply_to,
            link=link(chat_id, first + number),
        )
        engine.keep_message(message)
        posted.append(message)
    return posted


@pytest.fixture
def engine(storage: StorageConfig):
    config = EngineConfig(storage=storage, catchup=CatchupConfig())
    with Engine(config) as engine:
        yield engine


def quotes(catch_up: CatchUp) -> list[tuple[str, str, str | None]]:
    return [
        (quote.message.author, quote.text, quote.message.link)
        for section in catch_up.sections for quote in section.quotes
    ]


def test_catchup_is_off_until_a_group_turns_it_on(engine: Engine) -> None:
    owner = Owner.chat(GROUP)
    assert not engine.catchup_on(owner)
    post(engine, ENGLISH)
    assert engine.stats().kept_messages == 0
    with pytest.raises(InputError, match="catch-up is off"):
        engine.catch_up(owner)

    assert engine.start_catchup(owner)
    assert not engine.start_catchup(owner)  # already on
    assert engine.catchup_on(owner)
    assert not engine.catchup_on(Owner.chat(OTHER_GROUP))
    with pytest.raises(InputError):
        engine.start_catchup(Owner.feed(3))


@pytest.mark.parametrize("language", sorted(GROUPS))
def test_catch_up_quotes_each_discussion_verbatim_with_author_and_link(engine: Engine, language: str) -> None:
    chatter = GROUPS[language]
    engine.start_catchup(Owner.chat(GROUP))
    posted = post(engine, chatter)

    catch_up = engine.catch_up(Owner.chat(GROUP), last=200, now=STARTED + timedelta(hours=1))

    assert catch_up.messages == len(posted)
    assert 3 <= len(quotes(catch_up)) <= 7
    by_link = {message.link: (message, line) for message, line in zip(posted, chatter.lines, strict=True)}
    threads = set()
    for author, text, url in quotes(catch_up):
        message, line = by_link[url]  # a link to a message that was posted
        assert author == message.author
        assert text == message.text or (len(message.text) > LONG_CHARS and text in message.text)
        assert line.thread is not None, f"small talk quoted: {text}"
        threads.add(line.thread)
    assert threads == {line.thread for line in chatter.lines if line.thread}, "a discussion is missing"
    assert len(catch_up.sections) == 2
    for section in catch_up.sections:
        assert len({by_link[quote.message.link][1].thread for quote in section.quotes}) == 1


def test_a_long_message_is_quoted_by_its_best_sentence(engine: Engine) -> None:
    engine.start_catchup(Owner.chat(GROUP))
    post(engine, ENGLISH)
    report = (
        "Quick update from the office. The coffee machine on the second floor is fixed, by the way. "
        "The checkout page failed because the database connection pool was exhausted by a stuck payment "
        "service, and raising the pool to 50 connections fixed the checkout errors for now. "
        "Lunch is on me next Friday if anyone is around."
    )
    assert len(report) > LONG_CHARS
    engine.keep_message(GroupMessage(
        chat_id=GROUP, message_id=999, author_id=505, author="Leo Park", text=report,
        sent_at=STARTED + timedelta(minutes=15), link=link(GROUP, 999),
    ))
    catch_up = engine.catch_up(Owner.chat(GROUP), last=200, now=STARTED + timedelta(hours=1))
    [cut] = [q for s in catch_up.sections for q in s.quotes if q.message.message_id == 999] or [None]
    assert cut is not None and not cut.whole
    assert cut.text.startswith("The checkout page failed because") and cut.text in report
    assert (cut.sentence, cut.sentences) == (3, 4)


def test_catch_up_starts_after_the_askers_last_message(engine: Engine) -> None:
    owner = Owner.chat(GROUP)
    engine.start_catchup(owner)
    post(engine, ENGLISH, start=STARTED)
    later = STARTED + timedelta(days=1)
    post(engine, GROUPS["ru"], start=later, first=500)
    ana = ENGLISH.people["Ana Lima"]
    now = later + timedelta(hours=1)

    missed = engine.catch_up(owner, asker=ana, now=now)  # Ana last wrote in the English chatter
    assert (missed.window, missed.since) == ("since_asker", STARTED + timedelta(minutes=13))
    assert missed.messages == 1 + len(GROUPS["ru"].lines)  # Leo's last message, and the Russian chatter
    assert {author for author, _, _ in quotes(missed)} <= {"Leo Park", *GROUPS["ru"].people}

    # "I'm back, what did I miss?" written just before asking does not count as their last message.
    engine.keep_message(GroupMessage(
        chat_id=GROUP, message_id=5000, author_id=ana, author="Ana Lima", text="I'm back, what did I miss?",
        sent_at=now - timedelta(minutes=1),
    ))
    assert engine.catch_up(owner, asker=ana, now=now).since == STARTED + timedelta(minutes=13)

    stranger = engine.catch_up(owner, asker=1, now=now)  # never wrote: the last day
    assert (stranger.window, stranger.since) == ("since", now - timedelta(hours=24))
    assert engine.catch_up(owner, since=now - timedelta(minutes=30), now=now).messages == 1
    last_five = engine.catch_up(owner, last=5, now=now)
    assert (last_five.window, last_five.since, last_five.messages) == ("last", None, 5)


def test_a_quiet_window_has_nothing_to_quote(engine: Engine) -> None:
    owner = Owner.chat(GROUP)
    engine.start_catchup(owner)
    assert engine.catch_up(owner, now=STARTED).empty
    for number, text in enumerate(["ok", "ok", "👍"]):
        engine.keep_message(GroupMessage(
            chat_id=GROUP, message_id=number + 1, author_id=7, author="Kim", text=text,
            sent_at=STARTED + timedelta(minutes=number),
        ))
    small_talk = engine.catch_up(owner, last=10, now=STARTED + timedelta(minutes=5))
    assert small_talk.messages == 3
    assert [text for _, text, _ in quotes(small_talk)] == ["ok"]  # the same text is quoted once


@pytest.mark.parametrize(
    ("language", "question", "expected"),
    [
        ("en", "Where do we meet for the hike?", "Let's meet at the car park by the visitor centre"),
        ("ru", "Кто работает на теплотрассе?", "аварийная бригада уже работает на теплотрассе"),
        ("fa", "بلیط قطار تهران به مشهد چند تومان است؟", "حدود یک میلیون تومان"),
    ],
)
def test_ask_in_the_group_cites_the_message(
    engine: Engine, language: str, question: str, expected: str
) -> None:
    owner = Owner.chat(GROUP)
    engine.start_catchup(owner)
    posted = post(engine, GROUPS[language])

    answer = engine.ask(question, owner)

    assert not answer.abstained
    best = answer.sentences[0]
    [source] = [message for message in posted if expected in message.text]
    assert expected in best.text and best.text in source.text
    assert best.article_id is None
    assert best.message is not None
    assert (best.message.author, best.message.link, best.message.message_id) == (
        source.author, source.link, source.message_id,
    )
    assert (best.title, best.url) == (source.author, source.link)


def test_what_a_group_said_is_never_seen_from_another_chat(engine: Engine) -> None:
    group, other = Owner.chat(GROUP), Owner.chat(OTHER_GROUP)
    engine.start_catchup(group)
    engine.start_catchup(other)
    post(engine, ENGLISH)
    member = Owner.chat(ENGLISH.people["Maya Brooks"])  # a member's private chat with the bot
    engine.ingest_text(SEALS, member)

    for outsider in (other, member, Owner.chat(42)):
        answer = engine.ask("Where do we meet for the hike on Saturday?", outsider)
        assert all(sentence.message is None for sentence in answer.sentences), outsider
    assert engine.catch_up(other, last=100).messages == 0
    assert engine.ask("Where do we meet for the hike?", group).sentences[0].message is not None


def test_an_edit_replaces_the_kept_text(engine: Engine) -> None:
    owner = Owner.chat(GROUP)
    engine.start_catchup(owner)
    posted = post(engine, ENGLISH)
    plan = posted[10]
    edited = plan.model_copy(update={
        "text": "Final plan for the hike: Sunday at 10 am at the old railway bridge, bring rain gear.",
        "edited_at": plan.sent_at + timedelta(minutes=3),
    })
    engine.keep_message(edited)

    answer = engine.ask("Where is the final plan for the hike?", owner)
    texts = [sentence.text for sentence in answer.sentences]
    assert any("old railway bridge" in text for text in texts)
    assert not any("Saturday at 1 pm at the visitor centre" in text for text in texts)
    catch_up = engine.catch_up(owner, last=100, now=STARTED + timedelta(hours=1))
    assert catch_up.messages == len(posted)
    assert all("Saturday at 1 pm at the visitor" not in text for _, text, _ in quotes(catch_up))


def test_forgetting_a_member_deletes_only_what_they_said(engine: Engine) -> None:
    owner = Owner.chat(GROUP)
    engine.start_catchup(owner)
    posted = post(engine, ENGLISH)
    engine.commit()
    passages = engine.index.num_docs()
    tom = ENGLISH.people["Tom Reid"]

    assert engine.forget_member(owner, tom) == len(ENGLISH.by("Tom Reid"))
    assert engine.forget_member(owner, tom) == 0

    assert engine.index.num_docs() == passages - len(ENGLISH.by("Tom Reid"))
    answer = engine.ask("Is the last part of the trail steep and muddy?", owner)
    assert all(sentence.message is None or sentence.message.author_id != tom for sentence in answer.sentences)
    catch_up = engine.catch_up(owner, last=100, now=STARTED + timedelta(hours=1))
    assert catch_up.messages == len(posted) - len(ENGLISH.by("Tom Reid"))
    assert "Tom Reid" not in {author for author, _, _ in quotes(catch_up)}


def test_turning_catchup_off_forgets_everything_the_group_kept(engine: Engine) -> None:
    owner = Owner.chat(GROUP)
    engine.start_catchup(owner)
    engine.start_catchup(Owner.chat(OTHER_GROUP))
    post(engine, ENGLISH)
    post(engine, GROUPS["ru"], OTHER_GROUP)
    engine.commit()
    before = engine.stats()

    assert engine.stop_catchup(owner) == len(ENGLISH.lines)

    after = engine.stats()
    assert (after.catchup_groups, after.kept_messages) == (1, len(GROUPS["ru"].lines))
    assert after.index_passages < before.index_passages
    assert after.index_passages == engine.storage.catchup.indexed_sentence_count()  # the Russian chatter's
    assert not engine.catchup_on(owner)
    assert engine.ask("Where do we meet for the hike?", owner).abstained
    assert not engine.keep_message(GroupMessage(
        chat_id=GROUP, message_id=777, author_id=1, author="A", text="Anyone up for another hike on Sunday?",
        sent_at=STARTED,
    ))
    engine.start_catchup(owner)
    assert engine.catch_up(owner, last=100).messages == 0


def test_kept_messages_expire_after_the_retention(storage: StorageConfig) -> None:
    config = EngineConfig(
        storage=storage, catchup=CatchupConfig(retention_days=3)
    )
    owner = Owner.chat(GROUP)
    with Engine(config) as engine:
        engine.start_catchup(owner)
        post(engine, ENGLISH, start=STARTED)
        post(engine, GROUPS["ru"], start=STARTED + timedelta(days=2), first=500)

        assert engine.expire_messages(now=STARTED + timedelta(days=2, hours=23)) == 0
        assert engine.expire_messages(now=STARTED + timedelta(days=3, hours=1)) == len(ENGLISH.lines)
        assert engine.stats().kept_messages == len(GROUPS["ru"].lines)
        assert engine.ask("Where do we meet for the hike?", owner).abstained

        # What a catch-up reads is never older than the retention, even before the hourly expiry ran.
        late = STARTED + timedelta(days=5, hours=1)
        assert engine.catch_up(owner, last=100, now=late).messages == 0
        assert engine.stats().kept_messages == 0


def test_kept_messages_survive_a_rebuilt_index(storage: StorageConfig) -> None:
    config = EngineConfig(storage=storage)
    owner = Owner.chat(GROUP)
    with Engine(config) as engine:
        engine.start_catchup(owner)
        post(engine, GROUPS["fa"])
        engine.ingest_text(SEALS, owner)
        engine.commit()
        passages = engine.index.num_docs()
        assert engine.reindex() == 1 + len(GROUPS["fa"].lines)
        assert engine.index.num_docs() == passages
    # Kept but not yet committed when the process stopped: indexed at the next start.
    with Engine(config) as engine:
        engine.keep_message(GroupMessage(
            chat_id=GROUP, message_id=1, author_id=9, author="Dara",
            text="کلاس شنبه در ساختمان شماره دو برگزار می‌شود.", sent_at=STARTED,
        ))
    with Engine(config) as engine:
        assert engine.index.num_docs() == passages + 1
        answer = engine.ask("کلاس شنبه در کدام ساختمان است؟", owner)
        assert answer.sentences[0].message is not None and answer.sentences[0].message.author == "Dara"


def test_a_group_that_becomes_a_supergroup_keeps_catchup_on(engine: Engine) -> None:
    old, new = Owner.chat(-4242), Owner.chat(GROUP)
    engine.start_catchup(old)
    post(engine, ENGLISH, old.id)
    engine.rename_owner(old, new)
    assert engine.catchup_on(new) and not engine.catchup_on(old)
    assert engine.stats().kept_messages == 0
    assert engine.ask("Where do we meet for the hike?", new).abstained



def test_a_group_reads_its_articles_and_its_kept_messages_in_one_look_up(engine: Engine) -> None:
    """The sentences around a group's hits come from articles and kept messages alike, in
    one look-up; one with articles alone (any other chat's) reads only the articles'."""
    from retrieval.index import kept_message_id
    from retrieval.language.words import words_of

    owner = Owner.chat(GROUP)
    engine.start_catchup(owner)
    article = engine.ingest_text(SEALS, owner).id
    post(engine, ENGLISH)
    engine.search.commit()
    hits = engine.search.index.search(words_of("en").terms("seals hike"), [owner, Owner.group(GROUP)])
    ranges = [(hit.article_id, hit.position, hit.position) for hit in hits]
    messages = {source: i for source, _, _ in ranges if (i := kept_message_id(source)) is not None}
    assert article in {source for source, _, _ in ranges} and messages
    texts = {(source, position): text for source, position, text, _, _ in engine.search.sentences_in(ranges)}
    assert sorted(texts) == sorted((source, position) for source, position, _ in ranges)
    assert texts[article, 1] == SEALS
    kept = engine.storage.catchup.messages(list(messages.values()))
    for (source, position), text in texts.items():
        if source in messages:
            assert text == kept[messages[source]].sentences[position - 1]
    alone = engine.search.sentences_in([(article, 1, 1)])
    assert [(source, text) for source, _, text, _, _ in alone] == [(article, SEALS)]
    assert engine.search.sentences_in([]) == []
