"""Bot API objects and wire details the fake Telegram server builds its answers from."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

from aiohttp import web
from PIL import Image

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "JSON",
    "ApiError",
    "blank_jpeg",
    "bot_user",
    "caption_fields",
    "chat_member",
    "error_response",
    "image_size",
    "read_params",
    "user_object",
    "without_reply",
]

BOT_ID = 123456
BOT_USERNAME = "toon_test_bot"
JSON = dict[str, Any]

# Form fields PTB sends as raw strings; every other field is JSON-encoded.
_STRING_FIELDS = frozenset(
    {"text", "caption", "file_id", "action", "callback_query_id", "parse_mode", "description"}
)
# An administrator object must carry every one of these booleans or PTB cannot parse it.
_ADMIN_FALSE = ("can_be_edited", "is_anonymous", "can_post_stories", "can_edit_stories")
_ADMIN_TRUE = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_delete_stories",
)


class ApiError(Exception):
    """An error answer: HTTP status = error_code, plus optional response parameters."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def user_object(user_id: int, language_code: str | None = None) -> JSON:
    """A human user object; language_code is their app's language, as Telegram sends it."""
    user: JSON = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def bot_user() -> JSON:
    """The bot's own user object."""
    return {"id": BOT_ID, "is_bot": True, "first_name": "ToonBot", "username": BOT_USERNAME}


def chat_member(status: str, user: JSON) -> JSON:
    """A ChatMember object of the given status, complete enough for PTB."""
    member: JSON = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(dict.fromkeys(_ADMIN_FALSE, False))
        member.update(dict.fromkeys(_ADMIN_TRUE, True))
    return member


async def read_params(request: web.Request) -> tuple[JSON, dict[str, bytes]]:
    """Decode a Bot API request (query, form, multipart or JSON) into params and uploads."""
    params: JSON = dict(request.query)
    files: dict[str, bytes] = {}
    if request.content_type == "application/json":
        params.update(await request.json())
        return params, files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = value.file.read()
            params["_filename"] = value.filename
        elif key in _STRING_FIELDS:
            params[key] = value
        else:
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
    return params, files


def error_response(exc: ApiError) -> web.Response:
    """The JSON error answer for exc."""
    body: JSON = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.json_response(body, status=exc.code)


def caption_fields(caption: str | None) -> JSON:
    """caption (and a bot_command entity for a leading /command), or nothing."""
    if caption is None:
        return {}
    out: JSON = {"caption": caption}
    if caption.startswith("/"):
        out["caption_entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(caption.split()[0])}
        ]
    return out


def without_reply(message: JSON) -> JSON:
    """A copy of message fit to nest as another message's reply_to_message."""
    # Telegram nests reply_to_message only one level deep.
    out = copy.deepcopy(message)
    out.pop("reply_to_message", None)
    return out


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of an image, (0, 0) for anything else."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except OSError:
        return 0, 0  # not an image: the bot must refuse it, the fake need not


def blank_jpeg(width: int, height: int) -> bytes:
    """A black JPEG, for thumbnails."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (0, 0, 0)).save(buf, format="JPEG")
    return buf.getvalue()
