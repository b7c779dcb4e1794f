"""Near-duplicate stories for the digest: one story from several sources is shown once.

Each article gets a bottom-k MinHash sketch of the 2-shingles of its terms in its own
language (content-word stems with stop words dropped, so light rewording still overlaps;
character bigrams in Chinese, Japanese and Korean); two articles whose
estimated Jaccard similarity reaches :data:`SAME_STORY` are the same story. Candidates
are grouped greedily in rank order, so the cost is linear in the number of candidates
times the (small) number of items a digest shows.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from retrieval.language.words import words_of

SHINGLE = 2
SKETCH_SIZE = 48
SAME_STORY = 0.3
# Only the start of an article is compared: syndicated copies differ most in their tails.
COMPARED_WORDS = 400


@dataclass(frozen=True)
class Sketch:
    hashes: frozenset[int]

    @classmethod
    def of(cls, text: str, language: str | None) -> Sketch:
        tokens = words_of(language).terms(text)[:COMPARED_WORDS]
        shingles = {
            zlib.crc32(" ".join(tokens[i : i + SHINGLE]).encode())
            for i in range(max(1, len(tokens) - SHINGLE + 1))
        }
        return cls(frozenset(heapq.nsmallest(SKETCH_SIZE, shingles)))

    def similarity(self, other: Sketch) -> float:
        """Estimated Jaccard similarity of the two shingle sets (bottom-k estimator)."""
        common = self.hashes & other.hashes
        if not common:
            return 0.0
        union = sorted(self.hashes | other.hashes)[:SKETCH_SIZE]
        return sum(1 for h in union if h in common) / len(union)


@dataclass
class Story:
    lead: int  # article id shown
    others: list[int] = field(default_factory=list)  # the same story elsewhere


def group_stories(
    candidates: Sequence[int], sketch_of: Callable[[int], Sketch], max_stories: int
) -> list[Story]:
    """Up to ``max_stories`` distinct stories from candidates given best first."""
    stories: list[tuple[Story, Sketch]] = []
    for article_id in candidates:
        sketch = sketch_of(article_id)
        for story, lead_sketch in stories:
            if sketch.similarity(lead_sketch) >= SAME_STORY:
                story.others.append(article_id)
                break
        else:
            if len(stories) < max_stories:
                stories.append((Story(article_id), sketch))
    return [story for story, _ in stories]
