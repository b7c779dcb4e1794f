"""The SQLite SQL of the reads written with :func:`retrieval.storage.database.read`, compiled
from their Core statements by ``python -m retrieval.storage.compile_reads``: do not edit.
A reading command runs these through the driver without loading SQLAlchemy.
"""

from typing import Any

# read -> (SQL, its parameters in order, the values the statement itself gives)
SQL: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {
    'retrieval.storage.articles._article': (
        (
            'SELECT articles.id, articles.title, articles.url, articles.site, articles.author, '
            'articles.published, articles.language, articles.sentence_count, articles.added_at \n'
            'FROM articles \n'
            'WHERE articles.id = ?'
        ),
        ('id',),
        {'id': None},
    ),
    'retrieval.storage.articles._count': (
        (
            'SELECT count(DISTINCT ownership.article_id) AS count_1 \n'
            'FROM ownership \n'
            'WHERE (ownership.owner_kind, ownership.owner_id) IN (SELECT anon_1.owner_kind, '
            'anon_1.owner_id \n'
            'FROM (SELECT column1 AS owner_kind, column2 AS owner_id FROM (VALUES ?)) AS anon_1)'
        ),
        ('owners',),
        {'owners': None},
    ),
    'retrieval.storage.articles._indexed_sentence_count': (
        (
            'SELECT coalesce(sum(articles.sentence_count), ?) AS coalesce_1 \n'
            'FROM articles \n'
            'WHERE articles."indexed" = 1'
        ),
        ('coalesce_2',),
        {'coalesce_2': 0},
    ),
    'retrieval.storage.articles._listing': (
        (
            'SELECT articles.id, articles.title, articles.url, articles.site, articles.author, '
            'articles.published, articles.language, articles.sentence_count, max(ownership.added_at) '
            'AS owned_at \n'
            'FROM articles JOIN ownership ON ownership.article_id = articles.id AND '
            '(ownership.owner_kind, ownership.owner_id) IN (SELECT anon_1.owner_kind, anon_1.owner_id'
            ' \n'
            'FROM (SELECT column1 AS owner_kind, column2 AS owner_id FROM (VALUES ?)) AS anon_1) '
            'GROUP BY articles.id ORDER BY owned_at DESC, articles.id DESC\n'
            ' LIMIT ? OFFSET ?'
        ),
        ('owners', 'limit', 'offset'),
        {'owners': None, 'limit': None, 'offset': None},
    ),
    'retrieval.storage.articles._owners_of': (
        (
            'SELECT ownership.owner_kind, ownership.owner_id \n'
            'FROM ownership \n'
            'WHERE ownership.article_id = ? ORDER BY ownership.owner_kind, ownership.owner_id'
        ),
        ('id',),
        {'id': None},
    ),
    'retrieval.storage.articles._sentences': (
        (
            'SELECT sentences.article_id, sentences.position, sentences.paragraph, sentences.text, '
            'sentences.language, sentences.terms \n'
            'FROM sentences \n'
            'WHERE sentences.article_id = ? ORDER BY sentences.position'
        ),
        ('id',),
        {'id': None},
    ),
    'retrieval.storage.articles._sentences_in': (
        (
            'SELECT sentences.article_id, sentences.position, sentences.text, '
            'coalesce(sentences.language, articles.language) AS coalesce_1, sentences.terms \n'
            'FROM (SELECT column1 AS article_id, column2 AS first, column3 AS last FROM (VALUES ?)) '
            'AS anon_1 LEFT OUTER JOIN articles ON articles.id = anon_1.article_id JOIN sentences ON '
            'sentences.article_id = anon_1.article_id AND sentences.position BETWEEN anon_1.first AND'
            ' anon_1.last'
        ),
        ('ranges',),
        {'ranges': None},
    ),
    'retrieval.storage.articles._titles_and_urls': (
        (
            'SELECT anon_1.id, articles.title, articles.url \n'
            'FROM (SELECT column1 AS id FROM (VALUES ?)) AS anon_1 LEFT OUTER JOIN articles ON '
            'articles.id = anon_1.id'
        ),
        ('ids',),
        {'ids': None},
    ),
    'retrieval.storage.articles._unindexed_ids': (
        (
            'SELECT articles.id \n'
            'FROM articles \n'
            'WHERE articles."indexed" = 0'
        ),
        (),
        {},
    ),
    'retrieval.storage.articles._visible': (
        (
            'SELECT 1 AS anon_1 \n'
            'FROM ownership \n'
            'WHERE ownership.article_id = ? AND (ownership.owner_kind, ownership.owner_id) IN (SELECT'
            ' anon_2.owner_kind, anon_2.owner_id \n'
            'FROM (SELECT column1 AS owner_kind, column2 AS owner_id FROM (VALUES ?)) AS anon_2)\n'
            ' LIMIT ? OFFSET ?'
        ),
        ('id', 'owners', 'param_1', 'param_2'),
        {'id': None, 'owners': None, 'param_1': 1, 'param_2': 0},
    ),
    'retrieval.storage.catchup._indexed_sentence_count': (
        (
            'SELECT coalesce(sum(kept_messages.sentence_count), ?) AS coalesce_1 \n'
            'FROM kept_messages \n'
            'WHERE kept_messages."indexed" = 1'
        ),
        ('coalesce_2',),
        {'coalesce_2': 0},
    ),
    'retrieval.storage.catchup._is_on': (
        (
            'SELECT 1 AS anon_1 \n'
            'FROM catchup_groups \n'
            'WHERE catchup_groups.chat_id = ?'
        ),
        ('chat_id',),
        {'chat_id': None},
    ),
    'retrieval.storage.catchup._sentences_at': (
        (
            'SELECT kept_sentences.message, kept_sentences.position, kept_sentences.text \n'
            'FROM (SELECT column1 AS message, column2 AS position FROM (VALUES ?)) AS anon_1 JOIN '
            'kept_sentences ON kept_sentences.message = anon_1.message AND kept_sentences.position = '
            'anon_1.position'
        ),
        ('keys',),
        {'keys': None},
    ),
    'retrieval.storage.catchup._unindexed_ids': (
        (
            'SELECT kept_messages.id \n'
            'FROM kept_messages \n'
            'WHERE kept_messages."indexed" = 0'
        ),
        (),
        {},
    ),
    'retrieval.storage.feeds._owners_feeds': (
        (
            'SELECT DISTINCT subscriptions.feed_id \n'
            'FROM subscriptions \n'
            'WHERE (subscriptions.owner_kind, subscriptions.owner_id) IN (SELECT anon_1.owner_kind, '
            'anon_1.owner_id \n'
            'FROM (SELECT column1 AS owner_kind, column2 AS owner_id FROM (VALUES ?)) AS anon_1)'
        ),
        ('owners',),
        {'owners': None},
    ),
}
