"""Topic queries: search-engine syntax, parsed safely and matched against new articles.

Syntax (as in web search engines): ``words`` that must all occur (stemmed, so *cartel*
matches *cartels*), ``"exact phrases"``, ``a OR b`` (binds tighter than the implicit AND,
as in Google), ``-excluded`` words or phrases, and ``site:example.com``. No regular
expressions: parsing and matching are linear in the size of the query and the article.

Matching a new article against thousands of topics goes through an inverted index of
topics (each topic is filed under the stems of one of its required clauses), so only
topics that share a word with the article are evaluated at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from retrieval.errors import NP_, InputError, NotFound
from retrieval.models import TopicInfo, TopicMode
from retrieval.store import Store, now
from retrieval.text import STOP_WORDS, stem, words

MAX_QUERY_CHARS = 300
MAX_CLAUSES = 12

_TOKEN = re.compile(r'-?"[^"]*"|\S+')
_SITE = re.compile(r"^site:([a-z0-9.-]+\.[a-z]{2,})$", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    """A word (one stem) or a phrase (several words in a row)."""

    words: tuple[str, ...]

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(stem(w) for w in self.words)

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

        We pick the required clause whose rarest-looking stems are longest (a cheap proxy
        for rarity), and file under one stem of each of its alternatives.
        """
        best = max(self.required, key=lambda c: min(max(len(s) for s in t.stems) for t in c.alternatives))
        return sorted({max(term.stems, key=len) for term in best.alternatives})

    def terms(self) -> list[Term]:
        return [term for clause in self.required for term in clause.alternatives]


def parse_query(text: str) -> TopicQuery:
    """Parse a topic; raises :class:`InputError` with a sentence saying what to fix."""
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
    required: list[Clause] = []
    excluded: list[Clause] = []
    sites: list[str] = []
    pending: list[Term] = []  # alternatives of the clause being built
    negate_pending = False
    expect_alternative = False

    def close_clause() -> None:
        nonlocal negate_pending
        if pending:
            (excluded if negate_pending else required).append(Clause(tuple(pending)))
            pending.clear()
        negate_pending = False

    for token in _TOKEN.findall(text):
        if token == "OR":
            if not pending or expect_alternative:
                raise InputError("OR needs a word on each side, for example: mexico OR canada")
            expect_alternative = True
            continue
        negate = token.startswith("-") and len(token) > 1
        body = token[1:] if negate else token
        site = _SITE.match(body)
        if site:
            if expect_alternative:
                raise InputError("site: cannot be one side of an OR.")
            close_clause()
            if negate:
                raise InputError("Excluding a site is not supported; name the sites you want instead.")
            sites.append(site.group(1).lower().removeprefix("www."))
            continue
        term = _term(body)
        if term is None:
            if expect_alternative:
                raise InputError("OR needs a word on each side, for example: mexico OR canada")
            continue
        if expect_alternative:
            pending.append(term)
            expect_alternative = False
            continue
        close_clause()
        pending.append(term)
        negate_pending = negate
    if expect_alternative:
        raise InputError("OR needs a word on each side, for example: mexico OR canada")
    close_clause()
    if not required:
        raise InputError("A topic needs at least one word to look for (not only -excluded ones).")
    if len(required) + len(excluded) > MAX_CLAUSES:
        raise InputError(
            NP_("That topic has too many parts; use at most {count} word or phrase.",
                "That topic has too many parts; use at most {count} words or phrases."),
            count=MAX_CLAUSES,
        )
    return TopicQuery(tuple(required), tuple(excluded), tuple(sites), text)


def _term(body: str) -> Term | None:
    found = tuple(words(body.strip('"')))
    if not found:
        return None
    if len(found) == 1 and found[0] in STOP_WORDS and not body.startswith('"'):
        return None
    return Term(found)


@dataclass
class ArticleText:
    """What topic matching needs to know about one article, computed once."""

    sentences: Sequence[str]
    site: str | None = None
    sentence_words: list[list[str]] = field(init=False)
    stems: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.sentence_words = [words(s) for s in self.sentences]
        self.stems = {stem(w) for ws in self.sentence_words for w in ws}

    def has(self, term: Term) -> bool:
        if not term.is_phrase:
            return term.stems[0] in self.stems
        if not all(s in self.stems for s in term.stems):
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
    present: list[set[int]] = []
    for sentence_words in article.sentence_words:
        stems = {stem(w) for w in sentence_words}
        present.append({n for n, t in enumerate(terms) if all(s in stems for s in t.stems)})
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
    return [
        MatchedSentence(i + 1, article.sentences[i], _spans(article.sentences[i], terms))
        for i in sorted(chosen)
    ]


def _spans(sentence: str, terms: Sequence[Term]) -> tuple[tuple[int, int], ...]:
    wanted = {s for t in terms for s in t.stems}
    return tuple(
        (m.start(), m.end())
        for m in re.finditer(r"\w+", sentence)
        if stem(m.group().lower()) in wanted
    )


def _contains_run(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    first = needle[0]
    return any(
        haystack[i] == first and tuple(haystack[i : i + n]) == tuple(needle)
        for i in range(len(haystack) - n + 1)
    )


MAX_TOPICS_PER_OWNER = 100


class TopicBook:
    """Topics in SQLite, with the inverted index that finds candidate topics for an article."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._parsed: dict[int, TopicQuery] = {}

    def add(self, owner: str, text: str, mode: TopicMode = "daily") -> TopicInfo:
        query = parse_query(text)
        with self._store.transaction() as db:
            count = db.execute("SELECT COUNT(*) FROM topics WHERE owner = ?", (owner,)).fetchone()[0]
            existing = db.execute(
                "SELECT id, mode FROM topics WHERE owner = ? AND query = ?", (owner, query.text)
            ).fetchone()
            if existing:
                return TopicInfo(id=existing[0], query=query.text, mode=existing[1])
            if count >= MAX_TOPICS_PER_OWNER:
                raise InputError(
                    NP_("A chat can watch up to {count} topic; remove one first.",
                        "A chat can watch up to {count} topics; remove one first."),
                    count=MAX_TOPICS_PER_OWNER,
                )
            topic_id = db.execute(
                "INSERT INTO topics (owner, query, mode, added_at) VALUES (?, ?, ?, ?)",
                (owner, query.text, mode, now()),
            ).lastrowid
            db.executemany(
                "INSERT INTO topic_anchors (stem, topic_id) VALUES (?, ?)",
                [(anchor, topic_id) for anchor in query.anchor_stems()],
            )
        assert topic_id is not None
        self._parsed[topic_id] = query
        return TopicInfo(id=topic_id, query=query.text, mode=mode)

    def list(self, owner: str) -> list[TopicInfo]:
        with self._store.reading() as db:
            rows = db.execute(
                "SELECT id, query, mode FROM topics WHERE owner = ? ORDER BY id", (owner,)
            ).fetchall()
        return [TopicInfo(id=r[0], query=r[1], mode=r[2]) for r in rows]

    def get(self, topic_id: int, owner: str) -> TopicInfo:
        if not 0 < topic_id < 2**63:
            raise NotFound("There is no topic {topic_id}.", topic_id=topic_id)
        with self._store.reading() as db:
            row = db.execute(
                "SELECT id, query, mode FROM topics WHERE id = ? AND owner = ?", (topic_id, owner)
            ).fetchone()
        if row is None:
            raise NotFound("There is no topic {topic_id}.", topic_id=topic_id)
        return TopicInfo(id=row[0], query=row[1], mode=row[2])

    def remove(self, topic_id: int, owner: str) -> TopicInfo:
        info = self.get(topic_id, owner)
        with self._store.transaction() as db:
            db.execute("DELETE FROM topics WHERE id = ?", (topic_id,))
        self._parsed.pop(topic_id, None)
        return info

    def set_mode(self, topic_id: int, owner: str, mode: TopicMode) -> TopicInfo:
        info = self.get(topic_id, owner)
        with self._store.transaction() as db:
            db.execute("UPDATE topics SET mode = ? WHERE id = ?", (mode, topic_id))
        return info.model_copy(update={"mode": mode})

    def any_active(self, audience: Sequence[str] | None) -> bool:
        """Whether anyone in the audience (``None``: everyone) watches a topic at all."""
        if audience is not None and not audience:
            return False
        owner_filter = "" if audience is None else f" AND owner IN ({','.join('?' * len(audience))})"
        with self._store.reading() as db:
            row = db.execute(
                f"SELECT 1 FROM topics WHERE mode != 'off'{owner_filter} LIMIT 1", tuple(audience or ())
            ).fetchone()
        return row is not None

    def match(
        self, article_id: int, article: ArticleText, audience: Sequence[str] | None
    ) -> list[tuple[TopicInfo, str]]:
        """Record and return the (topic, owner) pairs the article matches.

        ``audience`` lists the owners who can see the article; ``None`` means everyone
        (an article from a feed every chat receives).
        """
        if audience is not None and not audience:
            return []
        stems = json.dumps(sorted(article.stems))
        owner_filter = "" if audience is None else f" AND t.owner IN ({','.join('?' * len(audience))})"
        with self._store.reading() as db:
            rows = db.execute(
                "SELECT DISTINCT t.id, t.owner, t.query, t.mode FROM topic_anchors a"
                " JOIN topics t ON t.id = a.topic_id"
                f" WHERE a.stem IN (SELECT value FROM json_each(?)) AND t.mode != 'off'{owner_filter}",
                (stems, *(audience or ())),
            ).fetchall()
        matched = [
            (TopicInfo(id=r[0], query=r[2], mode=r[3]), r[1])
            for r in rows
            if matches(self._query(r[0], r[2]), article)
        ]
        if matched:
            with self._store.transaction() as db:
                db.executemany(
                    "INSERT OR IGNORE INTO topic_matches (topic_id, article_id, matched_at)"
                    " VALUES (?, ?, ?)",
                    [(topic.id, article_id, now()) for topic, _ in matched],
                )
        return matched

    def query(self, topic: TopicInfo) -> TopicQuery:
        return self._query(topic.id, topic.query)

    def _query(self, topic_id: int, text: str) -> TopicQuery:
        parsed = self._parsed.get(topic_id)
        if parsed is None:
            parsed = self._parsed[topic_id] = parse_query(text)
        return parsed
