"""Replying to a user's message without letting a Telegram hiccup escape as an error, and
sending a drawn picture back."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message, ReplyParameters
from telegram.error import BadRequest, TelegramError

from bot.telegram.retry import retry_send, upload_timeouts

__all__ = ["reply", "reply_parameters", "send_picture"]

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


async def send_picture(
    bot: Bot,
    source: Message,
    payload: bytes,
    filename: str,
    caption: str,
    keyboard: InlineKeyboardMarkup | None,
    *,
    full_quality: bool,
) -> None:
    """Reply to `source` with a drawn picture as a photo (as a file if sendPhoto refuses it),
    then, when `full_quality`, the same bytes as a file too.

    Raises what retry_send raises: TelegramError when the picture was not delivered,
    retry.SendUnconfirmed when it most likely was (then no file follows).
    """
    replying = reply_parameters(source)
    timeouts = upload_timeouts(len(payload))
    try:
        await retry_send(
            lambda: bot.send_photo(
                chat_id=source.chat_id,
                photo=InputFile(payload, filename=filename),
                caption=caption,
                reply_markup=keyboard,
                reply_parameters=replying,
                **timeouts,
            )
        )
    except BadRequest as exc:
        # sendPhoto refuses very thin pictures and photos over 10 MB; a file always works.
        log.info("sendPhoto refused the result (%s); sending it as a file", exc)
        await retry_send(
            lambda: bot.send_document(
                chat_id=source.chat_id,
                document=InputFile(payload, filename=filename),
                caption=caption,
                reply_markup=keyboard,
                reply_parameters=replying,
                **timeouts,
            )
        )
        return
    if full_quality:
        # The photo above was recompressed by Telegram; the file keeps every pixel. The
        # photo already answered the user, so a failure here is logged, not refunded.
        try:
            await bot.send_document(
                chat_id=source.chat_id,
                document=InputFile(payload, filename=filename),
                reply_parameters=replying,
                disable_content_type_detection=True,
                **timeouts,
            )
        except TelegramError as exc:
            log.warning("could not send the full-quality file to %s: %s", source.chat_id, exc)
