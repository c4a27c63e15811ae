"""Videos, GIFs and video notes sent back in kind (bot.pipeline draws them)."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message

from bot.i18n import ENGLISH, Lang
from bot.messages import TG_VIDEO_CAPTION
from bot.telegram.media import Media, MediaKind
from bot.telegram.replies import reply_parameters
from bot.telegram.retry import upload_timeouts
from engine.video import VideoResult

__all__ = ["TELEGRAM_UPLOAD_LIMIT", "send_clip"]

# Bots may upload at most 50 MB per file.
TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024


async def send_clip(
    bot: Bot,
    source: Message,
    media: Media,
    style: str,
    result: VideoResult,
    keyboard: InlineKeyboardMarkup | None = None,
    note: str = "",
    lang: Lang = ENGLISH,
) -> None:
    """Reply to `source` with the clip as the same kind of message the user sent (an animation
    for GIFs and video stickers); `note` goes after the caption (messages.options_note), which
    is in the requester's `lang`."""
    upload = InputFile(result.data, filename=f"toon_{style}.mp4")
    replying = reply_parameters(source)
    caption = lang(TG_VIDEO_CAPTION).format(style=style) + note
    duration = max(1, round(result.frames / result.fps)) if result.fps > 0 else None
    timeouts = upload_timeouts(len(result.data))  # a 50 MB clip may take minutes to upload
    if media.kind is MediaKind.VIDEO_NOTE:
        await bot.send_video_note(
            chat_id=source.chat_id,
            video_note=upload,
            duration=duration,
            length=result.width,
            reply_parameters=replying,
            reply_markup=keyboard,
            **timeouts,
        )
    elif media.kind in (MediaKind.ANIMATION, MediaKind.VIDEO_STICKER):
        await bot.send_animation(
            chat_id=source.chat_id,
            animation=upload,
            duration=duration,
            width=result.width,
            height=result.height,
            caption=caption,
            reply_parameters=replying,
            reply_markup=keyboard,
            **timeouts,
        )
    else:
        await bot.send_video(
            chat_id=source.chat_id,
            video=upload,
            duration=duration,
            width=result.width,
            height=result.height,
            caption=caption,
            reply_parameters=replying,
            reply_markup=keyboard,
            supports_streaming=True,
            **timeouts,
        )
