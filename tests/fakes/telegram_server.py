"""A fake Telegram Bot API on 127.0.0.1 that a real python-telegram-bot Application can talk to.

Tests push updates (messages, button presses) into it and read back every call the bot made.
Only the methods ToonBot uses are served; each answers with objects complete enough for PTB.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer
from tests.fakes.telegram_objects import (
    BOT_ID,
    BOT_USERNAME,
    JSON,
    ApiError,
    bot_user,
    caption_fields,
    chat_member,
    error_response,
    image_size,
    read_params,
    user_object,
    without_reply,
)
from tests.fakes.telegram_users import UserActions

__all__ = ["BOT_ID", "BOT_USERNAME", "TOKEN", "Call", "FakeTelegram"]

TOKEN = "123456:TEST-token_for-the-fake"
_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # what getFile refuses beyond, as Telegram does


@dataclass
class Call:
    """One request the bot made: method, decoded parameters, uploaded files, and the answer."""

    method: str
    params: JSON
    files: dict[str, bytes] = field(default_factory=dict)
    ok: bool = True
    result: Any = None
    error_code: int | None = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (monotonic clock)


@dataclass
class _StoredFile:
    data: bytes
    size: int  # declared size; may differ from len(data) to fake huge files cheaply
    path: str
    unique_id: str


class FakeTelegram(FakeServer, UserActions):
    """The fake server; use as `async with FakeTelegram() as fake:`."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.calls: list[Call] = []
        self.downloads: list[str] = []  # file paths fetched from /file/bot<token>/
        self.messages: dict[tuple[int, int], JSON] = {}  # live messages by (chat id, id)
        self.languages: dict[int, str] = {}  # user id -> language_code their updates carry
        self.deleted: list[tuple[int, int]] = []
        self.members: dict[tuple[int, int], str] = {}  # (chat, user) -> status; default member
        self._updates: list[JSON] = []
        self._files: dict[str, _StoredFile] = {}
        self._chats: dict[int, JSON] = {}
        self._failures: dict[str, list[tuple[int, int | None]]] = {}
        self._stalls: dict[tuple[str, str], list[float]] = {}  # (method, "body"/"answer")
        self._ids = itertools.count(1)  # message, update and file ids all come from here

    # -- lifecycle -----------------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder.base_url."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder.base_file_url."""
        return f"{self.url}/file/bot"

    # -- what tests set up ---------------------------------------------------------------------

    def fail_next(
        self, method: str, status: int, *, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `method` with an error (429 with retry_after, 5xx...).

        The failing call does nothing: no message is sent, as when Telegram refuses up front.
        """
        self._failures.setdefault(method, []).extend([(status, retry_after)] * times)

    def stall_next(self, method: str, seconds: float, *, before: str = "answer") -> None:
        """Make the next call of `method` wait `seconds`: before reading its body (the upload
        stalls half-written) when `before` is "body", else after acting on it (the message
        is posted, the answer late: "outcome unknown" to the bot)."""
        self._stalls.setdefault((method, before), []).append(seconds)

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember says: "member", "administrator", "creator", "left"..."""
        self.members[(chat_id, user_id)] = status

    def add_file(self, data: bytes, *, size: int | None = None, ext: str = "jpg") -> JSON:
        """Store a file the bot may download; returns its file_id, file_unique_id and file_size."""
        n = self.next_id()
        declared = len(data) if size is None else size
        stored = _StoredFile(data, declared, f"files/{n}.{ext}", f"u{n}")
        self._files[f"file-{n}"] = stored
        return {"file_id": f"file-{n}", "file_unique_id": stored.unique_id, "file_size": declared}

    def next_id(self) -> int:
        """A fresh id: messages, updates and files all count from one sequence."""
        return next(self._ids)

    def group(self, chat_id: int, title: str = "Toon fans") -> JSON:
        """Register a supergroup chat (ids are negative) and return it."""
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        self._chats[chat_id] = chat
        return chat

    def push_message(self, user_id: int, *, chat_id: int | None = None, **content: Any) -> JSON:
        """Queue a new message from a user (private chat unless chat_id names a group)."""
        chat = self._chat(user_id if chat_id is None else chat_id)
        message = {
            "message_id": self.next_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": user_object(user_id, self.languages.get(user_id)),
            **content,
        }
        self._store(message)
        self.push_update({"message": message})
        return message

    # -- what tests read back ------------------------------------------------------------------

    def find(
        self, method: str, *, chat_id: int | None = None, ok: bool | None = True
    ) -> list[Call]:
        """Calls of `method` (to `chat_id`), by default only the ones that succeeded."""
        return [
            c
            for c in self.calls
            if c.method == method
            and (chat_id is None or c.params.get("chat_id") == chat_id)
            and (ok is None or c.ok is ok)
        ]

    def texts(self, chat_id: int) -> list[str]:
        """Every text the bot sent or edited into `chat_id`, in order."""
        return [
            c.params["text"]
            for c in self.calls
            if c.ok
            and c.method in ("sendMessage", "editMessageText")
            and c.params.get("chat_id") == chat_id
        ]

    def _summary(self) -> str:
        return ", ".join(f"{c.method}{'' if c.ok else '!'}" for c in self.calls[-40:])

    # -- HTTP ----------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return error_response(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        if stall := self._stalls.get((method, "body")):
            await self._stall(stall.pop(0))
        params, files = await read_params(request)
        call = Call(method, params, files)
        self.calls.append(call)
        failures = self._failures.get(method)
        if failures:
            status, retry_after = failures.pop(0)
            extra = {"retry_after": retry_after} if retry_after is not None else None
            text = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else "Internal Server Error"
            )
            return self._fail(call, ApiError(status, text, extra))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._fail(call, ApiError(404, "Not Found: method not found"))
        try:
            call.result = await handler(params, files)
        except ApiError as exc:
            return self._fail(call, exc)
        if stall := self._stalls.get((method, "answer")):
            await self._stall(stall.pop(0))
        return web.json_response({"ok": True, "result": call.result})

    def _fail(self, call: Call, exc: ApiError) -> web.Response:
        call.ok, call.error_code = False, exc.code
        return error_response(exc)

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        self.downloads.append(path)
        for stored in self._files.values():
            if stored.path == path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return web.Response(status=404)

    # -- Bot API methods -----------------------------------------------------------------------

    async def _m_getMe(self, p: JSON, f: dict[str, bytes]) -> JSON:
        return {
            **bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_deleteWebhook(self, p: JSON, f: dict[str, bytes]) -> bool:
        return True

    async def _m_setMyCommands(self, p: JSON, f: dict[str, bytes]) -> bool:
        return True

    async def _m_getUpdates(self, p: JSON, f: dict[str, bytes]) -> list[JSON]:
        offset = int(p.get("offset") or 0)
        # Asking with an offset confirms everything before it, as on the real server.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + float(p.get("timeout") or 0)
        while not self._updates and not self._closing.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return self._updates[: int(p.get("limit") or 100)]

    async def _m_getFile(self, p: JSON, f: dict[str, bytes]) -> JSON:
        stored = self._files.get(str(p["file_id"]))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if stored.size > _DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": p["file_id"],
            "file_unique_id": stored.unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }

    async def _m_sendChatAction(self, p: JSON, f: dict[str, bytes]) -> bool:
        return True

    async def _m_answerCallbackQuery(self, p: JSON, f: dict[str, bytes]) -> bool:
        return True

    async def _m_sendMessage(self, p: JSON, f: dict[str, bytes]) -> JSON:
        return self._bot_message(p, text=p["text"])

    async def _m_sendPhoto(self, p: JSON, f: dict[str, bytes]) -> JSON:
        if "photo" in f:
            data = f["photo"]
        else:  # a resend by file_id of something uploaded before
            stored = self._files.get(str(p.get("photo")))
            if stored is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            data = stored.data
        width, height = image_size(data)
        sizes = [{**self.add_file(data, ext="png"), "width": width, "height": height}]
        return self._bot_message(p, photo=sizes, **caption_fields(p.get("caption")))

    async def _m_sendDocument(self, p: JSON, f: dict[str, bytes]) -> JSON:
        document = {**self.add_file(f["document"]), "file_name": p.get("_filename", "file")}
        return self._bot_message(p, document=document, **caption_fields(p.get("caption")))

    async def _m_sendVideo(self, p: JSON, f: dict[str, bytes]) -> JSON:
        video = {**self.add_file(f["video"], ext="mp4"), "width": 1, "height": 1, "duration": 1}
        return self._bot_message(p, video=video, **caption_fields(p.get("caption")))

    async def _m_sendAnimation(self, p: JSON, f: dict[str, bytes]) -> JSON:
        media = self.add_file(f["animation"], ext="mp4")
        animation = {**media, "width": 1, "height": 1, "duration": 1}
        return self._bot_message(p, animation=animation, **caption_fields(p.get("caption")))

    async def _m_sendVideoNote(self, p: JSON, f: dict[str, bytes]) -> JSON:
        note = {**self.add_file(f["video_note"], ext="mp4"), "length": 1, "duration": 1}
        return self._bot_message(p, video_note=note)

    async def _m_editMessageText(self, p: JSON, f: dict[str, bytes]) -> JSON:
        message = self.messages.get((p["chat_id"], p["message_id"]))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.get("text") == p["text"] and "reply_markup" not in p:
            raise ApiError(400, "Bad Request: message is not modified")
        message["text"] = p["text"]
        message["edit_date"] = int(time.time())
        if "reply_markup" in p:
            message["reply_markup"] = p["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return copy.deepcopy(message)

    async def _m_deleteMessage(self, p: JSON, f: dict[str, bytes]) -> bool:
        key = (p["chat_id"], p["message_id"])
        if self.messages.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        self.deleted.append(key)
        return True

    async def _m_getChatMember(self, p: JSON, f: dict[str, bytes]) -> JSON:
        status = self.members.get((p["chat_id"], p["user_id"]), "member")
        return chat_member(status, user_object(int(p["user_id"])))

    # -- helpers -------------------------------------------------------------------------------

    def _bot_message(self, p: JSON, **content: Any) -> JSON:
        chat = self._chat(int(p["chat_id"]))
        message: JSON = {
            "message_id": self.next_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": bot_user(),
            **content,
        }
        reply = p.get("reply_parameters")
        if reply:
            target = self.messages.get((chat["id"], reply["message_id"]))
            if target is not None:
                message["reply_to_message"] = without_reply(target)
            elif not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        self._store(message)
        return copy.deepcopy(message)

    def _chat(self, chat_id: int) -> JSON:
        if chat_id not in self._chats:
            if chat_id < 0:
                return self.group(chat_id)
            self._chats[chat_id] = {
                "id": chat_id,
                "type": "private",
                "first_name": f"User{chat_id}",
            }
        return self._chats[chat_id]

    def _store(self, message: JSON) -> None:
        self.messages[(message["chat"]["id"], message["message_id"])] = message

    def push_update(self, update: JSON) -> None:
        """Queue a raw update for getUpdates."""
        self._updates.append({"update_id": self.next_id(), **update})
