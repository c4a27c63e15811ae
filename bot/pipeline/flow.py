"""The one request pipeline of every platform: check, charge, draw, settle or refund, and say how
it went. The platform's side (fetching, status lines, sending) is a Conversation (adapter.py)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bot.budget import BudgetBusy, ByteBudget, Reservation, upload_cost
from bot.config import OutputSettings
from bot.messages import (
    CLIP_CANCELLED,
    FAILED,
    UPLOADS_BUSY,
    error_message,
    options_note,
    quota_message,
)
from bot.metrics import BotMetrics
from bot.options import StyleChoice, honoured_options
from bot.pipeline.adapter import Conversation, Failure
from bot.pipeline.cancel import CancelOutcome, ClipCancelled, ClipJobs
from bot.pipeline.charges import DeliveryUnconfirmed, refund_quietly, settle_quietly
from bot.pipeline.drawing import decode, draw, fit_clip, toon_clip
from bot.quota import QuotaExceeded, QuotaService, QuotaUnavailable
from bot.tracking import Request, track_request
from engine.api import EngineSurface
from engine.errors import EngineError, FileTooLarge, ToonError
from engine.imageio import ImageLimits
from engine.video import VideoLimits, VideoResult, is_animated_image

__all__ = ["PipelineSettings", "RequestPipeline"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """The validated config the pipeline needs."""

    images: ImageLimits
    output: OutputSettings
    status_interval_s: float = 1.0
    video: VideoLimits = field(default_factory=VideoLimits)
    # Progress edits of a clip; seconds apart, as chats rate-limit message edits.
    progress_interval_s: float = 2.0
    # Bytes of uploads downloaded and decoded at once (bot.budget); None: 256 MiB, ours alone.
    budget: ByteBudget | None = None


class RequestPipeline:
    """Checks, charges, downloads, stylizes and answers one request; refunds on any failure.

    Charged once, delivered at most once: a result whose send most likely arrived but was never
    confirmed (DeliveryUnconfirmed) is settled, never sent again or refunded.
    """

    def __init__(
        self,
        engine: EngineSurface,
        quota: QuotaService,
        settings: PipelineSettings,
        metrics: BotMetrics | None = None,
    ) -> None:
        self._engine = engine
        self._quota = quota
        self._settings = settings
        self._metrics = metrics
        self._jobs = ClipJobs()
        self._budget = settings.budget or ByteBudget(256 * 1024 * 1024)
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def styles(self) -> tuple[str, ...]:
        """The styles the engine draws, for the platforms' redraw buttons."""
        return self._engine.style_names

    @property
    def output(self) -> OutputSettings:
        """How results are encoded."""
        return self._settings.output

    @property
    def jobs(self) -> ClipJobs:
        """The clips in progress, for Cancel buttons and deleted source messages."""
        return self._jobs

    def cancel(self, job_id: str, user: str) -> CancelOutcome:
        """A Cancel press under a clip's status: stop that clip if `user` asked for it."""
        return self._jobs.cancel(job_id, user)

    async def wait_idle(self, timeout_s: float) -> None:
        """Wait (bounded) until no request is in progress."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            log.warning("stopping with %d pictures still in progress", self._active)

    async def run(self, conv: Conversation, look: StyleChoice) -> None:
        """Draw the media of `conv` as `look`, answering through `conv`."""
        kind = "video" if conv.moving else "photo"
        self._active += 1
        self._idle.clear()
        try:
            with track_request(conv.platform, kind, conv.user, look.style, self._metrics) as req:
                await self._checked(conv, look, req)
        finally:
            self._active -= 1
            if self._active == 0:
                self._idle.set()

    def _download_limit(self, conv: Conversation) -> int:
        own = self._settings.video.max_bytes if conv.moving else self._settings.images.max_bytes
        cap = conv.download_cap
        return own if cap is None else min(cap, own)

    async def _checked(self, conv: Conversation, look: StyleChoice, request: Request) -> None:
        limit = self._download_limit(conv)
        if conv.size is not None and conv.size > limit:
            request.outcome = "bad_input"
            await conv.status.fail(error_message(FileTooLarge(conv.size, limit), conv.lang))
            return
        if not await conv.acknowledge():
            return
        try:
            grant = await self._quota.consume(
                conv.user,
                conv.chat,
                platform=conv.platform,
                notify_chat=conv.notify_chat,
                notify_message=conv.notify_message,
                # Kept with the charge: a restart notice comes from another process, long after
                # this conversation (and its Lang) is gone.
                locale=conv.lang.code,
            )
        except (QuotaExceeded, QuotaUnavailable) as exc:
            request.outcome = "refused_quota" if isinstance(exc, QuotaExceeded) else "error"
            await conv.status.fail(quota_message(exc, conv.lang))
            return
        failure: str | None = None
        delivered = False
        try:
            cost = upload_cost(
                conv.size or limit, moving=conv.moving, max_pixels=self._settings.images.max_pixels
            )
            async with await self._budget.reserve(cost) as held:
                await conv.show_activity()
                if conv.moving:
                    await self._clip(conv, look, held, limit)
                else:
                    await conv.status.show(conv.texts.started)
                    await self._picture(conv, look, held, limit)
            delivered = True
            request.outcome = "delivered"
        except DeliveryUnconfirmed as exc:
            log.warning(
                "%s never confirmed the result for %s; taken as delivered: %s",
                conv.platform,
                conv.user,
                exc,
            )
            delivered = True
            request.outcome = "delivered"
        except BudgetBusy as exc:
            log.warning("too many uploads in flight; %s told to retry: %s", conv.user, exc)
            request.outcome = "error"
            failure = conv.lang(UPLOADS_BUSY)
        except ClipCancelled:
            request.outcome = "cancelled"
            failure = conv.lang(CLIP_CANCELLED)
        except Failure as exc:
            request.outcome = "error"
            failure = exc.text
        except ToonError as exc:
            request.outcome = "error" if isinstance(exc, EngineError) else "bad_input"
            failure = error_message(exc, conv.lang)
        except conv.errors as exc:
            log.warning("%s failed while answering %s: %s", conv.platform, conv.user, exc)
            failure = conv.lang(FAILED)
        except Exception:
            log.exception("unexpected error while drawing for %s", conv.user)
            failure = conv.lang(FAILED)
        finally:
            if delivered:
                await settle_quietly(self._quota, grant)
            else:
                await refund_quietly(self._quota, grant, self._metrics, conv.platform)
        if failure is not None:
            await conv.status.fail(failure)
        else:
            await conv.status.delete()

    async def _picture(
        self, conv: Conversation, look: StyleChoice, held: Reservation, limit: int
    ) -> None:
        data = await conv.download(limit)
        if await asyncio.to_thread(is_animated_image, data):
            # An animated WebP or APNG (a file or a sticker): animated in, animated out.
            conv.animated()
            await self._clip(conv, look, held, limit, data)
            return
        image = await decode(data, self._settings.images)
        del data  # up to 20 MB that need not stay alive while the job waits in the queue
        held.release()  # decoded: the engine's queue bounds what waits there
        texts = conv.texts

        async def show(position: int | None) -> None:
            text = texts.drawing if position is None else texts.queued.format(position=position)
            await conv.status.show(text)

        result = await draw(
            self._engine,
            image,
            look.style,
            conv.user,
            options=look.options,
            show=show,
            interval_s=self._settings.status_interval_s,
        )
        await conv.send_picture(image, result, look, self._note(look, conv))

    async def _clip(
        self,
        conv: Conversation,
        look: StyleChoice,
        held: Reservation,
        limit: int,
        data: bytes | None = None,
    ) -> None:
        """`data`: the clip's bytes when already downloaded (an animated picture); `held` is
        released once the clip is drawn."""
        # Drawn as a job of its own that the Cancel button (or deleting the source message)
        # stops; the upload is not cancellable, so a late press finds the job gone.
        job_id = self._jobs.new_id()
        conv.status.offer_cancel(job_id)
        try:
            work = self._draw_clip(conv, look, limit, data)
            result = await self._jobs.run(job_id, conv.user, work, source=conv.source_id)
        finally:
            conv.status.offer_cancel(None)
            held.release()
        await conv.send_clip(result, look, self._note(look, conv))

    async def _draw_clip(
        self, conv: Conversation, look: StyleChoice, limit: int, data: bytes | None
    ) -> VideoResult:
        texts = conv.texts
        if data is None:
            await conv.status.show(texts.started_clip)
            data = await conv.download(limit)

        async def show(percent: int) -> None:
            await conv.status.show(texts.progress.format(percent=percent))

        settings = self._settings
        result = await toon_clip(
            self._engine,
            data,
            look.style,
            conv.user,
            settings.video,
            show=show,
            interval_s=settings.progress_interval_s,
            output=conv.clip_output,
            options=look.options,
        )
        del data
        upload_limit = conv.upload_limit
        fitted = await fit_clip(result, upload_limit)
        if fitted is None:
            size_mb, limit_mb = len(result.data) / 1024 / 1024, upload_limit / 1024 / 1024
            raise Failure(texts.clip_too_big.format(size=size_mb, limit=limit_mb))
        return fitted

    def _note(self, look: StyleChoice, conv: Conversation) -> str:
        honoured = honoured_options(self._engine, look.style)
        return options_note(look.style, look.options.as_dict(), honoured, conv.lang)
