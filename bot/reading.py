"""Layouts of the replies about reading: help, summaries, answers, the article list,
settings, the language, /stats. Briefbot's words come from the translator; what it
quotes (titles, sentences, URLs) is shown as it is."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import ForceReply

from bot.commands import menu, usage_line
from bot.groups import IN_A_GROUP, IS_OFF, IS_ON, KEEPS
from bot.i18n import N_, Translator, translator
from bot.layout import (
    Keyboard,
    Layout,
    Line,
    Span,
    checked,
    citation,
    quoted,
    rows_of,
    styled,
)
from bot.replies import (
    Action,
    AnswerView,
    ArticlePage,
    AskPrompt,
    HelpView,
    LanguageView,
    Notice,
    SettingsView,
    StatsView,
    SummaryView,
    ask_about,
    set_algorithm,
    set_language,
    set_sentences,
    show_length,
    show_page,
)
from retrieval.models import CitedSentence

SENTENCE_CHOICES = (1, 2, 3, 5, 7, 10)
LANGUAGE_BUTTONS_PER_ROW = 3
NO_ARTICLES = N_("You have no articles yet: send me a link, some text or a file.")
ASK_PLACEHOLDER = N_("Your question")


def notice(reply: Notice, t: Translator) -> Layout:
    return Layout([(Span(reply.text),)])


def help_text(reply: HelpView, t: Translator) -> Layout:
    lines: list[Line] = []
    if reply.greeting:
        lines += [(Span(t.gettext("Hi! I'm Briefbot. I read articles for you."), "bold"),), ()]
    lines += [
        (Span(t.gettext(
            "Send me a link, paste or forward text, or send a .txt, .md, .html or .pdf file: "
            "I keep it and reply with a short summary."
        )),),
        (Span(t.gettext(
            "Then ask questions in plain words. I answer only with sentences quoted from "
            "your articles, each cited, or tell you I found nothing."
        )),),
        (Span(t.gettext("Reply to one of my summaries to ask about that article only.")),),
        (Span(t.gettext(
            "Follow feeds with /addfeed (or send me an OPML file), watch topics with /subscribe, "
            "and get what is new in a daily digest."
        )),),
    ]
    if reply.catchup_days is not None and reply.group:
        lines += [(), (Span(t.gettext(IS_ON) if reply.catchup_on else t.gettext(IS_OFF), "bold"),),
                  (Span(t.ngettext(*KEEPS, reply.catchup_days)),)]
    elif reply.catchup_days is not None:
        lines.append((Span(t.ngettext(*IN_A_GROUP, reply.catchup_days)),))
    lines.append(())
    lines += [
        (quoted(usage_line(command, t), "bold"), Span(f" — {t.gettext(command.description)}"))
        for command in menu(groups=reply.group)
    ]
    return Layout(lines)


def summary(reply: SummaryView, t: Translator) -> Layout:
    summary = reply.summary
    meta = [f"#{summary.article_id}"]
    if reply.source:
        meta.append(t.gettext("from {source}", source=reply.source))
    meta.append(t.ngettext(
        "{shown} of {count} sentence", "{shown} of {count} sentences", summary.total_sentences,
        shown=len(summary.sentences),
    ))
    meta.append(summary.algorithm)
    if reply.saved == "duplicate":
        meta.append(t.gettext("already saved"))
    lines: list[Line] = [
        (quoted(summary.title, "bold", summary.url),),
        (Span(" · ".join(meta), "italic"),),
        (),
    ]
    for number, sentence in enumerate(summary.sentences, 1):
        lines.append((quoted(f"{number}. {sentence.text} "), citation(sentence, str(sentence.index))))

    shown, total = len(summary.sentences), summary.total_sentences
    buttons: list[tuple[str, Action]] = []
    if shown < total:
        buttons.append((t.gettext("More"), show_length(summary.article_id, min(total, shown + 2))))
    if shown > 1:
        buttons.append((t.gettext("Fewer"), show_length(summary.article_id, max(1, shown - 2))))
    buttons.append((t.gettext("Ask about this"), ask_about(summary.article_id)))
    return Layout(lines, [buttons])


def answer(reply: AnswerView, t: Translator) -> Layout:
    answer = reply.answer
    if answer.abstained:
        if reply.scope_title:
            text = t.gettext("I found nothing about that in “{title}”.", title=reply.scope_title)
        elif reply.group_messages:
            text = t.gettext("I found nothing about that in your articles or in what this group said.")
        else:
            text = t.gettext("I found nothing about that in your articles.")
        return Layout([(Span(text),)])
    sources: dict[object, list[CitedSentence]] = {}
    lines: list[Line] = []
    for sentence in answer.sentences:
        sources.setdefault(_source(sentence), []).append(sentence)
        number = list(sources).index(_source(sentence)) + 1
        lines.append((quoted(f"{sentence.text} "), citation(sentence, str(number))))
    lines += [(), (Span(t.gettext("Sources"), "bold"),)]
    for number, cited in enumerate(sources.values(), 1):
        first = cited[0]
        if first.message is not None:  # a message the group kept: who wrote it, and when
            sent = first.message.sent_at.astimezone(ZoneInfo(reply.zone))
            where = t.gettext("message of {time}", time=f"{t.day(sent, short=True)} {t.time(sent)}")
        else:
            where = t.ngettext(
                "#{article_id}, sentence {positions}", "#{article_id}, sentences {positions}", len(cited),
                article_id=first.article_id, positions=", ".join(str(s.index) for s in cited),
            )
        lines.append(
            (Span(f"[{number}] "), quoted(first.title, url=first.url), Span(f" · {where}", "italic"))
        )
    return Layout(lines)


def _source(sentence: CitedSentence) -> object:
    """What one [n] of an answer stands for: an article, or one message of the group."""
    if sentence.message is not None:
        return ("message", sentence.message.chat_id, sentence.message.message_id)
    return sentence.article_id


def articles(reply: ArticlePage, t: Translator) -> Layout:
    if not reply.articles:
        return Layout([(Span(t.gettext(NO_ARTICLES)),)])
    last = reply.offset + len(reply.articles)
    lines: list[Line] = [(
        Span(t.gettext("Your articles"), "bold"),
        Span(" · " + t.gettext("{first}–{last} of {total}", first=reply.offset + 1, last=last,
                               total=reply.total)),
    )]
    for info in reply.articles:
        details = [info.site] if info.site else []
        details += [t.language_name(info.language)] if info.language else []
        details += [t.ngettext("{count} sentence", "{count} sentences", info.sentences), t.date(info.added)]
        lines.append((Span(f"#{info.id} "), quoted(info.title, url=info.url),
                      Span(" · " + " · ".join(details), "italic")))
    lines += [(), (Span(t.gettext("/summary #ID to read one, /forget ID to delete one.")),)]
    buttons: list[tuple[str, Action]] = []
    if reply.offset > 0:
        buttons.append((t.gettext("« Newer"), show_page(max(0, reply.offset - reply.page_size))))
    if last < reply.total:
        buttons.append((t.gettext("Older »"), show_page(last)))
    return Layout(lines, [buttons] if buttons else [])


def settings(reply: SettingsView, t: Translator) -> Layout:
    language = translator(reply.language).name
    lines: list[Line] = [
        (Span(t.gettext("Settings"), "bold"),),
        (Span(t.ngettext(
            "Summaries: {count} sentence, chosen by {algorithm}.",
            "Summaries: {count} sentences, chosen by {algorithm}.",
            reply.sentences, algorithm=reply.algorithm,
        )),),
        (Span(t.gettext(
            "Change them with the buttons, or with /settings sentences N and /settings "
            "algorithm NAME. lead takes the first sentences; the others pick the most "
            "representative ones."
        ), "italic"),),
        (Span(t.gettext("Language: {language}. /language changes it.", language=language)
              if reply.language_chosen else
              t.gettext("Language: {language}, as in your Telegram. /language changes it.",
                        language=language)),),
    ]
    sentences_row = [
        (checked(str(n), n == reply.sentences), set_sentences(n)) for n in SENTENCE_CHOICES
    ]
    algorithm_buttons = [
        (checked(name, name == reply.algorithm), set_algorithm(name)) for name in reply.algorithms
    ]
    return Layout(lines, [sentences_row, *rows_of(algorithm_buttons, 3)])


def language(reply: LanguageView, t: Translator) -> Layout:
    name = translator(reply.language).name
    if reply.changed and reply.chosen:
        status = t.gettext("From now on I write in {language} in this chat.", language=name)
    elif reply.changed:
        status = t.gettext("From now on I write to each person in the language of their Telegram.")
    elif reply.chosen:
        status = t.gettext("I write in {language} in this chat.", language=name)
    else:
        status = t.gettext("I write to each person in the language of their Telegram ({language} for you).",
                           language=name)
    lines: list[Line] = [
        (Span(t.gettext("Language"), "bold"),),
        (Span(status),),
        (Span(t.gettext("Choose another with the buttons, or type /language CODE, for example /language es."),
              "italic"),),
    ]
    buttons = [
        (checked(translator(code).name, reply.chosen and code == reply.language), set_language(code))
        for code in reply.languages
    ]
    automatic = (checked(t.gettext("Automatic"), not reply.chosen), set_language("auto"))
    keyboard: Keyboard = [*rows_of(buttons, LANGUAGE_BUTTONS_PER_ROW), [automatic]]
    return Layout(lines, keyboard)


def ask_prompt(reply: AskPrompt, t: Translator) -> Layout:
    return Layout(
        [tuple(styled(
            t, N_("What would you like to know about {title}? Reply to this message with your question."),
            {"title": quoted(reply.article.title, "bold")},
        ))],
        force_reply=True,
    )


def force_reply(t: Translator) -> ForceReply:
    return ForceReply(selective=True, input_field_placeholder=t.gettext(ASK_PLACEHOLDER))


def stats(reply: StatsView, t: Translator) -> Layout:
    s, n = reply.engine, t.number
    rows = [
        (t.gettext("Chats"), t.gettext("{known} known, {owners} with articles",
                                       known=n(reply.known_chats), owners=n(s.owners))),
        (t.gettext("Articles"), t.gettext("{articles} ({sentences} sentences)",
                                          articles=n(s.articles), sentences=n(s.sentences))),
        (t.gettext("Feeds"), t.gettext("{feeds} ({failing} failing)",
                                       feeds=n(s.feeds), failing=n(s.failing_feeds))),
        (t.gettext("Topics"), t.gettext("{topics} ({alerts} alerts pending)",
                                        topics=n(s.topics), alerts=n(s.pending_alerts))),
        (t.gettext("Group catch-up"), t.gettext("{groups} groups keep {messages} messages",
                                                groups=n(s.catchup_groups), messages=n(s.kept_messages))),
        (t.gettext("Search index"), t.gettext("{passages} passages, {size}", passages=n(s.index_passages),
                                              size=t.size(s.index_bytes))),
        (t.gettext("Database"), t.size(s.database_bytes)),
    ]
    if load := reply.load:
        rows += [
            (t.gettext("Updates"), t.gettext(
                "{chats} chats in progress, {waiting} waiting (at most {most} in one chat), "
                "{queued} not dispatched yet",
                chats=n(load.chats_in_progress), waiting=n(load.updates_waiting),
                most=n(load.most_waiting_in_one_chat), queued=n(load.updates_not_dispatched),
            )),
            (t.gettext("Inbox"), t.gettext(
                "{held} of {room} updates in memory, {kept} not handled yet in the database",
                held=n(load.updates_in_memory), room=n(load.room), kept=n(load.updates_not_done),
            )),
            (t.gettext("Jobs"), t.gettext("{jobs} scheduled", jobs=n(load.scheduled_jobs))),
            (t.gettext("Chats slowed down"), n(load.chats_told_to_slow_down)),
        ]
    lines: list[Line] = [(Span(t.gettext("Briefbot stats"), "bold"),)]
    lines += [(Span(t.gettext("{label}:", label=label) + " ", "bold"), Span(value)) for label, value in rows]
    return Layout(lines)
