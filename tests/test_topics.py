"""The topic query language: parsing, matching, and its safety on any input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.errors import InputError
from retrieval.topics import ArticleText, matched_sentences, matches, parse_query

ARTICLE = ArticleText(
    [
        "Mexican President Claudia Sheinbaum rejected the offer of U.S. troops.",
        "Trump labeled drug cartels as foreign terrorist organizations.",
        "The cartel violence has spread to the border towns.",
    ],
    site="www.townhall.com",
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sheinbaum troops", True),
        ("cartel", True),  # stemmed: matches "cartels"
        ("sheinbaum canada", False),
        ('"drug cartels"', True),
        ('"cartels drug"', False),
        ("canada OR mexican", True),
        ("canada OR brazil", False),
        ("cartels -trump", False),
        ('cartels -"new york"', True),
        ("cartels site:townhall.com", True),
        ("cartels site:example.com", False),
        ("Cartels AND Border", True),  # "and" is a stop word, not an operator
    ],
)
def test_matching(query: str, expected: bool) -> None:
    assert matches(parse_query(query), ARTICLE) is expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "what to watch"),
        ("   ", "what to watch"),
        ('"unclosed phrase', "quotation mark"),
        ("OR cartels", "OR needs"),
        ("cartels OR", "OR needs"),
        ("-cartels", "at least one word"),
        ("the of and", "at least one word"),
        ("x " * 200, "too long"),
        (" ".join(f"w{n}" for n in range(20)), "too many"),
        ("cartels -site:example.com", "Excluding a site"),
    ],
)
def test_unparseable_queries_say_what_to_fix(query: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_query(query)


def test_matched_sentences_explain_the_match() -> None:
    query = parse_query("sheinbaum terrorist")
    shown = matched_sentences(query, ARTICLE)
    assert [m.position for m in shown] == [1, 2]
    first = shown[0]
    assert [first.text[a:b] for a, b in first.spans] == ["Sheinbaum"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        query = parse_query(text)
    except InputError as error:
        assert str(error)
    else:
        assert query.required
        matches(query, ARTICLE)
