"""The Telegram refusals the bot expects, told apart.

python-telegram-bot gives a chat that blocked the bot (``Forbidden``), a group that became a
supergroup (``ChatMigrated``) and a flood wait (``RetryAfter``) types of their own, but raises
every other "400 Bad Request" as a plain ``BadRequest``: Telegram tells those apart only by
their description. This is the one place that reads it.
"""

from __future__ import annotations

from enum import StrEnum

from telegram.error import BadRequest


class Refusal(StrEnum):
    # An edit to the text and buttons the message already has.
    NOT_MODIFIED = "message is not modified"
    # A button press answered after Telegram stopped waiting (one delivered again after a restart).
    QUERY_TOO_OLD = "query is too old"
    # A chat that no longer exists: a deleted group or account.
    CHAT_NOT_FOUND = "chat not found"


def is_refusal(error: BaseException, refusal: Refusal) -> bool:
    return isinstance(error, BadRequest) and refusal in error.message.lower()
