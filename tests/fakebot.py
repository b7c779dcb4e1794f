"""A fake Telegram Bot API server for end-to-end tests (aiohttp, on 127.0.0.1).

It implements the methods python-telegram-bot calls, serves the updates a test
scripts, records every call and checks what the bot sends the way Telegram would:
well-formed HTML with only Telegram's tags, at most 4096 characters after entity
parsing, callback data under 64 bytes, inline answers Telegram would accept (once per
query). Anything wrong is kept in ``violations``.

Groups: ``members`` holds each chat's admins and owner (everyone else is a member), and
``me`` is what getMe answers (set ``can_read_all_group_messages`` for a bot whose privacy
mode is off, ``supports_inline_queries`` for inline mode).
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token"
BOT_USER = {
    "id": 123456, "is_bot": True, "first_name": "Briefbot", "username": "briefbot_test_bot",
    "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
}
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "blockquote", "tg-spoiler", "span", "tg-emoji",
}
JSON_PARAMS = {"reply_markup", "reply_parameters", "link_preview_options", "commands",
               "allowed_updates", "entities", "scope", "results", "button"}
INT_PARAMS = {"chat_id", "message_id", "offset", "timeout", "limit", "message_thread_id", "user_id",
              "cache_time"}
# What an inline result's id, and a button's start parameter, may hold.
_RESULT_ID = re.compile(r"[\x20-\x7e]{1,64}")
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_INLINE_RESULTS = 50
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=\"[^\"]*\"|='[^']*')?)*)\s*>")
_ATTRIBUTE = re.compile(r"([a-zA-Z-]+)(?:=(?:\"([^\"]*)\"|'([^']*)'))?")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
MAX_TEXT = 4096
MAX_CAPTION = 1024
SENDING = {"sendMessage", "sendDocument", "editMessageText", "sendChatAction"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def chat_id(self) -> int | None:
        return self.params.get("chat_id")

    @property
    def buttons(self) -> list[dict[str, str]]:
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


def plain_text(telegram_html: str) -> str:
    """The text a user sees: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", telegram_html))


def check_html(text: str) -> list[str]:
    """What Telegram would reject in a parse_mode=HTML text."""
    problems: list[str] = []
    stack: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "<":
            position = _check_tag(text, position, stack, problems)
        elif char == "&":
            entity = _ENTITY.match(text, position)
            if entity is None:
                problems.append(f"bad entity at {position}: {text[position:position + 10]!r}")
                position += 1
            else:
                position = entity.end()
        elif char == ">":
            problems.append(f"unescaped '>' at {position}")
            position += 1
        else:
            position += 1
    if stack:
        problems.append(f"unclosed tags {stack}")
    visible = plain_text(text)
    if not visible.strip():
        problems.append("message text is empty")
    if len(visible.encode("utf-16-le")) // 2 > MAX_TEXT:
        problems.append(f"text is {len(visible)} characters, over {MAX_TEXT}")
    return problems


def _check_tag(text: str, position: int, stack: list[str], problems: list[str]) -> int:
    """Check the tag at ``position`` against the tags open in ``stack``; returns where it ends."""
    tag = _TAG.match(text, position)
    if tag is None:
        problems.append(f"unescaped '<' at {position}")
        return position + 1
    closing, name, attributes = tag.group(1), tag.group(2).lower(), tag.group(3)
    if name not in ALLOWED_TAGS:
        problems.append(f"tag <{name}> is not allowed")
    if not closing:
        problems += _check_attributes(name, attributes)
        stack.append(name)
    elif not stack or stack[-1] != name:
        problems.append(f"</{name}> closes {stack[-1] if stack else 'nothing'}")
    else:
        stack.pop()
    return tag.end()


def _check_attributes(tag: str, attributes: str) -> list[str]:
    found = {m.group(1).lower(): m.group(2) or m.group(3) or "" for m in _ATTRIBUTE.finditer(attributes)}
    allowed = {"a": {"href"}, "span": {"class"}, "code": {"class"}, "blockquote": {"expandable"},
               "tg-emoji": {"emoji-id"}}.get(tag, set())
    problems = [f"<{tag}> may not have {name}=" for name in found if name not in allowed]
    if tag == "a" and "href" not in found:
        problems.append("<a> without href")
    if tag == "span" and found.get("class") != "tg-spoiler":
        problems.append("<span> must be class=tg-spoiler")
    return problems


class FakeBotApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.polls: list[Call] = []  # getUpdates requests, as they arrive
        # Requests the bot closed its connection on before it had sent them whole (it
        # cancelled them, as a stopping bot does): nothing answers them, and no call is made.
        self.dropped: list[Call] = []
        self.violations: list[str] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.pushed_callbacks: list[str] = []
        # Called with every recorded call: a benchmark matches replies as they come.
        self.listeners: list[Callable[[Call], None]] = []
        self._pushed: dict[int, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        # The newest update_id getUpdates has handed out: the bot holds the ones after the
        # last it confirmed, up to this one.
        self.delivered_up_to = 0
        self._next_message_id = 1
        self._next_file = 1
        self._failures: dict[str, list[tuple[int, int, str | None]]] = {}
        self._delays: dict[str, float] = {}
        # Calls of a method to a chat held until the test lets them through.
        self._gates: dict[tuple[str, int], asyncio.Event] = {}
        # Chats that blocked the bot (403), and groups that became supergroups (old -> new id).
        self.blocked: set[int] = set()
        self.migrated: dict[int, int] = {}
        # What getMe answers; each group's members who are not plain members (user id ->
        # "administrator" or "creator"); inline queries pushed, and how each was answered.
        self.me: dict[str, Any] = dict(BOT_USER)
        self.members: dict[int, dict[int, str]] = {}
        self.pushed_inline: list[str] = []
        self.inline_answers: dict[str, dict[str, Any]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0

    # --- server ----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post(f"/bot{self.token}/{{method}}", self._method)
        app.router.add_get(f"/bot{self.token}/{{method}}", self._method)
        app.router.add_get(f"/file/bot{self.token}/{{path:.+}}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._closing = True
        for gate in self._gates.values():
            gate.set()
        await self._notify()  # ends pending long polls now, not at their timeout
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- scripting -------------------------------------------------------------------

    def push_message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
        forward_origin: dict[str, Any] | None = None,
        document: dict[str, Any] | None = None,
        caption: str | None = None,
        text_links: dict[str, str] | None = None,
        chat_type: str = "private",
        language_code: str | None = None,
        name: str = "Tester",
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Queue a message from a user called ``name`` (whose Telegram app is set to
        ``language_code``); returns the message as the bot will receive it.

        ``text_links`` maps words of the text (or caption) to the address they link to, as
        Telegram's apps send a link put behind words (a ``text_link`` entity)."""
        user_id = user_id if user_id is not None else (chat_id if chat_type == "private" else 42)
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Tester"
        else:
            chat["title"] = f"Group {chat_id}"
            chat["is_forum"] = thread_id is not None
        message: dict[str, Any] = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": _user(user_id, language_code, name),
        }
        if text is not None:
            message["text"] = text
            if entities := _entities(text, text_links or {}):
                message["entities"] = entities
        if caption is not None:
            message["caption"] = caption
            if entities := _entities(caption, text_links or {}):
                message["caption_entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = self._messages[(chat_id, reply_to)]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if forward_origin is not None:
            message["forward_origin"] = forward_origin
        if document is not None:
            message["document"] = document
        message.update(extra or {})
        self._messages[(chat_id, message["message_id"])] = message
        self._push({"message": message})
        return message

    def push_callback(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None,
        language_code: str | None = None,
    ) -> str:
        """Queue a button press on the bot's message ``message_id``; returns the query id."""
        query_id = f"cq{self._next_update_id}"
        self.pushed_callbacks.append(query_id)
        self._push({"callback_query": {
            "id": query_id,
            "from": _user(user_id or chat_id, language_code),
            "message": self._messages[(chat_id, message_id)],
            "chat_instance": str(chat_id),
            "data": data,
        }})
        return query_id

    def push_edit(self, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        """Queue the edit of a user's message to ``text``; returns the message as edited."""
        message = {**self._messages[(chat_id, message_id)], "text": text, "edit_date": int(time.time())}
        message.pop("entities", None)
        if entities := _entities(text, {}):
            message["entities"] = entities
        self._messages[(chat_id, message_id)] = message
        self._push({"edited_message": message})
        return message

    def push_inline_query(
        self, user_id: int, query: str, *, language_code: str | None = None, name: str = "Tester"
    ) -> str:
        """Queue an inline query (``@bot query`` typed in any chat); returns its id."""
        query_id = f"iq{self._next_update_id}"
        self.pushed_inline.append(query_id)
        self._push({"inline_query": {
            "id": query_id, "from": _user(user_id, language_code, name), "query": query, "offset": "",
            "chat_type": "sender",
        }})
        return query_id

    async def inline_answer(self, query_id: str, *, timeout: float = 10) -> dict[str, Any]:
        """Wait for the bot's answer to an inline query: its params as Telegram received them."""
        [call] = await self.wait_for(
            lambda c: c.method == "answerInlineQuery" and c.params.get("inline_query_id") == query_id,
            timeout=timeout,
        )
        return call.params

    def redeliver(self, message: dict[str, Any]) -> None:
        """Deliver the update that carried ``message`` once more, with its update id, as
        Telegram does when the bot stopped before confirming it (a restarted bot's first
        getUpdates asks from offset 0)."""
        update = next(u for u in self._pushed.values() if u.get("message") is message)
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())

    def take_updates(self) -> list[dict[str, Any]]:
        """The queued updates, removed: for a test that delivers them itself (a webhook)."""
        updates, self._updates = self._updates, []
        return updates

    def add_file(self, name: str, data: bytes, mime_type: str = "text/plain") -> dict[str, Any]:
        """A document the bot can fetch with getFile; put it in push_message(document=...)."""
        file_id = f"file{self._next_file}"
        self._next_file += 1
        self.files[file_id] = (f"documents/{file_id}_{name}", data)
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": name,
                "mime_type": mime_type, "file_size": len(data)}

    def fail_next(
        self, method: str, status: int = 429, retry_after: int = 1, description: str | None = None
    ) -> None:
        """Refuse the next call of ``method``: a flood wait (429) by default, or the error
        Telegram describes as ``description``."""
        self._failures.setdefault(method, []).append((status, retry_after, description))

    def answer_slowly(self, method: str, seconds: float) -> None:
        """Answer every call of ``method`` after ``seconds`` (Telegram on a slow day)."""
        self._delays[method] = seconds

    def hold(self, method: str, chat_id: int) -> asyncio.Event:
        """Keep every call of ``method`` to ``chat_id`` waiting until the returned event is
        set: a reply that stays in flight for as long as a test needs, on any machine."""
        gate = self._gates[(method, chat_id)] = asyncio.Event()
        return gate

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    async def wait_for(
        self, match: str | Callable[[Call], bool], *, count: int = 1, timeout: float = 10
    ) -> list[Call]:
        """Wait until ``count`` recorded calls match (a method name or a predicate)."""
        predicate = (lambda call: call.method == match) if isinstance(match, str) else match
        return await self._wait(self.calls, predicate, count, timeout, repr(match))

    async def messages(
        self, chat_id: int, count: int, *, method: str = "sendMessage", timeout: float = 10
    ) -> list[Call]:
        """Wait until the bot has sent ``count`` messages to ``chat_id``; returns them all."""
        return await self.wait_for(
            lambda call: call.method == method and call.chat_id == chat_id, count=count, timeout=timeout
        )

    async def wait_for_poll(self, predicate: Callable[[Call], bool], *, timeout: float = 10) -> Call:
        """Wait for a getUpdates request that matches: these are kept in ``polls``, apart from
        ``calls``, from the moment they arrive."""
        return (await self._wait(self.polls, predicate, 1, timeout, "getUpdates"))[0]

    async def _wait(
        self, calls: list[Call], predicate: Callable[[Call], bool], count: int, timeout: float, what: str
    ) -> list[Call]:
        def found() -> list[Call]:
            return [call for call in calls if predicate(call)]

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: len(found()) >= count), timeout)
            except TimeoutError:
                seen = [(c.method, c.params.get("text", "")[:80]) for c in calls]
                raise AssertionError(f"no {count} call(s) matching {what}; calls: {seen}") from None
        return found()

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        return self._messages[(chat_id, message_id)]

    def unanswered_inline_queries(self) -> list[str]:
        return [query for query in self.pushed_inline if query not in self.inline_answers]

    def unanswered_callbacks(self) -> list[str]:
        answered = {c.params.get("callback_query_id") for c in self.sent(method="answerCallbackQuery")}
        return [query for query in self.pushed_callbacks if query not in answered]

    # --- Bot API -----------------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await _params(request)
        except ConnectionResetError:
            self.dropped.append(Call(method, {}, result="dropped"))
            return web.Response(status=400)  # to no one: the connection is gone
        if delay := self._delays.get(method):
            await asyncio.sleep(delay)
        if (gate := self._gates.get((method, params.get("chat_id")))) is not None:
            await gate.wait()
        failures = self._failures.get(method)
        if failures:
            status, retry_after, description = failures.pop(0)
            await self._record(Call(method, params, result="failed"))
            refusal: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
            if description is None:
                refusal.update(description=f"Too Many Requests: retry after {retry_after}",
                               parameters={"retry_after": retry_after})
            return web.json_response(refusal, status=status)
        if method == "getUpdates":
            self.polls.append(Call(method, params))
            await self._notify()
            return _ok(await self._get_updates(params))
        if method in SENDING and (refusal := self._refusal(params.get("chat_id"))):
            await self._record(Call(method, params, result="failed"))
            return web.json_response(refusal, status=refusal["error_code"])
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            self.violations.append(f"unexpected method {method}")
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        result = handler(params)
        await self._record(Call(method, params, result))
        return _ok(result)

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for stored_path, data in self.files.values():
            if stored_path == path:
                return web.Response(body=data)
        return web.Response(status=404)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset", 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            async with self._changed:
                try:
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._updates) or self._closing),
                        params.get("timeout", 0),
                    )
                except TimeoutError:
                    return []
        delivered = self._updates[: params.get("limit", 100)]
        if delivered:
            self.delivered_up_to = max(self.delivered_up_to, delivered[-1]["update_id"])
        return delivered

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.me

    def _api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, user_id = params["chat_id"], params["user_id"]
        if chat_id > 0:
            self.violations.append(f"getChatMember in private chat {chat_id}")
        status = self.members.get(chat_id, {}).get(user_id, "member")
        user = self.me if user_id == self.me["id"] else _user(user_id, None, "Tester")
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(dict.fromkeys((
                "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                "can_manage_video_chats", "can_restrict_members", "can_promote_members", "can_change_info",
                "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
            ), False))
        return member

    def _api_answerInlineQuery(self, params: dict[str, Any]) -> bool:
        """Check an inline answer the way Telegram would, and keep it."""
        query_id = params.get("inline_query_id")
        where = f"answerInlineQuery {query_id}"
        if query_id not in self.pushed_inline:
            self.violations.append(f"{where}: no such query")
        if query_id in self.inline_answers:
            self.violations.append(f"{where}: answered twice")
        if not self.me.get("supports_inline_queries"):
            self.violations.append(f"{where}: inline mode is off (BotFather /setinline)")
        results = params.get("results", [])
        if len(results) > MAX_INLINE_RESULTS:
            self.violations.append(f"{where}: {len(results)} results")
        ids = [result.get("id", "") for result in results]
        if len(set(ids)) != len(ids) or not all(_RESULT_ID.fullmatch(i) for i in ids):
            self.violations.append(f"{where}: result ids {ids!r} are not unique 1-64 byte strings")
        for result in results:
            self.violations += [f"{where}: {problem}" for problem in _check_inline_result(result)]
        button = params.get("button")
        if button is not None and not (
            button.get("text") and _START_PARAMETER.fullmatch(button.get("start_parameter", ""))
        ):
            self.violations.append(f"{where}: bad button {button!r}")
        self.inline_answers[query_id] = params
        return True

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        for command in params.get("commands", []):
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]):
                self.violations.append(f"bad command name {command['command']!r}")
            if not 1 <= len(command["description"]) <= 256:
                self.violations.append(f"bad command description {command['description']!r}")
        code = params.get("language_code")
        if code is not None and not re.fullmatch(r"[a-z]{2}", code):
            self.violations.append(f"bad language_code {code!r}")
        return True

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        text = params.get("text") or ""
        if len(text) > 200:
            self.violations.append(f"callback answer over 200 characters: {text!r}")
        return True

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_outgoing("sendMessage", params)
        return self._bot_message(params, text=plain_text(params.get("text", "")))

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(params.get("document"), bytes):
            self.violations.append("sendDocument without an uploaded file")
        if len(params.get("caption", "")) > MAX_CAPTION:
            self.violations.append(f"sendDocument caption over {MAX_CAPTION} characters")
        document = {"file_id": "sent", "file_unique_id": "sent", "file_name": params.get("document_name")}
        return self._bot_message(params, document=document)

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_outgoing("editMessageText", params)
        key = (params["chat_id"], params["message_id"])
        if key not in self._messages:
            self.violations.append(f"editMessageText of unknown message {key}")
            return {}
        message = self._messages[key]
        message["text"] = plain_text(params.get("text", ""))
        message.pop("reply_markup", None)
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._messages[(params["chat_id"], params["message_id"])]
        message["reply_markup"] = params.get("reply_markup")
        return message

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        path, data = self.files[params["file_id"]]
        return {"file_id": params["file_id"], "file_unique_id": f"u{params['file_id']}",
                "file_size": len(data), "file_path": path}

    # --- helpers -----------------------------------------------------------------------

    def _refusal(self, chat_id: int | None) -> dict[str, Any] | None:
        """Telegram's answer to a message for a chat that blocked the bot or moved."""
        if chat_id in self.blocked:
            return {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        if chat_id in self.migrated:
            return {"ok": False, "error_code": 400,
                    "description": "Bad Request: group chat was upgraded to a supergroup chat",
                    "parameters": {"migrate_to_chat_id": self.migrated[chat_id]}}
        return None

    def _check_outgoing(self, method: str, params: dict[str, Any]) -> None:
        where = f"{method} to {params.get('chat_id')}"
        if params.get("parse_mode") != "HTML":
            self.violations.append(f"{where}: parse_mode is {params.get('parse_mode')!r}")
        else:
            self.violations += [f"{where}: {problem}" for problem in check_html(params.get("text", ""))]
        if not (params.get("link_preview_options") or {}).get("is_disabled"):
            self.violations.append(f"{where}: link previews are on")
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data", "")
                if not 1 <= len(data.encode()) <= 64:
                    self.violations.append(f"{where}: callback data {data!r} is not 1-64 bytes")

    def _bot_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = params["chat_id"]
        message: dict[str, Any] = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
            **content,
        }
        if "message_thread_id" in params:
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        if "reply_markup" in params and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _new_message_id(self) -> int:
        self._next_message_id += 1
        return self._next_message_id

    def _push(self, update: dict[str, Any]) -> None:
        update["update_id"] = self._next_update_id
        self._next_update_id += 1
        self._pushed[update["update_id"]] = update
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        for listener in self.listeners:
            listener(call)
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _user(user_id: int, language_code: str | None, name: str = "Tester") -> dict[str, Any]:
    first, _, last = name.partition(" ")
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first}
    if last:
        user["last_name"] = last
    if language_code is not None:
        user["language_code"] = language_code
    return user


def _check_inline_result(result: dict[str, Any]) -> list[str]:
    """What Telegram would reject in one inline result of type article."""
    problems = []
    if result.get("type") != "article" or not result.get("title"):
        problems.append(f"result {result.get('id')!r} is not an article with a title")
    content = result.get("input_message_content") or {}
    text = content.get("message_text", "")
    if content.get("parse_mode") != "HTML":
        problems.append(f"result {result.get('id')!r}: parse_mode is {content.get('parse_mode')!r}")
    else:
        problems += [f"result {result.get('id')!r}: {problem}" for problem in check_html(text)]
    if not (content.get("link_preview_options") or {}).get("is_disabled"):
        problems.append(f"result {result.get('id')!r}: link previews are on")
    return problems


def inline_texts(answer: dict[str, Any]) -> list[str]:
    """The messages an inline answer offers to send, as their readers see them."""
    return [plain_text(result["input_message_content"]["message_text"]) for result in answer["results"]]


def _entities(text: str, text_links: dict[str, str]) -> list[dict[str, Any]]:
    """The entities Telegram would add: bot commands, @mentions and links (an address
    written out, without the punctuation after it; words linked to an address)."""
    entities = []
    patterns = (("bot_command", r"(?<!\S)/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?"),
                ("mention", r"(?<!\S)@[A-Za-z0-9_]{5,32}"),
                ("url", r"(?:https?://|www\.)\S*[^\s.,;:!?)\]}'\"»”’]"))
    for kind, pattern in patterns:
        for match in re.finditer(pattern, text):
            entities.append({"type": kind, **_span(text, match.start(), match.end())})
    for words, url in text_links.items():
        start = text.index(words)
        entities.append({"type": "text_link", "url": url, **_span(text, start, start + len(words))})
    return sorted(entities, key=lambda entity: entity["offset"])


def _span(text: str, start: int, end: int) -> dict[str, int]:
    """Telegram counts offsets and lengths in UTF-16 code units."""
    offset = len(text[:start].encode("utf-16-le")) // 2
    return {"offset": offset, "length": len(text[start:end].encode("utf-16-le")) // 2}


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if request.content_type == "application/json":
        return await request.json()
    form = await request.post()
    for key, value in form.items():
        if not isinstance(value, str):
            params[key] = value.file.read()
            params[f"{key}_name"] = value.filename
        elif key in JSON_PARAMS:
            params[key] = json.loads(value)
        elif key in INT_PARAMS and re.fullmatch(r"-?\d+", value):
            params[key] = int(value)
        else:
            params[key] = value
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})
