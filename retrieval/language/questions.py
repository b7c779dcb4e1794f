"""What a question asks for, in its own language.

Only one answer type is told apart, the one every language marks with a question word
and every language answers the same way: a quantity or a time (how many, how much, when,
in what year...) is answered by a sentence holding a number, and digits look alike in
every language once :meth:`Words.lower` has made them ASCII.

A cue is matched as a whole word (or words) in languages written with spaces, and as a
piece of the text in Chinese, Japanese, Korean and Thai, where question words attach to
their neighbours.
"""

from __future__ import annotations

import re
from functools import lru_cache

from retrieval.language.words import base_language

# Question words asking for a quantity or a time, lower-case.
NUMBER_CUES: dict[str, tuple[str, ...]] = {
    "en": ("how many", "how much", "how long", "how old", "how far", "how large", "how big",
           "how high", "how tall", "what percentage", "what percent", "what number", "what amount",
           "what proportion", "when", "what year", "which year", "what century", "what decade",
           "what date"),
    "ru": ("сколько", "когда", "в каком году", "какого года", "в каком веке", "какой процент",
           "какова численность", "какова длина", "какова площадь", "какова высота"),
    "uk": ("скільки", "коли", "в якому році", "у якому році", "якого року", "який відсоток"),
    "es": ("cuántos", "cuántas", "cuánto", "cuánta", "cuándo", "qué año", "qué porcentaje",
           "qué edad", "qué siglo"),
    "pt": ("quantos", "quantas", "quanto", "quanta", "quando", "que ano", "qual ano",
           "qual a porcentagem", "que porcentagem", "qual percentagem", "que século"),
    "de": ("wie viele", "wie viel", "wieviel", "wie lange", "wie alt", "wie hoch", "wie groß",
           "wie weit", "wann", "welchem jahr", "welches jahr", "welchem jahrhundert"),
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
    "ro": ("câți", "câte", "cât", "când", "ce an", "ce procent", "ce secol"),
    "pl": ("ile", "kiedy", "którym roku", "jak długo"),
    "nl": ("hoeveel", "wanneer", "welk jaar", "hoe lang", "hoe oud", "hoe groot", "hoe hoog"),
    "uz": ("nechta", "necha", "qancha", "qachon"),
}
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@lru_cache(maxsize=64)
def _cue_pattern(language: str) -> re.Pattern[str] | None:
    cues = NUMBER_CUES.get(language)
    if not cues:
        return None
    alternatives = [
        re.escape(cue) if _UNSPACED.search(cue) else rf"(?<!\w){re.escape(cue)}(?!\w)" for cue in cues
    ]
    return re.compile("|".join(alternatives))


def asks_for_number(question: str, language: str | None) -> bool:
    """Whether ``question`` (in ``language``) asks how many, how much, when or in what year."""
    pattern = _cue_pattern(base_language(language) or "")
    return pattern is not None and pattern.search(question.lower()) is not None
