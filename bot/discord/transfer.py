"""Files to and from Discord: downloads, the result and its source copy, sends bounded in time,
private answers."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import discord
import numpy as np
import numpy.typing as npt

from bot.config import OutputSettings
from bot.discord.buttons import ORIGINAL_PREFIX
from bot.i18n import ENGLISH, Lang
from bot.messages import DC_DOWNLOAD_FAILED, DC_ORIGINAL_GONE
from bot.pipeline.adapter import Failure
from bot.pipeline.charges import DeliveryUnconfirmed
from bot.pipeline.drawing import encode_to_fit

__all__ = [
    "ANSWER_WAIT_S",
    "SLOWEST_UPLOAD_BYTES_PER_S",
    "Upload",
    "download",
    "result_files",
    "send_bounded",
    "tell",
]

T = TypeVar("T")

# A result send may take this long plus its size at the slowest rate still waited for (a 10 MiB
# result: 30 + 40 s); aiohttp's own limit is 5 minutes whatever the size.
ANSWER_WAIT_S = 30.0
SLOWEST_UPLOAD_BYTES_PER_S = 256 * 1024

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]

# Share of the upload limit the source copy may take; the rest is the result's.
_ORIGINAL_SHARE = 4
_ORIGINAL_QUALITY = 90


class Upload(io.BytesIO):
    """A file's bytes that note when the current attempt to send them read them to the end
    (aiohttp reads the body as it writes it; discord.py seeks back before each retry)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.written_at: float | None = None  # monotonic seconds; None while not fully read

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        if not chunk and size != 0 and self.written_at is None:
            self.written_at = time.monotonic()
        return chunk

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        self.written_at = None  # a new attempt starts
        return super().seek(offset, whence)


async def send_bounded(send: Callable[[], Awaitable[T]], uploads: Sequence[Upload]) -> T:
    """Await send() while its answer keeps within ANSWER_WAIT_S of its uploads being written,
    and the whole send within twice that plus their size at the slowest rate.

    Charged once, delivered at most once: no answer ANSWER_WAIT_S after every upload was read to
    the end (the request was out; Discord most likely posted it and is slow to say so) raises
    DeliveryUnconfirmed, to be settled as delivered and never sent again; Discord offers no way
    to look up a followup that never got its answer. Running out of time before that raises
    TimeoutError: nothing was posted, the caller refunds. discord.py's own waits after a 429 or
    5xx count as waiting for an answer: one over ANSWER_WAIT_S (30 s) is the residual risk.
    """
    size = sum(len(u.getbuffer()) for u in uploads)
    started = time.monotonic()
    deadline = started + 2 * ANSWER_WAIT_S + size / SLOWEST_UPLOAD_BYTES_PER_S
    task = asyncio.ensure_future(send())
    try:
        while True:
            done, _ = await asyncio.wait([task], timeout=0.05)
            if done:
                return task.result()
            now = time.monotonic()
            written = [u.written_at for u in uploads]
            if (
                uploads
                and None not in written
                and now - max(w or 0 for w in written) > ANSWER_WAIT_S
            ):
                raise DeliveryUnconfirmed(now - started)
            if now > deadline:
                raise TimeoutError(f"sending {size} bytes took over {now - started:.0f} s")
    finally:
        task.cancel()


async def download(attachment: discord.Attachment, lang: Lang = ENGLISH) -> bytes:
    """The attachment's bytes; Failure with the user's message (in `lang`) when Discord won't
    give them."""
    try:
        # In memory only: user photos never touch the disk.
        return await attachment.read()
    except discord.NotFound as exc:
        raise Failure(lang(DC_ORIGINAL_GONE)) from exc
    except discord.HTTPException as exc:
        log.warning("could not download %s: %s", attachment.url, exc)
        raise Failure(lang(DC_DOWNLOAD_FAILED)) from exc


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
        discord.File(Upload(payload), filename=f"toon_{style}.{ext}"),
        discord.File(Upload(original), filename=f"{ORIGINAL_PREFIX}.jpg"),
    ]


async def tell(interaction: Interaction, text: str) -> None:
    """A private answer to the requester, whether or not the interaction was answered yet."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)
