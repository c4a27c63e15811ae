"""Replying to a user's message without letting a Telegram hiccup escape as an error."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import TelegramError

__all__ = ["reply", "reply_parameters"]

log = logging.getLogger(__name__)


def reply_parameters(message: Message) -> ReplyParameters:
    """Reply to `message`, still sending if the user deleted it meanwhile."""
    return ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)


async def reply(
    bot: Bot, message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send `text` as a reply; on a Telegram error log it and return None."""
    try:
        return await bot.send_message(
            chat_id=message.chat_id,
            text=text,
            reply_parameters=reply_parameters(message),
            reply_markup=reply_markup,
        )
    except TelegramError as exc:
        # Nothing more useful can be done: the user blocked us, the chat is gone, or Telegram
        # is down; the reply is informational and must not turn into a handler crash.
        log.warning("could not reply in chat %s: %s", message.chat_id, exc)
        return None
