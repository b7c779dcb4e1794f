"""Reading what a requester may see: articles, extractive summaries, cited answers, and
forgetting an article."""

from __future__ import annotations

from retrieval.answer import rank_answers
from retrieval.config import EngineConfig
from retrieval.errors import NotFound
from retrieval.models import Answer, ArticleInfo, CitedSentence, Summary
from retrieval.owners import Owner
from retrieval.services.search_index import SearchIndex
from retrieval.services.visibility import Visibility
from retrieval.storage import Storage
from retrieval.summarize import select_sentences, sentence_count


class Reading:
    def __init__(
        self, config: EngineConfig, storage: Storage, search: SearchIndex, visibility: Visibility
    ) -> None:
        self._summary = config.summary
        self._articles = storage.articles
        self._search = search
        self._visibility = visibility

    def article(self, article_id: int, owner: Owner) -> ArticleInfo:
        """An article ``owner`` may see; :class:`NotFound` otherwise (also for others' ids)."""
        return self._visibility.article(article_id, owner)

    def articles(self, owner: Owner, *, limit: int = 20, offset: int = 0) -> list[ArticleInfo]:
        return self._articles.articles(self._visibility.scope(owner), limit, offset)

    def count_articles(self, owner: Owner) -> int:
        return self._articles.count_articles(self._visibility.scope(owner))

    def summarize(
        self,
        article_id: int,
        owner: Owner,
        *,
        sentences: int | None = None,
        percent: float | None = None,
        algorithm: str | None = None,
    ) -> Summary:
        info = self.article(article_id, owner)
        stored = self._articles.sentences(article_id)
        algorithm = algorithm or self._summary.algorithm
        if sentences is None and percent is None:
            sentences = self._summary.sentences
        count = sentence_count(len(stored), sentences=sentences, percent=percent)
        chosen = select_sentences(
            [s.text for s in stored], count, algorithm, title=info.title, language=info.language
        )
        return Summary(
            article_id=info.id,
            title=info.title,
            url=info.url,
            algorithm=algorithm,
            total_sentences=len(stored),
            sentences=[
                CitedSentence(
                    article_id=info.id, index=stored[i].position, text=stored[i].text,
                    title=info.title, url=info.url,
                )
                for i in chosen
            ],
        )

    def ask(
        self, question: str, owner: Owner, *, article_id: int | None = None, max_sentences: int = 3
    ) -> Answer:
        """1–3 stored sentences that answer ``question``, or ``abstained=True``."""
        if article_id is not None:
            self.article(article_id, owner)
        ranked = rank_answers(
            question, self._search.index, self._articles.sentences_at, self._visibility.scope(owner),
            article_id=article_id, max_sentences=max_sentences,
        )
        infos = {aid: self._articles.article(aid) for aid in {r.article_id for r in ranked}}
        cited = [
            CitedSentence(
                article_id=r.article_id, index=r.position, text=r.text, score=round(r.score, 4),
                title=info.title, url=info.url,
            )
            for r in ranked
            if (info := infos[r.article_id]) is not None
        ]
        return Answer(question=question, abstained=not cited, sentences=cited)

    def forget(self, article_id: int, owner: Owner) -> ArticleInfo:
        """Take the article away from ``owner`` (and delete it if nobody else holds it)."""
        self._search.check_writable()
        info = self.article(article_id, owner)
        if owner not in self._articles.owners_of(article_id):
            raise NotFound(
                "Article {article_id} comes from a feed; it is not yours to forget.", article_id=article_id
            )
        with self._search.writing():
            self._search.release(article_id, owner)
            self._search.commit()
        return info
