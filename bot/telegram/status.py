"""The one status message per picture, edited as the work progresses."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

from bot.i18n import ENGLISH, Lang
from bot.telegram.keyboards import cancel_keyboard
from bot.telegram.replies import reply

__all__ = ["StatusMessage"]

log = logging.getLogger(__name__)


class StatusMessage:
    """A reply that is edited as the work progresses; Telegram errors are logged, never raised.

    The bot.pipeline.Status of a Telegram request.
    """

    def __init__(self, bot: Bot, source: Message, lang: Lang = ENGLISH) -> None:
        self._bot = bot
        self._source = source
        self._lang = lang  # the Cancel button's label
        self._message: Message | None = None
        self._text: str | None = None
        # Buttons kept under the status while it shows progress (a clip's Cancel); an edit
        # without them would remove them.
        self.keyboard: InlineKeyboardMarkup | None = None

    async def show(self, text: str) -> None:
        """Send the status, or edit it if the text changed (Telegram refuses no-op edits)."""
        if text == self._text:
            return
        if self._text is None:
            self._text = text
            self._message = await reply(self._bot, self._source, text, self.keyboard)
            return
        self._text = text
        if self._message is not None:
            await self._edit(self._message, text, self.keyboard)

    def offer_cancel(self, job_id: str | None) -> None:
        """The Cancel button under the status while a clip is drawn; None removes it."""
        self.keyboard = None if job_id is None else cancel_keyboard(job_id, self._lang)

    async def fail(self, text: str) -> None:
        """Show a final failure text (without buttons), as a new reply if there is no status yet."""
        self.keyboard = None
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

    async def _edit(
        self, message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> None:
        try:
            await self._bot.edit_message_text(
                text=text,
                chat_id=message.chat_id,
                message_id=message.message_id,
                reply_markup=keyboard,
            )
        except TelegramError as exc:
            # The user may have deleted it; progress is cosmetic, the result still gets sent.
            log.info("could not edit status message %s: %s", message.message_id, exc)
