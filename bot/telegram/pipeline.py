"""One picture from a Telegram message to a stylized reply, with quota and status handled."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field

from telegram import Bot, Message, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.budget import BudgetBusy, ByteBudget, Reservation, upload_cost
from bot.cancel import CancelOutcome, ClipCancelled, ClipJobs
from bot.charging import refund_quietly, settle_quietly
from bot.clips import fit_clip
from bot.config import OutputSettings
from bot.messages import (
    CLIP_CANCELLED,
    FAILED,
    RESTARTED,
    TG_DOWNLOAD_FAILED,
    TG_RESULT_CAPTION,
    TG_STATUS_DRAWING,
    TG_STATUS_QUEUED,
    TG_STATUS_STARTED,
    TG_STATUS_STARTED_CLIP,
    TG_VIDEO_RESULT_TOO_BIG,
    UPLOADS_BUSY,
    error_message,
    options_note,
    quota_message,
)
from bot.metrics import BotMetrics
from bot.options import StyleChoice, honoured_options
from bot.quota import QuotaExceeded, QuotaService, QuotaUnavailable, RecoveredCharge
from bot.telegram.keyboards import cancel_keyboard, restyle_keyboard
from bot.telegram.media import TELEGRAM_DOWNLOAD_LIMIT, Media, MediaKind
from bot.telegram.motion import TELEGRAM_UPLOAD_LIMIT, draw_clip, send_clip
from bot.telegram.replies import reply, send_picture
from bot.telegram.retry import SendUnconfirmed, retry_send
from bot.telegram.status import StatusMessage
from bot.toonjob import decode, draw
from bot.tracking import Request, track_request
from engine.engine import Engine
from engine.errors import EngineError, FileTooLarge, ToonError
from engine.imageio import ImageLimits, encode_image
from engine.styles.options import StyleOptions
from engine.video import VideoLimits, VideoResult, is_animated_image

__all__ = ["ToonPipeline", "ToonSettings", "chat_key", "user_key"]

log = logging.getLogger(__name__)


def user_key(user_id: int) -> str:
    """The platform-prefixed id the quota service and the engine know a Telegram user by."""
    return f"tg:{user_id}"


def chat_key(chat_id: int) -> str:
    """The platform-prefixed id of a Telegram chat."""
    return f"tg:{chat_id}"


@dataclass(frozen=True, slots=True)
class ToonSettings:
    """The validated config the pipeline needs."""

    images: ImageLimits
    output: OutputSettings
    status_interval_s: float = 1.0
    video: VideoLimits = field(default_factory=VideoLimits)
    # Progress edits of a clip; seconds apart, as Telegram rate-limits edits per chat.
    progress_interval_s: float = 2.0
    # Largest clip we send; bigger results are re-encoded smaller first.
    upload_limit: int = TELEGRAM_UPLOAD_LIMIT
    # Bytes of uploads downloaded and decoded at once (bot.budget); None: 256 MiB, ours alone.
    budget: ByteBudget | None = None

    def download_limit(self, media: Media) -> int:
        """Largest file worth fetching: Telegram's getFile cap or our own, whichever is lower."""
        own = self.video.max_bytes if media.moving else self.images.max_bytes
        return min(TELEGRAM_DOWNLOAD_LIMIT, own)


class _Failure(Exception):
    """A step failed in a way the user is told about with `text`."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class ToonPipeline:
    """Checks, charges, downloads, stylizes and answers one picture; refunds on any failure."""

    def __init__(
        self,
        engine: Engine,
        quota: QuotaService,
        settings: ToonSettings,
        metrics: BotMetrics | None = None,
    ) -> None:
        self._engine = engine
        self._quota = quota
        self._settings = settings
        self._metrics = metrics
        self._jobs = ClipJobs()
        self._budget = settings.budget or ByteBudget(256 * 1024 * 1024)

    def cancel(self, job_id: str, user_id: int) -> CancelOutcome:
        """A Cancel press under a clip's status: stop that clip if `user_id` asked for it."""
        return self._jobs.cancel(job_id, user_key(user_id))

    async def run(
        self,
        bot: Bot,
        source: Message,
        media: Media,
        user_id: int,
        style: str,
        options: StyleOptions | None = None,
    ) -> None:
        """Draw `media` (from `source`) in `style` with `options` for `user_id`; reply to `source`."""
        user = user_key(user_id)
        kind = "video" if media.moving else "photo"
        chosen = StyleChoice(style, options or StyleOptions())
        with track_request("telegram", kind, user, style, self._metrics) as request:
            await self._run(bot, source, media, user, chosen, request)

    async def _run(
        self,
        bot: Bot,
        source: Message,
        media: Media,
        user: str,
        look: StyleChoice,
        request: Request,
    ) -> None:
        limit = self._settings.download_limit(media)
        if media.file_size is not None and media.file_size > limit:
            request.outcome = "bad_input"
            await reply(bot, source, error_message(FileTooLarge(media.file_size, limit)))
            return
        try:
            grant = await self._quota.consume(
                user,
                chat_key(source.chat_id),
                notify_chat=str(source.chat_id),
                notify_message=str(source.message_id),
            )
        except (QuotaExceeded, QuotaUnavailable) as exc:
            request.outcome = "refused_quota" if isinstance(exc, QuotaExceeded) else "error"
            await reply(bot, source, quota_message(exc))
            return
        status = StatusMessage(bot, source)
        failure: str | None = None
        delivered = False
        try:
            size = media.file_size or self._settings.download_limit(media)
            cost = upload_cost(
                size, moving=media.moving, max_pixels=self._settings.images.max_pixels
            )
            async with await self._budget.reserve(cost) as held:
                await self._chat_action(bot, source, media)
                if media.moving:
                    await self._draw_and_send_clip(bot, source, media, user, look, status, held)
                else:
                    await status.show(TG_STATUS_STARTED)
                    await self._draw_and_send(bot, source, media, user, look, status, held)
            delivered = True
            request.outcome = "delivered"
        except SendUnconfirmed as exc:
            # Charged once, delivered at most once: see bot.telegram.retry.
            log.warning(
                "Telegram never confirmed the result for %s; taken as delivered: %s", user, exc
            )
            delivered = True
            request.outcome = "delivered"
        except BudgetBusy as exc:
            log.warning("too many uploads in flight; %s told to retry: %s", user, exc)
            request.outcome = "error"
            failure = UPLOADS_BUSY
        except ClipCancelled:
            request.outcome = "cancelled"
            failure = CLIP_CANCELLED
        except _Failure as exc:
            request.outcome = "error"
            failure = exc.text
        except ToonError as exc:
            request.outcome = "error" if isinstance(exc, EngineError) else "bad_input"
            failure = error_message(exc)
        except TelegramError as exc:
            log.warning("telegram failed while answering %s: %s", user, exc)
            failure = FAILED
        except Exception:
            log.exception("unexpected error while drawing for %s", user)
            failure = FAILED
        finally:
            if delivered:
                await settle_quietly(self._quota, grant)
            else:
                await refund_quietly(self._quota, grant, self._metrics, "telegram")
        if failure is not None:
            await status.fail(failure)
        else:
            await status.delete()

    async def _draw_and_send(
        self,
        bot: Bot,
        source: Message,
        media: Media,
        user: str,
        look: StyleChoice,
        status: StatusMessage,
        held: Reservation,
    ) -> None:
        data = await self._download(bot, media)
        if await asyncio.to_thread(is_animated_image, data):
            # An animated WebP or APNG (a file or a sticker): animated in, animated out.
            moving = dataclasses.replace(media, kind=MediaKind.ANIMATION)
            await self._draw_and_send_clip(bot, source, moving, user, look, status, held, data)
            return

        async def show(position: int | None) -> None:
            text = (
                TG_STATUS_DRAWING
                if position is None
                else TG_STATUS_QUEUED.format(position=position)
            )
            await status.show(text)

        image = await decode(data, self._settings.images)
        del data  # up to 20 MB that need not stay alive while the job waits in the queue
        held.release()  # decoded: the engine's queue bounds what waits there
        result = await draw(
            self._engine,
            image,
            look.style,
            user,
            options=look.options,
            show=show,
            interval_s=self._settings.status_interval_s,
        )
        output = self._settings.output
        payload = await asyncio.to_thread(
            encode_image, result, output.format, jpeg_quality=output.jpeg_quality
        )
        await self._send_result(bot, source, media, look, payload)

    async def _draw_and_send_clip(
        self,
        bot: Bot,
        source: Message,
        media: Media,
        user: str,
        look: StyleChoice,
        status: StatusMessage,
        held: Reservation,
        data: bytes | None = None,
    ) -> None:
        """`data`: the clip's bytes when already downloaded (an animated picture); `held` is
        released once the clip is drawn."""
        # Drawn as a job of its own that the status message's Cancel button can stop; the
        # upload is not cancellable, so a late press finds the job gone.
        job_id = self._jobs.new_id()
        status.keyboard = cancel_keyboard(job_id)
        try:
            result = await self._jobs.run(
                job_id, user, self._draw_clip(bot, media, user, look, status, data)
            )
        finally:
            status.keyboard = None
            held.release()
        # Redraw buttons work as under photos: the clip replies to the user's message.
        keyboard = restyle_keyboard(self._engine.style_names, look.style, look.options)
        note = self._note(look)
        await retry_send(lambda: send_clip(bot, source, media, look.style, result, keyboard, note))

    async def _draw_clip(
        self,
        bot: Bot,
        media: Media,
        user: str,
        look: StyleChoice,
        status: StatusMessage,
        data: bytes | None,
    ) -> VideoResult:
        if data is None:
            await status.show(TG_STATUS_STARTED_CLIP)
            data = await self._download(bot, media)
        settings = self._settings
        result = await draw_clip(
            self._engine,
            data,
            look.style,
            user,
            settings.video,
            status,
            settings.progress_interval_s,
            options=look.options,
        )
        del data
        fitted = await fit_clip(result, settings.upload_limit)
        if fitted is None:
            size_mb = len(result.data) / 1024 / 1024
            limit_mb = settings.upload_limit / 1024 / 1024
            raise _Failure(TG_VIDEO_RESULT_TOO_BIG.format(size=size_mb, limit=limit_mb))
        return fitted

    async def _download(self, bot: Bot, media: Media) -> bytes:
        limit = self._settings.download_limit(media)
        try:
            file = await bot.get_file(media.file_id)
            if file.file_size is not None and file.file_size > limit:
                raise FileTooLarge(file.file_size, limit)
            # In memory only: user photos never touch the disk.
            return bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("could not download %s: %s", media.file_id, exc)
            # Telegram's answer when file_size was missing or wrong: "Bad Request: file is too big".
            if "too big" in str(exc).lower():
                raise FileTooLarge(media.file_size or limit + 1, limit) from exc
            raise _Failure(TG_DOWNLOAD_FAILED) from exc

    def _note(self, look: StyleChoice) -> str:
        honoured = honoured_options(self._engine, look.style)
        return options_note(look.style, look.options.as_dict(), honoured)

    async def _send_result(
        self, bot: Bot, source: Message, media: Media, look: StyleChoice, payload: bytes
    ) -> None:
        style = look.style
        filename = f"toon_{style}.{'jpg' if self._settings.output.format == 'jpeg' else 'png'}"
        caption = TG_RESULT_CAPTION.format(style=style) + self._note(look)
        keyboard = restyle_keyboard(self._engine.style_names, style, look.options)
        full_quality = media.kind is MediaKind.IMAGE_FILE
        await send_picture(
            bot, source, payload, filename, caption, keyboard, full_quality=full_quality
        )

    async def _chat_action(self, bot: Bot, source: Message, media: Media) -> None:
        action = ChatAction.UPLOAD_VIDEO if media.moving else ChatAction.UPLOAD_PHOTO
        try:
            await bot.send_chat_action(
                chat_id=source.chat_id,
                action=action,
                message_thread_id=source.message_thread_id if source.is_topic_message else None,
            )
        except TelegramError as exc:
            log.info("could not send chat action to %s: %s", source.chat_id, exc)

    async def notify_restarted(self, bot: Bot, charge: RecoveredCharge) -> None:
        """Tell a user whose job a restart cut short that it was refunded."""
        if charge.notify_chat is None:
            return
        replying = None
        if charge.notify_message is not None:
            replying = ReplyParameters(
                message_id=int(charge.notify_message), allow_sending_without_reply=True
            )
        try:
            await bot.send_message(
                chat_id=int(charge.notify_chat), text=RESTARTED, reply_parameters=replying
            )
        except TelegramError as exc:
            log.warning("could not tell %s about the restart: %s", charge.user, exc)
