"""A fake Discord (REST + gateway websocket) on 127.0.0.1 that a real discord.py Client can use.

Tests dispatch interactions through the gateway (see discord_users) and read back every REST call
the bot made. Only what ToonBot uses is served; answers are complete enough for discord.py 2.7.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import discord
import yarl
from aiohttp import BodyPartReader, WSMsgType, web

from tests.fakes.discord_objects import (
    APP_ID,
    BOT_ID,
    JSON,
    TOKEN,
    application,
    attachment_object,
    json_response,
    message_object,
    snowflakes,
    user_object,
)
from tests.fakes.discord_users import UserActions
from tests.fakes.server import FakeServer

__all__ = ["APP_ID", "TOKEN", "Call", "FakeDiscord", "Interaction"]

EPHEMERAL = 64
LOADING = 128


@dataclass
class Call:
    """One REST request: method, path (after /api/v10), JSON body, uploaded files, the answer."""

    method: str
    path: str
    body: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    status: int = 200
    result: Any = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (monotonic clock)


@dataclass
class Interaction:
    """One interaction the fake dispatched, and everything the bot did with its token."""

    payload: JSON
    callbacks: list[JSON] = field(default_factory=list)  # {"type": n, "data": {...}}
    original: str | None = None  # message id of the original response
    followups: list[str] = field(default_factory=list)
    deleted_original: bool = False

    @property
    def token(self) -> str:
        """The interaction token."""
        return str(self.payload["token"])


class FakeDiscord(FakeServer, UserActions):
    """The fake server; use as `async with FakeDiscord() as fake:`."""

    def __init__(self) -> None:
        super().__init__()
        self.token = TOKEN
        self.calls: list[Call] = []
        self.messages: dict[str, JSON] = {}  # live messages by id
        self.deleted: list[str] = []
        self.files: dict[str, bytes] = {}  # attachment id -> bytes
        self.commands: dict[str, list[JSON]] = {}  # "global" or guild id -> synced commands
        self.interactions: dict[str, Interaction] = {}  # by token
        self.identified = 0
        # Sharding: what GET /gateway/bot recommends, each IDENTIFY's [shard_id, num_shards]
        # (None for an unsharded client), and the live connection of each shard.
        self.shard_count = 1
        self.identifies: list[list[int] | None] = []
        self.shard_sessions: dict[int, web.WebSocketResponse] = {}
        self._failures: list[tuple[str, str, int, float | None]] = []
        self._stalls: list[tuple[str, str, float]] = []
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0

    # -- lifecycle -----------------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/api/v10/gateway/bot", self._gateway_bot)
        app.router.add_get("/attachments/{id}/{name}", self._attachment)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)

    async def _close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        for ws in list(self.shard_sessions.values()):
            await ws.close()

    @property
    def api_base(self) -> str:
        """For discord.http.Route.BASE."""
        return f"{self.url}/api/v10"

    @property
    def gateway(self) -> str:
        """For DiscordWebSocket.DEFAULT_GATEWAY."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    def patch(self, monkeypatch: Any) -> None:
        """Point discord.py at this fake for one test (monkeypatch restores it afterwards)."""
        monkeypatch.setattr(discord.http.Route, "BASE", self.api_base)
        monkeypatch.setattr(
            discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(self.gateway)
        )

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        *,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` `method` calls whose path contains `path` with an error.

        429 (with retry_after) or 5xx; the failing call does nothing, as when Discord refuses
        up front.
        """
        self._failures.extend([(method, path, status, retry_after)] * times)

    def stall_next(self, method: str, path: str, seconds: float) -> None:
        """Act on the next `method` call whose path contains `path` (the message is posted),
        then hold its answer `seconds`: "outcome unknown" to the bot."""
        self._stalls.append((method, path, seconds))

    def _summary(self) -> str:
        return ", ".join(f"{c.method} {c.path} {c.status}" for c in self.calls[-30:])

    # -- gateway -------------------------------------------------------------------------------

    async def dispatch(self, event: str, data: JSON, *, shard: int | None = None) -> None:
        """Send one op 0 DISPATCH to the connected client (on `shard`'s connection if given)."""
        ws = self._ws if shard is None else self.shard_sessions.get(shard)
        if ws is None or ws.closed:
            raise AssertionError(f"no client is connected to the fake gateway (shard {shard})")
        self._seq += 1
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        # Only AutoShardedClient asks; it then opens one connection per shard at this url.
        self.calls.append(Call(request.method, "gateway/bot"))
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        data = {"url": self.gateway, "shards": self.shard_count, "session_start_limit": limit}
        return json_response(data)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            if frame["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif frame["op"] == 2:
                self.identified += 1
                shard = frame["d"].get("shard")
                self.identifies.append(shard)
                ready = self._ready()
                if shard is not None:
                    self.shard_sessions[shard[0]] = ws
                    ready["shard"] = shard
                self._seq += 1
                await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": self._seq, "d": ready}))
        return ws

    def _ready(self) -> JSON:
        return {
            "v": 10,
            "user": user_object(BOT_ID, "ToonBot", bot=True),
            "guilds": [],
            "session_id": f"session-{next(snowflakes)}",
            "resume_gateway_url": self.gateway,
            "application": {"id": str(APP_ID), "flags": 0},
        }

    # -- REST ----------------------------------------------------------------------------------

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["id"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        body, files = await _read_body(request)
        call = Call(request.method, path, body, files)
        self.calls.append(call)
        for failure in self._failures:
            if failure[0] == request.method and failure[1] in path:
                self._failures.remove(failure)
                call.status = failure[2]
                return _error(failure[2], failure[3])
        if request.headers.get("Authorization") not in (None, f"Bot {TOKEN}"):
            call.status = 401
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        status, result = self._route(request.method, path, body, files)
        call.status, call.result = status, result
        stall = next((s for s in self._stalls if s[0] == request.method and s[1] in path), None)
        if stall is not None:
            self._stalls.remove(stall)
            await self._stall(stall[2])
        if status == 204:
            return web.Response(status=204)
        return json_response(result, status)

    def _route(self, method: str, path: str, body: Any, files: dict[str, bytes]) -> tuple[int, Any]:
        if method == "GET" and path == "users/@me":
            return 200, user_object(BOT_ID, "ToonBot", bot=True)
        if method == "GET" and path == "oauth2/applications/@me":
            return 200, application()
        if m := re.fullmatch(r"interactions/(\d+)/([^/]+)/callback", path):
            return self._callback(m[2], body, files)
        if m := re.fullmatch(r"webhooks/\d+/([^/]+)/messages/([^/]+)", path):
            return self._webhook_message(method, m[1], m[2], body, files)
        if method == "POST" and (m := re.fullmatch(r"webhooks/\d+/([^/]+)", path)):
            return self._followup(m[1], body, files)
        if method == "PUT" and (
            m := re.fullmatch(r"applications/\d+(?:/guilds/(\d+))?/commands", path)
        ):
            synced = [_registered(command) for command in body]
            self.commands[m[1] or "global"] = synced
            return 200, synced
        if method == "POST" and (m := re.fullmatch(r"channels/(\d+)/messages", path)):
            return 200, self._create(int(m[1]), body, files)
        return 404, {"message": f"Unknown route {method} {path}", "code": 0}

    def _callback(self, token: str, body: JSON, files: dict[str, bytes]) -> tuple[int, Any]:
        record = self.interactions[token]
        kind, data = body["type"], body.get("data") or {}
        record.callbacks.append({"type": kind, "data": data})
        channel = int(record.payload["channel_id"])
        message: JSON | None = None
        if kind in (4, 5):
            flags = data.get("flags", 0) | (LOADING if kind == 5 else 0)
            message = self._create(channel, dict(data, flags=flags), files)
            record.original = message["id"]
        elif kind in (6, 7) and "message" in record.payload:
            record.original = record.payload["message"]["id"]
            if kind == 7:
                message = self._update(record.original, data, files)
        interaction = {
            "id": record.payload["id"],
            "type": record.payload["type"],
            "response_message_id": record.original,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
        }
        result: JSON = {"interaction": interaction}
        if message is not None:
            result["resource"] = {"type": kind, "message": message}
        return 200, result

    def _webhook_message(
        self, method: str, token: str, message_id: str, body: Any, files: dict[str, bytes]
    ) -> tuple[int, Any]:
        record = self.interactions[token]
        if message_id == "@original":
            if record.original is None:
                return 404, {"message": "Unknown Message", "code": 10008}
            message_id = record.original
        if message_id not in self.messages:
            return 404, {"message": "Unknown Message", "code": 10008}
        if method == "DELETE":
            del self.messages[message_id]
            self.deleted.append(message_id)
            record.deleted_original |= message_id == record.original
            return 204, None
        if method == "PATCH":
            return 200, self._update(message_id, body or {}, files)
        return 200, self.messages[message_id]

    def _followup(self, token: str, body: JSON, files: dict[str, bytes]) -> tuple[int, Any]:
        record = self.interactions[token]
        message = self._create(int(record.payload["channel_id"]), body, files)
        record.followups.append(message["id"])
        return 200, message

    def _create(self, channel: int, data: JSON, files: dict[str, bytes]) -> JSON:
        message = message_object(
            next(snowflakes),
            channel,
            user_object(BOT_ID, "ToonBot", bot=True),
            content=data.get("content") or "",
            attachments=self._attachments(data, files),
            components=data.get("components") or [],
            flags=data.get("flags", 0),
        )
        self.messages[message["id"]] = message
        return message

    def _update(self, message_id: str, data: JSON, files: dict[str, bytes]) -> JSON:
        message = self.messages[message_id]
        if "content" in data:
            message["content"] = data["content"] or ""
        if "components" in data:
            message["components"] = data["components"] or []
        if "attachments" in data:
            message["attachments"] = self._attachments(data, files)
        message["flags"] = message["flags"] & ~LOADING
        return message

    def _attachments(self, data: JSON, files: dict[str, bytes]) -> list[JSON]:
        out = []
        for item in data.get("attachments") or []:
            payload = files.get(f"files[{item['id']}]")
            if payload is None:
                continue
            out.append(self.store_file(payload, item["filename"], _content_type(item["filename"])))
        return out

    def store_file(self, data: bytes, filename: str, content_type: str | None) -> JSON:
        """Keep `data` as an attachment served by the fake; return its Attachment object."""
        attachment_id = str(next(snowflakes))
        self.files[attachment_id] = data
        url = f"{self.url}/attachments/{attachment_id}/{filename}"
        return attachment_object(int(attachment_id), filename, len(data), url, content_type)


def _registered(command: JSON) -> JSON:
    # As Discord answers: with ids, and an empty description for context menus.
    extra = {"id": str(next(snowflakes)), "application_id": str(APP_ID), "version": "1"}
    return {"description": "", **command, **extra}


def _content_type(filename: str) -> str | None:
    suffix = filename.rsplit(".", 1)[-1].lower()
    return {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}.get(suffix)


async def _read_body(request: web.Request) -> tuple[Any, dict[str, bytes]]:
    files: dict[str, bytes] = {}
    if request.content_type.startswith("multipart/"):
        body: Any = None
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.name == "payload_json":
                body = json.loads(await part.text())
            else:
                files[part.name] = bytes(await part.read())
        return body, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), files


def _error(status: int, retry_after: float | None) -> web.Response:
    if status == 429:
        data = {
            "message": "You are being rate limited.",
            "retry_after": retry_after or 0.05,
            "global": False,
        }
        response = json_response(data, 429)
        # Without Via, discord.py takes a 429 for a Cloudflare ban and gives up at once.
        response.headers["Via"] = "1.1 google"
        wait = str(data["retry_after"])
        response.headers.update(
            {
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(time.time() + float(wait)),
                "X-RateLimit-Reset-After": wait,
                "X-RateLimit-Bucket": "fake-bucket",
                "X-RateLimit-Scope": "user",
            }
        )
        return response
    return json_response({"message": "Server error", "code": 0}, status)
