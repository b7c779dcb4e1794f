"""Markdown read the way a reader of its rendered page sees it (CommonMark, by markdown-it-py).

Code spans and blocks are kept verbatim, links and emphasis lose their markup but keep
their words, an underscore inside a word stays (``my_config_file.py``), and every
paragraph, list item, quote and heading becomes a paragraph. Images are seen, not read:
their alt text is left out, as are raw HTML tags and scripts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.token import Token

from retrieval.errors import InputError

_PARSER = MarkdownIt("commonmark")
# markdown-it's time grows faster than linearly with runs of unclosed brackets and
# emphasis marks in one paragraph: up to about 3 s for this many on our machines (a run
# of "![a"). Rust's release notes, 900 KB of Markdown, have 22,000 and take 1.8 s.
MAX_MARKS = 50_000
_MARKS = "[!*_<"
_LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
# Raw HTML blocks: what the reader never sees, and elements shown on lines of their own.
_UNSEEN = ("script", "style", "template", "head", "title")
_BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul",
)


@dataclass(frozen=True)
class MarkdownText:
    title: str | None
    """The first heading, when no paragraph comes before it."""
    paragraphs: list[str]


def read_markdown(text: str) -> MarkdownText:
    """The title and paragraphs a reader of ``text``'s CommonMark rendering sees."""
    if sum(text.count(mark) for mark in _MARKS) > MAX_MARKS:
        raise InputError("That Markdown is too big and complex for me to read.")
    title: str | None = None
    paragraphs: list[str] = []
    tokens = _PARSER.parse(text)
    for number, token in enumerate(tokens):
        match token.type:
            case "inline":
                shown = _inline_text(token.children or []).strip()
                in_heading = number > 0 and tokens[number - 1].type == "heading_open"
                if in_heading and title is None and not paragraphs:
                    title = " ".join(shown.split()) or None
                elif shown:
                    paragraphs.append(shown)
            case "fence" | "code_block":
                paragraphs.extend(_blocks(token.content))
            case "html_block":
                paragraphs.extend(_blocks(_html_text(token.content)))
    return MarkdownText(title=title, paragraphs=paragraphs)


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        match child.type:
            case "text" | "code_inline":
                parts.append(child.content)
            case "softbreak":  # a line break in the source, a space on the page
                parts.append(" ")
            case "hardbreak":
                parts.append("\n")
            case "html_inline" if _LINE_BREAK_TAG.fullmatch(child.content):
                parts.append("\n")
    return "".join(parts)


def _html_text(html: str) -> str:
    """The text a browser shows for a raw HTML block, its blocks on lines of their own."""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):  # nothing but a doctype, a processing instruction...
        return ""
    etree.strip_elements(root, *_UNSEEN, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for element in root.iter(*_BLOCK_TAGS):
        if element.tag == "br":
            element.tail = "\n" + (element.tail or "")
        else:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
    return root.text_content()


def _blocks(text: str) -> list[str]:
    """Paragraphs of a code or HTML block: its text between blank lines."""
    return [block.strip("\n") for block in re.split(r"\n[ \t]*\n", text) if block.strip()]
