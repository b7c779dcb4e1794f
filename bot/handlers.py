"""Thin python-telegram-bot handlers: Update in, :class:`Conversation` call, messages out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    MessageOrigin,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.commands import parse_command
from bot.config import AccessConfig
from bot.conversation import NO_LONGER_WORKS, Attachment, Conversation, Forward, Incoming, Link
from bot.group_messages import group_of, in_group, kept_message
from bot.i18n import N_, Translator, resolve_language, translator
from bot.inline import inline_results
from bot.logs import log_failure
from bot.ratelimit import SLOW_DOWN, ChatRateLimiter, Verdict
from bot.refusals import Refusal, is_refusal
from bot.render import to_html
from bot.replies import Notice, Reply
from bot.state import ChatState
from retrieval.owners import Owner

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Telegram shows "typing…" for about five seconds per chat action.
TYPING_EVERY_S = 4.5
# Seconds Telegram may reuse an inline answer for the same person and query.
INLINE_CACHE_S = 10
NOT_ALLOWED = N_("Sorry, this Briefbot serves only the chats its owner allowed.")
SOMETHING_WENT_WRONG = N_("Sorry, something went wrong on my side. Please try again.")
# What Briefbot cannot read, by the Message field that holds it ("I can't read {what}").
UNSUPPORTED = {
    "sticker": N_("stickers"), "photo": N_("photos"), "voice": N_("voice messages"), "video": N_("videos"),
    "video_note": N_("video messages"), "audio": N_("audio"), "animation": N_("GIFs"),
    "location": N_("locations"), "contact": N_("contacts"), "poll": N_("polls"), "venue": N_("places"),
    "dice": N_("dice"), "game": N_("games"),
}


class TelegramOutbox:
    """Sends replies into one chat (and forum topic) as Telegram HTML, in ``translator``'s language."""

    def __init__(
        self, bot: Bot, chat_id: int, translator: Translator, *,
        thread_id: int | None = None, quote: int | None = None,
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.translator = translator
        self.thread_id = thread_id
        self.quote = quote

    @classmethod
    def replying_to(cls, bot: Bot, message: Message, translator: Translator) -> TelegramOutbox:
        """Replies in the message's topic; in groups they quote it, so it's clear whom they answer."""
        return cls(
            bot, message.chat_id, translator,
            thread_id=message.message_thread_id if message.is_topic_message else None,
            quote=message.message_id if message.chat.type != ChatType.PRIVATE else None,
        )

    async def send(self, reply: Reply) -> list[int]:
        ids = []
        for message in to_html(reply, self.translator):
            sent = await self.bot.send_message(
                self.chat_id, message.text,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=message.markup,
                message_thread_id=self.thread_id,
                reply_parameters=(
                    ReplyParameters(self.quote, allow_sending_without_reply=True)
                    if self.quote and not ids else None
                ),
            )
            ids.append(sent.message_id)
        return ids

    async def edit(self, message_id: int, reply: Reply) -> list[int]:
        first, *rest = to_html(reply, self.translator)
        try:
            await self.bot.edit_message_text(
                first.text, self.chat_id, message_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=first.markup if isinstance(first.markup, InlineKeyboardMarkup) else None,
            )
        except BadRequest as error:
            # Pressing a button that changes nothing is not an error for the user.
            if not is_refusal(error, Refusal.NOT_MODIFIED):
                raise
        ids = [message_id]
        for message in rest:
            sent = await self.bot.send_message(
                self.chat_id, message.text, parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW, reply_markup=message.markup,
                message_thread_id=self.thread_id,
            )
            ids.append(sent.message_id)
        return ids

    async def send_file(self, name: str, data: bytes, caption: str) -> None:
        await self.bot.send_document(
            self.chat_id, InputFile(data, filename=name), caption=caption,
            message_thread_id=self.thread_id,
        )

    @contextlib.asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """Shows "typing…" until the work inside is done."""
        await self._typing()
        keep_typing = asyncio.create_task(self._keep_typing())
        try:
            yield
        finally:
            keep_typing.cancel()

    async def _keep_typing(self) -> None:
        while True:
            await asyncio.sleep(TYPING_EVERY_S)
            await self._typing()

    async def _typing(self) -> None:
        await self.bot.send_chat_action(
            self.chat_id, ChatAction.TYPING, message_thread_id=self.thread_id
        )


class TelegramHandlers:
    """Adapts updates to the conversation. Groups: only commands, mentions and replies are
    answered; everything else said there (and its edits) goes to the group's catch-up,
    which keeps it only where an admin turned it on, and is never answered.

    Every message and button press first passes the chat's rate limit, then the access
    check; a message Telegram delivers again (after a crash) is skipped. Inline queries
    answer from the asker's own articles."""

    def __init__(
        self, conversation: Conversation, access: AccessConfig, state: ChatState, limiter: ChatRateLimiter
    ) -> None:
        self.conversation = conversation
        self.access = access
        self.state = state
        self.limiter = limiter

    def register(self, application: Application) -> None:
        # An edit only replaces what a group's catch-up kept: it is never answered.
        application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, self.edited))
        application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.migrated))
        # One handler for every command, known or not: the conversation answers unknown
        # ones with a hint instead of silence.
        application.add_handler(MessageHandler(filters.COMMAND, self.command))
        application.add_handler(CallbackQueryHandler(self.button))
        application.add_handler(InlineQueryHandler(self.inline))
        application.add_handler(
            MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL, self.message)
        )
        application.add_error_handler(self.error)

    async def message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if not self._addressed(message, context.bot):
            await self._keep(update, message)
            return
        async with self._serving(update, message, context.bot) as outbox:
            if outbox is None:
                return
            incoming = self._incoming(message, context.bot, self._admin(update))
            call = parse_command(incoming.text)
            if call is not None:  # "@briefbot /summary" in a group
                await self.conversation.command(call, incoming, outbox)
            else:
                await self.conversation.message(incoming, outbox)

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        call = parse_command(message.text or "") if message else None
        if message is None or call is None or not call.for_bot(context.bot.username):
            return
        async with self._serving(update, message, context.bot) as outbox:
            if outbox is None:
                return
            incoming = self._incoming(message, context.bot, self._admin(update))
            await self.conversation.command(call, incoming, outbox)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and not self._addressed(message, context.bot):
            await self._keep(update, message)

    async def _keep(self, update: Update, message: Message) -> None:
        """What a group says among itself: to its catch-up, without a word (no rate limit,
        no "already handled": keeping a message again only replaces it)."""
        if in_group(message) and (kept := kept_message(message)) is not None and self._allowed(update):
            await self.conversation.keep(kept)

    async def inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``@briefbot question`` in any chat: cited answers from the asker's own articles
        (those of their private chat with the bot), for them alone."""
        query = update.inline_query
        if query is None:
            return
        asker = Owner.chat(query.from_user.id)  # a private chat's id is its user's
        t = await self._translator(update, asker)
        if not self.access.allows(asker.id, query.from_user.id):
            await query.answer([], cache_time=INLINE_CACHE_S, is_personal=True)
            return
        results, button = inline_results(await self.conversation.inline(asker, query.query), t)
        await query.answer(results, cache_time=INLINE_CACHE_S, is_personal=True, button=button)

    async def migrated(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: Telegram says so in both chats; the first moves it."""
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id:
            old, new = message.chat_id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id:
            old, new = message.migrate_from_chat_id, message.chat_id
        else:
            return
        await self.conversation.chat_moved(Owner.chat(old), Owner.chat(new))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        notice: str | None = None
        t = await self._translator(update)
        try:
            if query.message is None or not query.data:
                notice = t.gettext(NO_LONGER_WORKS)
            elif (verdict := self.limiter.check(query.message.chat.id)) != Verdict.SERVE:
                notice = t.gettext(SLOW_DOWN) if verdict == Verdict.WARN else None
            elif not self._allowed(update):
                notice = t.gettext(NOT_ALLOWED)
            else:
                message = query.message
                in_topic = isinstance(message, Message) and message.is_topic_message
                thread_id = message.message_thread_id if in_topic else None
                outbox = TelegramOutbox(context.bot, message.chat.id, t, thread_id=thread_id)
                notice = await self.conversation.button(
                    Owner.chat(message.chat.id), message.message_id, query.data, outbox
                )
        finally:
            await _answer(query, notice)

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log_failure(log, "error while handling an update", error=context.error)
        if isinstance(update, Update) and update.effective_message and update.effective_chat:
            with contextlib.suppress(Exception):
                t = await self._translator(update)
                outbox = TelegramOutbox.replying_to(context.bot, update.effective_message, t)
                await outbox.send(Notice(text=t.gettext(SOMETHING_WENT_WRONG)))

    @contextlib.asynccontextmanager
    async def _serving(
        self, update: Update, message: Message, bot: Bot
    ) -> AsyncIterator[TelegramOutbox | None]:
        """The outbox to answer ``message`` through, or None when it is not to be answered:
        already handled, over the chat's rate limit, or from a chat the bot does not serve.

        A message counts as handled once the work inside is done, not when it starts: after
        a crash mid-way Telegram delivers it again and it is retried. Only a crash between
        the reply and this record can answer twice, and storing is idempotent (the same
        link or text is "already saved"), so it never stores twice."""
        chat = Owner.chat(message.chat_id)
        if await asyncio.to_thread(self.state.was_handled, chat, message.message_id):
            log.debug("skipping message %d of %s: already handled", message.message_id, chat)
            yield None
            return
        outbox = TelegramOutbox.replying_to(bot, message, await self._translator(update))
        t = outbox.translator
        verdict = self.limiter.check(message.chat_id)
        if verdict == Verdict.WARN:
            await outbox.send(Notice(text=t.gettext(SLOW_DOWN)))
        if verdict != Verdict.SERVE:
            yield None
        elif not self._allowed(update):
            await outbox.send(Notice(text=t.gettext(NOT_ALLOWED)))
            yield None
        else:
            yield outbox
        await asyncio.to_thread(self.state.mark_handled, chat, message.message_id)

    async def _translator(self, update: Update, chat: Owner | None = None) -> Translator:
        """The language to answer ``update`` in: the chat's (``chat``, else the update's), when
        it chose one with /language; else the language of the person who sent it."""
        if chat is None and update.effective_chat is not None:
            chat = Owner.chat(update.effective_chat.id)
        chosen = await asyncio.to_thread(self.state.language, chat) if chat else None
        return translator(chosen or _language_of(update))

    def _allowed(self, update: Update) -> bool:
        """The access check; a group allowed before it became a supergroup stays allowed."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return False
        user_id = user.id if user else None
        return self.access.allows(chat.id, user_id) or any(
            self.access.allows(former.id, user_id) for former in self.state.former_names(Owner.chat(chat.id))
        )

    def _admin(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and self.access.is_admin(user.id)

    @staticmethod
    def _addressed(message: Message, bot: Bot) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == bot.id:
            return True
        mention = f"@{bot.username}".lower()
        entities = message.parse_entities() or message.parse_caption_entities()
        return any(
            (entity.type == MessageEntityType.MENTION and text.lower() == mention)
            or (entity.type == MessageEntityType.TEXT_MENTION and entity.user and entity.user.id == bot.id)
            for entity, text in entities.items()
        )

    @staticmethod
    def _incoming(message: Message, bot: Bot, admin: bool) -> Incoming:
        text = message.text or message.caption or ""
        text = re.sub(rf"@{re.escape(bot.username)}\b", "", text, flags=re.IGNORECASE).strip()
        replied = message.reply_to_message
        reply_to = (
            replied.message_id
            if replied and replied.from_user and replied.from_user.id == bot.id
            else None
        )
        return Incoming(
            chat=Owner.chat(message.chat_id),
            admin=admin,
            group=group_of(message, bot),
            language=resolve_language(message.from_user.language_code) if message.from_user else None,
            text=text,
            links=_links(message),
            reply_to=reply_to,
            forward=_forward(message.forward_origin) if message.forward_origin else None,
            attachment=_attachment(message, bot) if message.document else None,
            unsupported=next(
                (label for kind, label in UNSUPPORTED.items() if getattr(message, kind, None)), None
            ),
        )


def _language_of(update: Update) -> str | None:
    """The language of whoever sent ``update``, as their Telegram app is set."""
    user = update.effective_user
    return resolve_language(user.language_code) if user and user.language_code else None


async def _answer(query: CallbackQuery, notice: str | None) -> None:
    """Answer a button press. One Telegram delivers again after a restart is too old to
    answer; that is no error to show the chat."""
    try:
        await query.answer(notice)
    except BadRequest as error:
        if not is_refusal(error, Refusal.QUERY_TOO_OLD):
            raise


def _forward(origin: MessageOrigin) -> Forward:
    """The source of a forward; public channel posts keep a link to the original."""
    match origin:
        case MessageOriginChannel(chat=chat, message_id=message_id):
            url = f"https://t.me/{chat.username}/{message_id}" if chat.username else None
            return Forward(source=chat.title or f"@{chat.username}", url=url)
        case MessageOriginChat(sender_chat=chat):
            return Forward(source=chat.title)
        case MessageOriginUser(sender_user=user):
            return Forward(source=user.full_name)
        case MessageOriginHiddenUser(sender_user_name=name):
            return Forward(source=name)
    return Forward()


def _links(message: Message) -> list[Link]:
    """The links Telegram marked in the text or caption: addresses written out (``url``)
    and words that link to one (``text_link``), each address once, in order."""
    kinds = [MessageEntityType.URL, MessageEntityType.TEXT_LINK]
    entities = message.parse_entities(kinds) if message.text else message.parse_caption_entities(kinds)
    links: dict[str, Link] = {}
    for entity, shown in entities.items():
        if entity.type == MessageEntityType.TEXT_LINK and entity.url:
            link = Link(url=entity.url)
        else:  # Telegram marks "example.com/story" too
            link = Link(url=shown if "://" in shown else f"https://{shown}", written=shown)
        links.setdefault(link.url, link)
    return list(links.values())


def _attachment(message: Message, bot: Bot) -> Attachment:
    document = message.document
    assert document is not None

    async def download() -> bytes:
        file = await bot.get_file(document.file_id)
        return bytes(await file.download_as_bytearray())

    return Attachment(
        name=document.file_name or "file", size=document.file_size, mime_type=document.mime_type,
        download=download,
    )
