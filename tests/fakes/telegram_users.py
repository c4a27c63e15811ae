"""What users do in the fake Telegram: send each kind of message, press inline buttons."""

from __future__ import annotations

import copy
from typing import Any

from tests.fakes.telegram_objects import (
    JSON,
    blank_jpeg,
    caption_fields,
    image_size,
    user_object,
    without_reply,
)

__all__ = ["UserActions"]


class UserActions:
    """Builders of user updates; the server supplies storage, ids and the update queue."""

    messages: dict[tuple[int, int], JSON]
    languages: dict[int, str]  # user id -> their app's language_code (none: not sent)

    def add_file(self, data: bytes, *, size: int | None = None, ext: str = "jpg") -> JSON:
        """Store a downloadable file (the server implements this)."""
        raise NotImplementedError

    def next_id(self) -> int:
        """A fresh id (the server implements this)."""
        raise NotImplementedError

    def push_message(self, user_id: int, *, chat_id: int | None = None, **content: Any) -> JSON:
        """Queue a message from a user (the server implements this)."""
        raise NotImplementedError

    def push_update(self, update: JSON) -> None:
        """Queue a raw update (the server implements this)."""
        raise NotImplementedError

    def push_text(
        self, user_id: int, text: str, *, chat_id: int | None = None, reply_to: JSON | None = None
    ) -> JSON:
        """A text message; a leading /command gets its bot_command entity like Telegram adds."""
        extra: JSON = {"text": text}
        if text.startswith("/"):
            extra["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        if reply_to is not None:
            extra["reply_to_message"] = without_reply(reply_to)
        return self.push_message(user_id, chat_id=chat_id, **extra)

    def push_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        chat_id: int | None = None,
        caption: str | None = None,
        file_size: int | None = None,
    ) -> JSON:
        """A compressed photo: a tiny thumbnail first, then the real size, as Telegram lists them."""
        width, height = image_size(data)
        thumb = blank_jpeg(8, 8)
        sizes = [
            {**self.add_file(thumb), "width": 8, "height": 8},
            {**self.add_file(data, size=file_size), "width": width, "height": height},
        ]
        return self.push_message(user_id, chat_id=chat_id, photo=sizes, **caption_fields(caption))

    def push_document(
        self,
        user_id: int,
        data: bytes,
        *,
        file_name: str,
        mime_type: str | None,
        chat_id: int | None = None,
        caption: str | None = None,
        file_size: int | None = None,
    ) -> JSON:
        """A file sent as a document."""
        document = {**self.add_file(data, size=file_size), "file_name": file_name}
        if mime_type is not None:
            document["mime_type"] = mime_type
        return self.push_message(
            user_id, chat_id=chat_id, document=document, **caption_fields(caption)
        )

    def push_video(
        self, user_id: int, data: bytes = b"\x00" * 64, *, chat_id: int | None = None
    ) -> JSON:
        """A video message."""
        video = {**self.add_file(data, ext="mp4"), "width": 64, "height": 64, "duration": 3}
        return self.push_message(user_id, chat_id=chat_id, video=video)

    def push_animation(
        self, user_id: int, data: bytes = b"GIF89a" + b"\x00" * 64, *, chat_id: int | None = None
    ) -> JSON:
        """A GIF: like Telegram, the message carries both animation and document."""
        media = self.add_file(data, ext="mp4")
        animation = {**media, "width": 64, "height": 64, "duration": 1, "file_name": "a.gif.mp4"}
        document = {**media, "file_name": "a.gif.mp4", "mime_type": "video/mp4"}
        return self.push_message(user_id, chat_id=chat_id, animation=animation, document=document)

    def push_video_note(
        self, user_id: int, data: bytes = b"\x00" * 64, *, chat_id: int | None = None
    ) -> JSON:
        """A round video note."""
        note = {**self.add_file(data, ext="mp4"), "length": 240, "duration": 2}
        return self.push_message(user_id, chat_id=chat_id, video_note=note)

    def press(self, user_id: int, message: JSON, data: str) -> str:
        """Press an inline button under `message` (as stored now); returns the query id."""
        query_id = str(self.next_id())
        stored = self.messages.get((message["chat"]["id"], message["message_id"]), message)
        self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user_object(user_id, self.languages.get(user_id)),
                    "chat_instance": f"ci-{stored['chat']['id']}",
                    "data": data,
                    "message": copy.deepcopy(stored),
                }
            }
        )
        return query_id
