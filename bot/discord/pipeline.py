"""A picture or clip from a Discord interaction to a stylized followup, quota and status handled."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import discord

from bot.budget import BudgetBusy, ByteBudget, Reservation, upload_cost
from bot.cancel import ClipCancelled, ClipJobs
from bot.charging import DeliveryUnconfirmed, refund_quietly, settle_quietly
from bot.config import OutputSettings
from bot.discord.attachments import find_image, is_gif, is_motion, looks_like_image
from bot.discord.buttons import ORIGINAL_PREFIX, result_view
from bot.discord.ids import chat_key, user_key
from bot.discord.motion import TOKEN_MARGIN_S, ClipDrawer
from bot.discord.status import StatusLine
from bot.discord.transfer import Failure, Upload, download, result_files, send_bounded, tell
from bot.messages import (
    CLIP_CANCELLED,
    DC_NO_IMAGE,
    DC_NOT_AN_IMAGE,
    DC_ORIGINAL_GONE,
    DC_RESTARTED,
    DC_RESULT,
    DC_STATUS_DRAWING,
    DC_STATUS_QUEUED,
    DC_STATUS_STARTED,
    FAILED,
    UPLOADS_BUSY,
    error_message,
    options_note,
    quota_message,
)
from bot.metrics import BotMetrics
from bot.options import StyleChoice, honoured_options
from bot.quota import QuotaExceeded, QuotaService, QuotaUnavailable, RecoveredCharge
from bot.toonjob import decode, draw
from bot.tracking import Request, track_request
from engine.engine import Engine
from engine.errors import EngineError, FileTooLarge, ToonError
from engine.imageio import ImageLimits
from engine.styles.options import StyleOptions
from engine.video import VideoLimits, is_animated_image

__all__ = [
    "TOKEN_MARGIN_S",
    "DiscordPipeline",
    "PipelineSettings",
]

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """The validated config the pipeline needs."""

    images: ImageLimits
    output: OutputSettings
    status_interval_s: float = 1.0
    video: VideoLimits = field(default_factory=VideoLimits)
    # Progress edits of a clip; seconds apart, as Discord rate-limits edits.
    progress_interval_s: float = 2.0
    # Bytes of uploads downloaded and decoded at once (bot.budget); None: 256 MiB, ours alone.
    budget: ByteBudget | None = None


class DiscordPipeline:
    """Checks, charges, downloads, stylizes and answers one picture; refunds on any failure."""

    def __init__(
        self,
        engine: Engine,
        quota: QuotaService,
        settings: PipelineSettings,
        metrics: BotMetrics | None = None,
    ) -> None:
        self._engine = engine
        self._quota = quota
        self._settings = settings
        self._metrics = metrics
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._jobs = ClipJobs()
        self._budget = settings.budget or ByteBudget(256 * 1024 * 1024)
        self._clips = ClipDrawer(engine, self._jobs, settings.video, settings.progress_interval_s)

    async def wait_idle(self, timeout_s: float) -> None:
        """Wait (bounded) until no picture is in progress."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            log.warning("stopping with %d Discord pictures still in progress", self._active)

    @property
    def jobs(self) -> ClipJobs:
        """The clips in progress, for the Cancel button and deleted source messages."""
        return self._jobs

    async def toon(
        self,
        interaction: Interaction,
        attachment: discord.Attachment,
        style: str,
        options: StyleOptions | None = None,
    ) -> None:
        """Draw an attachment the user gave (slash command or context menu)."""
        if not is_motion(attachment) and not looks_like_image(attachment):
            await tell(interaction, DC_NOT_AN_IMAGE)
            return
        await self._run(interaction, attachment, StyleChoice(style, options or StyleOptions()))

    async def toon_message(
        self, interaction: Interaction, message: discord.Message, style: str
    ) -> None:
        """Draw the first picture of a message (the "Toonify" context menu)."""
        attachment = find_image(message.attachments) or next(
            (a for a in message.attachments if is_motion(a)), None
        )
        if attachment is None:
            await tell(interaction, DC_NO_IMAGE)
            return
        await self._run(interaction, attachment, StyleChoice(style), source=message.id)

    async def restyle(
        self, interaction: Interaction, style: str, options: StyleOptions | None = None
    ) -> None:
        """Draw the source picture kept in a clicked result message in another style, with the
        options the result was drawn with."""
        message = interaction.message
        attachments = message.attachments if message is not None else []
        source = next((a for a in attachments if a.filename.startswith(ORIGINAL_PREFIX)), None)
        if source is None:
            await tell(interaction, DC_ORIGINAL_GONE)
            return
        await self._run(interaction, source, StyleChoice(style, options or StyleOptions()))

    async def _run(
        self,
        interaction: Interaction,
        attachment: discord.Attachment,
        look: StyleChoice,
        source: int | None = None,
    ) -> None:
        kind = "video" if is_motion(attachment) else "photo"
        user = user_key(interaction.user.id)
        with track_request("discord", kind, user, look.style, self._metrics) as request:
            await self._tracked(interaction, attachment, look, request, source)

    async def _tracked(
        self,
        interaction: Interaction,
        attachment: discord.Attachment,
        look: StyleChoice,
        request: Request,
        source: int | None,
    ) -> None:
        settings = self._settings
        limit = settings.video.max_bytes if is_motion(attachment) else settings.images.max_bytes
        if attachment.size > limit:
            request.outcome = "bad_input"
            await tell(interaction, error_message(FileTooLarge(attachment.size, limit)))
            return
        self._active += 1
        self._idle.clear()
        try:
            try:
                # Deferred before the database is asked: Discord wants an answer within 3 s,
                # busy or not. Status and errors are only for the requester; the result is public.
                await interaction.response.defer(ephemeral=True, thinking=True)
            except discord.HTTPException as exc:
                log.warning("could not answer interaction %s in time: %s", interaction.id, exc)
                return
            await self._charged(interaction, attachment, look, request, source)
        finally:
            self._active -= 1
            if self._active == 0:
                self._idle.set()

    async def _charged(
        self,
        interaction: Interaction,
        attachment: discord.Attachment,
        look: StyleChoice,
        request: Request,
        source: int | None,
    ) -> None:
        status = StatusLine(interaction)
        try:
            grant = await self._quota.consume(
                user_key(interaction.user.id),
                chat_key(interaction),
                # The interaction token dies with the process: a restart tells the channel.
                notify_chat=None if interaction.channel_id is None else str(interaction.channel_id),
            )
        except (QuotaExceeded, QuotaUnavailable) as exc:
            request.outcome = "refused_quota" if isinstance(exc, QuotaExceeded) else "error"
            await status.show(quota_message(exc))
            return
        failure: str | None = None
        delivered = False
        moving = is_motion(attachment)
        cost = upload_cost(
            attachment.size, moving=moving, max_pixels=self._settings.images.max_pixels
        )
        try:
            async with await self._budget.reserve(cost) as held:
                if moving:
                    await self._clips.draw_and_send(
                        interaction,
                        attachment,
                        look,
                        status,
                        gif=is_gif(attachment),
                        note=self._note(look),
                        source=source,
                        held=held,
                    )
                else:
                    await status.show(DC_STATUS_STARTED)
                    await self._draw_and_send(interaction, attachment, look, status, source, held)
            delivered = True
            request.outcome = "delivered"
        except DeliveryUnconfirmed as exc:
            # Charged once, delivered at most once: see transfer.send_bounded.
            log.warning(
                "Discord never confirmed the result for %s; taken as delivered: %s", grant.user, exc
            )
            delivered = True
            request.outcome = "delivered"
        except BudgetBusy as exc:
            log.warning("too many uploads in flight; %s told to retry: %s", grant.user, exc)
            request.outcome = "error"
            failure = UPLOADS_BUSY
        except ClipCancelled:
            request.outcome = "cancelled"
            failure = CLIP_CANCELLED
        except Failure as exc:
            request.outcome = "error"
            failure = exc.text
        except ToonError as exc:
            request.outcome = "error" if isinstance(exc, EngineError) else "bad_input"
            failure = error_message(exc)
        except discord.HTTPException as exc:
            log.warning("discord failed while answering %s: %s", grant.user, exc)
            failure = FAILED
        except Exception:
            log.exception("unexpected error while drawing for %s", grant.user)
            failure = FAILED
        finally:
            if delivered:
                await settle_quietly(self._quota, grant)
            else:
                await refund_quietly(self._quota, grant, self._metrics, "discord")
        if failure is not None:
            await status.show(failure)
        else:
            await status.delete()

    async def _draw_and_send(
        self,
        interaction: Interaction,
        attachment: discord.Attachment,
        look: StyleChoice,
        status: StatusLine,
        source: int | None,
        held: Reservation,
    ) -> None:
        data = await download(attachment)
        if await asyncio.to_thread(is_animated_image, data):
            # An animated WebP or APNG: animated in, animated out, as a GIF.
            await self._clips.draw_and_send(
                interaction,
                attachment,
                look,
                status,
                gif=True,
                note=self._note(look),
                source=source,
                data=data,
                held=held,
            )
            return
        image = await decode(data, self._settings.images)
        del data  # may be megabytes that need not stay alive while the job waits
        held.release()  # decoded: the engine's queue bounds what waits there

        async def show(position: int | None) -> None:
            text = (
                DC_STATUS_DRAWING
                if position is None
                else DC_STATUS_QUEUED.format(position=position)
            )
            await status.show(text)

        result = await draw(
            self._engine,
            image,
            look.style,
            user_key(interaction.user.id),
            options=look.options,
            show=show,
            interval_s=self._settings.status_interval_s,
        )
        files = await asyncio.to_thread(
            result_files,
            image,
            result,
            look.style,
            interaction.filesize_limit,
            self._settings.output,
        )
        await self._send(interaction, look, files)

    def _note(self, look: StyleChoice) -> str:
        honoured = honoured_options(self._engine, look.style)
        return options_note(look.style, look.options.as_dict(), honoured)

    async def _send(
        self, interaction: Interaction, look: StyleChoice, files: list[discord.File]
    ) -> None:
        content = DC_RESULT.format(mention=interaction.user.mention, style=look.style)
        content += self._note(look)
        view = result_view(self._engine.style_names, look.style, interaction.user.id, look.options)
        mentions = discord.AllowedMentions.none()
        uploads = [f.fp for f in files if isinstance(f.fp, Upload)]
        try:
            if time.time() - interaction.created_at.timestamp() < TOKEN_MARGIN_S:
                await send_bounded(
                    lambda: interaction.followup.send(
                        content, files=files, view=view, allowed_mentions=mentions, wait=True
                    ),
                    uploads,
                )
            else:
                # The interaction token is about to expire: post in the channel instead.
                channel = interaction.client.get_partial_messageable(interaction.channel_id or 0)
                await send_bounded(
                    lambda: channel.send(
                        content, files=files, view=view, allowed_mentions=mentions
                    ),
                    uploads,
                )
        finally:
            # The buttons are global dynamic items; a view stored for this message would answer
            # each click a second time.
            view.stop()

    async def notify_restarted(self, client: discord.Client, charge: RecoveredCharge) -> None:
        """Tell a user whose job a restart cut short, in its channel, that it was refunded."""
        if charge.notify_chat is None:
            return
        mention = f"<@{charge.user.removeprefix('dc:')}>"
        channel = client.get_partial_messageable(int(charge.notify_chat))
        try:
            await channel.send(
                DC_RESTARTED.format(mention=mention),
                allowed_mentions=discord.AllowedMentions(users=True),
            )
        except discord.HTTPException as exc:
            log.warning("could not tell %s about the restart: %s", charge.user, exc)
