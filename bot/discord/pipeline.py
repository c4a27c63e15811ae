"""Discord's side of the request pipeline: an interaction's attachment, its private status line,
and the drawn picture or clip posted back (bot.pipeline does the rest)."""

from __future__ import annotations

import asyncio
import logging
import time

import discord

from bot.config import OutputSettings
from bot.discord.attachments import find_image, is_gif, is_motion, looks_like_image
from bot.discord.buttons import ORIGINAL_PREFIX, result_view
from bot.discord.ids import chat_key, user_key
from bot.discord.motion import TOKEN_MARGIN_S, send_clip
from bot.discord.status import StatusLine
from bot.discord.transfer import Upload, download, result_files, send_bounded, tell
from bot.i18n import lang_for
from bot.messages import (
    DC_NO_IMAGE,
    DC_NOT_AN_IMAGE,
    DC_ORIGINAL_GONE,
    DC_RESTARTED,
    DC_RESULT,
    DC_STATUS_DRAWING,
    DC_STATUS_QUEUED,
    DC_STATUS_STARTED,
    DC_STATUS_STARTED_CLIP,
    DC_VIDEO_PROGRESS,
    DC_VIDEO_RESULT_TOO_BIG,
)
from bot.options import StyleChoice
from bot.pipeline import ClipJobs, RequestPipeline, StatusTexts
from bot.pipeline.adapter import Pixels
from bot.quota import RecoveredCharge
from engine.styles.options import StyleOptions
from engine.video import OutputKind, VideoResult

__all__ = ["DISCORD_TEXTS", "TOKEN_MARGIN_S", "DiscordConversation", "DiscordPipeline"]

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]

# started, started_clip, queued, drawing, progress, clip_too_big (see StatusTexts); English
# msgids, translated per request.
DISCORD_TEXTS = StatusTexts(
    DC_STATUS_STARTED, DC_STATUS_STARTED_CLIP, DC_STATUS_QUEUED, DC_STATUS_DRAWING,
    DC_VIDEO_PROGRESS, DC_VIDEO_RESULT_TOO_BIG,
)  # fmt: skip


class DiscordConversation:
    """One attachment a Discord user asked to have drawn (bot.pipeline.Conversation).

    Status and errors are only for the requester; the result is public.
    """

    platform = "discord"
    errors: tuple[type[Exception], ...] = (discord.HTTPException,)
    download_cap: int | None = None
    notify_message: str | None = None  # the interaction token dies with the process

    def __init__(
        self,
        interaction: Interaction,
        attachment: discord.Attachment,
        styles: tuple[str, ...],
        output: OutputSettings,
        source: int | None = None,
    ) -> None:
        """source: the message the attachment was posted in, when deleting it should cancel."""
        self._interaction = interaction
        self._attachment = attachment
        self._styles = styles
        self._output = output
        # The requester's Discord client language; the public result is in it too.
        self.lang = lang_for(interaction.locale)
        self.texts = DISCORD_TEXTS.translated(self.lang)
        self.status = StatusLine(interaction, self.lang)
        self._gif = is_gif(attachment)
        self.source_id = None if source is None else str(source)
        self.user = user_key(interaction.user.id)
        self.chat = chat_key(interaction)
        # A restart tells the channel.
        channel = interaction.channel_id
        self.notify_chat: str | None = None if channel is None else str(channel)

    @property
    def moving(self) -> bool:
        """A video or a GIF."""
        return is_motion(self._attachment)

    @property
    def size(self) -> int | None:
        """The attachment's size, which Discord always gives."""
        return self._attachment.size

    @property
    def upload_limit(self) -> int:
        """What this server (or DM) takes from the bot."""
        return self._interaction.filesize_limit

    @property
    def clip_output(self) -> OutputKind:
        """GIFs (and animated pictures) come back as GIFs, videos as mp4."""
        return "gif" if self._gif else "mp4"

    async def acknowledge(self) -> bool:
        """Defer (privately) before the database is asked: Discord wants an answer within 3 s."""
        interaction = self._interaction
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as exc:
            log.warning("could not answer interaction %s in time: %s", interaction.id, exc)
            return False
        return True

    async def show_activity(self) -> None:
        """The deferred answer already says the bot is thinking."""

    def animated(self) -> None:
        """An animated WebP or APNG: animated in, animated out, as a GIF."""
        self._gif = True

    async def download(self, limit: int) -> bytes:
        """The attachment's bytes (its size was checked against `limit` before)."""
        return await download(self._attachment, self.lang)

    async def send_picture(
        self, image: Pixels, result: Pixels, look: StyleChoice, note: str
    ) -> None:
        """The result and a copy of its source (for the redraw buttons), with the buttons."""
        interaction = self._interaction
        files = await asyncio.to_thread(
            result_files, image, result, look.style, interaction.filesize_limit, self._output
        )
        mention = interaction.user.mention
        content = self.lang(DC_RESULT).format(mention=mention, style=look.style) + note
        view = result_view(self._styles, look.style, interaction.user.id, look.options, self.lang)
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

    async def send_clip(self, result: VideoResult, look: StyleChoice, note: str) -> None:
        """The clip, posted publicly."""
        await send_clip(self._interaction, result, look.style, note, self.lang)


class DiscordPipeline:
    """The shared pipeline (bot.pipeline.RequestPipeline), fed from Discord interactions."""

    def __init__(self, pipeline: RequestPipeline) -> None:
        self._pipeline = pipeline

    async def wait_idle(self, timeout_s: float) -> None:
        """Wait (bounded) until no picture is in progress."""
        await self._pipeline.wait_idle(timeout_s)

    @property
    def jobs(self) -> ClipJobs:
        """The clips in progress, for the Cancel button and deleted source messages."""
        return self._pipeline.jobs

    async def toon(
        self,
        interaction: Interaction,
        attachment: discord.Attachment,
        style: str,
        options: StyleOptions | None = None,
    ) -> None:
        """Draw an attachment the user gave (slash command or context menu)."""
        if not is_motion(attachment) and not looks_like_image(attachment):
            await tell(interaction, lang_for(interaction.locale)(DC_NOT_AN_IMAGE))
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
            await tell(interaction, lang_for(interaction.locale)(DC_NO_IMAGE))
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
            await tell(interaction, lang_for(interaction.locale)(DC_ORIGINAL_GONE))
            return
        await self._run(interaction, source, StyleChoice(style, options or StyleOptions()))

    async def _run(
        self,
        interaction: Interaction,
        attachment: discord.Attachment,
        look: StyleChoice,
        source: int | None = None,
    ) -> None:
        shared = self._pipeline
        conv = DiscordConversation(interaction, attachment, shared.styles, shared.output, source)
        await self._pipeline.run(conv, look)

    async def notify_restarted(self, client: discord.Client, charge: RecoveredCharge) -> None:
        """Tell a user whose job a restart cut short, in its channel, that it was refunded, in the
        language stored with the charge (English when none was, or it has no catalogue); Discord
        errors are logged, never raised."""
        if charge.notify_chat is None:
            return
        lang = lang_for(charge.locale)
        mention = f"<@{charge.user.removeprefix('dc:')}>"
        channel = client.get_partial_messageable(int(charge.notify_chat))
        try:
            await channel.send(
                # Translated before the mention is filled in: the catalogue's msgid has the field.
                lang(DC_RESTARTED).format(mention=mention),
                allowed_mentions=discord.AllowedMentions(users=True),
            )
        except discord.HTTPException as exc:
            log.warning("could not tell %s about the restart: %s", charge.user, exc)
