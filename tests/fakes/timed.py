"""The fakes, noting when each picture reaches them: for load tests and the load benchmark."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.discord_objects import JSON
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import TOKEN, FakeTelegram

__all__ = ["TimedDiscord", "TimedTelegram"]


class TimedTelegram(FakeTelegram):
    """FakeTelegram that notes when the bot sends a photo, by (chat id, replied-to message id)."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__(token)
        # Every delivery is kept, duplicates included: a load test counts them.
        self.photos_at: dict[tuple[int, int | None], list[float]] = {}

    async def _m_sendPhoto(self, p: JSON, f: dict[str, bytes]) -> JSON:
        result = await super()._m_sendPhoto(p, f)
        reply = p.get("reply_parameters") or {}
        key = (int(p["chat_id"]), reply.get("message_id"))
        self.photos_at.setdefault(key, []).append(time.perf_counter())
        return result


class TimedDiscord(FakeDiscord):
    """FakeDiscord that notes when a followup with files arrives, by interaction token."""

    def __init__(self) -> None:
        super().__init__()
        self.files_at: dict[str, list[float]] = {}

    def _followup(self, token: str, body: JSON, files: dict[str, bytes]) -> tuple[int, Any]:
        status, message = super()._followup(token, body, files)
        if message.get("attachments"):
            self.files_at.setdefault(token, []).append(time.perf_counter())
        return status, message
