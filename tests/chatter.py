"""Group chatter for the catch-up tests: busy groups in English, Russian and Persian, each
with two discussions going at once, small talk between them, and replies.

Each line is (author, text, the line it replies to, the minute it is posted); ``threads``
says which discussion each line belongs to (None: small talk), so a test can check that a
catch-up quotes both discussions and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    author: str
    text: str
    reply_to: int | None = None
    minute: int = 0
    thread: str | None = None


@dataclass(frozen=True)
class Chatter:
    language: str
    people: dict[str, int]  # display name -> user id
    lines: list[Line]

    def by(self, author: str) -> list[Line]:
        return [line for line in self.lines if line.author == author]


ENGLISH_PEOPLE = {"Maya Brooks": 501, "Tom Reid": 502, "Ana Lima": 503, "Priya Shah": 504, "Leo Park": 505}
ENGLISH = Chatter("en", ENGLISH_PEOPLE, [
    Line(
        "Maya Brooks",
        "Are we still doing the Ridge Trail hike on Saturday? The forecast says rain until noon.",
        minute=0, thread="hike",
    ),
    Line(
        "Tom Reid",
        "I'd rather start the hike at 1 pm then, the trail gets muddy after rain but dries fast.",
        reply_to=0, minute=1, thread="hike",
    ),
    Line("Ana Lima", "lol", minute=2),
    Line(
        "Priya Shah",
        "The shop server is down again: the checkout page returns a 502 error since this morning.",
        minute=3, thread="server",
    ),
    Line(
        "Maya Brooks",
        "1 pm works for me. Let's meet at the car park by the visitor centre before the hike.",
        reply_to=1, minute=4, thread="hike",
    ),
    Line(
        "Leo Park",
        "Priya, I restarted the payment service, but the database connection pool is still exhausted.",
        reply_to=3, minute=5, thread="server",
    ),
    Line(
        "Ana Lima",
        "Should I bring the spare hiking poles for the new people on Saturday?", minute=6, thread="hike",
    ),
    Line("Priya Shah", "Thanks Leo. I raised the pool to 50 connections and the checkout page works again.",
         reply_to=5, minute=8, thread="server"),
    Line("Leo Park", "ok", minute=9),
    Line("Tom Reid", "Yes, bring the poles, the last part of the trail is steep and muddy after rain.",
         reply_to=6, minute=10, thread="hike"),
    Line(
        "Maya Brooks",
        "Final plan for the hike: Saturday at 1 pm at the visitor centre car park, bring rain gear.",
        minute=12, thread="hike",
    ),
    Line("Ana Lima", "👍", minute=13),
    Line("Leo Park", "I will write a postmortem about the database outage and the checkout errors tomorrow.",
         minute=14, thread="server"),
])

RUSSIAN = Chatter("ru", {"Ольга": 601, "Игорь": 602, "Марина": 603, "Сергей": 604}, [
    Line("Ольга", "Соседи, у кого-нибудь есть горячая вода? У нас с утра течёт только холодная.",
         minute=0, thread="water"),
    Line("Игорь", "У нас тоже нет горячей воды, управляющая компания пишет, что авария на теплотрассе.",
         reply_to=0, minute=1, thread="water"),
    Line("Марина", "Кто-нибудь знает, во сколько завтра приезжает машина за крупным мусором?",
         minute=2, thread="rubbish"),
    Line(
        "Ольга",
        "Спасибо! А когда обещают дать горячую воду обратно?", reply_to=1, minute=3, thread="water",
    ),
    Line("Сергей", "Машина за мусором будет в девять утра, старую мебель выносите к контейнерам до восьми.",
         reply_to=2, minute=4, thread="rubbish"),
    Line("Игорь", "Обещают дать воду к вечеру, но в прошлый раз ремонт теплотрассы занял два дня.",
         reply_to=3, minute=5, thread="water"),
    Line("Марина", "ок", minute=6),
    Line("Сергей", "Я позвонил в управляющую компанию: аварийная бригада уже работает на теплотрассе.",
         minute=8, thread="water"),
    Line("Марина", "Отлично, тогда вынесу старый шкаф и стулья к контейнерам вечером.",
         reply_to=4, minute=9, thread="rubbish"),
])

PERSIAN = Chatter("fa", {"سارا": 701, "علی": 702, "نرگس": 703, "رضا": 704, "مریم": 705}, [
    Line(
        "سارا",
        "سلام بچه‌ها، کلاس زبان فردا ساعت پنج لغو شد چون استاد بیمار است.", minute=0, thread="class",
    ),
    Line("علی", "ممنون سارا، کلاس جبرانی کی برگزار می‌شود؟", reply_to=0, minute=1, thread="class"),
    Line("نرگس", "کسی قیمت بلیط قطار تهران به مشهد را برای هفته بعد می‌داند؟", minute=2, thread="train"),
    Line("سارا", "استاد گفت کلاس جبرانی شنبه ساعت شش در همان کلاس برگزار می‌شود.",
         reply_to=1, minute=3, thread="class"),
    Line("رضا", "بلیط قطار تهران به مشهد حدود یک میلیون تومان است و بلیط‌ها زود تمام می‌شوند.",
         reply_to=2, minute=4, thread="train"),
    Line("علی", "باشه", minute=5),
    Line("نرگس", "ممنون رضا، پس همین امشب بلیط قطار را می‌خرم.", reply_to=4, minute=6, thread="train"),
    Line("مریم", "تکلیف فصل سوم برای کلاس شنبه هنوز سر جایش است؟", minute=8, thread="class"),
])

GROUPS = {"en": ENGLISH, "ru": RUSSIAN, "fa": PERSIAN}
