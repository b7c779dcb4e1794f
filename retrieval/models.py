"""Data that crosses the engine's boundary: results for the CLI (as JSON) and the bot."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Extracted(BaseModel):
    """An article as it comes out of intake, before it is stored."""

    title: str | None = None
    text: str = Field(description="Body paragraphs separated by a blank line.")
    url: str | None = None
    site: str | None = None
    author: str | None = None
    published: str | None = None
    language: str | None = None

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]


class ArticleInfo(BaseModel):
    """A stored article's metadata (no body)."""

    id: int
    title: str
    url: str | None = None
    site: str | None = None
    author: str | None = None
    published: str | None = None
    language: str | None = None
    sentences: int
    added: datetime


class IngestResult(BaseModel):
    id: int
    title: str
    sentences: int
    duplicate: bool = Field(False, description="True when the article was already stored.")


class CitedSentence(BaseModel):
    """One sentence quoted verbatim from a stored article, with what is needed to cite it."""

    article_id: int
    index: int = Field(description="Position of the sentence in its article, from 1.")
    text: str
    title: str
    url: str | None = None
    score: float | None = None


class Summary(BaseModel):
    article_id: int
    title: str
    url: str | None = None
    algorithm: str
    sentences: list[CitedSentence]
    total_sentences: int


class Answer(BaseModel):
    question: str
    abstained: bool
    sentences: list[CitedSentence]
