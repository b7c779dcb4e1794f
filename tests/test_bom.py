"""U+FEFF (a byte-order mark, or the old zero width no-break space) is not stored, whichever
way an article comes in: pasted text, a .txt or Markdown file, a web page, or an Extracted
given to ``Engine.ingest``. Apart from it, the text is stored as it is stored without one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from retrieval.config import EngineConfig, FetchConfig, StorageConfig
from retrieval.engine import Engine
from retrieval.models import Extracted, IngestResult
from retrieval.owners import Owner
from tests.web import Page, WebServer, serve

BOM = "\ufeff"
# Per language: the first sentence as stored, and the article with a BOM before it, one
# inside a word and one where two texts were joined (the start of the last paragraph).
ARTICLES: dict[str, tuple[str, str]] = {
    "ru": (
        "Тюлени вернулись в устье Темзы впервые за полвека, сообщили учёные во вторник.",
        f"{BOM}Тюлени вернулись в устье Темзы впервые за полвека, сообщили учёные во вторник. "
        "Их подсчитали с лодок и с берега в течение трёх дней.\n\n"
        f"На отмелях у Саутенда насчитали тысячу двес{BOM}ти тюленей, а в 2005 году их было триста. "
        "Исследователи говорят, что вода стала чище и рыбы стало больше.\n\n"
        f"{BOM}Следующий подсчёт пройдёт летом, и на этот раз учёные возьмут с собой дроны. "
        "Дроны будут снимать тюленей тепловыми камерами.",
    ),
    "ar": (
        "عادت الفقمات إلى مصب نهر التايمز بأعداد لم تشهدها المنطقة منذ عقود.",
        f"{BOM}عادت الفقمات إلى مصب نهر التايمز بأعداد لم تشهدها المنطقة منذ عقود. "
        "وقد أحصاها الباحثون من القوارب ومن الشاطئ خلال ثلاثة أيام.\n\n"
        f"وأحصى المسح ألفا ومئت{BOM}ي فقمة على الضفاف الرملية قرب ساوثيند، بعد أن كانت ثلاثمئة في عام 2005. "
        "ويقول الباحثون إن المياه أصبحت أنظف وإن الأسماك أصبحت أكثر.\n\n"
        f"{BOM}وسيعاد المسح في الصيف المقبل باستخدام طائرات مسيرة مزودة بكاميرات حرارية. "
        "وستصور الطائرات الفقمات من الجو دون أن تزعجها.",
    ),
    "zh": (
        "海豹回到了泰晤士河口，数量是几十年来最多的一次。",
        f"{BOM}海豹回到了泰晤士河口，数量是几十年来最多的一次。研究人员在三天内从船上和岸上进行了统计。\n\n"
        f"调查在绍森德附近的沙洲上数到了一千二百只海{BOM}豹，而二〇〇五年只有三百只。"
        "研究人员说，河水变得更干净了，鱼也变多了。\n\n"
        f"{BOM}明年夏天将再次进行调查，这一次会使用装有热成像相机的无人机。无人机会从空中拍摄海豹。",
    ),
    "en": (
        "Harbour seals have returned to the Thames estuary in numbers not seen for decades.",
        f"{BOM}Harbour seals have returned to the Thames estuary in numbers not seen for decades. "
        "Researchers counted them from boats and from the shore over three days.\n\n"
        f"The survey counted 1,200 seals on the sand{BOM}banks near Southend, up from 300 in 2005. "
        "Researchers said cleaner water and a ban on netting had helped the fish the seals eat.\n\n"
        f"{BOM}The society will repeat the survey next summer with drones fitted with thermal cameras. "
        "The drones will film the seals from above without disturbing them.",
    ),
}
PATHS = ["pasted text", "txt file", "Markdown file", "web page", "Extracted"]


def html_page(text: str, language: str) -> str:
    paragraphs = "".join(f"<p>{paragraph}</p>" for paragraph in text.split("\n\n"))
    return (
        f'{BOM}<!doctype html><html lang="{language}"><head><title>Seals</title></head>'
        f"<body><article>{paragraphs}</article></body></html>"
    )


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = Path(tmp_path_factory.mktemp("bom")) / "bom.db"
    config = EngineConfig(storage=StorageConfig(path=str(path)), fetch=FetchConfig(allow_private=True))
    with Engine(config) as engine:
        yield engine


@pytest.fixture(scope="module")
def site() -> Iterator[WebServer]:
    with serve() as server:
        yield server


def ingest_by(
    path: str, engine: Engine, site: WebServer, language: str
) -> Callable[[str, Owner], IngestResult]:
    """How ``path`` stores a text (a str with its U+FEFFs) for an owner."""

    def web_page(text: str, owner: Owner) -> IngestResult:
        name = f"/{language}-{owner.id}.html"
        site.pages[name] = Page(html_page(text, language))
        return engine.ingest_url(site.url(name), owner)

    return {
        "pasted text": lambda text, owner: engine.ingest_text(text, owner),
        # Encoded, the BOM at the start is the file's byte-order mark.
        "txt file": lambda text, owner: engine.ingest_bytes(text.encode(), owner, filename="seals.txt"),
        "Markdown file": lambda text, owner: engine.ingest_bytes(text.encode(), owner, filename="seals.md"),
        "web page": web_page,
        "Extracted": lambda text, owner: engine.ingest(Extracted(text=text), owner),
    }[path]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("language", ARTICLES)
def test_no_u_feff_is_stored_and_nothing_else_changes(
    engine: Engine, site: WebServer, language: str, path: str
) -> None:
    first, text = ARTICLES[language]
    assert text.count(BOM) == 3
    ingest = ingest_by(path, engine, site, language)
    number = 10 * PATHS.index(path) + list(ARTICLES).index(language)
    with_marks, without = Owner.chat(1000 + number), Owner.chat(2000 + number)

    stored = ingest(text, with_marks)
    plain = ingest(text.replace(BOM, ""), without)

    sentences = [s.text for s in engine.storage.articles.sentences(stored.id)]
    assert sentences[0] == first
    assert not any(BOM in sentence for sentence in sentences), sentences
    assert sentences == [s.text for s in engine.storage.articles.sentences(plain.id)]
    assert BOM not in stored.title and BOM not in engine.article(stored.id, with_marks).title
    summary = engine.summarize(stored.id, with_marks)
    assert summary.sentences and BOM not in summary.title
    assert not any(BOM in sentence.text for sentence in summary.sentences)
