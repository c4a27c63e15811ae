"""Clips on Discord: a drawn video, GIF or animated picture posted back (bot.pipeline draws it)."""

from __future__ import annotations

import time

import discord

from bot.discord.transfer import Upload, send_bounded
from bot.i18n import ENGLISH, Lang
from bot.messages import DC_VIDEO_RESULT
from engine.video import VideoResult

__all__ = ["TOKEN_MARGIN_S", "send_clip"]

Interaction = discord.Interaction[discord.Client]

# Interaction tokens live 15 minutes; past this the result goes to the channel instead.
TOKEN_MARGIN_S = 14 * 60


async def send_clip(
    interaction: Interaction, result: VideoResult, style: str, note: str, lang: Lang = ENGLISH
) -> None:
    """Post the clip publicly (a GIF or an mp4, as drawn); `note` goes after the text, which is
    in the requester's `lang`.

    Raises DeliveryUnconfirmed when the post timed out after it was sent (transfer.send_bounded).
    """
    upload = Upload(result.data)
    file = discord.File(upload, filename=f"toon_{style}.{result.kind}")
    content = lang(DC_VIDEO_RESULT).format(mention=interaction.user.mention, style=style) + note
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
