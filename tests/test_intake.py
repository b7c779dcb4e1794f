"""Sentence splitting and extraction from HTML, Markdown and raw bytes."""

from __future__ import annotations

import pytest

from retrieval.errors import InputError
from retrieval.extract import can_read, decode_text, extract_bytes, extract_html, extract_markdown
from retrieval.sentences import MAX_SENTENCE_CHARS, split_sentences
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
        "First bold paragraph with a link continued here.", "Section", "item one", "item two",
    ]


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


def test_a_page_with_too_many_elements_is_refused_quickly() -> None:
    page = "<html><body>" + "<p>x</p>" * 60_000 + "</body></html>"
    with pytest.raises(InputError, match="too big"):
        extract_html(page)
