"""The one status message per picture, and the side task that keeps it showing the queue position."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from types import TracebackType

from telegram import Bot, Message
from telegram.error import TelegramError

from bot.messages import TG_STATUS_DRAWING, TG_STATUS_QUEUED
from bot.telegram.replies import reply

__all__ = ["PositionTracker", "StatusMessage"]

log = logging.getLogger(__name__)


class StatusMessage:
    """A reply that is edited as the work progresses; Telegram errors are logged, never raised."""

    def __init__(self, bot: Bot, source: Message) -> None:
        self._bot = bot
        self._source = source
        self._message: Message | None = None
        self._text: str | None = None

    async def show(self, text: str) -> None:
        """Send the status, or edit it if the text changed (Telegram refuses no-op edits)."""
        if text == self._text:
            return
        if self._text is None:
            self._text = text
            self._message = await reply(self._bot, self._source, text)
            return
        self._text = text
        if self._message is not None:
            await self._edit(self._message, text)

    async def fail(self, text: str) -> None:
        """Show a final failure text, as a new reply if the status message never made it."""
        if self._message is None:
            self._text = text
            self._message = await reply(self._bot, self._source, text)
        elif text != self._text:
            self._text = text
            await self._edit(self._message, text)

    async def delete(self) -> None:
        """Remove the status message once the result is there."""
        message, self._message = self._message, None
        if message is None:
            return
        try:
            await self._bot.delete_message(chat_id=message.chat_id, message_id=message.message_id)
        except TelegramError as exc:
            log.info("could not delete status message %s: %s", message.message_id, exc)

    async def _edit(self, message: Message, text: str) -> None:
        try:
            await self._bot.edit_message_text(
                text=text, chat_id=message.chat_id, message_id=message.message_id
            )
        except TelegramError as exc:
            # The user may have deleted it; progress is cosmetic, the result still gets sent.
            log.info("could not edit status message %s: %s", message.message_id, exc)


# engine.position replays the fair queue, costing O(queue length x users) per call: 256 jobs from
# 256 users take seconds of CPU per polling round. Deep queues are therefore polled quadratically
# less often (the job finishing still ends the wait at once), bounding the event loop's share.
_CHEAP_DEPTH = 32
_MAX_INTERVAL_S = 60.0


class PositionTracker:
    """While open, polls the job's queue position and shows it on the status message."""

    def __init__(
        self,
        status: StatusMessage,
        position: Callable[[], int | None],
        depth: Callable[[], int],
        interval_s: float,
    ) -> None:
        self._status = status
        self._position = position
        self._depth = depth
        self._interval_s = interval_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> PositionTracker:
        self._task = asyncio.create_task(self._run(), name="toonbot-tg-status")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Stop politely rather than cancel, so an edit in flight cannot land after the final text.
        self._stop.set()
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        while not self._stop.is_set():
            position = self._position()
            text = (
                TG_STATUS_DRAWING
                if position is None
                else TG_STATUS_QUEUED.format(position=position)
            )
            await self._status.show(text)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._next_interval())

    def _next_interval(self) -> float:
        scale = max(1.0, (self._depth() / _CHEAP_DEPTH) ** 2)
        return max(self._interval_s, min(_MAX_INTERVAL_S, self._interval_s * scale))
