"""Reading what a requester may see: articles, extractive summaries, cited answers, and
forgetting an article. A group with catch-up on is answered from what it said, too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrieval.config import EngineConfig
from retrieval.errors import NotFound
from retrieval.models import Answer, ArticleInfo, CitedSentence, Summary
from retrieval.owners import Owner
from retrieval.services.visibility import Visibility
from retrieval.storage import Storage

if TYPE_CHECKING:
    from retrieval.answer import RankedSentence
    from retrieval.services.search_index import SearchIndex


class Reading:
    def __init__(
        self, config: EngineConfig, storage: Storage, search: SearchIndex, visibility: Visibility
    ) -> None:
        self._summary = config.summary
        self._articles = storage.articles
        self._kept = storage.catchup
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
        from retrieval.summarize import select_sentences, sentence_count  # the language layer

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
        from retrieval.answer import rank_answers  # the ranker, the index, the language layer

        if article_id is not None:
            self.article(article_id, owner)
        scope = self._visibility.search_scope(owner)
        self._search.commit_groups(scope)
        ranked = rank_answers(
            question, self._search.index, self._search.sentences_in, scope,
            article_id=article_id, max_sentences=max_sentences,
        )
        cited = self._cite(ranked)
        return Answer(question=question, abstained=not cited, sentences=cited)

    def _cite(self, ranked: list[RankedSentence]) -> list[CitedSentence]:
        """Citations of the ranked sentences: each article's title and link, or each kept
        message's author and link. A sentence deleted meanwhile is left out."""
        from retrieval.index import kept_message_id

        sources = {r.article_id for r in ranked}
        message_ids = [i for source in sources if (i := kept_message_id(source)) is not None]
        titles = self._articles.titles_and_urls([s for s in sources if kept_message_id(s) is None])
        messages = self._kept.messages(message_ids) if message_ids else {}
        cited = []
        for r in ranked:
            score = round(r.score, 4)
            if (message_id := kept_message_id(r.article_id)) is not None:
                if (message := messages.get(message_id)) is not None:
                    cited.append(CitedSentence(
                        article_id=None, index=r.position, text=r.text, score=score, title=message.author,
                        url=message.link, message=message.ref,
                    ))
            elif (title_and_url := titles.get(r.article_id)) is not None:
                title, url = title_and_url
                cited.append(CitedSentence(
                    article_id=r.article_id, index=r.position, text=r.text, score=score, title=title, url=url,
                ))
        return cited

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
