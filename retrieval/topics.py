"""Topic queries: search-engine syntax, parsed safely and matched against new articles.

Syntax (as in web search engines): ``words`` that must all occur (stemmed in the
article's language, so *cartel* matches *cartels* and *мост* matches *моста*),
``"exact phrases"``, ``a OR b`` (binds tighter than the implicit AND, as in Google),
``-excluded`` words or phrases, and ``site:example.com``. No regular
expressions: parsing and matching are linear in the size of the query and the article.

Matching a new article against thousands of topics goes through an inverted index of
topics (each topic is filed under the stems of one of its required clauses, as every
stemmer we have would cut them: a topic does not know the language of the articles it
will meet), so only topics that share a word with the article are evaluated at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from retrieval.errors import N_, NP_, InputError
from retrieval.language.detect import detect_language
from retrieval.language.words import NEUTRAL, STEMMERS, words_of

MAX_QUERY_CHARS = 300
MAX_CLAUSES = 12

_TOKEN = re.compile(r'-?"[^"]*"|\S+')
_SITE = re.compile(r"^site:([a-z0-9.-]+\.[a-z]{2,})$", re.IGNORECASE)
_OR_NEEDS_TWO_SIDES = N_("OR needs a word on each side, for example: mexico OR canada")


@dataclass(frozen=True)
class Term:
    """A word (one stem) or a phrase (several words in a row)."""

    words: tuple[str, ...]

    def stems(self, language: str | None) -> tuple[str, ...]:
        """The term's stems as the stemmer of ``language`` cuts them."""
        return tuple(words_of(language).stems(self.words))

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    def __str__(self) -> str:
        return f'"{" ".join(self.words)}"' if self.is_phrase else self.words[0]


@dataclass(frozen=True)
class Clause:
    """Alternatives joined by OR; the clause holds when any of them occurs."""

    alternatives: tuple[Term, ...]


@dataclass(frozen=True)
class TopicQuery:
    required: tuple[Clause, ...]
    excluded: tuple[Clause, ...] = ()
    sites: tuple[str, ...] = ()
    text: str = ""

    def anchor_stems(self) -> list[str]:
        """Stems to file the topic under: any article it matches contains one of them.

        We pick the required clause whose rarest-looking words are longest (a cheap proxy
        for rarity), and file under the longest word of each of its alternatives, stemmed
        in every language we can stem (and not at all, for the others).
        """
        best = max(self.required, key=lambda c: min(max(len(w) for w in t.words) for t in c.alternatives))
        anchors = {max(term.words, key=len) for term in best.alternatives}
        return sorted(
            {words_of(language).stem(word) for word in anchors for language in (None, *STEMMERS)}
        )

    def terms(self) -> list[Term]:
        return [term for clause in self.required for term in clause.alternatives]


def parse_query(text: str) -> TopicQuery:
    """Parse a topic; raises :class:`InputError` with a sentence saying what to fix."""
    text = _checked_text(text)
    # A lone stop word is no topic; which words those are depends on the topic's language.
    reader = _QueryReader(words_of(detect_language(text)).stop_words)
    for token in _TOKEN.findall(text):
        reader.read(token)
    return reader.query(text)


def _checked_text(text: str) -> str:
    """The query with its whitespace normalised, if it is not empty, too long or unbalanced."""
    text = " ".join(text.split())
    if not text:
        raise InputError("Tell me what to watch for, for example: /subscribe mexico cartels")
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(
            NP_("That topic is too long; keep it under {count} character.",
                "That topic is too long; keep it under {count} characters."),
            count=MAX_QUERY_CHARS,
        )
    if text.count('"') % 2:
        raise InputError('A quotation mark is not closed: write phrases as "like this".')
    return text


class _QueryReader:
    """Reads a query token by token: ``OR``, ``site:``, and words or phrases (``-`` excludes).

    A word or phrase opens a clause; ``OR`` makes the next one an alternative in the same
    clause instead.
    """

    def __init__(self, stop_words: frozenset[str]) -> None:
        self._stop_words = stop_words
        self._required: list[Clause] = []
        self._excluded: list[Clause] = []
        self._sites: list[str] = []
        self._pending: list[Term] = []  # alternatives of the clause being built
        self._negate_pending = False
        self._expect_alternative = False

    def read(self, token: str) -> None:
        if token == "OR":
            self._read_or()
            return
        negate = token.startswith("-") and len(token) > 1
        body = token[1:] if negate else token
        site = _SITE.match(body)
        if site:
            self._read_site(site.group(1), negate)
        else:
            self._read_term(_term(body, self._stop_words), negate)

    def query(self, text: str) -> TopicQuery:
        if self._expect_alternative:
            raise InputError(_OR_NEEDS_TWO_SIDES)
        self._close_clause()
        if not self._required:
            raise InputError("A topic needs at least one word to look for (not only -excluded ones).")
        if len(self._required) + len(self._excluded) > MAX_CLAUSES:
            raise InputError(
                NP_("That topic has too many parts; use at most {count} word or phrase.",
                    "That topic has too many parts; use at most {count} words or phrases."),
                count=MAX_CLAUSES,
            )
        return TopicQuery(tuple(self._required), tuple(self._excluded), tuple(self._sites), text)

    def _read_or(self) -> None:
        if not self._pending or self._expect_alternative:
            raise InputError(_OR_NEEDS_TWO_SIDES)
        self._expect_alternative = True

    def _read_site(self, site: str, negate: bool) -> None:
        if self._expect_alternative:
            raise InputError("site: cannot be one side of an OR.")
        self._close_clause()
        if negate:
            raise InputError("Excluding a site is not supported; name the sites you want instead.")
        self._sites.append(site.lower().removeprefix("www."))

    def _read_term(self, term: Term | None, negate: bool) -> None:
        """A word or phrase; None for a lone stop word, which is skipped."""
        if term is None:
            if self._expect_alternative:
                raise InputError(_OR_NEEDS_TWO_SIDES)
            return
        if self._expect_alternative:
            self._pending.append(term)
            self._expect_alternative = False
            return
        self._close_clause()
        self._pending.append(term)
        self._negate_pending = negate

    def _close_clause(self) -> None:
        if self._pending:
            (self._excluded if self._negate_pending else self._required).append(Clause(tuple(self._pending)))
            self._pending.clear()
        self._negate_pending = False


def _term(body: str, stop_words: frozenset[str]) -> Term | None:
    found = tuple(NEUTRAL.tokens(body.strip('"')))
    if not found:
        return None
    if len(found) == 1 and found[0] in stop_words and not body.startswith('"'):
        return None
    return Term(found)


@dataclass
class ArticleText:
    """What topic matching needs to know about one article, computed once.

    ``language`` is the article's; when it is not known it is detected from the text.
    """

    sentences: Sequence[str]
    site: str | None = None
    language: str | None = None
    sentence_words: list[list[str]] = field(init=False)
    stems: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.language = self.language or detect_language(" ".join(self.sentences[:20]))
        words = words_of(self.language)
        self.sentence_words = [words.tokens(s) for s in self.sentences]
        self.stems = set(words.stems([w for ws in self.sentence_words for w in ws]))

    def has(self, term: Term) -> bool:
        stems = term.stems(self.language)
        if not term.is_phrase:
            return stems[0] in self.stems
        if not all(s in self.stems for s in stems):
            return False
        return any(_contains_run(ws, term.words) for ws in self.sentence_words)

    def on_site(self, sites: Iterable[str]) -> bool:
        host = (self.site or "").lower().removeprefix("www.")
        return any(host == s or host.endswith("." + s) for s in sites)


def matches(query: TopicQuery, article: ArticleText) -> bool:
    if query.sites and not article.on_site(query.sites):
        return False
    if any(any(article.has(t) for t in clause.alternatives) for clause in query.excluded):
        return False
    return all(any(article.has(t) for t in clause.alternatives) for clause in query.required)


@dataclass(frozen=True)
class MatchedSentence:
    position: int  # 1-based
    text: str
    spans: tuple[tuple[int, int], ...]  # character ranges of the matched words, for bold


def matched_sentences(query: TopicQuery, article: ArticleText, limit: int = 2) -> list[MatchedSentence]:
    """The sentences that show why the article matched, in article order.

    Chosen greedily: first the sentence holding the most query terms, then the one that
    adds the most terms not shown yet, so two sentences explain more than one would.
    """
    terms = list(dict.fromkeys(query.terms()))
    words = words_of(article.language)
    term_stems = [t.stems(article.language) for t in terms]
    present: list[set[int]] = []
    for sentence_words in article.sentence_words:
        stems = set(words.stems(sentence_words))
        present.append({n for n, wanted in enumerate(term_stems) if all(s in stems for s in wanted)})
    shown: set[int] = set()
    chosen: list[int] = []
    for _ in range(limit):
        best = max(
            (i for i in range(len(present)) if i not in chosen),
            key=lambda i: (len(present[i] - shown), len(present[i]), -i),
            default=None,
        )
        if best is None or not present[best] - shown:
            break
        chosen.append(best)
        shown |= present[best]
    wanted = {s for stems in term_stems for s in stems}
    return [
        MatchedSentence(i + 1, article.sentences[i], _spans(article.sentences[i], wanted, article.language))
        for i in sorted(chosen)
    ]


def _spans(sentence: str, wanted: set[str], language: str | None) -> tuple[tuple[int, int], ...]:
    words = words_of(language)
    return tuple((start, end) for start, end, token in words.spans(sentence) if words.stem(token) in wanted)


def _contains_run(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    first = needle[0]
    return any(
        haystack[i] == first and tuple(haystack[i : i + n]) == tuple(needle)
        for i in range(len(haystack) - n + 1)
    )
