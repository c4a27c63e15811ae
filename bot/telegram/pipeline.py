"""Telegram's side of the request pipeline: fetching a message's media, its status message, and
sending the drawn picture or clip back as a reply (bot.pipeline does the rest)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from telegram import Bot, Message, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.config import OutputSettings
from bot.i18n import ENGLISH, Lang, lang_for
from bot.messages import (
    RESTARTED,
    TG_DOWNLOAD_FAILED,
    TG_RESULT_CAPTION,
    TG_STATUS_DRAWING,
    TG_STATUS_QUEUED,
    TG_STATUS_STARTED,
    TG_STATUS_STARTED_CLIP,
    TG_VIDEO_PROGRESS,
    TG_VIDEO_RESULT_TOO_BIG,
)
from bot.options import StyleChoice
from bot.pipeline import CancelOutcome, Failure, RequestPipeline, StatusTexts
from bot.pipeline.adapter import Pixels
from bot.quota import RecoveredCharge
from bot.telegram.ids import chat_key, user_key
from bot.telegram.keyboards import restyle_keyboard
from bot.telegram.media import TELEGRAM_DOWNLOAD_LIMIT, Media, MediaKind
from bot.telegram.motion import TELEGRAM_UPLOAD_LIMIT, send_clip
from bot.telegram.replies import send_picture
from bot.telegram.retry import retry_send
from bot.telegram.status import StatusMessage
from engine.errors import FileTooLarge
from engine.imageio import encode_image
from engine.styles.options import StyleOptions
from engine.video import OutputKind, VideoResult

__all__ = ["TELEGRAM_TEXTS", "TelegramConversation", "ToonPipeline"]

log = logging.getLogger(__name__)

# started, started_clip, queued, drawing, progress, clip_too_big (see StatusTexts); English
# msgids, translated per request.
TELEGRAM_TEXTS = StatusTexts(
    TG_STATUS_STARTED, TG_STATUS_STARTED_CLIP, TG_STATUS_QUEUED, TG_STATUS_DRAWING,
    TG_VIDEO_PROGRESS, TG_VIDEO_RESULT_TOO_BIG,
)  # fmt: skip


class TelegramConversation:
    """One picture or clip a Telegram user sent (bot.pipeline.Conversation)."""

    platform = "telegram"
    errors: tuple[type[Exception], ...] = (TelegramError,)
    download_cap: int | None = TELEGRAM_DOWNLOAD_LIMIT
    upload_limit = TELEGRAM_UPLOAD_LIMIT
    clip_output: OutputKind = "mp4"  # Telegram animations are silent mp4 too
    source_id: str | None = None

    def __init__(
        self,
        bot: Bot,
        source: Message,
        media: Media,
        user_id: int,
        styles: tuple[str, ...],
        output: OutputSettings,
        lang: Lang = ENGLISH,
    ) -> None:
        """lang: the requester's language (their Telegram app's language_code)."""
        self._bot = bot
        self._source = source
        self._media = media
        self._styles = styles
        self._output = output
        self.lang = lang
        self.texts = TELEGRAM_TEXTS.translated(lang)
        self.status = StatusMessage(bot, source, lang)
        self.user = user_key(user_id)
        self.chat = chat_key(source.chat_id)
        self.notify_chat: str | None = str(source.chat_id)
        self.notify_message: str | None = str(source.message_id)

    @property
    def moving(self) -> bool:
        """A video, GIF, video note or video sticker."""
        return self._media.moving

    @property
    def size(self) -> int | None:
        """The size Telegram declared, if it did."""
        return self._media.file_size

    async def acknowledge(self) -> bool:
        """Nothing to answer: a message needs no acknowledgement."""
        return True

    async def show_activity(self) -> None:
        """Show "sending a photo/video..." at the top of the chat."""
        source = self._source
        action = ChatAction.UPLOAD_VIDEO if self._media.moving else ChatAction.UPLOAD_PHOTO
        try:
            await self._bot.send_chat_action(
                chat_id=source.chat_id,
                action=action,
                message_thread_id=source.message_thread_id if source.is_topic_message else None,
            )
        except TelegramError as exc:
            log.info("could not send chat action to %s: %s", source.chat_id, exc)

    def animated(self) -> None:
        """An animated WebP or APNG (a file or a sticker) comes back as an animation."""
        self._media = dataclasses.replace(self._media, kind=MediaKind.ANIMATION)

    async def download(self, limit: int) -> bytes:
        """getFile, then the file's bytes, in memory only."""
        media = self._media
        try:
            file = await self._bot.get_file(media.file_id)
            if file.file_size is not None and file.file_size > limit:
                raise FileTooLarge(file.file_size, limit)
            # In memory only: user photos never touch the disk.
            return bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("could not download %s: %s", media.file_id, exc)
            # Telegram's answer when file_size was missing or wrong: "Bad Request: file is too big".
            if "too big" in str(exc).lower():
                raise FileTooLarge(media.file_size or limit + 1, limit) from exc
            raise Failure(self.lang(TG_DOWNLOAD_FAILED)) from exc

    async def send_picture(
        self, image: Pixels, result: Pixels, look: StyleChoice, note: str
    ) -> None:
        """A photo with redraw buttons (and the full-quality file for a file sent as one)."""
        output = self._output
        payload = await asyncio.to_thread(
            encode_image, result, output.format, jpeg_quality=output.jpeg_quality
        )
        style = look.style
        filename = f"toon_{style}.{'jpg' if output.format == 'jpeg' else 'png'}"
        caption = self.lang(TG_RESULT_CAPTION).format(style=style) + note
        keyboard = restyle_keyboard(self._styles, style, look.options, self.lang)
        full_quality = self._media.kind is MediaKind.IMAGE_FILE
        await send_picture(
            self._bot, self._source, payload, filename, caption, keyboard, full_quality=full_quality
        )

    async def send_clip(self, result: VideoResult, look: StyleChoice, note: str) -> None:
        """The clip as the kind of message the user sent, with redraw buttons (the clip replies
        to the user's message, as photos do)."""
        keyboard = restyle_keyboard(self._styles, look.style, look.options, self.lang)
        bot, source, media, lang = self._bot, self._source, self._media, self.lang
        await retry_send(
            lambda: send_clip(bot, source, media, look.style, result, keyboard, note, lang)
        )


class ToonPipeline:
    """The shared pipeline (bot.pipeline.RequestPipeline), fed from Telegram messages."""

    def __init__(self, pipeline: RequestPipeline) -> None:
        self._pipeline = pipeline

    def cancel(self, job_id: str, user_id: int) -> CancelOutcome:
        """A Cancel press under a clip's status: stop that clip if `user_id` asked for it."""
        return self._pipeline.cancel(job_id, user_key(user_id))

    async def run(
        self,
        bot: Bot,
        source: Message,
        media: Media,
        user_id: int,
        style: str,
        options: StyleOptions | None = None,
        lang: Lang = ENGLISH,
    ) -> None:
        """Draw `media` (from `source`) in `style` with `options` for `user_id`; reply to `source`
        in the user's `lang`."""
        shared = self._pipeline
        conv = TelegramConversation(bot, source, media, user_id, shared.styles, shared.output, lang)
        await self._pipeline.run(conv, StyleChoice(style, options or StyleOptions()))

    async def notify_restarted(self, bot: Bot, charge: RecoveredCharge) -> None:
        """Tell a user whose job a restart cut short that it was refunded, in the language stored
        with the charge (English when none was, or it has no catalogue); Telegram errors are
        logged, never raised."""
        if charge.notify_chat is None:
            return
        lang = lang_for(charge.locale)
        replying = None
        if charge.notify_message is not None:
            replying = ReplyParameters(
                message_id=int(charge.notify_message), allow_sending_without_reply=True
            )
        try:
            await bot.send_message(
                chat_id=int(charge.notify_chat), text=lang(RESTARTED), reply_parameters=replying
            )
        except TelegramError as exc:
            log.warning("could not tell %s about the restart: %s", charge.user, exc)
