"""The pasted-page cleaner in many languages: plain articles are kept whole, furniture goes.

The articles are written for these tests: a headline, then paragraphs of news prose.
"""

from __future__ import annotations

import pytest

from retrieval.clean import clean_page_text
from retrieval.extract import extract_text

ARTICLES: dict[str, tuple[str, list[str]]] = {
    "ru": (
        "В городе открыли новый мост через реку",
        [
            "В понедельник в городе торжественно открыли новый мост через реку. Строительство "
            "продолжалось три года и обошлось бюджету в 120 миллионов евро.",
            "По словам инженеров, каждый день по мосту будут проезжать около сорока тысяч "
            "автомобилей. Старый паром продолжит возить велосипедистов до конца года.",
            "Мэр заявил, что мост вдвое сократит время в пути между двумя районами города, "
            "а жители смогут добираться до работы без пробок.",
        ],
    ),
    "zh": (
        "城市新桥正式通车",
        [
            "周一，市政府为横跨河流的新桥举行了通车仪式。大桥历时三年建成，总投资一点二亿欧元。",
            "工程师预计，每天将有大约四万辆汽车从桥上通过。旧渡轮将继续为骑自行车的市民服务到年底。",
            "市长表示，新桥将使两个城区之间的通行时间缩短一半，居民上班再也不用堵车了。",
        ],
    ),
    "ja": (
        "川に新しい橋が開通",
        [
            "市は月曜日、川に架かる新しい橋の開通式を行った。工事には三年かかり、総工費は一億二千万ユーロだった。",
            "技術者によると、毎日およそ四万台の車がこの橋を渡る見込みだ。古いフェリーは年末まで自転車の利用者を運び続ける。",
            "市長は、二つの地区の間の移動時間が半分になると述べ、住民の通勤が楽になると期待を示した。",
        ],
    ),
    "ar": (
        "افتتاح جسر جديد فوق النهر",
        [
            "افتتحت المدينة يوم الاثنين جسرها الجديد فوق النهر بعد ثلاث سنوات من البناء. "
            "وبلغت تكلفة المشروع مئة وعشرين مليون يورو.",
            "ويتوقع المهندسون أن يعبر الجسر نحو أربعين ألف سيارة كل يوم. وستواصل العبارة "
            "القديمة نقل راكبي الدراجات حتى نهاية العام.",
            "وقال رئيس البلدية إن الجسر سيختصر وقت السفر بين الحيين إلى النصف، وإن السكان "
            "سيصلون إلى أعمالهم دون زحام.",
        ],
    ),
    "fa": (
        "پل جدید شهر افتتاح شد",
        [
            "شهر روز دوشنبه پل جدید خود را بر روی رودخانه افتتاح کرد. ساخت این پل سه سال طول "
            "کشید و یکصد و بیست میلیون یورو هزینه داشت.",
            "مهندسان پیش‌بینی می‌کنند که هر روز حدود چهل هزار خودرو از این پل عبور کنند. کشتی "
            "قدیمی تا پایان سال دوچرخه‌سواران را جابه‌جا خواهد کرد.",
            "شهردار گفت این پل زمان سفر میان دو محله را به نصف کاهش می‌دهد و ساکنان بدون "
            "ترافیک به محل کار خود می‌رسند.",
        ],
    ),
    "hi": (
        "नदी पर नया पुल खुला",
        [
            "शहर ने सोमवार को नदी पर बना नया पुल खोल दिया। इसके निर्माण में तीन साल लगे और "
            "इस पर बारह करोड़ यूरो खर्च हुए।",
            "इंजीनियरों का अनुमान है कि हर दिन लगभग चालीस हज़ार गाड़ियाँ इस पुल से गुज़रेंगी। "
            "पुरानी नाव साल के अंत तक साइकिल चलाने वालों को ले जाती रहेगी।",
            "महापौर ने कहा कि पुल से दोनों इलाकों के बीच यात्रा का समय आधा हो जाएगा और लोग "
            "बिना जाम के काम पर पहुँच सकेंगे।",
        ],
    ),
    "th": (
        "เปิดสะพานใหม่ข้ามแม่น้ำ",
        [
            "เมืองได้เปิดสะพานแห่งใหม่ข้ามแม่น้ำเมื่อวันจันทร์ที่ผ่านมา หลังจากใช้เวลาก่อสร้างนานถึงสามปี "
            "และมีค่าก่อสร้างหนึ่งร้อยยี่สิบล้านยูโร",
            "วิศวกรคาดว่าจะมีรถยนต์ข้ามสะพานประมาณสี่หมื่นคันทุกวัน "
            "ส่วนเรือข้ามฟากลำเดิมจะยังคงให้บริการแก่ผู้ใช้จักรยานไปจนถึงสิ้นปี",
            "นายกเทศมนตรีกล่าวว่าสะพานจะช่วยลดเวลาเดินทางระหว่างสองเขตลงได้ครึ่งหนึ่ง "
            "และประชาชนจะเดินทางไปทำงานได้โดยไม่ต้องเจอรถติด",
        ],
    ),
    "el": (
        "Εγκαινιάστηκε νέα γέφυρα πάνω από τον ποταμό",
        [
            "Η πόλη εγκαινίασε τη Δευτέρα τη νέα γέφυρα πάνω από τον ποταμό, μετά από τρία χρόνια "
            "εργασιών. Το έργο κόστισε 120 εκατομμύρια ευρώ.",
            "Οι μηχανικοί αναμένουν ότι περίπου 40.000 αυτοκίνητα θα τη διασχίζουν κάθε μέρα. Το "
            "παλιό πορθμείο θα συνεχίσει να μεταφέρει ποδηλάτες μέχρι το τέλος του έτους.",
            "Ο δήμαρχος δήλωσε ότι η γέφυρα θα μειώσει στο μισό τον χρόνο μετακίνησης ανάμεσα στις "
            "δύο συνοικίες.",
        ],
    ),
    "tr": (
        "Nehrin üzerinde yeni köprü açıldı",
        [
            "Belediye pazartesi günü nehrin üzerindeki yeni köprüyü törenle açtı. Üç yıl süren "
            "inşaatın maliyeti 120 milyon avroyu buldu.",
            "Mühendisler köprüden her gün yaklaşık kırk bin aracın geçmesini bekliyor. Eski feribot "
            "yıl sonuna kadar bisikletlileri taşımaya devam edecek.",
            "Belediye başkanı, köprünün iki semt arasındaki yolculuk süresini yarıya indireceğini "
            "söyledi.",
        ],
    ),
    "ro": (
        "Un pod nou a fost deschis peste râu",
        [
            "Orașul și-a deschis luni noul pod peste râu, după trei ani de lucrări. Proiectul a "
            "costat 120 de milioane de euro.",
            "Inginerii se așteaptă ca aproximativ patruzeci de mii de mașini să traverseze podul "
            "în fiecare zi. Vechiul feribot îi va transporta pe bicicliști până la sfârșitul anului.",
            "Primarul a spus că podul va reduce la jumătate timpul de călătorie dintre cele două "
            "cartiere.",
        ],
    ),
    "ko": (
        "강 위에 새 다리 개통",
        [
            "시는 월요일 강을 가로지르는 새 다리의 개통식을 열었다. 공사는 3년이 걸렸고 "
            "총 공사비는 1억 2천만 유로였다.",
            "기술자들은 매일 약 4만 대의 차량이 이 다리를 건널 것으로 예상한다. 기존 여객선은 "
            "연말까지 자전거 이용자들을 계속 실어 나른다.",
            "시장은 두 지역 사이의 이동 시간이 절반으로 줄어들 것이라고 말했다.",
        ],
    ),
}


def _pasted(language: str) -> str:
    title, paragraphs = ARTICLES[language]
    return "\n\n".join([title, *paragraphs])


@pytest.mark.parametrize("language", sorted(ARTICLES))
@pytest.mark.parametrize("known", [True, False])
def test_a_plain_article_is_kept_whole(language: str, known: bool) -> None:
    title, paragraphs = ARTICLES[language]
    page = clean_page_text(_pasted(language), language if known else None)
    assert page.title == title
    assert page.paragraphs == paragraphs


@pytest.mark.parametrize("language", sorted(ARTICLES))
def test_a_pasted_article_is_never_refused(language: str) -> None:
    title, paragraphs = ARTICLES[language]
    extracted = extract_text(_pasted(language))
    assert extracted.title == title
    assert extracted.paragraphs == paragraphs


def test_a_single_thai_paragraph_is_kept() -> None:
    paragraph = ARTICLES["th"][1][0]
    assert clean_page_text(paragraph).paragraphs == [paragraph]


def test_a_long_chinese_line_counts_as_long() -> None:
    """A 40-character Chinese sentence says as much as a long English line: it is prose,
    while the short menu items around it are not."""
    prose = ARTICLES["zh"][1][0]
    menu = ["首页", "新闻", "体育", "财经", "娱乐", "科技", "登录", "注册"]
    footer = ["关于我们", "联系我们", "隐私政策", "版权所有 © 2024 城市日报"]
    page = clean_page_text("\n".join([*menu, ARTICLES["zh"][0], *ARTICLES["zh"][1], *footer]), "zh")
    assert page.paragraphs == ARTICLES["zh"][1]
    assert prose in page.paragraphs


def test_russian_page_furniture_is_removed() -> None:
    title, paragraphs = ARTICLES["ru"]
    menu = ["Главная", "Новости", "Спорт", "Экономика", "Культура", "Войти"]
    related = ["Читайте также", "Цены на бензин снова выросли", "Погода на выходные", "Новый сезон в театре"]
    footer = ["© 2024 Городские новости", "Политика конфиденциальности", "Контакты"]
    text = "\n".join([*menu, title, *paragraphs, *related, *footer])
    page = clean_page_text(text, "ru")
    assert page.title == title
    assert page.paragraphs == paragraphs
    assert clean_page_text(text).paragraphs == paragraphs  # the language found by its stop words


def test_arabic_page_furniture_is_removed() -> None:
    title, paragraphs = ARTICLES["ar"]
    menu = ["الرئيسية", "أخبار", "رياضة", "اقتصاد", "ثقافة"]
    footer = ["جميع الحقوق محفوظة © 2024", "اتصل بنا", "سياسة الخصوصية"]
    page = clean_page_text("\n".join([*menu, title, *paragraphs, *footer]), "ar")
    assert page.paragraphs == paragraphs
