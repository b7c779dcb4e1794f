"""A Telegram group message as the conversation sees it: the message a catch-up keeps
(:func:`kept_message`), and the group it was posted in (:func:`group_of`), with the two
questions only Telegram can answer: whether its sender administers the group, and whether
the bot receives every message there (privacy mode off, or the bot an admin).
"""

from __future__ import annotations

from telegram import Bot, Message
from telegram.constants import ChatMemberStatus, ChatType

from bot.conversation import Group
from retrieval.models import GroupMessage

GROUPS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
ADMINS = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


def in_group(message: Message) -> bool:
    return message.chat.type in GROUPS


def kept_message(message: Message) -> GroupMessage | None:
    """What a catch-up keeps of a group's message: its text or caption, who wrote it (a
    person, or the chat it was sent as), when, where it answers and its link; None for a
    message without text."""
    text = message.text or message.caption
    if not text:
        return None
    sender = message.sender_chat
    replied = message.reply_to_message
    return GroupMessage(
        chat_id=message.chat_id,
        message_id=message.message_id,
        author_id=sender.id if sender else message.from_user.id if message.from_user else 0,
        author=(sender.title or sender.username or "") if sender else _name(message),
        text=text,
        sent_at=message.date,
        edited_at=message.edit_date,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        reply_to=replied.message_id if replied else None,
        link=message_link(message),
    )


def message_link(message: Message) -> str | None:
    """The message's link: ``t.me/<name>/<id>`` in a public supergroup, ``t.me/c/<id>/<id>``
    in a private one (its id without the -100), none in a basic group. (python-telegram-bot's
    ``Message.link`` adds ``?thread=`` to replies, None when Telegram sent no thread.)"""
    chat = message.chat
    if chat.type != ChatType.SUPERGROUP:
        return None
    where = chat.username or f"c/{-chat.id - 10**12}"
    return f"https://t.me/{where}/{message.message_id}"


def group_of(message: Message, bot: Bot) -> Group | None:
    """The group ``message`` was posted in, or None outside groups."""
    if not in_group(message):
        return None
    sender = message.sender_chat
    member = sender.id if sender else message.from_user.id if message.from_user else 0

    async def member_is_admin() -> bool:
        if sender is not None:  # an anonymous admin writes as the group itself
            return sender.id == message.chat_id
        return await _is_admin(bot, message.chat_id, member)

    async def bot_sees_every_message() -> bool:
        me = await bot.get_me()  # asked now: the owner may have changed privacy mode since start-up
        return bool(me.can_read_all_group_messages) or await _is_admin(bot, message.chat_id, me.id)

    return Group(
        member=member, member_is_admin=member_is_admin, bot_sees_every_message=bot_sees_every_message
    )


async def _is_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    return (await bot.get_chat_member(chat_id, user_id)).status in ADMINS


def _name(message: Message) -> str:
    user = message.from_user
    return user.full_name if user else ""
