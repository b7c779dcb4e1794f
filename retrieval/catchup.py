"""Catch-up: the few messages that tell what a group said, chosen like a summary.

A window of a group's messages is first untangled into threads of discussion, in the
order they were posted: a reply joins the thread of the message it answers; a message in
another forum topic, or after a long silence, never joins a thread there; a message that
shares words with a thread still going joins the one it shares most with (cosine of TF-IDF
vectors, each message's terms in its own language); a short message with nothing to share
("yes", "lol") joins the thread of the message just before it; a longer one that shares
nothing starts a thread of its own. Naming someone who writes in a thread ("Priya, I
restarted it") counts as much as sharing words with it.

The threads where most was said (messages and people; a lone remark only when nothing
else was discussed) become sections, a thread going on beside a section and alike in words
joining it rather than making a section of its own; the quotes
(3 to 7, more as more was said) are shared among them by size. Within a thread, messages
are chosen as the hybrid summary chooses sentences (:mod:`retrieval.summarize`): their
centrality in the thread's similarity graph (LexRank), plus the replies they drew and a
prior for the message that opened the thread, picked greedily with a redundancy penalty
(maximal marginal relevance), so no point is quoted twice; the same text posted twice is
one candidate. Messages too short to say anything are quoted only in a window that holds
nothing else. A long message is quoted by its one sentence closest to its thread.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from retrieval.language.words import words_of
from retrieval.summarize import Vector, lexrank, mmr, scaled, similarities, tfidf_vectors

# A thread is over after this long without a message.
GAP = timedelta(minutes=45)
# Cosine similarity to a thread at which a message joins it, and between two threads (going
# on at the same time) at which they are one discussion and get one section. Measured with
# bench/catchup.py: two threads of one discussion are rarely alike beyond 0.13, two of
# different discussions rarely beyond 0.03.
SAME_THREAD = 0.1
SAME_DISCUSSION = 0.08
# A message of fewer words, or fewer distinct content words, says too little to quote.
MIN_WORDS = 4
MIN_TERMS = 2
# A message longer than this (in characters) is quoted by its best sentence.
LONG_CHARS = 300
MIN_QUOTES = 3
MAX_QUOTES = 7
MAX_SECTIONS = 4
# A thread whose weight (messages plus people) is below this share of the largest
# thread's is left out: a section is for a discussion, not for a remark.
MINOR_THREAD = 0.2
# A message's score in its thread: its scaled centrality, plus this times the share of
# FULL_TERMS distinct content words it holds (short messages are central for saying little),
# plus this for each reply it drew (up to MAX_REPLIES counted), plus this for opening the
# thread, minus this for asking (an answer says more than its question).
INFORMATION_WEIGHT = 0.5
FULL_TERMS = 10
REPLY_WEIGHT = 0.15
MAX_REPLIES = 3
OPENER_WEIGHT = 0.3
QUESTION_PENALTY = 0.3
QUESTION_MARKS = ("?", "؟", "？", ";", "՞")

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


class Said(Protocol):
    """A message of the window, as :class:`retrieval.storage.catchup.KeptMessage` has it."""

    @property
    def message_id(self) -> int: ...
    @property
    def thread_id(self) -> int | None: ...
    @property
    def reply_to(self) -> int | None: ...
    @property
    def author_id(self) -> int: ...
    @property
    def author(self) -> str: ...
    @property
    def sent_at(self) -> datetime: ...
    @property
    def language(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def sentences(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Quote:
    message: int  # its position in the window
    sentence: int | None = None  # the one sentence quoted (its position in the message), or None: all of it


@dataclass(frozen=True)
class Section:
    members: list[int]  # positions in the window, in order
    quotes: list[Quote]  # in the order they were posted


@dataclass(eq=False)
class _Thread:
    topic: int | None
    members: list[int] = field(default_factory=list)
    centroid: Vector = field(default_factory=dict)
    norm: float = 0.0  # the centroid's length
    first: datetime | None = None
    last: datetime | None = None
    names: set[str] = field(default_factory=set)  # how its writers are called

    def add(self, position: int, vector: Vector, at: datetime, name: str | None) -> None:
        self.members.append(position)
        if name:
            self.names.add(name)
        squared = self.norm**2 + 2 * _dot(vector, self.centroid) + _dot(vector, vector)
        for term, weight in vector.items():
            self.centroid[term] = self.centroid.get(term, 0.0) + weight
        self.norm = math.sqrt(max(squared, 0.0))
        self.first = self.first or at
        self.last = at

    def absorb(self, other: _Thread) -> None:
        """Take in a thread found to be part of this one."""
        self.members = sorted(self.members + other.members)
        for term, weight in other.centroid.items():
            self.centroid[term] = self.centroid.get(term, 0.0) + weight
        self.norm = math.sqrt(_dot(self.centroid, self.centroid))
        self.names |= other.names
        self.first = min(filter(None, (self.first, other.first)))
        self.last = max(filter(None, (self.last, other.last)))

    def near(self, other: _Thread) -> bool:
        """In the same forum topic, and going on at the same time (give or take a silence)."""
        if self.topic != other.topic or None in (self.first, self.last, other.first, other.last):
            return False
        return self.first - GAP <= other.last and other.first - GAP <= self.last  # type: ignore[operator]

    def similarity(self, vector: Vector) -> float:
        """Cosine similarity of a unit ``vector`` to the thread's centroid."""
        return _dot(vector, self.centroid) / self.norm if self.norm else 0.0


def catch_up(messages: Sequence[Said], *, unquoted: Collection[int] = ()) -> list[Section]:
    """The sections that tell what ``messages`` (oldest first) said, in the order their
    threads started; none when nothing was said worth quoting. What the authors in
    ``unquoted`` wrote counts, but is not quoted."""
    if not messages:
        return []
    languages = _languages(messages)
    words = [words_of(language) for language in languages]
    texts = [_URL.sub(" ", message.text) for message in messages]
    bags = [w.terms(text) for w, text in zip(words, texts, strict=True)]
    vectors = tfidf_vectors(bags)
    tokens = [w.tokens(text) for w, text in zip(words, texts, strict=True)]
    substantial = _quotable(messages, [len(t) for t in tokens], bags)
    quotable = [ok and m.author_id not in unquoted for ok, m in zip(substantial, messages, strict=True)]
    names = [next(iter(w.tokens(m.author)), None) for w, m in zip(words, messages, strict=True)]
    threads = _untangle(messages, vectors, substantial, tokens, names)
    candidates = [thread for thread in threads if any(quotable[i] for i in thread.members)]
    if not candidates:
        return []
    discussions = [thread for thread in candidates if len(thread.members) > 1]
    candidates = discussions or candidates  # a remark nobody took up is no discussion
    total = sum(quotable)
    budget = min(total, max(MIN_QUOTES, min(MAX_QUOTES, round(math.log2(max(total, 1))))))

    def weigh(thread: _Thread) -> int:
        return _weight(thread, messages, substantial)

    chosen = _sections(candidates, weigh, min(MAX_SECTIONS, budget))
    room = [sum(quotable[i] for i in thread.members) for thread in chosen]
    shares = _shares([weigh(thread) for thread in chosen], room, budget)
    replies = Counter(m.reply_to for m in messages if m.reply_to is not None)
    sections = []
    for thread, share in zip(chosen, shares, strict=True):
        picked = _pick(thread, share, messages, vectors, quotable, replies)
        quotes = [Quote(i, _best_sentence(i, thread, messages, languages, vectors)) for i in sorted(picked)]
        sections.append(Section(members=thread.members, quotes=quotes))
    return sorted(sections, key=lambda section: section.members[0])


def _languages(messages: Sequence[Said]) -> list[str | None]:
    """Each message's language; one too short to tell takes the window's main language."""
    written = Counter[str]()
    for message in messages:
        if message.language:
            written[message.language] += len(message.text)
    main = written.most_common(1)[0][0] if written else None
    return [message.language or main for message in messages]


def _quotable(messages: Sequence[Said], words: Sequence[int], bags: Sequence[list[str]]) -> list[bool]:
    """Messages that say enough to quote (by their count of ``words`` and their terms),
    each text once; when none does, any with a word."""
    seen: set[str] = set()
    unique = []
    for message in messages:
        key = " ".join(message.text.lower().split())
        unique.append(key not in seen)
        seen.add(key)
    saying = [
        fresh and count >= MIN_WORDS and len(set(bag)) >= MIN_TERMS
        for fresh, count, bag in zip(unique, words, bags, strict=True)
    ]
    if any(saying):
        return saying
    return [fresh and count > 0 for fresh, count in zip(unique, words, strict=True)]


def _untangle(
    messages: Sequence[Said],
    vectors: Sequence[Vector],
    quotable: Sequence[bool],
    tokens: Sequence[list[str]],
    names: Sequence[str | None],
) -> list[_Thread]:
    """The window's threads of discussion, in the order they started. ``names`` are the
    first words of the authors' names, as the messages' ``tokens`` would hold them."""
    threads: list[_Thread] = []
    thread_of: list[_Thread] = []
    position_of = {message.message_id: i for i, message in enumerate(messages)}
    previous: dict[int | None, int] = {}  # each forum topic's last message
    for i, message in enumerate(messages):
        thread = None
        replied = position_of.get(message.reply_to) if message.reply_to is not None else None
        if replied is not None and replied < i:
            thread = thread_of[replied]
        else:
            live = [
                t for t in threads
                if t.topic == message.thread_id and t.last is not None and message.sent_at - t.last <= GAP
            ]
            named = set(tokens[i]) - {names[i]}
            scored = [
                (t.similarity(vectors[i]) + SAME_THREAD * bool(named & t.names), t) for t in live
            ]
            similarity, closest = max(scored, key=lambda pair: pair[0], default=(0.0, None))
            before = previous.get(message.thread_id)
            if closest is not None and similarity >= SAME_THREAD:
                thread = closest
            elif not quotable[i] and before is not None and any(t is thread_of[before] for t in live):
                thread = thread_of[before]
        if thread is None:
            thread = _Thread(topic=message.thread_id)
            threads.append(thread)
        thread.add(i, vectors[i], message.sent_at, names[i])
        thread_of.append(thread)
        previous[message.thread_id] = i
    return threads


def _sections(threads: list[_Thread], weigh: Callable[[_Thread], int], count: int) -> list[_Thread]:
    """Up to ``count`` sections, from the threads where most was said down: a thread whose
    words are like a section's going on at the same time is part of it (a discussion some of
    whose messages shared too little with the one before), one too small beside the largest
    is left out."""
    sections: list[_Thread] = []
    for thread in sorted(threads, key=lambda thread: -weigh(thread)):
        alike = [(_cosine(thread.centroid, s.centroid), s) for s in sections if s.near(thread)]
        similarity, home = max(alike, key=lambda pair: pair[0], default=(0.0, None))
        if home is not None and similarity >= SAME_DISCUSSION:
            home.absorb(thread)
        elif len(sections) < count:
            sections.append(thread)
    largest = max(weigh(section) for section in sections)
    return [section for section in sections if weigh(section) >= MINOR_THREAD * largest]


def _weight(thread: _Thread, messages: Sequence[Said], substantial: Sequence[bool]) -> int:
    """How much a thread matters: what was said in it (not its "ok"s), and by how many people."""
    said = [i for i in thread.members if substantial[i]]
    return len(said) + len({messages[i].author_id for i in said})


def _shares(weights: Sequence[int], room: Sequence[int], budget: int) -> list[int]:
    """Quotes for each section: one each, the rest by weight (D'Hondt), none beyond what a
    section can quote."""
    shares = [1] * len(weights)
    for _ in range(budget - len(weights)):
        open_ = [i for i in range(len(weights)) if shares[i] < room[i]]
        if not open_:
            break
        best = max(open_, key=lambda i: weights[i] / (shares[i] + 1))
        shares[best] += 1
    return shares


def _pick(
    thread: _Thread,
    count: int,
    messages: Sequence[Said],
    vectors: Sequence[Vector],
    quotable: Sequence[bool],
    replies: Counter[int | None],
) -> list[int]:
    """The ``count`` messages that best tell the thread: central, answered, not repeated."""
    candidates = [i for i in thread.members if quotable[i]]
    similarity = similarities([vectors[i] for i in candidates])
    central = scaled(lexrank(similarity)) if len(candidates) > 1 else [0.0]
    opener = thread.members[0]
    scores = []
    for n, i in enumerate(candidates):
        score = central[n] + INFORMATION_WEIGHT * min(len(vectors[i]), FULL_TERMS) / FULL_TERMS
        score += REPLY_WEIGHT * min(replies[messages[i].message_id], MAX_REPLIES)
        if i == opener:
            score += OPENER_WEIGHT
        if messages[i].text.rstrip().endswith(QUESTION_MARKS):
            score -= QUESTION_PENALTY
        scores.append(score)
    return [candidates[n] for n in mmr(range(len(candidates)), scores, similarity, count)]


def _best_sentence(
    position: int,
    thread: _Thread,
    messages: Sequence[Said],
    languages: Sequence[str | None],
    vectors: Sequence[Vector],
) -> int | None:
    """The sentence a long message is quoted by (the one closest to the rest of its thread,
    or to the message itself when it is alone), or None to quote a short one whole."""
    message = messages[position]
    if len(message.text) <= LONG_CHARS or len(message.sentences) < 2:
        return None
    others = [i for i in thread.members if i != position]
    target: Vector = {}
    for i in others or [position]:
        for term, weight in vectors[i].items():
            target[term] = target.get(term, 0.0) + weight
    words = words_of(languages[position])
    scores = [_cosine(dict(Counter(words.terms(sentence))), target) for sentence in message.sentences]
    return max(range(len(scores)), key=lambda n: (scores[n], -n))


def _dot(vector: Vector, other: Vector) -> float:
    return sum(weight * other.get(term, 0.0) for term, weight in vector.items())


def _cosine(vector: Vector, other: Vector) -> float:
    norms = math.sqrt(_dot(vector, vector) * _dot(other, other))
    return _dot(vector, other) / norms if norms else 0.0
