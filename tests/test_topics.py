"""The topic query language: parsing, matching, and its safety on any input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.errors import InputError
from retrieval.topics import (
    MAX_CLAUSES,
    MAX_QUERY_CHARS,
    ArticleText,
    TopicQuery,
    matched_sentences,
    matches,
    parse_query,
)

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


# Every sentence parse_query refuses with: each says what to fix.
REFUSALS = {
    "Tell me what to watch for, for example: /subscribe mexico cartels",
    f"That topic is too long; keep it under {MAX_QUERY_CHARS} characters.",
    'A quotation mark is not closed: write phrases as "like this".',
    "OR needs a word on each side, for example: mexico OR canada",
    "site: cannot be one side of an OR.",
    "Excluding a site is not supported; name the sites you want instead.",
    "A topic needs at least one word to look for (not only -excluded ones).",
    f"That topic has too many parts; use at most {MAX_CLAUSES} words or phrases.",
}
QUERYISH = st.lists(
    st.one_of(
        st.sampled_from(["OR", "-", '"', "site:news.example", "-site:a.example", "the", "cartels",
                         "Sheinbaum", "troops", '"drug cartels"', "-trump", "ñandú", "Мексика", "墨西哥"]),
        st.text(max_size=12),
    ),
    max_size=16,
).map(" ".join)


def article_holding(query: TopicQuery) -> ArticleText:
    """An article made of the first alternative of each required clause, on the first site."""
    sentences = [" ".join(clause.alternatives[0].words) + "." for clause in query.required]
    return ArticleText(sentences, site=query.sites[0] if query.sites else None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), QUERYISH))
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    """A refusal is one of the parser's sentences, and the one the text calls for; a query
    that parses is within the limits and matches an article holding what it asks for."""
    normalised = " ".join(text.split())
    try:
        query = parse_query(text)
    except InputError as error:
        assert str(error) in REFUSALS
        if not normalised:
            assert "what to watch" in str(error)
        elif len(normalised) > MAX_QUERY_CHARS:
            assert "too long" in str(error)
        elif normalised.count('"') % 2:
            assert "quotation mark" in str(error)
    else:
        assert query.text == normalised and 0 < len(normalised) <= MAX_QUERY_CHARS
        assert query.required and len(query.required) + len(query.excluded) <= MAX_CLAUSES
        assert all(term.words for clause in query.required + query.excluded for term in clause.alternatives)
        assert matches(query, ArticleText([])) is False
        holding = article_holding(query)
        excluded = any(holding.has(term) for clause in query.excluded for term in clause.alternatives)
        assert matches(query, holding) is not excluded
        if matches(query, ARTICLE):
            assert matched_sentences(query, ARTICLE)
        for shown in matched_sentences(query, holding):
            assert shown.text == holding.sentences[shown.position - 1]
            assert all(0 <= start < end <= len(shown.text) for start, end in shown.spans)
