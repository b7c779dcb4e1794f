"""Every language: detection, words, and the engine's answers, summaries, topics and digests.

The articles in tests/articles are one short news story (a new bridge, 840 metres long)
written for these tests in 23 languages, each with a question about the bridge's length.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.config import EngineConfig, StorageConfig
from retrieval.digest import Sketch
from retrieval.engine import Engine
from retrieval.extract import extract_html
from retrieval.language.detect import (
    ArticleLanguages,
    article_languages,
    detect_language,
    question_language,
)
from retrieval.language.questions import asks_for_number, without_question_words
from retrieval.language.words import words_of
from retrieval.models import Extracted
from retrieval.owners import Owner
from retrieval.summarize import ALGORITHMS
from retrieval.topics import ArticleText, matched_sentences, matches, parse_query

ARTICLES = Path(__file__).parent / "articles"
QUESTIONS: dict[str, str] = json.loads((ARTICLES / "questions.json").read_text(encoding="utf-8"))
LANGUAGES = sorted(QUESTIONS)
OWNER = Owner.chat(1)


def article(language: str) -> tuple[str, str]:
    """(title, body) of the test article in ``language``."""
    title, body = (ARTICLES / f"{language}.txt").read_text(encoding="utf-8").split("\n\n", 1)
    return title, body.strip()


def holds_length(sentence: str) -> bool:
    return "840" in words_of(None).lower(sentence)  # Persian writes ۸۴۰


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    with Engine(EngineConfig(storage=StorageConfig(path=str(tmp_path / "b.db")))) as opened:
        yield opened


# --- detection ------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_article_is_detected_in_its_language(language: str) -> None:
    assert detect_language(article(language)[1]) == language


def test_text_without_letters_has_no_language() -> None:
    assert detect_language("12 345 — 67.8 %") is None
    assert detect_language("") is None


def test_a_page_takes_its_bodys_language_not_its_title_or_declaration() -> None:
    title, body = article("ru")
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    html = f'<html lang="en"><head><title>Bridge news</title></head><body><h1>Bridge news</h1>' \
           f"<article>{paragraphs}</article></body></html>"
    assert extract_html(html).language == "ru"


def test_a_question_takes_a_language_the_chat_reads() -> None:
    question = QUESTIONS["ro"]  # "Ce lungime are noul pod?" reads as English on its own
    assert question_language(question, known=lambda code: code == "ro") == "ro"
    assert question_language(QUESTIONS["ru"], known=lambda code: code in {"ru", "uk"}) == "ru"


def test_a_short_question_is_read_in_the_language_of_its_function_words() -> None:
    # Among languages the chat reads, the model's favourite loses to the one whose
    # function words the question holds ("ce", "are": Romanian; English has only "are").
    both = {"en", "ro"}.__contains__
    assert question_language(QUESTIONS["ro"], known=both) == "ro"
    assert question_language("How long is the new bridge?", known=both) == "en"
    for language in ("de", "fr", "es", "it", "pt", "nl"):
        chat = {"en", language}.__contains__
        assert question_language(QUESTIONS[language], known=chat) == language
        assert question_language("How long is the new bridge?", known=chat) == "en"


# --- words ----------------------------------------------------------------------------


def test_vowel_signs_stay_inside_their_words() -> None:
    assert words_of("hi").tokens("पुल की लंबाई") == ["पुल", "की", "लंबाई"]


def test_thai_chinese_and_japanese_are_segmented_into_words() -> None:
    thai = words_of("th").tokens("สะพานมีความยาว 840 เมตร")
    assert thai[:2] == ["สะพาน", "มี"] and "840" in thai and "เมตร" in thai
    assert words_of("zh").tokens("大桥全长840米") == ["大桥", "全长", "840", "米"]
    japanese = words_of("ja").tokens("橋の長さは840メートル")
    assert "長" in japanese and "メートル" in japanese and "840" in japanese


def test_inflected_forms_share_a_term() -> None:
    russian = words_of("ru")
    assert russian.terms("моста") == russian.terms("мост") == russian.terms("мостом")
    turkish = words_of("tr")
    assert turkish.terms("köprünün") == turkish.terms("köprüden") == turkish.terms("Köprü")
    assert turkish.terms("Newton'un") == turkish.terms("Newton")


def test_stop_words_are_the_languages_own() -> None:
    assert words_of("es").terms("el puente de la ciudad") == words_of("es").terms("puente ciudad")
    assert words_of("ru").terms("и мост") == words_of("ru").terms("мост")
    assert words_of(None).terms("the") == ["the"]  # a language we don't know keeps every word


def test_words_of_size_and_time_are_no_stop_words() -> None:
    # stopwords-iso lists them; a question about a length or a year needs them.
    for language, question, kept in (
        ("de", "Wie lang ist die neue Brücke?", {"lang", "brücke"}),
        ("it", "Quanto è lungo il nuovo ponte?", {"lungo", "ponte"}),
        ("id", "Berapa panjang jembatan baru itu?", {"panjang", "jembatan"}),
        ("ru", "Сколько лет строили мост?", {"лет", "мост"}),
        ("vi", "Cây cầu lớn dài bao nhiêu?", {"lớn", "cầu"}),
        ("pt", "Em que ano abriu a grande ponte?", {"ano", "grande", "ponte"}),
    ):
        assert kept <= set(words_of(language).content_tokens(question)), language
    assert "die" not in words_of("de").content_tokens("die Brücke")  # the rest stays listed


def test_digits_of_every_script_read_alike() -> None:
    assert words_of("fa").terms("۸۴۰ متر") == words_of("fa").terms("840 متر")
    assert words_of("hi").terms("पुल २०२४ में") == words_of("hi").terms("पुल 2024 में")


def test_a_digit_newer_than_pythons_unicode_data_is_kept_as_it_is() -> None:
    """Hypothesis found it: the regex module called U+10D40 (a Garay digit, Unicode 16) a
    digit that this Python's unicodedata does not know, and reading the text failed."""
    garay_zero = "\U00010d40"
    assert words_of("en").lower(f"bridge {garay_zero}") == f"bridge {garay_zero}"


def test_spans_point_at_the_words_in_the_text() -> None:
    for language, text in (("en", "The bridges opened."), ("zh", "河上新桥通车"), ("th", "สะพานใหม่ข้ามแม่น้ำ")):
        for start, end, token in words_of(language).spans(text):
            assert words_of(language).lower(text[start:end]) == token


def test_questions_after_numbers_are_recognised_in_their_language() -> None:
    assert asks_for_number("Сколько стоил мост?", "ru")
    assert asks_for_number("大桥全长多少米？", "zh")
    assert asks_for_number("Wann wurde die Brücke eröffnet?", "de")
    assert not asks_for_number("Кто построил мост?", "ru")
    assert not asks_for_number("How many?", None)


def test_question_cues_are_whole_words_the_longest_first() -> None:
    assert asks_for_number("So, how many bridges?", "en")
    assert not asks_for_number("Somehow manyfold bridges?", "en")
    assert without_question_words("Whoever built what?", "en") == "whoever built  ?"
    # "di mana" goes whole before "mana" inside it; "mana" alone goes too.
    assert without_question_words("Di mana jembatan itu, dan mana yang baru?", "id") == (
        "  jembatan itu, dan   yang baru?"
    )
    assert without_question_words("大桥在哪里？", "zh") == "大桥在 ？"


# An English report quoting four paragraphs in other languages and scripts.
MIXED = [
    "The new bridge across the river opened on Monday after three years of construction work.",
    "«Этот мост изменит жизнь нашего города», — сказал мэр журналистам после церемонии открытия.",
    "وقال المهندس إن الجسر صمم ليصمد أمام الفيضانات الكبيرة التي تضرب المنطقة كل عشر سنوات.",
    "市长说：新桥将使两个区之间的通行时间减少一半。工程师预计每天有四万辆汽车通过。",
    "橋の長さは840メートルである。古いフェリーは年末まで運航を続ける。",
    "Photo: City Hall",
    "Engineers expect about forty thousand cars to cross the bridge every day, "
    "and the old ferry will keep running for cyclists until the end of the year.",
]


def test_an_article_takes_its_bodys_majority_and_quotations_keep_their_own_language() -> None:
    found = article_languages(MIXED)
    assert found.article == "en"
    assert found.paragraphs == (None, "ru", "ar", "zh", "ja", None, None)
    # The same paragraphs under a Russian majority: now the English ones are the quotations.
    russian = [article("ru")[1], *MIXED[:2]]
    assert article_languages(russian) == article_languages(russian, "ru")
    assert article_languages(russian).paragraphs == (None, "en", None)


def test_quotations_in_the_articles_script_keep_their_own_language() -> None:
    # English prose is taken as English from its stop words without asking the model;
    # quotations in other Latin-script languages have too few English stop words for that.
    spanish = ("«El puente cambiará la vida de nuestra ciudad y de todos los que viven en la otra "
               "orilla del río», dijo la alcaldesa a los periodistas.")
    german = ("„Die Brücke wird das Leben in unserer Stadt verändern, und zwar für alle, die auf der "
              "anderen Seite des Flusses wohnen“, sagte die Bürgermeisterin.")
    found = article_languages([MIXED[0], spanish, german, MIXED[6]])
    assert found == ArticleLanguages("en", (None, "es", "de", None))


def test_short_or_unsure_paragraphs_take_the_articles_language() -> None:
    body = article("de")[1].split("\n\n")
    found = article_languages([*body, "Foto: Reuters", "Paris, London, Berlin.", "2024 — 12 %"])
    assert found.article == "de"
    assert set(found.paragraphs) == {None}


# --- the engine -----------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_article_in_any_language_is_stored_with_its_language_and_answers(
    engine: Engine, language: str
) -> None:
    title, body = article(language)
    stored = engine.ingest(Extracted(title=title, text=body), OWNER)
    assert engine.article(stored.id, OWNER).language == language
    answer = engine.ask(QUESTIONS[language], OWNER)
    assert not answer.abstained
    assert holds_length(answer.sentences[0].text)


def test_a_question_finds_its_own_language_among_23(engine: Engine) -> None:
    ids = {}
    for language in LANGUAGES:
        title, body = article(language)
        ids[engine.ingest(Extracted(title=title, text=body), OWNER, commit=False).id] = language
    engine.commit()
    wrong = {}
    for language in LANGUAGES:
        answer = engine.ask(QUESTIONS[language], OWNER)
        first = answer.sentences[0] if answer.sentences else None
        if first is None or ids[first.article_id] != language or not holds_length(first.text):
            wrong[language] = first.text if first else None
    assert wrong == {}


def test_a_chinese_question_of_length_or_duration_is_answered(engine: Engine) -> None:
    # "多长" (how long) and "多久" (how long a time) only ask: left in, they were words no
    # sentence holds, and "大桥有多长？" was declined.
    assert without_question_words("大桥有多长？", "zh") == "大桥有 ？"
    assert without_question_words("建设用了多久？", "zh") == "建设用了 ？"
    title, body = article("zh")
    engine.ingest(Extracted(title=title, text=body), OWNER)
    answer = engine.ask("大桥有多长？", OWNER)
    assert answer.sentences and holds_length(answer.sentences[0].text)


def test_a_question_about_something_else_is_declined_in_any_language(engine: Engine) -> None:
    for language in ("ru", "zh", "hi"):
        title, body = article(language)
        engine.ingest(Extracted(title=title, text=body), OWNER)
    assert engine.ask("Кто написал роман «Война и мир»?", OWNER).abstained
    assert engine.ask("谁发明了电话？", OWNER).abstained


@pytest.mark.parametrize("language", ["zh", "ja", "th", "ar", "ru"])
def test_every_summary_method_works_in_other_scripts(engine: Engine, language: str) -> None:
    title, body = article(language)
    stored = engine.ingest(Extracted(title=title, text=body), OWNER)
    texts = {s.text for s in engine.storage.articles.sentences(stored.id)}
    for algorithm in ALGORITHMS:
        summary = engine.summarize(stored.id, OWNER, sentences=2, algorithm=algorithm)
        assert summary.sentences and {s.text for s in summary.sentences} <= texts


def test_a_russian_topic_word_matches_its_inflected_forms(engine: Engine) -> None:
    engine.subscribe(OWNER, "мост", "instant")
    engine.subscribe(OWNER, "реке", "instant")  # the article says "реку", "рекой"
    engine.subscribe(OWNER, "туннель", "instant")
    title, body = article("ru")  # says "мост", "моста", "мосту"
    stored = engine.ingest(Extracted(title=title, text=body), OWNER)
    alerts = engine.pending_alerts()
    assert sorted(a.topic.query for a in alerts) == ["мост", "реке"]
    assert all(a.article_id == stored.id for a in alerts)
    shown = next(a for a in alerts if a.topic.query == "мост").sentences
    assert shown and all(
        shown_sentence.text[a:b].lower().startswith("мост")
        for shown_sentence in shown for a, b in shown_sentence.highlights
    )


def test_topics_in_unspaced_scripts_match_words_and_phrases() -> None:
    chinese = ArticleText(article("zh")[1].split("\n\n"), language="zh")
    assert matches(parse_query("大桥"), chinese)
    assert matches(parse_query('"横跨河流"'), chinese)
    assert not matches(parse_query("隧道"), chinese)
    thai = ArticleText(article("th")[1].split("\n\n"), language="th")
    assert matches(parse_query("สะพาน"), thai)
    [shown] = matched_sentences(parse_query("จักรยาน"), thai)
    assert [shown.text[a:b] for a, b in shown.spans] == ["จักรยาน"]


def test_a_lone_stop_word_of_the_topics_language_is_no_topic() -> None:
    with pytest.raises(Exception, match="at least one word"):
        parse_query("и в на")


@pytest.mark.parametrize("language", ["zh", "ja", "ru", "ar"])
def test_the_same_story_reworded_is_recognised_in_any_language(language: str) -> None:
    body = article(language)[1]
    paragraphs = body.split("\n\n")
    reworded = "\n\n".join([paragraphs[0], paragraphs[1]])  # one paragraph dropped
    other = article("en" if language != "en" else "de")[1]
    sketch = Sketch.of(body, language)
    assert sketch.similarity(Sketch.of(reworded, language)) >= 0.3
    assert sketch.similarity(Sketch.of(other, language)) < 0.3


def test_each_paragraph_of_a_mixed_article_is_split_and_searched_in_its_own_language(
    engine: Engine,
) -> None:
    stored = engine.ingest(Extracted(title="Bridge opens", text="\n\n".join(MIXED)), OWNER)
    assert engine.article(stored.id, OWNER).language == "en"
    sentences = engine.storage.articles.sentences(stored.id)
    japanese = [s.text for s in sentences if s.language == "ja"]
    assert japanese == ["橋の長さは840メートルである。", "古いフェリーは年末まで運航を続ける。"]
    assert {s.language for s in sentences} == {None, "ru", "ar", "zh", "ja"}

    def first_answer(question: str) -> str:
        answer = engine.ask(question, OWNER)
        assert not answer.abstained, question
        return answer.sentences[0].text

    asked = {
        "When did the new bridge open?": "The new bridge across",
        "Что мэр сказал журналисту о мосте?": "«Этот мост",  # inflected: the Russian stemmer
        "ماذا قال المهندس عن الجسر؟": "وقال المهندس",
        "新桥将使通行时间减少多少？": "市长说",
        "橋の長さは何メートルですか？": "橋の長さ",
    }
    assert {question: first_answer(question)[: len(start)] for question, start in asked.items()} == asked
    # A rebuilt index reads each sentence in the language stored with it.
    engine.reindex()
    assert {question: first_answer(question)[: len(start)] for question, start in asked.items()} == asked


def test_a_question_word_finds_its_root_in_a_compound(engine: Engine) -> None:
    """German writes "Ostanatolien" as one word: the question's "Anatolien" is in it, though no
    stemmer brings the two together, and that sentence answers rather than the shorter one
    that shares only the verb."""
    text = (
        "In England kämpften die Ritter gegen die Sachsen.\n\n"
        "Die Normannen kamen im elften Jahrhundert mit vielen Schiffen nach Süditalien.\n\n"
        "Dort gründeten sie mehrere Grafschaften und später ein eigenes Königreich.\n\n"
        "Einige normannische Ritter kämpften später an der Seite byzantinischer Truppen in Ostanatolien."
    )
    engine.ingest(Extracted(title="Normannen", text=text), OWNER)
    answer = engine.ask("Wer kämpfte in Anatolien?", OWNER)
    assert answer.sentences[0].text.endswith("in Ostanatolien.")
