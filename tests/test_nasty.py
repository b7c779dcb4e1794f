"""Nasty inputs through every entry point a user reaches: each gives an article quoting the
input verbatim or a one-sentence BriefbotError, never another exception, and what was
stored before stays intact. Plus property tests of the sentence splitter and decoders."""

from __future__ import annotations

import random
import re
import statistics
import time
import tracemalloc
import unicodedata
import warnings
import zlib
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.charset import decode_text
from retrieval.config import EngineConfig, FeedsConfig, FetchConfig, StorageConfig
from retrieval.engine import Engine
from retrieval.errors import BriefbotError, InputError
from retrieval.extract import extract_markdown, extract_text
from retrieval.markdown import MAX_MARKS
from retrieval.models import IngestResult
from retrieval.owners import Owner
from retrieval.sentences import MAX_SENTENCE_CHARS, split_paragraphs, split_sentences
from tests.support import atom, make_pdf, one_page_pdf
from tests.web import Page, WebServer, serve

OWNER = Owner.chat(7)
BASELINE_OWNER = Owner.chat(8)
SEALS = (
    "Harbour seals have returned to the Thames estuary in numbers not seen for decades.\n\n"
    "The survey counted 1,200 seals on the sandbanks near Southend, up from 300 in 2005."
)
PROSE = (
    "The harbour authority published its annual report on Tuesday morning. "
    "It said that traffic through the port had grown by a fifth since last year. "
    "Officials expect the new container terminal to open before the summer."
)
# Characters that are not text: the engine drops them (retrieval.extract.scrub).
NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
ONE_SENTENCE = re.compile(r"[^\n]*\S[^\n]*(?:[.?]|:\s+\S[^\n]*)")
# The CPU time any one nasty input may take, in ordinary articles stored (see ``budget``).
BUDGET_ARTICLES = 1000
T = TypeVar("T")
Attempt = Callable[[Callable[[], T]], T | BriefbotError]


def normalised(text: str, *, html: bool = False) -> str:
    """``text`` as the engine quotes it: whitespace runs as one space, non-text dropped.

    From HTML, trafilatura also drops format characters (zero-width joiners, soft hyphens,
    bidi marks): a known loss, so they are dropped on both sides there.
    """
    text = NOT_TEXT.sub("", text)
    if html:
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def png(size: int = 4_000) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(1).randbytes(size)


def nested_html(depth: int) -> str:
    return f"<html><body>{'<div>' * depth}<p>{PROSE}</p>{'</div>' * depth}</body></html>"


MIXED = (
    "هذه جملة عربية عن الميناء الجديد في المدينة. "
    "זהו משפט בעברית על הנמל החדש בעיר. "
    "The new harbour opened in the city on Monday. "
    "新的港口于星期一在城市开放。这是一个中文句子。"
    "Новый порт открылся в понедельник."
)
EMOJI_HEAVY = (
    "The 🦭 seals 🌊 returned to the estuary 🎉 this year after decades away. "
    "Researchers 🔬 counted 👩‍🔬 them 📊 on the sandbanks 🏖️ near the town. 👍🏽🇬🇧"
)
INVISIBLE = (
    "The\u200b harbour\u200d authority\ufeff published\u2060 its report\u00ad on Tuesday. "
    "Traffic\x07 through\x1b[31m the port\x00 grew\u202e by a fifth\u202c since last year.\x7f\x9b"
)

# name -> the text as a user could paste it (None: there is no str form of it)
TEXTS: dict[str, str] = {
    "empty": "",
    "whitespace": " \n\t\u00a0\u3000\u2028\r\n  \x0b\x0c ",
    "punctuation only": "!!! ??? ... ,,, ;;; --- ''' \"\"\" ((( )))",
    "mixed scripts and right-to-left": MIXED,
    "emoji only": "😀🎉🔥🦭" * 300,
    "emoji heavy": EMOJI_HEAVY,
    "zero-width and control characters": INVISIBLE,
    "lone surrogates": "The harbour \ud800 authority published \udfff its report on Tuesday. " + PROSE,
    "one word of a million characters": "w" * 999_000,
    "unclosed Markdown images": "![a b " * (MAX_MARKS // 2 - 1),
    "a huge single line": "The port keeps growing and the town keeps building new quays for it " * 12_000,
}
BYTES: dict[str, bytes] = {
    "binary": png(),
    "binary without NULs": bytes(b or 1 for b in random.Random(2).randbytes(6_000)),
    "invalid UTF-8 inside good text": (
        PROSE[:70].encode() + b"\xff\xfe\xc3\x28\xed\xa0\x80\xf4\x90" + PROSE[70:].encode()
    ),
    "UTF-16 without its BOM": PROSE.encode("utf-16-le"),
    "NUL bytes": PROSE.encode().replace(b" ", b"\x00", 3),
}
HTML: dict[str, str] = {
    "5,000 nested divs": nested_html(5_000),
    "300 nested divs": nested_html(300),
    "unclosed nested tags": "<html><body>" + "<b><i><span>" * 3_000 + f"<p>{PROSE}</p></body></html>",
    "no text": "<html><head><title>x</title><script>var a = 1;</script></head><body><img src=a.png>"
    "<iframe src=b></iframe></body></html>",
    "only navigation": "<html><head><title>Home</title></head><body><header><a href=/>Logo</a></header>"
    "<nav><ul>" + "".join(f"<li><a href='/{n}'>Section {n}</a></li>" for n in range(60)) + "</ul></nav>"
    "<footer>Copyright 2026</footer></body></html>",
    "unterminated comment": f"<html><body><p>{PROSE}</p><!-- {PROSE}",
    "unterminated script": f"<html><body><p>{PROSE}</p><script>var a = '{PROSE}",
    "mixed scripts in HTML": (
        f"<html dir=rtl><body><article><p>{MIXED}</p><p>{EMOJI_HEAVY}</p></article></body></html>"
    ),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    db = tmp_path_factory.mktemp("nasty") / "nasty.db"
    config = EngineConfig(
        storage=StorageConfig(path=str(db)),
        fetch=FetchConfig(allow_private=True, timeout_s=5),
        feeds=FeedsConfig(max_entries_per_poll=5),
    )
    with Engine(config) as engine:
        engine.ingest_text(SEALS, OWNER)
        yield engine


@pytest.fixture(scope="module")
def site() -> Iterator[WebServer]:
    with serve() as site:
        yield site


@pytest.fixture(scope="module")
def budget(engine: Engine) -> float:
    """The CPU seconds any one nasty input may take: what storing ``BUDGET_ARTICLES``
    ordinary articles takes, measured in this run. CPU time of this process, compared with
    a baseline taken here, means the same on a fast machine, a slow one or a busy one."""
    costs = []
    for number in range(5):
        started = time.process_time()
        engine.ingest_text(f"{PROSE} This is report number {number}.", BASELINE_OWNER)
        costs.append(time.process_time() - started)
    return BUDGET_ARTICLES * statistics.median(costs)


@pytest.fixture(scope="module")
def attempt(budget: float) -> Callable[[Callable[[], T]], T | BriefbotError]:
    """Runs a call: its result or its BriefbotError. Any other exception fails the test, and
    so does a call that takes more CPU time than the budget."""

    def run(call: Callable[[], T]) -> T | BriefbotError:
        started = time.process_time()
        try:
            result: T | BriefbotError = call()
        except BriefbotError as error:
            result = error
        spent = time.process_time() - started
        assert spent < budget, f"{spent:.2f} s of CPU, over the budget of {budget:.2f} s"
        return result

    return run


def assert_clean(
    engine: Engine, outcome: IngestResult | BriefbotError, source: str, *, html: bool = False
) -> None:
    """A one-sentence error, or an article whose every sentence the source contains."""
    if isinstance(outcome, BriefbotError):
        assert ONE_SENTENCE.fullmatch(str(outcome)), repr(str(outcome))
    else:
        expected = normalised(source, html=html)
        sentences = engine.storage.articles.sentences(outcome.id)
        assert len(sentences) == outcome.sentences > 0
        for sentence in sentences:
            assert sentence.text == " ".join(sentence.text.split()), repr(sentence.text)
            assert normalised(sentence.text, html=html) in expected, sentence.text
            assert not NOT_TEXT.search(sentence.text), sentence.text
    assert_intact(engine)


def assert_intact(engine: Engine) -> None:
    """The article stored first is still there and still answers."""
    answer = engine.ask("How many seals did the survey count?", OWNER)
    assert not answer.abstained
    assert "1,200 seals" in answer.sentences[0].text
    with engine.storage.db.reading() as sql:
        assert sql.exec_driver_sql("PRAGMA quick_check").fetchone()[0] == "ok"


# --- text, files and links -------------------------------------------------------------


@pytest.mark.parametrize("name", TEXTS)
def test_pasted_text(engine: Engine, attempt: Attempt, name: str) -> None:
    text = TEXTS[name]
    assert_clean(engine, attempt(lambda: engine.ingest_text(text, OWNER, title=text[:50] or None)), text)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
@pytest.mark.parametrize("name", [n for n in TEXTS if n != "lone surrogates"])
def test_text_as_a_file(engine: Engine, attempt: Attempt, name: str, suffix: str) -> None:
    text = TEXTS[name]
    data = text.encode()
    outcome = attempt(lambda: engine.ingest_bytes(data, OWNER, filename="upload" + suffix))
    assert_clean(engine, outcome, text, html=suffix == ".html")


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ""])
@pytest.mark.parametrize("name", BYTES)
def test_awkward_bytes_as_a_file(engine: Engine, attempt: Attempt, name: str, suffix: str) -> None:
    data = BYTES[name]
    outcome = attempt(lambda: engine.ingest_bytes(data, OWNER, filename="upload" + suffix))
    source = data.decode("utf-8", "replace") + " " + data.decode("cp1252", "replace")
    assert_clean(engine, outcome, source, html=suffix == ".html")


@pytest.mark.parametrize("name", HTML)
def test_html_file(engine: Engine, attempt: Attempt, name: str) -> None:
    page = HTML[name]
    outcome = attempt(lambda: engine.ingest_bytes(page.encode(), OWNER, filename="page.html"))
    assert_clean(engine, outcome, PROSE + " " + MIXED + " " + EMOJI_HEAVY, html=True)
    if name in ("no text", "only navigation"):
        assert isinstance(outcome, InputError)


def test_five_megabytes_of_one_word_are_refused_quickly(
    engine: Engine, attempt: Attempt, site: WebServer
) -> None:
    for word in (b"word", b"word "):
        data = word * (5_000_000 // len(word))
        site.pages["/five-mb"] = Page(data, "text/plain")
        text = data.decode()
        for call in (
            lambda: engine.ingest_text(text, OWNER),  # noqa: B023 - called within the iteration
            lambda: engine.ingest_bytes(data, OWNER, filename="big.txt"),  # noqa: B023
            lambda: engine.ingest_url(site.url("/five-mb"), OWNER),
        ):
            outcome = attempt(call)
            assert isinstance(outcome, InputError)  # refused for its size, before any reading
            assert str(outcome) == "That is too long for one article: I keep up to 1,000,000 characters."
            assert_clean(engine, outcome, "")


@pytest.mark.parametrize(
    ("name", "content_type"),
    [(name, "text/html; charset=utf-8") for name in HTML]
    + [(name, "text/plain; charset=utf-8") for name in ("mixed scripts and right-to-left", "emoji heavy")]
    + [(name, "text/plain") for name in BYTES]
    + [
        ("a page in an unknown charset", "text/html; charset=klingon"),
        ("a page in a codec that cannot decode", "text/html; charset=undefined"),
        ("a page in punycode", "text/plain; charset=punycode"),
        ("a page in UTF-16 that is not", "text/html; charset=utf-16"),
        ("an image", "image/png"),
        ("an image said to be HTML", "text/html"),
        ("an empty page", "text/html"),
    ],
)
def test_link(engine: Engine, attempt: Attempt, site: WebServer, name: str, content_type: str) -> None:
    if name in HTML:
        body = HTML[name].encode()
    elif name in TEXTS:
        body = TEXTS[name].encode()
    elif name in BYTES:
        body = BYTES[name]
    elif name.startswith(("an image", "an empty")):
        body = b"" if "empty" in name else png()
    else:
        body = f"<html><body><article><p>{PROSE}</p><p>{MIXED}</p></article></body></html>".encode()
    path = "/" + re.sub(r"\W+", "-", name)
    site.pages[path] = Page(body, content_type)
    outcome = attempt(lambda: engine.ingest_url(site.url(path), OWNER))
    source = body.decode("utf-8", "replace") + " " + body.decode("cp1252", "replace") + " " + PROSE + MIXED
    assert_clean(engine, outcome, source + " " + EMOJI_HEAVY, html=True)


@pytest.mark.parametrize(
    "url",
    ["", "   ", "http://127.0.0.1:1/", "javascript:alert(1)", "file:///etc/passwd",
     "http://[::1", "http://exa\u0000mple.com/", "ftp://127.0.0.1/x", "http://127.0.0.1:99999/"],
)
def test_strange_links(engine: Engine, attempt: Attempt, url: str) -> None:
    outcome = attempt(lambda: engine.ingest_url(url, OWNER))
    assert isinstance(outcome, BriefbotError)
    assert_clean(engine, outcome, "")


def test_link_with_a_lone_surrogate(engine: Engine, attempt: Attempt, site: WebServer) -> None:
    site.requests.clear()
    outcome = attempt(lambda: engine.ingest_url(site.url("/story\ud800"), OWNER))
    assert isinstance(outcome, BriefbotError)
    assert_clean(engine, outcome, "")
    assert site.requests == []


def flate_bomb_pdf(inflated: int = 50_000_000) -> bytes:
    """A one-page PDF whose 50 KB content stream inflates to ``inflated`` bytes."""
    stream = zlib.compress(b"BT /F1 11 Tf 40 700 Td (" + b"A" * inflated + b") Tj ET", 9)
    return one_page_pdf(b"<< /Length %d /Filter /FlateDecode >>" % len(stream), stream)


PDF_CONTROL_TEXT = "The harbour\x07 authority\x1b published its\x7f report on Tuesday morning."
PDF_NAMES = [
    "random bytes", "truncated", "circular page tree", "unknown encryption", "deeply nested arrays",
    "control characters in the text", "flate bomb",
]


def pdf(name: str) -> bytes:
    good = make_pdf([PROSE[:70], PROSE[70:]], title="Port")
    if name == "random bytes":
        return b"%PDF-1.4\n" + random.Random(3).randbytes(3_000)
    if name == "truncated":
        return good[: len(good) // 2]
    if name == "circular page tree":
        return good.replace(b"/Kids [3 0 R]", b"/Kids [2 0 R]")
    if name == "unknown encryption":
        return good.replace(b"/Info 6 0 R", b"/Info 6 0 R /Encrypt << /Filter /Standard /V 9 >>")
    if name == "deeply nested arrays":
        return b"%PDF-1.4\n1 0 obj\n" + b"[" * 100_000 + b"\nendobj\ntrailer\n<< /Root 1 0 R >>"
    if name == "control characters in the text":
        return make_pdf([PDF_CONTROL_TEXT], title="Port\x07 report")
    return flate_bomb_pdf()


@pytest.mark.parametrize("name", PDF_NAMES)
def test_pdf_file(engine: Engine, attempt: Attempt, name: str) -> None:
    data = pdf(name)
    outcome = attempt(lambda: engine.ingest_bytes(data, OWNER, filename="paper.pdf"))
    assert_clean(engine, outcome, PDF_CONTROL_TEXT + " " + PROSE)


# --- feeds and OPML --------------------------------------------------------------------

GOOD_ENTRY = (
    f"<item><title>Port report</title><link>https://news.example/port</link><guid>port-1</guid>"
    f"<description>{escape(''.join(f'<p>{PROSE}</p>' for _ in range(8)))}</description></item>"
)


def rss_document(items: str, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    return (
        f'{declaration}<rss version="2.0"><channel><title>Port News</title>'
        f"<link>https://news.example/</link><description>d</description>{items}</channel></rss>"
    ).encode()


# What an expanded entity would put in a feed's text: the secret file, or the laughs.
LEAKS = ("TOPSECRET", "lollol")


def billion_laughs(root: str) -> bytes:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{entities}]>'.encode()


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text("TOPSECRET-7f3a9")
    return path


def feed_bodies(secret: Path) -> dict[str, bytes]:
    xxe = f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    return {
        "truncated": rss_document(GOOD_ENTRY)[:-60],
        "cut in the first entry": rss_document(GOOD_ENTRY)[:200],
        "wrong encoding declaration": rss_document(
            GOOD_ENTRY.replace("Port report", "Hafenbericht für Größe"),
            '<?xml version="1.0" encoding="ISO-8859-1"?>',
        ),
        "unknown encoding declaration": rss_document(
            GOOD_ENTRY, '<?xml version="1.0" encoding="klingon-9"?>'
        ),
        "UTF-16 with a UTF-8 declaration": rss_document(GOOD_ENTRY).decode().encode("utf-16"),
        "billion laughs": billion_laughs("rss")
        + rss_document(GOOD_ENTRY.replace("Port report", "&lol9;"), "")[0:],
        "external entity": xxe.encode() + rss_document(GOOD_ENTRY.replace("Port report", "&xxe;"), ""),
        "binary": png(),
        "empty": b"",
        "not XML at all": b"{ this is: not, a feed }",
        "tags only": b"<rss>" + b"<channel>" * 5_000,
    }


@pytest.mark.parametrize(
    "name",
    ["truncated", "cut in the first entry", "wrong encoding declaration", "unknown encoding declaration",
     "UTF-16 with a UTF-8 declaration", "billion laughs", "external entity", "binary", "empty",
     "not XML at all", "tags only"],
)
def test_malformed_feed(
    engine: Engine, attempt: Attempt, site: WebServer, secret: Path, name: str
) -> None:
    path = "/feed-" + re.sub(r"\W+", "-", name)
    site.pages[path] = Page(feed_bodies(secret)[name], "application/rss+xml")
    outcome = attempt(lambda: engine.add_feed(site.url(path), OWNER))
    if isinstance(outcome, BriefbotError):
        assert ONE_SENTENCE.fullmatch(str(outcome)), str(outcome)
    else:
        info, result = outcome
        assert not any(leak in (info.title or "") for leak in LEAKS)
        for article_id in result.new_articles:
            texts = [s.text for s in engine.storage.articles.sentences(article_id)]
            title = engine.article(article_id, OWNER).title or ""
            assert not any(leak in t for t in [*texts, title] for leak in LEAKS)
            assert sum(map(len, texts)) < 10_000
    assert_intact(engine)


def test_feed_lookup_on_a_page_in_a_codec_that_cannot_decode(engine: Engine, site: WebServer) -> None:
    home = b"<html><body><p>Home</p></body></html>"
    site.pages["/undefined-home"] = Page(home, "text/html; charset=undefined")
    with pytest.raises(BriefbotError) as raised:
        engine.add_feed(site.url("/undefined-home"), OWNER)
    assert ONE_SENTENCE.fullmatch(str(raised.value)), str(raised.value)


def test_atom_feed_with_ten_thousand_entries(engine: Engine, site: WebServer) -> None:
    entries = [
        {"title": f"Story {n}", "link": site.url(f"/gone/{n}"), "guid": f"urn:story:{n}",
         "description": f"Teaser {n}: the port grew again this year."}
        for n in range(10_000)
    ]
    site.pages["/atom-10k"] = Page(atom("Huge Atom", entries), "application/atom+xml")
    site.requests.clear()
    info, result = engine.add_feed(site.url("/atom-10k"), OWNER)
    assert len(result.new_articles) == 5  # the per-poll cap
    # The work is the cap's, not the feed's: five entry pages are asked for (they are gone,
    # so the teasers are kept), and the rest are marked seen, not fetched one by one later.
    assert sorted(site.paths) == ["/atom-10k"] + [f"/gone/{n}" for n in range(5)]
    with engine.storage.db.reading() as sql:
        query = "SELECT COUNT(*) FROM feed_entries WHERE feed_id = ?"
        seen = sql.exec_driver_sql(query, (info.id,)).scalar_one()
    assert seen >= 10_000
    assert_intact(engine)


def test_opml_external_entity_is_not_read(engine: Engine, site: WebServer, secret: Path) -> None:
    site.pages["/opml-feed"] = Page(rss_document(GOOD_ENTRY), "application/rss+xml")
    documents = [
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        f'<opml version="2.0"><body><outline text="&xxe;" xmlUrl="{site.url("/opml-feed")}"/></body></opml>',
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<opml version="2.0"><body><outline text="x" xmlUrl="&xxe;"/></body></opml>',
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY % xxe SYSTEM "file://{secret}"> %xxe;]>'
        f'<opml version="2.0"><body><outline text="x" xmlUrl="{site.url("/opml-feed")}"/></body></opml>',
    ]
    for document in documents:
        try:
            results = engine.import_opml(document.encode(), OWNER)
        except BriefbotError as error:
            assert ONE_SENTENCE.fullmatch(str(error)), str(error)
        else:
            assert "TOPSECRET" not in repr(results)
    assert all("TOPSECRET" not in (feed.title or "") + feed.url for feed in engine.feeds_of(OWNER))
    assert_intact(engine)


def test_opml_billion_laughs_is_refused_quickly(engine: Engine, attempt: Attempt) -> None:
    document = billion_laughs("opml") + b'<opml version="2.0"><body>' + (
        b'<outline text="&lol9;" xmlUrl="http://127.0.0.1:1/feed"/>' * 3
    ) + b"</body></opml>"
    tracemalloc.start()
    try:
        outcome = attempt(lambda: engine.import_opml(document, OWNER))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(outcome, InputError)
    assert str(outcome) == "That file is not valid OPML."
    assert peak < 20_000_000, f"{peak:,} bytes: the entities were expanded"  # they make 3 GB


# --- properties ------------------------------------------------------------------------

PIECES = [
    "Dr.", "U.S.", "e.g.", "...", "…", "?", "!", "?!", ".", " ", "  ", "\n", "\n\n", "\t", "\u00a0",
    "a", "The", "seals", "3.14", "1,200", "“Quoted.”", "'", "(", ")", "。", "؟", "।", "\u200b",
    "Mr. Smith went to Washington.", "He said: “No.” Then left.", "🦭", "x" * 40, "\x00", "\x0b",
]
NASTY_TEXT = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(PIECES), max_size=80).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=60).map("".join),
    st.text(alphabet="ab .", min_size=1_000, max_size=3_000),
)


def assert_pieces_of(text: str, sentences: list[str]) -> None:
    expected = " ".join(text.split())
    for sentence in sentences:
        assert sentence
        assert sentence == " ".join(sentence.split())
        assert len(sentence) <= MAX_SENTENCE_CHARS
        assert sentence in expected
    # Nothing but whitespace is lost or added, and the order is kept.
    assert "".join("".join(s.split()) for s in sentences) == "".join(text.split())


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NASTY_TEXT)
def test_split_sentences_quotes_all_of_any_text(text: str) -> None:
    assert_pieces_of(text, split_sentences(text))


@settings(max_examples=100, deadline=None)
@given(st.lists(NASTY_TEXT, max_size=6))
def test_split_paragraphs_numbers_every_paragraph(paragraphs: list[str]) -> None:
    split = split_paragraphs(paragraphs)
    numbers = [s.paragraph for s in split]
    assert numbers == sorted(numbers)
    for number, paragraph in enumerate(paragraphs):
        assert_pieces_of(paragraph, [s.text for s in split if s.paragraph == number])


@settings(max_examples=150, deadline=None)
@given(st.one_of(NASTY_TEXT, st.lists(st.sampled_from(
    ["# ", "## Title", "```", "~~~", "* ", "- ", "1. ", "> ", "---", "***", "[a](b)", "![i](s)",
     "**b**", "_i_", "`c`", "\n", "\n\n", "word", "A sentence.", "#", "[", "]", "(", ")", "\ud800", "\x00"]
), max_size=60).map("".join)))
def test_extract_markdown_raises_only_input_errors(text: str) -> None:
    try:
        extracted = extract_markdown(text)
    except InputError as error:
        assert ONE_SENTENCE.fullmatch(str(error))
    else:
        assert extracted.text.strip()
        assert not NOT_TEXT.search(extracted.text)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(st.binary(max_size=600), NASTY_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))),
    st.sampled_from([None, "utf-8", "utf-16", "cp1252", "latin-1", "klingon", "undefined", "punycode",
                     "idna", "rot13", "base64", "utf-7", "unicode_escape", "shift_jis"]),
)
def test_decode_text_raises_only_input_errors(data: bytes, encoding: str | None) -> None:
    """Text comes back as a byte order mark says, else as the encoding the caller names says
    when it fits (read as a browser reads the label), else as UTF-8 when it is UTF-8; binary
    is refused."""
    try:
        text = decode_text(data, encoding)
    except InputError as error:
        assert ONE_SENTENCE.fullmatch(str(error))
        return
    head = data[:8192]
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    assert utf16 or b"\x00" not in head, "bytes with NULs were taken for text"
    mark = "utf-16" if utf16 else "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else None
    if (declared := decoded(data, mark or as_browsers_read(encoding))) is not None:
        assert text == declared
    elif (utf8 := decoded(data, "utf-8-sig")) is not None:
        assert text == utf8
    else:  # a charset named inside the data, or a lenient guess: mostly text either way
        noise = sum(1 for ch in text[:8192] if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
        assert noise <= len(text[:8192]) // 20 or _names_a_charset(head), repr(text[:200])


def as_browsers_read(label: str | None) -> str | None:
    """The codec a charset label names for a web page (the WHATWG Encoding Standard): latin-1
    means windows-1252, and codecs no page is written in (that rewrite text) are no charset."""
    if label in {"punycode", "idna", "utf-7", "unicode_escape"}:
        return None
    return "cp1252" if label == "latin-1" else label


def decoded(data: bytes, encoding: str | None) -> str | None:
    """``data`` in ``encoding``, or None when that is no codec or does not fit."""
    if not encoding:
        return None
    try:
        with warnings.catch_warnings():  # unicode_escape warns of invalid escapes
            warnings.simplefilter("ignore", DeprecationWarning)
            return data.decode(encoding)
    except (UnicodeError, LookupError):
        return None


def _names_a_charset(head: bytes) -> bool:
    return b"charset" in head.lower() or b"encoding" in head.lower()


@settings(max_examples=100, deadline=None)
@given(NASTY_TEXT, st.one_of(st.none(), st.text(max_size=20)))
def test_extract_text_raises_only_input_errors(text: str, title: str | None) -> None:
    try:
        extracted = extract_text(text, title=title)
    except InputError as error:
        assert ONE_SENTENCE.fullmatch(str(error))
    else:
        assert not NOT_TEXT.search(extracted.text + (extracted.title or ""))
        for paragraph in extracted.paragraphs:
            assert " ".join(paragraph.split()) in normalised(text)
