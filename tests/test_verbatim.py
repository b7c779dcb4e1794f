"""Verbatim means verbatim: every sentence Briefbot stores, whitespace normalised, stands in the
text a reader of its source sees, whatever the format it came in.

What the reader sees: for a web page, the text of its HTML; for Markdown, the text of its
CommonMark rendering (markdown-it to HTML, then lxml); for plain and pasted text, the text;
for a PDF, the lines drawn on its page. The documents are generated (hypothesis) from words
in several languages and scripts and from tokens that markup parsers like to eat.

One character a reader does not see is not stored: U+FEFF (a byte-order mark, or the old
zero width no-break space), whichever way the article comes in."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from random import Random

import lxml.html
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from retrieval.config import EngineConfig, FetchConfig, StorageConfig
from retrieval.engine import Engine
from retrieval.errors import InputError
from retrieval.models import Extracted, IngestResult
from retrieval.owners import Owner
from tests.support import make_pdf
from tests.web import Page, WebServer, serve

OWNER = Owner.chat(11)
WORDS = {
    "en": "the harbour seals returned to estuary after survey counted near town and water",
    "ru": "тюлени вернулись в устье реки после того как вода стала чище и рыба",
    "uk": "новий порт відкрився в понеділок і влада каже що вантажообіг зросте",
    "ar": "افتتحت المدينة الميناء الجديد يوم الاثنين بعد خمس سنوات من البناء",
    "fa": "بندر جدید روز دوشنبه افتتاح شد و حجم بار دو برابر خواهد شد",
    "hi": "नया बंदरगाह सोमवार को खुला और अधिकारियों ने कहा कि माल दोगुना होगा",
    "tr": "yeni liman pazartesi günü açıldı ve yetkililer yük trafiğinin artacağını söylüyor",
    "pt": "o novo porto abriu na segunda-feira e as autoridades dizem que tráfego vai dobrar",
    "es": "el nuevo puerto abrió el lunes y las autoridades dicen que el tráfico crecerá",
}
# Chinese is written without spaces between words.
HANZI = ["新的", "港口", "于", "星期一", "在", "城市", "开放", "当局", "说", "货运量", "将", "翻一番"]
TRICKY = [
    "my_config_file.py", "snake_case_name", "run_batch_job", "__init__", "a_b_c", "2*3*4", "C++",
    "AT&T", "x<y", "e.g.", "U.S.", "1,200", "3.14", "«цитата»", "“quoted”", "(aside)", "—", "50%",
    "#hashtag", "$5", "~tilde~", "a|b", "[x]", "!important", "🦭", "back\\slash", "<br>", "&amp;",
    "naïve", "Ação", "Größe",
]
LATIN1 = [
    *WORDS["en"].split(), *WORDS["pt"].split(), *WORDS["es"].split(),
    "my_config_file.py", "snake_case_name", "1,200", "3.14", "naïve", "Ação", "Größe", "(aside)", "e.g.",
]


def sentences_of(words: st.SearchStrategy[str], *, spaced: bool = True) -> st.SearchStrategy[str]:
    separator = " " if spaced else ""
    end = "." if spaced else "。"
    return st.lists(words, min_size=4, max_size=16).map(lambda ws: separator.join(ws) + end)


def paragraphs_of(sentence: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.lists(sentence, min_size=1, max_size=3).map(" ".join), min_size=2, max_size=6)


ANY_WORD = st.one_of(st.sampled_from(TRICKY), *(st.sampled_from(pool.split()) for pool in WORDS.values()))
SENTENCE = st.one_of(
    *(sentences_of(st.sampled_from(pool.split()) | st.sampled_from(TRICKY)) for pool in WORDS.values()),
    sentences_of(st.sampled_from(HANZI), spaced=False),
    sentences_of(ANY_WORD),
)
PARAGRAPHS = paragraphs_of(SENTENCE)
LATIN1_PARAGRAPHS = paragraphs_of(sentences_of(st.sampled_from(LATIN1)))


def normalised(text: str) -> str:
    return " ".join(text.split())


def html_text(html: str) -> str:
    """The text a reader of an HTML page or fragment sees (and a little more: scripts)."""
    document = lxml.html.document_fromstring(f"<html><body>{html}</body></html>")
    for line_break in document.iter("br"):
        line_break.tail = "\n" + (line_break.tail or "")
    return document.text_content()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = Path(tmp_path_factory.mktemp("verbatim")) / "verbatim.db"
    config = EngineConfig(storage=StorageConfig(path=str(path)), fetch=FetchConfig(allow_private=True))
    with Engine(config) as engine:
        yield engine


@pytest.fixture(scope="module")
def site() -> Iterator[WebServer]:
    """One web server for every page the HTML test generates."""
    with serve() as server:
        yield server


def assert_verbatim(engine: Engine, ingest: Callable[[], IngestResult], seen: str) -> None:
    """Every sentence stored from the source stands in ``seen``; a refusal is one sentence."""
    try:
        result = ingest()
    except InputError as error:
        assert str(error).endswith("."), str(error)
        return
    expected = normalised(seen)
    stored = engine.storage.articles.sentences(result.id)
    assert stored
    for sentence in stored:
        assert normalised(sentence.text) in expected, (sentence.text, expected)


# --- Markdown --------------------------------------------------------------------------

INLINE = st.sampled_from([
    "{}", "{}", "{}", "*{}*", "**{}**", "_{}_", "__{}__", "`{}`", "[{}](https://docs.example/a_b)",
    "[{}](<https://x.example/a b> \"title\")", "<https://x.example/{}>", "![{}](img_1.png)",
    "\\*{}\\*", "<span>{}</span>", "{}  \n", "&copy;{}", "{}<!-- hidden -->",
])
BLOCK = st.sampled_from([
    "{}", "{}", "{}", "# {}", "### {} ###", "{}\n===", "- {}", "1. {}", "* {}\n\n  {}", "> {}",
    "> - {}", "```python\n{}\n```", "~~~\n{}\n~~~", "    {}", "<div>\n{}\n</div>",
])


@st.composite
def markdown_documents(draw: st.DrawFn) -> str:
    blocks = []
    for paragraph in draw(PARAGRAPHS):
        words = [draw(INLINE).format(word) for word in paragraph.split(" ")]
        block = draw(BLOCK)
        blocks.append(block.replace("{}", " ".join(words)))
    return "\n\n".join(blocks) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_documents())
def test_markdown(engine: Engine, document: str) -> None:
    seen = html_text(MarkdownIt("commonmark").render(document))
    assert_verbatim(engine, lambda: engine.ingest_bytes(document.encode(), OWNER, filename="notes.md"), seen)


# --- HTML, fetched from a web server -----------------------------------------------------

TAGS = st.sampled_from(["{}", "{}", "{}", "<b>{}</b>", "<i>{}</i>", "<a href='/a?x=1&amp;y=2'>{}</a>",
                        "<code>{}</code>", "<em>{}</em>", "<span class='x'>{}</span>", "{} <br>"])
BLOCKS = st.sampled_from([
    "<p>{}</p>", "<p>{}</p>", "<p>{}</p>", "<h2>{}</h2>", "<ul><li>{}</li><li>{}</li></ul>",
    "<ol><li>{}</li></ol>", "<blockquote><p>{}</p></blockquote>", "<pre>{}</pre>",
    "<table><tr><th>{}</th><td>{}</td></tr></table>", "<div>{}</div>",
    "<figure><figcaption>{}</figcaption></figure>",
])
PAGE_NUMBER = itertools.count()


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    blocks = []
    for paragraph in draw(PARAGRAPHS):
        words = " ".join(draw(TAGS).format(escape(word, quote=False)) for word in paragraph.split(" "))
        blocks.append(draw(BLOCKS).replace("{}", words))
    body = "\n".join(blocks)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>A page</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>A page</h1>\n{body}\n</article><footer>© 2026 Example</footer></body></html>"
    )


# trafilatura once added the <code> pieces of a paragraph as a line of their own.
CODE_PIECES = (
    "<!doctype html><html><head><meta charset='utf-8'><title>A page</title></head><body><nav>"
    "<a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>A page</h1>\n"
    "<p>the the the the.</p>\n<div>the the the the the the the the the the the the the "
    "<code>the</code> <code>the</code> the. <code>harbour</code> <code>the</code> the the.</div>\n"
    "<p>the the the the.</p>\n</article><footer>© 2026 Example</footer></body></html>"
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_pages())
@example(page=CODE_PIECES)
def test_html(engine: Engine, site: WebServer, page: str) -> None:
    path = f"/page-{next(PAGE_NUMBER)}.html"
    site.pages[path] = Page(page, "text/html; charset=utf-8")
    assert_verbatim(engine, lambda: engine.ingest_url(site.url(path), OWNER), html_text(page))


# --- plain text, pasted pages ------------------------------------------------------------

FURNITURE = ["Home | World | Sport", "Advertisement", "Share this article", "Подписаться",
             "Read more:", "اقرأ أيضا", "Cookies help us deliver our services.", "12 comments"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PARAGRAPHS)
def test_plain_text_file(engine: Engine, paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    assert_verbatim(engine, lambda: engine.ingest_bytes(text.encode(), OWNER, filename="notes.txt"), text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PARAGRAPHS, st.lists(st.sampled_from(FURNITURE), min_size=1, max_size=6), st.randoms())
def test_pasted_page(engine: Engine, paragraphs: list[str], furniture: list[str], random: Random) -> None:
    lines = [*paragraphs, *furniture]
    random.shuffle(lines)
    text = "\n".join(lines)
    assert_verbatim(engine, lambda: engine.ingest_text(text, OWNER), text)


# --- PDF ------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LATIN1_PARAGRAPHS.map(lambda ps: [p[:200] for p in ps]))
def test_pdf(engine: Engine, lines: list[str]) -> None:
    pdf = make_pdf(lines, title="A report")
    assert_verbatim(engine, lambda: engine.ingest_bytes(pdf, OWNER, filename="report.pdf"), "\n".join(lines))


# --- U+FEFF ---------------------------------------------------------------------------------

BOM = "\ufeff"
# Per language: the first sentence as stored, and the article with a BOM before it, one
# inside a word and one where two texts were joined (the start of the last paragraph).
ARTICLES: dict[str, tuple[str, str]] = {
    "ru": (
        "Тюлени вернулись в устье Темзы впервые за полвека, сообщили учёные во вторник.",
        f"{BOM}Тюлени вернулись в устье Темзы впервые за полвека, сообщили учёные во вторник. "
        "Их подсчитали с лодок и с берега в течение трёх дней.\n\n"
        f"На отмелях у Саутенда насчитали тысячу двес{BOM}ти тюленей, а в 2005 году их было триста. "
        "Исследователи говорят, что вода стала чище и рыбы стало больше.\n\n"
        f"{BOM}Следующий подсчёт пройдёт летом, и на этот раз учёные возьмут с собой дроны. "
        "Дроны будут снимать тюленей тепловыми камерами.",
    ),
    "ar": (
        "عادت الفقمات إلى مصب نهر التايمز بأعداد لم تشهدها المنطقة منذ عقود.",
        f"{BOM}عادت الفقمات إلى مصب نهر التايمز بأعداد لم تشهدها المنطقة منذ عقود. "
        "وقد أحصاها الباحثون من القوارب ومن الشاطئ خلال ثلاثة أيام.\n\n"
        f"وأحصى المسح ألفا ومئت{BOM}ي فقمة على الضفاف الرملية قرب ساوثيند، بعد أن كانت ثلاثمئة في عام 2005. "
        "ويقول الباحثون إن المياه أصبحت أنظف وإن الأسماك أصبحت أكثر.\n\n"
        f"{BOM}وسيعاد المسح في الصيف المقبل باستخدام طائرات مسيرة مزودة بكاميرات حرارية. "
        "وستصور الطائرات الفقمات من الجو دون أن تزعجها.",
    ),
    "zh": (
        "海豹回到了泰晤士河口，数量是几十年来最多的一次。",
        f"{BOM}海豹回到了泰晤士河口，数量是几十年来最多的一次。研究人员在三天内从船上和岸上进行了统计。\n\n"
        f"调查在绍森德附近的沙洲上数到了一千二百只海{BOM}豹，而二〇〇五年只有三百只。"
        "研究人员说，河水变得更干净了，鱼也变多了。\n\n"
        f"{BOM}明年夏天将再次进行调查，这一次会使用装有热成像相机的无人机。无人机会从空中拍摄海豹。",
    ),
    "en": (
        "Harbour seals have returned to the Thames estuary in numbers not seen for decades.",
        f"{BOM}Harbour seals have returned to the Thames estuary in numbers not seen for decades. "
        "Researchers counted them from boats and from the shore over three days.\n\n"
        f"The survey counted 1,200 seals on the sand{BOM}banks near Southend, up from 300 in 2005. "
        "Researchers said cleaner water and a ban on netting had helped the fish the seals eat.\n\n"
        f"{BOM}The society will repeat the survey next summer with drones fitted with thermal cameras. "
        "The drones will film the seals from above without disturbing them.",
    ),
}
PATHS = ["pasted text", "txt file", "Markdown file", "web page", "Extracted"]


def html_page(text: str, language: str) -> str:
    paragraphs = "".join(f"<p>{paragraph}</p>" for paragraph in text.split("\n\n"))
    return (
        f'{BOM}<!doctype html><html lang="{language}"><head><title>Seals</title></head>'
        f"<body><article>{paragraphs}</article></body></html>"
    )


def ingest_by(
    path: str, engine: Engine, site: WebServer, language: str
) -> Callable[[str, Owner], IngestResult]:
    """How ``path`` stores a text (a str with its U+FEFFs) for an owner."""

    def web_page(text: str, owner: Owner) -> IngestResult:
        name = f"/{language}-{owner.id}.html"
        site.pages[name] = Page(html_page(text, language))
        return engine.ingest_url(site.url(name), owner)

    return {
        "pasted text": lambda text, owner: engine.ingest_text(text, owner),
        # Encoded, the BOM at the start is the file's byte-order mark.
        "txt file": lambda text, owner: engine.ingest_bytes(text.encode(), owner, filename="seals.txt"),
        "Markdown file": lambda text, owner: engine.ingest_bytes(text.encode(), owner, filename="seals.md"),
        "web page": web_page,
        "Extracted": lambda text, owner: engine.ingest(Extracted(text=text), owner),
    }[path]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("language", ARTICLES)
def test_no_u_feff_is_stored_and_nothing_else_changes(
    engine: Engine, site: WebServer, language: str, path: str
) -> None:
    first, text = ARTICLES[language]
    assert text.count(BOM) == 3
    ingest = ingest_by(path, engine, site, language)
    number = 10 * PATHS.index(path) + list(ARTICLES).index(language)
    with_marks, without = Owner.chat(1000 + number), Owner.chat(2000 + number)

    stored = ingest(text, with_marks)
    plain = ingest(text.replace(BOM, ""), without)

    sentences = [s.text for s in engine.storage.articles.sentences(stored.id)]
    assert sentences[0] == first
    assert not any(BOM in sentence for sentence in sentences), sentences
    assert sentences == [s.text for s in engine.storage.articles.sentences(plain.id)]
    assert BOM not in stored.title and BOM not in engine.article(stored.id, with_marks).title
    summary = engine.summarize(stored.id, with_marks)
    assert summary.sentences and BOM not in summary.title
    assert not any(BOM in sentence.text for sentence in summary.sentences)
