"""Payloads the fake Discord hands to discord.py: users, messages, interactions, the app."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

__all__ = [
    "APP_ID",
    "BOT_ID",
    "JSON",
    "MANAGE_GUILD",
    "TOKEN",
    "application",
    "attachment_object",
    "guild_channel",
    "interaction_object",
    "json_response",
    "member_object",
    "message_object",
    "snowflakes",
    "user_object",
]

JSON = dict[str, Any]

APP_ID = 900_000_000_000_000_001
BOT_ID = APP_ID
TOKEN = "fake-discord-bot-token"
MANAGE_GUILD = 1 << 5
# A member's usual permissions: view channels, send messages, attach files, read history.
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 15) | (1 << 16)

_DISCORD_EPOCH_MS = 1_420_070_400_000
_serial = itertools.count()


class _Snowflakes:
    """Unique ids that, like Discord's, encode the time they were made (created_at uses it)."""

    def __iter__(self) -> _Snowflakes:
        return self

    def __next__(self) -> int:
        ms = int(time.time() * 1000) - _DISCORD_EPOCH_MS
        return (ms << 22) | (next(_serial) & 0x3FFFFF)


snowflakes = _Snowflakes()


def now_iso() -> str:
    """The current time as Discord writes timestamps."""
    return datetime.now(UTC).isoformat()


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON answer with Content-Type exactly application/json (discord.py checks equality)."""
    headers = {"Content-Type": "application/json"}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=headers)


def user_object(user_id: int, name: str | None = None, *, bot: bool = False) -> JSON:
    """A Discord user."""
    return {
        "id": str(user_id),
        "username": name or f"user{user_id}",
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def application() -> JSON:
    """GET /oauth2/applications/@me."""
    return {
        "id": str(APP_ID),
        "name": "ToonBot",
        "icon": None,
        "description": "test app",
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "00" * 32,
        "flags": 0,
        "owner": user_object(1, "owner"),
    }


def member_object(user_id: int, permissions: int = MEMBER_PERMISSIONS) -> JSON:
    """A guild member as interactions carry it, with its resolved permissions."""
    return {
        "user": user_object(user_id),
        "roles": [],
        "joined_at": now_iso(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": str(permissions),
    }


def guild_channel(channel_id: int, guild_id: int) -> JSON:
    """A text channel in a guild."""
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": "general",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }


def attachment_object(
    attachment_id: int, filename: str, size: int, url: str, content_type: str | None
) -> JSON:
    """An attachment whose url points at the fake."""
    data: JSON = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
    }
    if content_type is not None:
        data["content_type"] = content_type
    return data


def message_object(
    message_id: int,
    channel_id: int,
    author: JSON,
    *,
    content: str = "",
    attachments: list[JSON] | None = None,
    components: list[JSON] | None = None,
    flags: int = 0,
    guild_id: int | None = None,
) -> JSON:
    """A full Message."""
    data: JSON = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": flags,
        "components": components or [],
    }
    if author.get("bot"):
        data["application_id"] = str(APP_ID)
        data["webhook_id"] = str(APP_ID)
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data


def interaction_object(
    kind: int,
    data: JSON | None,
    *,
    user_id: int,
    channel_id: int,
    guild_id: int | None,
    permissions: int,
    size_limit: int,
    message: JSON | None = None,
    locale: str = "en-US",
) -> JSON:
    """An INTERACTION_CREATE payload (kind 2: command, 3: component); `locale` is the user's
    Discord client language."""
    payload: JSON = {
        "id": str(next(snowflakes)),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"itoken-{next(snowflakes)}",
        "version": 1,
        "attachment_size_limit": size_limit,
        "channel_id": str(channel_id),
        "locale": locale,
        "app_permissions": str(MEMBER_PERMISSIONS),
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)} if guild_id else {"1": "1"},
        "context": 0 if guild_id else 1,
    }
    if data is not None:
        payload["data"] = data
    if message is not None:
        payload["message"] = message
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        payload["guild_locale"] = "en-US"
        payload["channel"] = guild_channel(channel_id, guild_id)
        payload["member"] = member_object(user_id, permissions)
    else:
        payload["channel"] = {
            "id": str(channel_id),
            "type": 1,
            "recipients": [user_object(user_id)],
        }
        payload["user"] = user_object(user_id)
    return payload
