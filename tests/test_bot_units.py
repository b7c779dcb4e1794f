"""The bot's parts without Telegram: renderer, message kinds, config, CLI, terminal chat."""

from __future__ import annotations

import io
import logging
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat import run_chat
from bot.cli import RedactSecrets, main
from bot.config import BotConfig
from bot.conversation import Link, classify, find_links
from bot.ratelimit import ChatRateLimiter, Verdict
from bot.render import to_html, to_plain
from bot.replies import (
    MODE_MEANING,
    Action,
    AlertView,
    AnswerView,
    ArticlePage,
    AskPrompt,
    BotLoad,
    CatchUpView,
    DigestSettingsView,
    DigestView,
    FeedAdded,
    FeedImport,
    FeedList,
    HelpView,
    Notice,
    Reply,
    SettingsView,
    StatsView,
    SummaryView,
    TopicList,
)
from retrieval.bot_models import (
    Alert,
    ArticleRef,
    CatchUp,
    CatchUpSection,
    Digest,
    DigestItem,
    DigestSection,
    HighlightedSentence,
    QuotedMessage,
    Stats,
)
from retrieval.config import StorageConfig, load_config
from retrieval.errors import ConfigError
from retrieval.models import Answer, ArticleInfo, CitedSentence, FeedInfo, MessageRef, Summary, TopicInfo
from retrieval.owners import Owner
from retrieval.summarize import ALGORITHMS
from tests.fakebot import check_html, plain_text

ROOT = Path(__file__).resolve().parents[1]
NASTY = "Tom & Jerry <b>bold</b> say \"hi\" & <script>x</script> 😀"


def cited(text: str, index: int = 1, article_id: int = 1, url: str | None = None) -> CitedSentence:
    return CitedSentence(article_id=article_id, index=index, text=text, title=NASTY, url=url)


def summary_of(sentences: list[str], url: str | None = "https://example.com/a?x=1&y=2") -> Summary:
    return Summary(
        article_id=987654321, title=NASTY, url=url, algorithm="lexrank", total_sentences=999,
        sentences=[cited(s, i, 987654321, url) for i, s in enumerate(sentences, 1)],
    )


def test_summary_html_is_escaped_linked_and_cited() -> None:
    [message] = to_html(SummaryView(summary=summary_of(["A < B & C.", "Second one."])))
    assert check_html(message.text) == []
    assert message.text.startswith('<b><a href="https://example.com/a?x=1&amp;y=2">Tom &amp; Jerry')
    assert "1. A &lt; B &amp; C. <a href=" in message.text
    assert "#:~:text=" in message.text
    buttons = [b for row in message.markup.inline_keyboard for b in row]
    assert [b.text for b in buttons] == ["More", "Fewer", "Ask about this"]
    assert all(len(b.callback_data.encode()) < 64 for b in buttons)


def test_only_web_links_become_links() -> None:
    [message] = to_html(SummaryView(summary=summary_of(["One."], url="javascript:alert(1)")))
    assert "<a " not in message.text and check_html(message.text) == []


# --- any reply renders to messages Telegram accepts -------------------------------------

texts = st.text(max_size=200)
long_texts = st.one_of(texts, st.text(min_size=1000, max_size=6000))
titles = st.one_of(st.text(min_size=1, max_size=120), st.text(min_size=5000, max_size=6000))
urls = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.builds(lambda path: "https://example.com/" + path, st.text(max_size=200)),
    st.sampled_from(["http://[::1", "https://a.example/x?a=1&b=<2>\"'", "javascript:alert(1)", "http://"]),
)
ids = st.integers(1, 2**63 - 1)
counts = st.integers(0, 10**9)
times = st.datetimes(min_value=datetime(1990, 1, 1), timezones=st.just(UTC))
message_refs = st.builds(
    MessageRef, chat_id=st.integers(-10**13, -1), message_id=ids, author=titles, author_id=ids, sent_at=times,
    link=urls,
)
cited_sentences = st.one_of(
    st.builds(
        CitedSentence, article_id=ids, index=st.integers(1, 10**6), text=long_texts, title=titles, url=urls
    ),
    st.builds(  # a message a group kept: cited by its author and link
        lambda message, index, text: CitedSentence(
            article_id=None, index=index, text=text, title=message.author, url=message.link, message=message
        ),
        message_refs, st.integers(1, 50), long_texts,
    ),
)
quoted_messages = st.builds(
    lambda message, text, sentence, sentences: QuotedMessage(
        message=message, text=text, sentence=None if sentence is None else min(sentence, sentences),
        sentences=sentences,
    ),
    message_refs, long_texts.filter(str.strip), st.one_of(st.none(), st.integers(1, 40)), st.integers(1, 40),
)
catch_ups = st.builds(
    CatchUp, chat_id=st.integers(-10**13, -1), window=st.sampled_from(["since_asker", "since", "last"]),
    since=st.one_of(st.none(), times), messages=counts,
    sections=st.lists(
        st.builds(CatchUpSection, messages=counts, people=counts, started=times, ended=times,
                  quotes=st.lists(quoted_messages, min_size=1, max_size=7)),
        max_size=4,
    ),
)
articles = st.builds(
    ArticleInfo, id=ids, title=titles, url=urls, site=st.one_of(st.none(), texts),
    sentences=counts, added=times,
)
feeds = st.builds(
    FeedInfo, id=ids, url=st.one_of(texts, urls.filter(bool)), title=st.one_of(st.none(), titles),
    last_fetched_at=st.one_of(st.none(), times), last_error=st.one_of(st.none(), long_texts),
    error_count=counts, for_everyone=st.booleans(), from_config=st.booleans(),
)
topics = st.builds(TopicInfo, id=ids, query=titles, mode=st.sampled_from(list(MODE_MEANING)))
highlighted = st.builds(
    HighlightedSentence, article_id=ids, index=st.integers(1, 10**6), text=long_texts,
    highlights=st.lists(st.tuples(st.integers(-10, 7000), st.integers(-10, 7000)), max_size=8),
)
alerts = st.builds(
    Alert, owner=st.just(Owner.chat(1)), topic=topics, article_id=st.integers(1, 5), title=titles, url=urls,
    sentences=st.lists(highlighted, max_size=4),
)
digest_items = st.builds(
    DigestItem, article_id=ids, title=titles, url=urls, site=st.one_of(st.none(), texts),
    sentences=st.lists(cited_sentences, max_size=4),
    also_reported_by=st.lists(
        st.builds(ArticleRef, article_id=ids, title=titles, url=urls, site=st.one_of(st.none(), texts)),
        max_size=4,
    ),
)
digests = st.builds(
    Digest, owner=st.just(Owner.chat(1)), since=st.none(),
    sections=st.lists(
        st.builds(DigestSection, heading=titles, topic_id=st.one_of(st.none(), ids),
                  items=st.lists(digest_items, min_size=1, max_size=5)),
        min_size=1, max_size=4,
    ),
)
stats = st.builds(
    Stats, articles=counts, sentences=counts, owners=counts, feeds=counts, failing_feeds=counts,
    topics=counts, pending_alerts=counts, index_passages=counts, index_bytes=st.integers(0, 2**50),
    database_bytes=st.integers(0, 2**50), catchup_groups=counts, kept_messages=counts,
)
loads = st.builds(
    BotLoad, chats_in_progress=counts, updates_waiting=counts, most_waiting_in_one_chat=counts,
    updates_not_dispatched=counts, updates_in_memory=counts, room=counts, updates_not_done=counts,
    scheduled_jobs=counts, chats_told_to_slow_down=counts,
)
every_reply: st.SearchStrategy[Reply] = st.one_of(
    st.builds(Notice, text=st.text(min_size=1, max_size=6000).filter(str.strip)),
    st.builds(HelpView, greeting=st.booleans(), group=st.booleans(), catchup_on=st.booleans(),
              catchup_days=st.one_of(st.none(), st.integers(1, 365))),
    st.builds(
        SummaryView,
        summary=st.builds(Summary, article_id=ids, title=titles, url=urls, algorithm=texts,
                          sentences=st.lists(cited_sentences, max_size=12), total_sentences=counts),
        saved=st.sampled_from([None, "new", "duplicate"]), source=st.one_of(st.none(), titles),
    ),
    st.builds(
        AnswerView,
        answer=st.builds(Answer, question=texts, abstained=st.booleans(),
                         sentences=st.lists(cited_sentences, max_size=8)),
        scope_title=st.one_of(st.none(), titles), group_messages=st.booleans(),
        zone=st.sampled_from(["UTC", "Asia/Tehran", "America/Los_Angeles"]),
    ),
    st.builds(ArticlePage, articles=st.lists(articles, max_size=10), offset=st.integers(0, 10**6),
              total=counts, page_size=st.integers(1, 50)),
    st.builds(SettingsView, sentences=st.integers(1, 50), algorithm=st.sampled_from(ALGORITHMS),
              algorithms=st.just(ALGORITHMS)),
    st.builds(AskPrompt, article=articles),
    st.builds(FeedAdded, feed=feeds, new_articles=counts),
    st.builds(FeedList, feeds=st.lists(feeds, max_size=30), now=times),
    st.builds(FeedImport, added=st.lists(feeds, max_size=10),
              failed=st.lists(st.tuples(texts, long_texts), max_size=5)),
    st.builds(TopicList, topics=st.lists(topics, max_size=30), added=st.one_of(st.none(), topics)),
    st.builds(AlertView, alerts=st.lists(alerts, min_size=1, max_size=12), more=st.integers(0, 1000)),
    st.builds(DigestView, digest=digests, day=times),
    st.builds(DigestSettingsView, time=st.sampled_from(["08:00", "23:59"]), zone=texts,
              enabled=st.booleans(), nothing_new_note=st.booleans(), next_at=st.one_of(st.none(), times)),
    st.builds(StatsView, engine=stats, known_chats=counts, load=st.one_of(st.none(), loads)),
    st.builds(CatchUpView, catch_up=catch_ups, now=times,
              zone=st.sampled_from(["UTC", "Asia/Tehran", "Pacific/Kiritimati"])),
)


@settings(max_examples=300, deadline=None)
@given(every_reply)
def test_any_reply_renders_to_valid_telegram_messages(reply: Reply) -> None:
    """Well-formed Telegram HTML (only its tags, closed in order, entities escaped), never
    empty, at most 4096 characters; buttons only under the last message."""
    messages = to_html(reply)
    assert messages
    for message in messages:
        assert check_html(message.text) == [], message.text
    assert all(message.markup is None for message in messages[:-1])
    # The terminal shows everything Telegram shows, in the same order (plus link targets).
    shown = "".join("".join(plain_text(message.text).split()) for message in messages)
    assert in_order(shown, "".join(to_plain(reply).split()))


def in_order(needle: str, haystack: str) -> bool:
    """Whether the characters of ``needle`` occur in ``haystack`` in the same order."""
    rest = iter(haystack)
    return all(char in rest for char in needle)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=1500), min_size=1, max_size=12))
def test_any_sentences_render_to_valid_messages(sentences: list[str]) -> None:
    messages = to_html(SummaryView(summary=summary_of(sentences)))
    for message in messages:
        assert check_html(message.text) == [], message.text
    assert all(m.markup is None for m in messages[:-1]) and messages[-1].markup is not None


def test_an_enormous_sentence_is_cut_as_plain_text() -> None:
    huge = "word&<> " * 2000
    messages = to_html(AnswerView(answer=Answer(question="q", abstained=False,
                                                sentences=[cited(huge, url="https://e.com")])))
    assert len(messages) > 2
    assert all(check_html(m.text) == [] for m in messages)
    assert "".join(plain_text(m.text) for m in messages).count("word&<>") == 2000


def test_answer_cites_sources_once_each() -> None:
    answer = Answer(question="q", abstained=False, sentences=[
        cited("First.", 4, 1, "https://a.example/x"), cited("Second.", 2, 2), cited("Third.", 9, 1),
    ])
    text = plain_text(to_html(AnswerView(answer=answer))[0].text)
    assert text.splitlines()[:3] == ["First. [1]", "Second. [2]", "Third. [1]"]
    assert "[1] " + NASTY + " · #1, sentences 4, 9" in text
    assert "[2] " + NASTY + " · #2, sentence 2" in text
    assert "<https://a.example/x>" in to_plain(AnswerView(answer=answer))


def test_article_page_and_settings_keyboards() -> None:
    info = ArticleInfo(id=3, title=NASTY, sentences=5, added=datetime(2025, 1, 2, tzinfo=UTC))
    [page] = to_html(ArticlePage(articles=[info] * 10, offset=10, total=25, page_size=10))
    assert check_html(page.text) == []
    assert [b.callback_data for b in page.markup.inline_keyboard[0]] == ["page:0", "page:20"]
    [view] = to_html(SettingsView(sentences=5, algorithm="lsa", algorithms=ALGORITHMS))
    labels = [b.text for row in view.markup.inline_keyboard for b in row]
    assert "✓ 5" in labels and "✓ lsa" in labels


def test_rate_limit_warns_once_then_ignores_until_there_is_room() -> None:
    now = 0.0
    limiter = ChatRateLimiter(3, clock=lambda: now)
    serve, warn, ignore = Verdict.SERVE, Verdict.WARN, Verdict.IGNORE
    assert [limiter.check(1) for _ in range(6)] == [serve, serve, serve, warn, ignore, ignore]
    assert limiter.check(2) == serve and limiter.limited_chats() == 1
    now = 20.0  # three a minute: room for one more every 20 seconds
    assert [limiter.check(1) for _ in range(3)] == [serve, warn, ignore]
    now = 200.0
    assert [limiter.check(1) for _ in range(4)] == [serve, serve, serve, warn]
    assert all(ChatRateLimiter(0).check(1) == serve for _ in range(100))


def test_actions_round_trip_and_junk_is_refused() -> None:
    action = Action(verb="length", args=("12", "5"))
    assert Action.decode(action.encode()) == action
    assert Action.decode("rm:-rf") is None
    with pytest.raises(ValueError):
        Action(verb="algorithm", args=("x" * 70,)).encode()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("https://example.com/news/1", "links"),
        ("look at this www.example.com/a.", "links"),
        ("what does https://example.com say about tides?", "question"),
        ("Who won the match?", "question"),
        # A link with a question about it, in any language and script; a link with a remark.
        ("Что пишут в https://example.com/news о мосте", "question"),
        ("посмотри https://example.com/news", "links"),
        ("Τι λέει το https://example.com για τον καιρό;", "question"),
        ("¿Qué dice https://example.com del puente", "question"),
        ("mira esto https://example.com/a", "links"),
        ("这篇文章说了什么？ https://example.com/a", "question"),
        ("ما رأيك في https://example.com/a؟", "question"),
        ("Bu makale https://example.com/a ne diyor?", "question"),
        ("Schau mal https://example.com/a", "links"),
        ("https://example.com/search?q=bridge", "links"),
        ("sovereignty", "question"),
        ("A line\nand another", "article"),
        ("x" * 400, "article"),
    ],
)
def test_classify(text: str, kind: str) -> None:
    assert classify(text, find_links(text)) == kind


def test_links_behind_words_make_a_short_message_links_to_fetch() -> None:
    behind = [Link(url="https://news.example/a")]
    assert classify("Worth a read", behind) == "links"
    assert classify("Стоит прочитать", behind) == "links"
    assert classify("Worth a read", []) == "question"
    assert classify("Why did the port close? This explains it", behind) == "question"
    assert classify("Worth a read. " * 25, behind) == "article"


def test_find_links_strips_trailing_punctuation() -> None:
    assert find_links("see (https://a.example/x), www.b.example.") == [
        Link(url="https://a.example/x", written="https://a.example/x"),
        Link(url="https://www.b.example", written="www.b.example"),
    ]


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[telegram]\ntokn = "x"\n')
    with pytest.raises(ConfigError, match="telegram.tokn"):
        load_config(BotConfig, path, {})
    with pytest.raises(ConfigError, match="access.admins"):
        load_config(BotConfig, None, {"BRIEFBOT_ACCESS__ADMINS": "[\"me\"]"})
    with pytest.raises(ConfigError, match="webhook_url"):
        load_config(BotConfig, None, {"BRIEFBOT_TELEGRAM__MODE": "webhook"})
    with pytest.raises(ConfigError, match="secret_token"):
        load_config(BotConfig, None, {"BRIEFBOT_TELEGRAM__MODE": "webhook",
                                      "BRIEFBOT_TELEGRAM__WEBHOOK_URL": "https://bot.example/hook"})
    config = load_config(BotConfig, None, {"BRIEFBOT_TELEGRAM__TOKEN": "1:secret"})
    assert config.require_token() == "1:secret" and "1:secret" not in repr(config)


def test_example_config_documents_every_key() -> None:
    example = tomllib.loads((ROOT / "config.example.toml").read_text())
    defaults = BotConfig().model_dump(mode="json")
    for section, keys in defaults.items():
        assert set(example[section]) == set(keys), section
    load_config(BotConfig, ROOT / "config.example.toml", {})


def test_cli_reports_config_problems_in_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("BRIEFBOT_TELEGRAM__TOKEN", raising=False)
    assert main(["--db", str(tmp_path / "b.db"), "run"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "telegram.token" in error

    bad = tmp_path / "bad.toml"
    bad.write_text("[summary]\nsentences = 'many'\n")
    assert main(["--config", str(bad), "chat"]) == 2
    assert "summary.sentences" in capsys.readouterr().err


def test_token_is_redacted_from_logs() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets("123:SECRET"))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("POST %s", "https://api.telegram.org/bot123:SECRET/getMe")
    finally:
        logger.removeHandler(handler)
    assert "SECRET" not in stream.getvalue() and "bot<redacted>/getMe" in stream.getvalue()


async def test_terminal_chat_runs_the_same_conversation(tmp_path: Path, seed_text: str) -> None:
    config = BotConfig(storage=StorageConfig(path=str(tmp_path / "chat.db")))
    script = "\n".join([
        "/paste", seed_text, ".",
        "What did Sheinbaum say about sovereignty?",
        "Who won the 1998 football World Cup?",
        "/summary 4",
        "/settings algorithm lead",
        "/file " + str(tmp_path / "missing.txt"),
        "/quit",
        "never read",
    ])
    output = io.StringIO()
    assert await run_chat(config, io.StringIO(script + "\n"), output) == 0
    text = output.getvalue()
    assert "Mexican President Snubs Trump’s Push" in text
    assert "sovereignty is inalienable" in text and "[1]" in text
    assert "I found nothing about that in your articles." in text
    assert "4 of 14 sentences" in text
    assert "chosen by lead" in text
    assert "I can't read" in text and "missing.txt" in text
    assert "<b>" not in text
