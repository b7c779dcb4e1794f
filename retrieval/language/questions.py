"""What a question asks for, in its own language, and which of its words only ask.

Question words (who, what, how many...) are in no answer, so they are left out of the
words an answer must cover; stop-word lists hold some of them, in some languages.

Only one answer type is told apart, the one every language marks with a question word
and every language answers the same way: a quantity or a time (how many, how much, when,
in what year...) is answered by a sentence holding a number, and digits look alike in
every language once :meth:`Words.lower` has made them ASCII.

A cue is matched as a whole word (or words) in languages written with spaces, and as a
piece of the text in Chinese, Japanese, Korean and Thai, where question words attach to
their neighbours.

Whether a message is a question at all (:func:`is_question`) is read from the question
marks of every script, and from a first word that asks in the message's language.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import groupby

import regex

from retrieval.language.detect import question_language
from retrieval.language.words import base_language

# Question words asking for a quantity or a time, lower-case.
NUMBER_CUES: dict[str, tuple[str, ...]] = {
    "en": ("how many", "how much", "how long", "how old", "how far", "how large", "how big", "how high",
           "how tall", "what percentage", "what percent", "what number", "what amount",
           "what proportion", "when", "what year", "which year", "what century", "what decade",
           "what date"),
    "ru": ("сколько", "когда", "в каком году", "какого года", "в каком веке", "какой процент",
           "какова численность", "какова длина", "какова площадь", "какова высота"),
    "uk": ("скільки", "коли", "в якому році", "у якому році", "якого року", "який відсоток"),
    "es": ("cuántos", "cuántas", "cuánto", "cuánta", "cuándo", "qué año", "qué porcentaje", "qué edad",
           "qué siglo"),
    "pt": ("quantos", "quantas", "quanto", "quanta", "quando", "que ano", "qual ano",
           "qual a porcentagem", "que porcentagem", "qual percentagem", "que século"),
    "de": ("wie viele", "wie viel", "wieviel", "wie lange", "wie lang", "wie alt", "wie hoch",
           "wie groß", "wie weit", "wann", "welchem jahr", "welches jahr", "welchem jahrhundert"),
    "fr": ("combien", "quand", "quelle année", "quel âge", "quel pourcentage", "quel siècle"),
    "it": ("quanti", "quante", "quanto", "quanta", "quando", "che anno", "quale anno",
           "quale percentuale", "quale secolo"),
    "tr": ("kaç", "ne zaman", "hangi yıl", "hangi yılda", "ne kadar", "yüzde kaç"),
    "ar": ("كم", "متى", "أي عام", "أي سنة", "ما نسبة"),
    "fa": ("چند", "چقدر", "چه زمانی", "چه وقت", "چه سالی"),
    "hi": ("कितने", "कितना", "कितनी", "कब", "किस वर्ष", "किस साल"),
    "id": ("berapa", "kapan"),
    "vi": ("bao nhiêu", "mấy", "khi nào", "năm nào", "bao giờ", "lúc nào", "bao lâu"),
    "zh": ("多少", "几", "多久", "多长", "多大", "多高", "何时", "什么时候", "哪一年", "哪年"),
    "ja": ("いくつ", "いくら", "何人", "何年", "いつ", "どのくらい", "どれくらい", "何パーセント",
           "何歳", "何メートル"),
    "ko": ("몇", "얼마", "언제"),
    "th": ("กี่", "เท่าไร", "เท่าไหร่", "เมื่อไร", "เมื่อไหร่", "ปีใด", "ปีไหน"),
    "el": ("πόσοι", "πόσες", "πόσα", "πόσο", "πόση", "πότε", "ποιο έτος", "ποια χρονιά"),
    "ro": ("câți", "câte", "cât", "când", "ce an", "ce procent", "ce secol", "ce lungime"),
    "pl": ("ile", "kiedy", "którym roku", "jak długo"),
    "nl": ("hoeveel", "wanneer", "welk jaar", "hoe lang", "hoe oud", "hoe groot", "hoe hoog"),
    "uz": ("nechta", "necha", "qancha", "qachon"),
}
# Words that only ask, lower-case. Number cues that carry a meaning of their own ("how
# long", "какова длина") are not among them: the answer holds "long", "длина".
QUESTION_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("how many", "how much", "who", "whom", "whose", "what", "which", "where", "when", "why", "how"),
    "ru": ("сколько", "когда", "кто", "кого", "кому", "кем", "что", "чего", "чем", "какой", "какая",
           "какое", "какие", "каков", "какова", "каково", "каковы", "каким", "какого", "какую", "каких",
           "где", "куда", "откуда", "почему", "зачем", "как", "который", "которая", "которое", "которые",
           "чей"),
    "uk": ("скільки", "коли", "хто", "кого", "кому", "що", "чого", "який", "яка", "яке", "які", "якого",
           "якому", "де", "куди", "звідки", "чому", "навіщо", "як", "котрий", "чий"),
    "es": ("cuántos", "cuántas", "cuánto", "cuánta", "cuándo", "quién", "quiénes", "qué", "cuál",
           "cuáles", "dónde", "adónde", "por qué", "cómo"),
    "pt": ("quantos", "quantas", "quanto", "quanta", "quando", "quem", "que", "qual", "quais", "onde",
           "aonde", "por que", "porque", "como", "o que"),
    "de": ("wie viele", "wie viel", "wieviel", "wann", "wer", "wen", "wem", "wessen", "was", "welche",
           "welcher", "welches", "welchem", "welchen", "wo", "wohin", "woher", "warum", "weshalb", "wie"),
    "fr": ("combien", "quand", "qui", "que", "quoi", "quel", "quelle", "quels", "quelles", "lequel",
           "laquelle", "où", "pourquoi", "comment", "est-ce"),
    "it": ("quanti", "quante", "quanto", "quanta", "quando", "chi", "che", "cosa", "quale", "quali",
           "dove", "perché", "come"),
    "tr": ("kaç", "ne zaman", "ne kadar", "kim", "kimi", "kime", "kimin", "kimdir", "kimdi", "ne",
           "neyi", "neden", "niçin", "niye", "nedir", "neydi", "hangi", "hangisi", "nerede", "nereye",
           "nereden", "nasıl"),
    "ar": ("كم", "متى", "من", "ما", "ماذا", "ماهو", "ماهي", "أي", "أين", "لماذا", "كيف", "هل"),
    "fa": ("چند", "چقدر", "چه", "چی", "چیست", "کدام", "کجا", "چرا", "چطور", "چگونه", "آیا", "کیست"),
    "hi": ("कितने", "कितना", "कितनी", "कब", "है", "कौन", "किसने", "किसको", "किसका", "किसकी", "किसके",
           "क्या", "कौनसा", "कौन सा", "कौन सी", "कहाँ", "कहां", "क्यों", "कैसे", "किस"),
    "id": ("berapa", "kapan", "siapa", "apa", "apakah", "mana", "manakah", "di mana", "mengapa",
           "kenapa", "bagaimana"),
    "vi": ("bao nhiêu", "mấy", "khi nào", "bao giờ", "lúc nào", "ai", "gì", "cái gì", "nào", "ở đâu",
           "đâu", "tại sao", "vì sao", "như thế nào", "thế nào"),
    "zh": ("多少", "多长", "多久", "几", "何时", "什么时候", "谁", "什么样", "什么", "哪", "哪个", "哪些",
           "哪里", "哪儿", "哪位", "哪种", "哪类", "哪家", "哪所", "哪国", "哪项", "哪部", "哪条", "哪样",
           "何种", "为什么", "怎么样", "怎么", "怎样", "如何", "吗", "呢"),
    "ja": ("いくつ", "いくら", "いつ", "どのくらい", "どれくらい", "誰", "何", "どれ", "どの", "どこ",
           "なぜ", "どう", "どうして", "ですか", "ますか", "か"),
    "ko": ("몇", "얼마", "언제", "누가", "누구", "무엇", "무슨", "어디", "어느", "어떤", "어떻게", "왜",
           "입니까", "습니까", "인가요", "나요"),
    "th": ("กี่", "เท่าไร", "เท่าไหร่", "เมื่อไร", "เมื่อไหร่", "ใคร", "อะไร", "ไหน", "ที่ไหน", "ทำไม",
           "อย่างไร", "ยังไง", "หรือไม่"),
    "el": ("πόσοι", "πόσες", "πόσα", "πόσο", "πόση", "πότε", "ποιος", "ποια", "ποιο", "ποιοι", "ποιες",
           "ποιου", "ποιον", "ποιας", "ποιων", "τι", "πού", "γιατί", "πώς"),
    "ro": ("câți", "câte", "cât", "când", "cine", "ce", "care", "unde", "de ce", "cum", "cărui", "cărei"),
    "pl": ("ile", "kiedy", "kto", "kogo", "komu", "co", "czego", "jaki", "jaka", "jakie", "jakim",
           "który", "która", "które", "gdzie", "dlaczego", "jak"),
    "nl": ("hoeveel", "wanneer", "wie", "wat", "welke", "welk", "waar", "waarom", "hoe"),
    "uz": ("nechta", "necha", "qancha", "qachon", "kim", "nima", "qaysi", "qayerda", "nega",
           "nima uchun", "qanday"),
}
# Question marks that end a question: Latin, full-width, Arabic, Greek (U+037E), reversed,
# Ethiopic, small; before closing quotes and brackets. Greek also writes U+037E as ";".
_QUESTION_END = re.compile(r"[?？؟\u037e⸮፧﹖][\"'”’»)\]」』]*(?=\s|$)")
_GREEK_QUESTION_END = re.compile(r";[\"'”’»)\]]*\s*$")
# Marks that open a question (Spanish) or sit on its stressed word (Armenian).
_QUESTION_MARKS_INSIDE = ("¿", "՞")
# regex, not re: re builds a table of these 26,000 code points, 4 ms of every `ask`.
_UNSPACED = regex.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _pattern(cues: tuple[str, ...]) -> re.Pattern[str] | None:
    """The cues, in order; a cue written with spaces between words matches whole words.

    Consecutive such cues share one pair of word-boundary checks (the same matches, in the
    same order of preference): a look-behind in front of each alternative keeps ``re`` from
    skipping ahead to where one could start, 13 times slower on an English question.
    """
    if not cues:
        return None
    alternatives = []
    for unspaced, run in groupby(cues, key=lambda cue: _UNSPACED.search(cue) is not None):
        escaped = [re.escape(cue) for cue in run]
        if unspaced:
            alternatives.extend(escaped)
        else:
            alternatives.append(rf"(?<!\w)(?:{'|'.join(escaped)})(?!\w)")
    return re.compile("|".join(alternatives))


@lru_cache(maxsize=64)
def _number_cues(language: str | None) -> re.Pattern[str] | None:
    return _pattern(NUMBER_CUES.get(language or "", ()))


@lru_cache(maxsize=64)
def _asking_words(language: str | None) -> re.Pattern[str] | None:
    # Longest first, so "di mana" goes whole before "mana" inside it.
    return _pattern(tuple(sorted(QUESTION_WORDS.get(language or "", ()), key=len, reverse=True)))


def asks_for_number(question: str, language: str | None) -> bool:
    """Whether ``question`` (in ``language``) asks how many, how much, when or in what year."""
    pattern = _number_cues(base_language(language))
    return pattern is not None and pattern.search(question.lower()) is not None


def without_question_words(question: str, language: str | None) -> str:
    """``question`` (lower-cased) without the words that only ask, in ``language``."""
    pattern = _asking_words(base_language(language))
    lowered = question.lower()
    return pattern.sub(" ", lowered) if pattern is not None else lowered


def is_question(text: str) -> bool:
    """Whether a short message asks something, in any language: a question mark of any
    script ends one of its sentences (a "?" inside a link does not), or it opens with a
    word that asks in its own language ("Сколько", "Wie", "Τι")."""
    stripped = text.strip()
    if _QUESTION_END.search(stripped) or any(mark in stripped for mark in _QUESTION_MARKS_INSIDE):
        return True
    language = question_language(stripped)
    if language == "el" and _GREEK_QUESTION_END.search(stripped):
        return True
    pattern = _asking_words(language)
    if pattern is None or _UNSPACED.match(stripped):  # unspaced scripts: only their question marks
        return False
    return pattern.match(stripped.lower()) is not None
