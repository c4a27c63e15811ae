"""Clips on Discord: videos, GIFs and animated pictures drawn with a Cancel button and sent back."""

from __future__ import annotations

import time
from dataclasses import dataclass

import discord

from bot.budget import Reservation
from bot.cancel import ClipJobs
from bot.clips import fit_clip, toon_clip
from bot.discord.buttons import cancel_view
from bot.discord.ids import user_key
from bot.discord.status import StatusLine
from bot.discord.transfer import Failure, Upload, download, send_bounded
from bot.messages import (
    DC_STATUS_STARTED_CLIP,
    DC_VIDEO_PROGRESS,
    DC_VIDEO_RESULT,
    DC_VIDEO_RESULT_TOO_BIG,
)
from bot.options import StyleChoice
from engine.engine import Engine
from engine.video import VideoLimits, VideoResult

__all__ = ["TOKEN_MARGIN_S", "ClipDrawer"]

Interaction = discord.Interaction[discord.Client]

# Interaction tokens live 15 minutes; past this the result goes to the channel instead.
TOKEN_MARGIN_S = 14 * 60


@dataclass(frozen=True, slots=True)
class ClipDrawer:
    """Draws one clip as a cancellable job and posts it, for the pipeline."""

    engine: Engine
    jobs: ClipJobs
    limits: VideoLimits
    progress_interval_s: float

    async def draw_and_send(
        self,
        interaction: Interaction,
        attachment: discord.Attachment,
        look: StyleChoice,
        status: StatusLine,
        *,
        gif: bool,
        note: str,
        source: int | None = None,
        data: bytes | None = None,
        held: Reservation | None = None,
    ) -> None:
        """Draw the attachment (or `data`, its bytes when already downloaded) and post it as
        a GIF when `gif`, else as mp4; `note` goes after the text (messages.options_note).

        held: the upload's share of the byte budget, given back once the clip is drawn. Raises
        DeliveryUnconfirmed when the post timed out after it was sent (transfer.send_bounded).
        """
        # Drawn as a job of its own that the Cancel button (or deleting the source message)
        # stops; the upload is not cancellable, so a late click finds the job gone.
        job_id = self.jobs.new_id()
        status.view = cancel_view(job_id)
        work = self._draw(interaction, attachment, look, status, gif, data)
        user = user_key(interaction.user.id)
        try:
            result = await self.jobs.run(
                job_id, user, work, source=None if source is None else str(source)
            )
        finally:
            status.view = None
            if held is not None:
                held.release()
        upload = Upload(result.data)
        file = discord.File(upload, filename=f"toon_{look.style}.{result.kind}")
        content = DC_VIDEO_RESULT.format(mention=interaction.user.mention, style=look.style)
        content += note
        mentions = discord.AllowedMentions.none()
        # No redraw buttons: they redraw the picture kept beside a result, and clips have none.
        if time.time() - interaction.created_at.timestamp() < TOKEN_MARGIN_S:
            await send_bounded(
                lambda: interaction.followup.send(
                    content, file=file, allowed_mentions=mentions, wait=True
                ),
                [upload],
            )
        else:
            channel = interaction.client.get_partial_messageable(interaction.channel_id or 0)
            await send_bounded(
                lambda: channel.send(content, file=file, allowed_mentions=mentions), [upload]
            )

    async def _draw(
        self,
        interaction: Interaction,
        attachment: discord.Attachment,
        look: StyleChoice,
        status: StatusLine,
        gif: bool,
        data: bytes | None,
    ) -> VideoResult:
        if data is None:
            await status.show(DC_STATUS_STARTED_CLIP)
            data = await download(attachment)

        async def show(percent: int) -> None:
            await status.show(DC_VIDEO_PROGRESS.format(percent=percent))

        result = await toon_clip(
            self.engine,
            data,
            look.style,
            user_key(interaction.user.id),
            self.limits,
            show=show,
            interval_s=self.progress_interval_s,
            output="gif" if gif else "mp4",
            options=look.options,
        )
        del data
        limit = interaction.filesize_limit
        fitted = await fit_clip(result, limit)
        if fitted is None:
            size_mb, limit_mb = len(result.data) / 1024 / 1024, limit / 1024 / 1024
            raise Failure(DC_VIDEO_RESULT_TOO_BIG.format(size=size_mb, limit=limit_mb))
        return fitted
