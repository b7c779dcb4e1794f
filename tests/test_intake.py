"""Sentence splitting and extraction from HTML, Markdown and raw bytes."""

from __future__ import annotations

import pytest

from retrieval.charset import decode_text
from retrieval.errors import InputError
from retrieval.extract import can_read, extract_bytes, extract_html, extract_markdown
from retrieval.markdown import MAX_MARKS
from retrieval.sentences import MAX_SENTENCE_CHARS, split_sentences
from retrieval.sizes import byte_size
from retrieval.urls import site_of
from tests.support import ARTICLE_HTML, make_pdf

TRICKY_NEWS = [
    ("The U.S. Senate voted on Tuesday. It passed 51 to 49.", 2),
    ("Mr. Smith met Mrs. Jones at noon. They talked.", 2),
    ("The meeting ended at 5 p.m. on Friday. Nobody spoke.", 2),
    ("J.P. Morgan shares rose 3%. Analysts were surprised.", 2),
    ("She moved to Washington, D.C. in 2019. She still lives there.", 2),
    ('"We will never accept it," she said. "Never."', 2),
    ("“It’s true,” Sheinbaum confirmed. The report was accurate.", 2),
    ("Dr. Anna Jones led the count. It took three days.", 2),
    ("The St. Louis Fed raised rates. Markets fell.", 2),
    ("Prices rose 2.5 per cent in Jan. and Feb. combined. Wages did not.", 2),
]


@pytest.mark.parametrize("language", ["en", None])
@pytest.mark.parametrize(("text", "count"), TRICKY_NEWS)
def test_news_sentences(text: str, count: int, language: str | None) -> None:
    sentences = split_sentences(text, language)
    assert len(sentences) == count, sentences
    assert " ".join(sentences) == text


def test_a_run_without_full_stops_is_cut_verbatim() -> None:
    text = "word " * 1000
    pieces = split_sentences(text)
    assert all(len(p) <= MAX_SENTENCE_CHARS for p in pieces)
    assert " ".join(pieces) == text.strip()


def test_html_article_and_metadata() -> None:
    extracted = extract_html(ARTICLE_HTML, url="https://coastal.example/seals")
    assert extracted.title == "Harbour seals return to the estuary"
    assert extracted.author == "Ada Lovelace"
    assert extracted.language == "en"
    assert extracted.site == "coastal.example"
    assert extracted.paragraphs[0].startswith("Harbour seals have returned")
    assert "Copyright" not in extracted.text and "Sport" not in extracted.text


def test_html_keeps_the_text_the_page_shows() -> None:
    page = (
        "<html><head><title>Entities in HTML</title></head><body><article><h1>Entities in HTML</h1>"
        "<p>On this page &amp;amp; stands for the five characters a reader sees, and &amp;lt;b&amp;gt; "
        "names a tag, as every tutorial about HTML explains to its readers.</p>"
        "<ul><li>Первый пункт списка</li>"
        "<li>the seals <br> came back to the <code>estuary</code> again</li></ul>"
        "<table><tr><th>Port</th><th>Ships</th></tr><tr><td>Southend</td><td>1,200</td></tr></table>"
        "</article></body></html>"
    )
    assert extract_html(page).paragraphs == [
        "On this page &amp; stands for the five characters a reader sees, and &lt;b&gt; names a tag, "
        "as every tutorial about HTML explains to its readers.",
        "Первый пункт списка", "the seals", "came back to the estuary again",
        "Port", "Ships", "Southend", "1,200",
    ]


def test_html_without_text_is_refused() -> None:
    with pytest.raises(InputError):
        extract_html("<html><body><div><div></div></div></body></html>")


def test_markdown() -> None:
    extracted = extract_markdown(
        "# The title\n\nFirst **bold** paragraph with a [link](https://x.org)\ncontinued here.\n\n"
        "```\ncode = 1\n```\n\n## Section\n\n- item one\n- item two\n"
    )
    assert extracted.title == "The title"
    assert extracted.paragraphs == [
        "First bold paragraph with a link continued here.", "code = 1", "Section", "item one", "item two",
    ]


def test_markdown_keeps_every_character_a_reader_sees() -> None:
    extracted = extract_markdown(
        "Reads settings before my_config_file.py, then calls `run_batch_job` and `__init__`;\n"
        "snake_case_name stays, *emphasis* and __strong__ lose their marks, 2 * 3 * 4 = 24.\n\n"
        "1. First, see [the docs](https://docs.example/a_b \"Docs\") and <https://x.example/y_z>.\n"
        "2. A line ends here  \n   and goes on; `a * b` and \\_escaped\\_ stay. ![chart](c.png)\n\n"
        "> Quoted *text* with an &amp; and &copy;.\n\n"
        "```python\ndef run_batch_job(my_config):\n    return 1  # __main__\n```\n\n"
        "    indented_code = True\n"
    )
    assert extracted.title is None
    assert extracted.paragraphs == [
        "Reads settings before my_config_file.py, then calls run_batch_job and __init__; "
        "snake_case_name stays, emphasis and strong lose their marks, 2 * 3 * 4 = 24.",
        "First, see the docs and https://x.example/y_z.",
        "A line ends here\nand goes on; a * b and _escaped_ stay.",
        "Quoted text with an & and ©.",
        "def run_batch_job(my_config):\n    return 1  # __main__",
        "indented_code = True",
    ]


def test_markdown_in_other_scripts_and_raw_html() -> None:
    extracted = extract_markdown(
        "Заметки о порте\n===============\n\n"
        "Программа читает **настройки** из `my_config_file.py`; имя snake_case_name остаётся.\n\n"
        "* ميناء _جديد_ في المدينة\n* 新的港口于星期一开放。\n\n"
        "<div>\n<p>Первый абзац.</p><p>Второй<br>абзац.</p>\n<script>track()</script>\n</div>\n"
    )
    assert extracted.title == "Заметки о порте"
    assert extracted.paragraphs == [
        "Программа читает настройки из my_config_file.py; имя snake_case_name остаётся.",
        "ميناء جديد في المدينة", "新的港口于星期一开放。", "Первый абзац.", "Второй\nабзац.",
    ]


def test_markdown_too_complex_to_parse_quickly_is_refused() -> None:
    with pytest.raises(InputError, match="too big and complex"):
        extract_markdown("![" * (MAX_MARKS + 1))


def test_bytes_by_name_and_sniffing() -> None:
    assert extract_bytes(ARTICLE_HTML.encode(), filename="page.html").title.startswith("Harbour")
    assert extract_bytes(ARTICLE_HTML.encode(), filename="page.txt").title.startswith("Harbour")
    assert extract_bytes(b"# Notes\n\nSome text here.", filename="n.md").title == "Notes"
    with pytest.raises(InputError, match="not .docx"):
        extract_bytes(b"PK\x03\x04 zipped", filename="notes.docx")
    with pytest.raises(InputError, match="damaged"):
        extract_bytes(b"%PDF-1.4 not really", filename="paper.pdf")


def test_pdf_text_layer() -> None:
    sentences = [
        "Harbour seals have returned to the Thames estuary in numbers not seen for decades.",
        "The survey counted 1,200 seals on the sandbanks near Southend, up from 300 in 2005.",
    ]
    extracted = extract_bytes(make_pdf(sentences, title="Seals return"), filename="seals.pdf")
    assert extracted.title == "Seals return"
    assert extracted.paragraphs == sentences
    assert can_read("seals.pdf") and can_read("x", "text/plain") and not can_read("a.docx")


def test_decoding() -> None:
    assert decode_text("café".encode("cp1252")) == "café"
    assert decode_text("café".encode()) == "café"
    for binary in (b"\x00\x01\x02\x03" * 100, bytes(range(256)) * 10):
        with pytest.raises(InputError, match="binary"):
            decode_text(binary)
    with pytest.raises(InputError, match="empty"):
        decode_text(b"   ")


def test_a_page_declaring_its_charset_in_a_meta_tag() -> None:
    page = '<html><head><meta charset="windows-1251"></head><body><p>Привет, мир.</p></body></html>'
    assert "Привет, мир." in decode_text(page.encode("cp1251"))


UNDECLARED = [
    ("Новый порт открылся в понедельник. Власти города говорят, что грузооборот вырастет вдвое.", "cp1251"),
    ("Новий порт відкрився в понеділок. Влада міста каже, що вантажообіг зросте вдвічі.", "cp1251"),
    ("افتتح الميناء الجديد يوم الاثنين. وتقول السلطات إن حركة البضائع ستتضاعف خلال خمس سنوات.", "cp1256"),
    ("Το νέο λιμάνι άνοιξε τη Δευτέρα. Οι αρχές λένε ότι η κίνηση θα διπλασιαστεί.", "cp1253"),
    ("הנמל החדש נפתח ביום שני. הרשויות אומרות שתנועת המטענים תוכפל בתוך חמש שנים.", "cp1255"),
    ("新的港口于星期一在城市开放。当局说货运量将在五年内翻一番。", "gbk"),
    ("新しい港が月曜日に開港した。当局は貨物量が五年で倍増すると述べている。", "shift_jis"),
    ("O novo porto abriu na segunda-feira. As autoridades dizem que o tráfego vai dobrar. Ação!", "cp1252"),
    ("El nuevo puerto abrió el lunes. Las autoridades dicen que el tráfico se duplicará.", "cp1252"),
    ("Ação rápida.", "cp1252"),
]


@pytest.mark.parametrize(("text", "codec"), UNDECLARED)
def test_undeclared_legacy_charsets_are_recognised(text: str, codec: str) -> None:
    assert decode_text(text.encode(codec)) == text


def test_what_the_sender_declares_comes_first_and_a_stale_meta_tag_loses_to_utf8() -> None:
    assert decode_text("Привет, мир.".encode("koi8-r"), "koi8-r") == "Привет, мир."
    # Labelled latin-1, sent as windows-1252 (the euro sign is 0x80 there), as browsers read it.
    assert decode_text("5 € – café".encode("cp1252"), "iso-8859-1") == "5 € – café"
    stale = '<meta charset="iso-8859-1"><p>Grüße aus Köln, Привет.</p>'
    assert decode_text(stale.encode()) == stale
    # A label for a codec no page is in (and which would rewrite the text) is ignored.
    assert decode_text(b"caf\\u00e9 +AGE-", "unicode_escape") == "caf\\u00e9 +AGE-"
    assert decode_text(b"caf\\u00e9 +AGE-", "utf-7") == "caf\\u00e9 +AGE-"
    assert decode_text("Naïve".encode("utf-16")) == "Naïve"


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.Example.ORG:8443/story?x=1", "example.org"),
        ("https://news.bbc.co.uk/world", "news.bbc.co.uk"),
        ("http://127.0.0.1:8080/page", "127.0.0.1"),
        ("http://[::1]:80/page", "::1"),
        ("https://президент.рф/новости", "президент.рф"),
        ("http://[::1/page", None),
        ("mailto:someone@example.org", None),
        ("", None),
        (None, None),
    ],
)
def test_site_of(url: str | None, site: str | None) -> None:
    assert site_of(url) == site


def test_byte_size() -> None:
    sizes = [0, 1, 1023, 1024, 1536, 1_000_000, 1024 * 1024 - 1, 20 * 1024 * 1024, 5 * 1024**3 + 1]
    assert [byte_size(n) for n in sizes] == [
        "0 bytes", "1 byte", "1,023 bytes", "1 KB", "1.5 KB", "976.6 KB", "1 MB", "20 MB", "5 GB",
    ]


def test_a_page_with_too_many_elements_is_refused_quickly() -> None:
    page = "<html><body>" + "<p>x</p>" * 60_000 + "</body></html>"
    with pytest.raises(InputError, match="too big"):
        extract_html(page)
