"""Files to and from Discord: downloads, the result and its source copy, private answers."""

from __future__ import annotations

import io
import logging

import discord
import numpy as np
import numpy.typing as npt

from bot.config import OutputSettings
from bot.discord.buttons import ORIGINAL_PREFIX
from bot.messages import DC_DOWNLOAD_FAILED, DC_ORIGINAL_GONE
from bot.toonjob import encode_to_fit

__all__ = ["Failure", "download", "result_files", "tell"]

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]

# Share of the upload limit the source copy may take; the rest is the result's.
_ORIGINAL_SHARE = 4
_ORIGINAL_QUALITY = 90


class Failure(Exception):
    """A step failed in a way the user is told about with `text`."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


async def download(attachment: discord.Attachment) -> bytes:
    """The attachment's bytes; Failure with the user's message when Discord won't give them."""
    try:
        # In memory only: user photos never touch the disk.
        return await attachment.read()
    except discord.NotFound as exc:
        raise Failure(DC_ORIGINAL_GONE) from exc
    except discord.HTTPException as exc:
        log.warning("could not download %s: %s", attachment.url, exc)
        raise Failure(DC_DOWNLOAD_FAILED) from exc


def result_files(
    image: npt.NDArray[np.uint8],
    result: npt.NDArray[np.uint8],
    style: str,
    limit: int,
    output: OutputSettings,
) -> list[discord.File]:
    """The result and a copy of its source (for the redraw buttons), together within `limit`."""
    # Re-encoded from pixels: the copy carries no EXIF/GPS of the upload.
    original, _ = encode_to_fit(
        image, "jpeg", limit // _ORIGINAL_SHARE, jpeg_quality=_ORIGINAL_QUALITY
    )
    payload, fmt = encode_to_fit(
        result, output.format, limit - len(original), jpeg_quality=output.jpeg_quality
    )
    ext = "jpg" if fmt == "jpeg" else "png"
    return [
        discord.File(io.BytesIO(payload), filename=f"toon_{style}.{ext}"),
        discord.File(io.BytesIO(original), filename=f"{ORIGINAL_PREFIX}.jpg"),
    ]


async def tell(interaction: Interaction, text: str) -> None:
    """A private answer to the requester, whether or not the interaction was answered yet."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)
