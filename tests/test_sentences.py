"""Sentence splitting in many scripts, and cutting overlong sentences without splitting a word."""

from __future__ import annotations

import unicodedata

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.language.words import base_language
from retrieval.sentences import MAX_SENTENCE_CHARS, split_paragraphs, split_sentences

# Short texts written for these tests, each with the sentences it must give.
ARTICLES: dict[str, list[str]] = {
    "ru": [
        "В понедельник в городе открыли новый мост через реку.",
        "Его длина составляет 840 м.",
        "Строительство шло три года.",
        "Мэр, т. е. глава города, сказал, что мост сократит путь вдвое.",
        "Проект подготовил проф. Иванов из Санкт-Петербурга.",
    ],
    "uk": [
        "Новий міст відкрили в понеділок у м. Києві.",
        "Він коштував 120 млн євро!",
        "Чи стане місто зручнішим?",
    ],
    "de": [
        "Die Brücke wurde am 3. Oktober eröffnet.",
        "Sie kostete ca. 120 Mio. Euro und ist 840 Meter lang.",
        "Dr. Sieben leitete den Bau.",
        "Die Fähre fährt bis Jahresende weiter.",
    ],
    "fr": [
        "Mme Dupont a inauguré le pont lundi.",
        "« Nous l'attendions depuis des années », a-t-elle déclaré.",
        "Le chantier a duré trois ans.",
    ],
    "es": [
        "¿Cuánto costó el puente?",
        "Unos 120 millones de euros, según el Sr. García.",
        "¡Por fin está abierto!",
    ],
    "tr": [
        "Köprü pazartesi günü açıldı.",
        "Belediye başkanı: “Yolculuk süresi yarıya inecek.” dedi.",
        "Prof. Dr. Yılmaz projeyi yönetti.",
    ],
    "vi": [
        "Cây cầu mới được khánh thành tại TP. Hồ Chí Minh vào thứ Hai.",
        "Ông H. cho biết cầu dài 840 mét.",
        "Công trình kéo dài ba năm.",
    ],
    "id": [
        "Jembatan baru dibuka pada hari Senin.",
        "Peresmian dihadiri Dr. Soetomo dan R. Ahmad.",
        "Biayanya mencapai 120 juta euro.",
    ],
    "el": [
        "Πόσο κόστισε η νέα γέφυρα;",
        "Κόστισε 120 εκατομμύρια ευρώ.",
        "Ο κ. Παπαδόπουλος είπε ότι θα μειώσει τον χρόνο ταξιδιού στο μισό!",
    ],
    "ar": [
        "افتتحت المدينة يوم الاثنين جسرها الجديد فوق النهر.",
        "كم بلغت تكلفته؟",
        "بلغت تكلفته 120 مليون يورو.",
    ],
    "fa": [
        "شهر روز دوشنبه پل جدید خود را افتتاح کرد.",
        "هزینه آن چقدر بود؟",
        "هزینه آن ۱۲۰ میلیون یورو بود.",
    ],
    "ur": ["شہر نے پیر کو نیا پل کھول دیا۔", "اس کی لمبائی 840 میٹر ہے۔", "کیا سفر آسان ہو جائے گا؟"],
    "hi": [
        "शहर ने सोमवार को नदी पर नया पुल खोला।",
        "पुल 840 मीटर लंबा है।",
        "क्या इससे यात्रा का समय आधा हो जाएगा?",
    ],
    "hy": ["Քաղաքը երկուշաբթի բացեց նոր կամուրջը։", "Այն ունի 840 մետր երկարություն։"],
    "am": ["ከተማዋ ሰኞ አዲሱን ድልድይ ከፈተች።", "ድልድዩ 840 ሜትር ርዝመት አለው።"],
    "my": ["မြို့တော်သည် တံတားအသစ်ကို ဖွင့်လှစ်ခဲ့သည်။", "တံတားသည် မီတာ ၈၄၀ ရှည်သည်။"],
    "zh": [
        "市政府周一开通了横跨河流的新桥。",
        "市长说：「这座桥将把通行时间缩短一半。」",
        "大桥耗资1.2亿欧元，全长840米！",
        "你会走这座桥吗？",
    ],
    "ja": [
        "市は月曜日に川に架かる新しい橋を開通させた。",
        "市長は「移動時間が半分になる」と述べた。",
        "橋の長さは８４０メートルです！",
        "本当ですか？",
    ],
    "ko": [
        "시는 월요일에 새 다리를 개통했다.",
        "다리의 길이는 840미터이다.",
        "통행 시간이 절반으로 줄어들까?",
    ],
}
UNSPACED = {"zh", "ja"}


def _paragraph(language: str) -> str:
    return ("" if language in UNSPACED else " ").join(ARTICLES[language])


@pytest.mark.parametrize("language", sorted(ARTICLES))
def test_sentences_in_each_language(language: str) -> None:
    assert split_sentences(_paragraph(language), language) == ARTICLES[language]


@pytest.mark.parametrize("language", sorted(set(ARTICLES) - {"de", "id", "ru", "uk", "vi", "el"}))
def test_sentences_without_knowing_the_language(language: str) -> None:
    """The language-neutral path finds the same sentences wherever no abbreviation list matters."""
    assert split_sentences(_paragraph(language), None) == ARTICLES[language]


def test_english_abbreviations_with_and_without_the_language() -> None:
    text = "Mr. Smith met Dr. Jones at 5 p.m. in Washington, D.C. on Friday. They talked for an hour."
    expected = [
        "Mr. Smith met Dr. Jones at 5 p.m. in Washington, D.C. on Friday.",
        "They talked for an hour.",
    ]
    assert split_sentences(text, "en") == expected
    assert split_sentences(text, None) == expected
    assert split_sentences(text, "en-GB") == expected


def test_chinese_is_split_whatever_the_language_says() -> None:
    text = "他走了。她留下了。"
    assert split_sentences(text, "en") == [text]  # nupunkt does not know 。; English text rarely has it
    assert split_sentences(text, "zh") == ["他走了。", "她留下了。"]
    assert split_sentences(text, "zh-Hant-TW") == ["他走了。", "她留下了。"]
    assert split_sentences(text, None) == ["他走了。", "她留下了。"]


THAI = (
    "เมืองได้เปิดสะพานแห่งใหม่ข้ามแม่น้ำเมื่อวันจันทร์หลังจากใช้เวลาก่อสร้างนานถึงสามปีเต็ม "
    "สะพานแห่งนี้มีความยาวแปดร้อยสี่สิบเมตรและมีค่าก่อสร้างหนึ่งร้อยยี่สิบล้านยูโร "
    "วิศวกรคาดว่าจะมีรถยนต์ข้ามสะพานประมาณสี่หมื่นคันทุกวันในช่วงปีแรกของการเปิดใช้งาน "
    "นายกเทศมนตรีกล่าวว่าสะพานจะช่วยลดเวลาเดินทางระหว่างสองเขตของเมืองลงได้ครึ่งหนึ่ง"
)


def test_thai_is_cut_into_sentences_at_spaces() -> None:
    sentences = split_sentences(THAI, "th")
    assert 2 <= len(sentences) <= 4
    assert " ".join(sentences) == THAI
    assert split_sentences(THAI, None) == sentences  # found by its script


def test_thai_names_stay_in_their_sentence() -> None:
    text = "ผู้เล่นที่ทำคะแนนได้มากที่สุดในฤดูกาลนี้คือ จอช นอร์แมน ซึ่งย้ายมาจากทีมอื่นเมื่อปีที่แล้ว"
    assert split_sentences(text, "th") == [text]


def test_language_codes() -> None:
    assert base_language("pt-BR") == "pt"
    assert base_language(" ZH_hant ") == "zh"
    assert base_language("") is None
    assert base_language(None) is None
    assert base_language("not a language tag") is None


def test_split_paragraphs_takes_the_language() -> None:
    split = split_paragraphs([_paragraph("zh"), _paragraph("ja")], "zh")
    assert [s.paragraph for s in split] == [0] * 4 + [1] * 4
    assert [s.text for s in split] == ARTICLES["zh"] + ARTICLES["ja"]


# --- overlong sentences ------------------------------------------------------------------


def assert_verbatim(text: str, pieces: list[str]) -> None:
    assert all(0 < len(piece) <= MAX_SENTENCE_CHARS for piece in pieces)
    assert "".join("".join(piece.split()) for piece in pieces) == "".join(text.split())


def test_long_chinese_sentence_is_cut_after_its_commas() -> None:
    clause = "市政府在河上修建了一座新的大桥，"
    text = clause * 120  # 1,920 characters and not one full stop
    pieces = split_sentences(text, "zh")
    assert len(pieces) >= 2
    assert_verbatim(text, pieces)
    assert all(piece.endswith("，") for piece in pieces[:-1])


def test_long_chinese_sentence_without_punctuation_is_cut_between_han_characters() -> None:
    text = "新桥全长八百四十米耗资一亿二千万欧元" * 80
    pieces = split_sentences(text, "zh")
    assert_verbatim(text, pieces)
    for before, after in zip(pieces, pieces[1:], strict=False):
        assert regex.match(r"\p{Han}", before[-1]) and regex.match(r"\p{Han}", after[0])


def test_long_chinese_sentence_is_cut_where_latin_letters_begin() -> None:
    text = ("新桥全长八百四十米耗资一亿二千万欧元" * 3 + "Bridge") * 16
    pieces = split_sentences(text, "zh")
    assert_verbatim(text, pieces)
    assert all(piece.endswith("元") for piece in pieces[:-1])


def test_long_japanese_sentence_is_cut_where_a_word_begins() -> None:
    text = "市は新しい橋を開通させて移動時間が半分になると述べており" * 40
    pieces = split_sentences(text, "ja")
    assert_verbatim(text, pieces)
    for before, after in zip(pieces, pieces[1:], strict=False):
        assert regex.match(r"\p{Hiragana}", before[-1])
        assert regex.match(r"[\p{Han}\p{Katakana}]", after[0])


# Thai words written without spaces: every cut must fall between two of them.
THAI_WORDS = ["เมือง", "เปิด", "สะพาน", "ใหม่", "ข้าม", "แม่น้ำ", "เมื่อ", "วันจันทร์", "หลังจาก", "ก่อสร้าง"]


def test_long_thai_run_without_spaces_is_cut_between_words() -> None:
    words = THAI_WORDS * 30
    text = "".join(words)
    word_ends = set()
    offset = 0
    for word in words:
        offset += len(word)
        word_ends.add(offset)
    pieces = split_sentences(text, "th")
    assert len(pieces) >= 2
    assert_verbatim(text, pieces)
    offset = 0
    for piece in pieces[:-1]:
        offset += len(piece)
        assert offset in word_ends, (offset, piece[-10:])


def test_long_thai_sentence_is_cut_at_a_space() -> None:
    text = " ".join(["".join(THAI_WORDS)] * 40)
    pieces = split_sentences(text, "th")
    assert_verbatim(text, pieces)
    assert " ".join(pieces) == text


def test_long_list_is_cut_after_a_comma_rather_than_at_any_space() -> None:
    text = ", ".join(["apples and pears from the market"] * 60)
    pieces = split_sentences(text, "en")
    assert_verbatim(text, pieces)
    assert all(piece.endswith(",") for piece in pieces[:-1])
    assert " ".join(pieces) == text


def test_long_hindi_run_is_never_cut_inside_a_letter() -> None:
    text = "क्षत्रिय" * 300  # consonant clusters with viramas and vowel signs, no spaces
    pieces = split_sentences(text, "hi")
    assert_verbatim(text, pieces)
    for piece in pieces[1:]:
        assert unicodedata.category(piece[0])[0] != "M", piece[:3]
    assert all(not piece.endswith("\u094d") for piece in pieces[:-1])  # a virama joins the next letter


def test_emoji_sequences_are_not_cut() -> None:
    family = "👩\u200d👩\u200d👧\u200d👦"
    text = family * 400
    pieces = split_sentences(text, None)
    assert_verbatim(text, pieces)
    assert all(len(piece) % len(family) == 0 for piece in pieces)


LANGUAGES = [None, "en", "de", "ru", "zh", "ja", "th", "el", "hy", "ar", "hi", "tr", "vi", "xx"]
PIECES = [
    "。", "！", "？", "」", "，", "、", "؟", "۔", "।", "։", ";", ":", ". ", "... ", "… ", "!", "?", " ", "\n",
    "\u200b", "\u0301", "\u094d", "\u200d", "👩", "Dr.", "т. е.", "3.", "R.", "a", "A", "中", "の", "カ",
    "ก", "\u0e31", "ไทย", "اب", "क्ष", "Ω", "x" * 40, "中" * 40, "ก" * 40,
]
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(PIECES), max_size=120).map("".join),
    st.lists(st.sampled_from(PIECES), min_size=200, max_size=400).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.sampled_from(LANGUAGES))
def test_every_language_quotes_all_of_any_text(text: str, language: str | None) -> None:
    sentences = split_sentences(text, language)
    expected = " ".join(text.split())
    for sentence in sentences:
        assert sentence and sentence == " ".join(sentence.split())
        assert len(sentence) <= MAX_SENTENCE_CHARS
        assert sentence in expected
    assert "".join("".join(s.split()) for s in sentences) == "".join(text.split())
