"""Tests for the pasted-page cleaner, including the seed article's exact expected output."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.clean import CleanedPage, clean_page_text
from tests.support import assert_linear, shared_file

PROSE = [
    "The city council voted on Tuesday to extend the night bus service to the northern "
    "districts, after a year in which ridership on the existing lines doubled.",
    "Officials said the extension would cost about two million euros a year and that the "
    "money would come from the transport budget rather than from new fares.",
    "Residents who had campaigned for the change welcomed the decision but said they would "
    "keep watching whether the buses actually run on time once the service starts in March.",
]


def test_seed_article_gives_exactly_the_title_and_seven_paragraphs() -> None:
    text = shared_file("seed/seed-article.txt").read_text(encoding="utf-8")
    expected = json.loads(shared_file("seed/expected.json").read_text(encoding="utf-8"))
    page = clean_page_text(text)
    assert page.title == expected["title"]
    assert page.paragraphs == expected["paragraphs"]


def test_clean_article_passes_through_untouched() -> None:
    page = clean_page_text("\n\n".join(PROSE))
    assert page == CleanedPage(title=None, paragraphs=PROSE)


def test_clean_article_under_a_headline_keeps_every_paragraph() -> None:
    page = clean_page_text("Night buses reach the north\n\n" + "\n\n".join(PROSE))
    assert page.title == "Night buses reach the north"
    assert page.paragraphs == PROSE


def test_single_short_post_is_kept() -> None:
    assert clean_page_text("Meeting moved to 3pm tomorrow.\n").paragraphs == [
        "Meeting moved to 3pm tomorrow."
    ]


def test_two_sentence_channel_post_is_kept() -> None:
    post = "Big news today!\nWe released version 2.0 of the app, with offline mode."
    assert clean_page_text(post).paragraphs == post.splitlines()


def test_one_line_post_without_punctuation_is_kept() -> None:
    assert clean_page_text("  Bitcoin passes 100k for the first time  ").paragraphs == [
        "Bitcoin passes 100k for the first time"
    ]


def test_hard_wrapped_prose_is_joined_into_paragraphs() -> None:
    wrapped = (
        "The committee met for three hours on Monday and agreed that the\n"
        "report should be published before the end of the month, even though\n"
        "several members asked for more time to read the annexes.\n"
    )
    assert clean_page_text(wrapped).paragraphs == [" ".join(wrapped.split("\n")).strip()]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n", "\u00a0\u2028\u3000"])
def test_empty_or_blank_input_gives_an_empty_result(text: str) -> None:
    assert clean_page_text(text) == CleanedPage(title=None, paragraphs=[])


ARABIC = "مرحبا بكم في هذا المقال الطويل. " * 40


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("\x00\x01\x02\ufffd\ud800" * 50, False),
        ("word " * 200_000, True),
        ("x" * 1_000_000, False),
        (ARABIC, True),
        ("🎉🔥 " * 500 + "\n" + "👍\n" * 300, False),
        ("\r\n".join(["Home", "News", "", "©", "...", "…", "'", "|"] * 100), False),
        ("a.\nb.\n" * 1000, False),
    ],
    ids=["control-chars", "many-words", "one-long-word", "arabic", "emoji", "symbols", "tiny"],
)
def test_garbage_input_gives_nothing_or_the_text_itself(text: str, kept: bool) -> None:
    """No wordless or repeated junk survives; one long line of words (Arabic too) is kept
    whole, verbatim up to whitespace."""
    page = clean_page_text(text)
    assert page.title is None
    assert page.paragraphs == ([" ".join(text.split())] if kept else [])


def test_repeated_lines_are_dropped() -> None:
    share = "Share this story with your friends on social media"
    text = "\n\n".join([share, PROSE[0], share, PROSE[1], share, PROSE[2], share])
    page = clean_page_text(text)
    assert share not in page.paragraphs
    assert page.paragraphs == PROSE


def test_boilerplate_around_an_article_is_removed() -> None:
    text = "\n\n".join(
        ["Home", "World", "Sports", "Advertisement", PROSE[0], "Advertisement", PROSE[1],
         "Photo by Jane Doe / Getty Images", PROSE[2], "Sign up for our newsletter",
         "© 2024 Example Media. All rights reserved."]
    )
    assert clean_page_text(text).paragraphs == PROSE


def test_navigation_only_page_gives_no_paragraphs() -> None:
    text = "\n".join(
        ["Home", "News", "World", "Business", "Sports", "Contact Us", "Privacy Policy",
         "Terms of Use", "Subscribe", "Sign In", "Advertisement", "© 2024 Example Media"]
    )
    assert clean_page_text(text).paragraphs == []


def test_title_is_not_repeated_in_paragraphs() -> None:
    text = "\n\n".join(["Menu", "Search", "Night buses reach the north", *PROSE, "Related"])
    page = clean_page_text(text)
    assert page.title == "Night buses reach the north"
    assert page.title not in page.paragraphs


_WORDS = re.compile(r"\w+")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=200),
            st.sampled_from(["Advertisement", "Home", "", "Share this", *PROSE]),
        ),
        max_size=25,
    )
)
def test_never_raises_and_only_returns_words_from_the_input(lines: list[str]) -> None:
    text = "\n".join(lines)
    page = clean_page_text(text)
    input_words = set(_WORDS.findall(text))
    for paragraph in [*page.paragraphs, *([page.title] if page.title else [])]:
        assert paragraph.strip() == paragraph and paragraph
        assert set(_WORDS.findall(paragraph)) <= input_words


def test_a_long_line_is_cleaned_in_linear_time() -> None:
    """One long line of a word the cookie-notice check looks at (it once went quadratic):
    kept whole at 1 MB, and ten times the words cost about ten times the time."""
    line = "cookie " * 150_000
    assert clean_page_text(line) == CleanedPage(title=None, paragraphs=[line.strip()])
    assert_linear(lambda words: clean_page_text("cookie " * words), 5_000)
