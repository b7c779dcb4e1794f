"""The text of an HTML page as its reader sees it, for :func:`retrieval.extract.extract_html`.

trafilatura finds the article; this module takes its words from trafilatura's extracted tree
and the page's own text, not from trafilatura's text output, so that every stored paragraph
stands in the page. Imported only when a page is read (lxml costs start-up time).
"""

from __future__ import annotations

import bisect
import itertools
import re

import lxml.html
from lxml import etree

# Elements of trafilatura's output tree that run inside a line of text.
_INLINE_ELEMENTS = frozenset({"hi", "ref", "code", "del", "span", "sub", "sup"})
_NON_SPACE = re.compile(r"\S+")
_UTF8_HTML = lxml.html.HTMLParser(encoding="utf-8")


def shown_paragraphs(body: etree._Element) -> list[str]:
    """The lines of trafilatura's extracted body as the page shows them.

    Not trafilatura's own text, which unescapes text that is already decoded (a page's
    literal "&amp;" becomes "&") and writes lists and tables as Markdown ("- item",
    "| a | b |"). Every element that does not run inside a line stands on lines of its own.
    """
    pieces: list[str] = []
    for event, element in etree.iterwalk(body, events=("start", "end")):
        tail = (element.tail or "") if element is not body else ""
        if not isinstance(element.tag, str):  # a comment: only its tail is text
            pieces.append(tail if event == "end" else "")
            continue
        line_break = "" if element.tag in _INLINE_ELEMENTS else "\n"
        pieces += [line_break, element.text or ""] if event == "start" else [line_break, tail]
    return [line.strip() for line in "".join(pieces).splitlines() if line.strip()]


def anchored(paragraphs: list[str], html: str) -> list[str]:
    """Each paragraph with the spacing the page's own text has.

    trafilatura drops a space now and then (after a ``<br>`` in a list item, before the
    next element: "the <code>x</code>" becomes "thex"), so every paragraph is looked up in
    the page's text with whitespace ignored, and taken from there. A paragraph not found
    there is not the page's text and is left out: trafilatura gathers the ``<code>`` pieces of
    a paragraph into one more line of their own ("the harbour"), words a reader never sees
    side by side.
    """
    try:  # as bytes, in case the page starts with an XML declaration naming another encoding
        page = lxml.html.document_fromstring(html.encode(), parser=_UTF8_HTML)
    except etree.ParserError:
        return paragraphs
    etree.strip_elements(page, "script", "style", "noscript", "template", with_tail=False)
    shown = page.text_content()
    runs = [match.span() for match in _NON_SPACE.finditer(shown)]
    compact = "".join(shown[begin:end] for begin, end in runs)
    run_starts = list(itertools.accumulate((end - begin for begin, end in runs), initial=0))

    def in_shown(offset: int) -> int:
        """Where the character at ``offset`` in ``compact`` stands in ``shown``."""
        run = bisect.bisect_right(run_starts, offset) - 1
        return runs[run][0] + offset - run_starts[run]

    result: list[str] = []
    search_from = 0
    for paragraph in paragraphs:
        key = "".join(paragraph.split())
        found = compact.find(key, search_from)
        if found < 0:
            found = compact.find(key)
        if found < 0:
            continue
        search_from = found + len(key)
        result.append(shown[in_shown(found):in_shown(search_from - 1) + 1])
    return result
