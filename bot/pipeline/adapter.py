"""What a platform supplies to the request pipeline: one Conversation per request.

A Conversation is one user's request on one platform: it knows the request's media (size, still
or moving), how to fetch it, how to show the requester a status line, and how to send a picture
or a clip back. Everything else (charging, the byte budget, drawing, classifying the outcome,
settling or refunding, the final status) is bot.pipeline.flow's, the same on every platform.
Adding a platform means writing one class that satisfies this protocol.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.i18n import Lang
from bot.options import StyleChoice
from engine.video import OutputKind, VideoResult

__all__ = ["Conversation", "Failure", "Pixels", "Status", "StatusTexts"]

Pixels = npt.NDArray[np.uint8]  # RGB, height x width x 3


class Failure(Exception):
    """A step failed in a way the user is told about with `text` (already in their words)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True, slots=True)
class StatusTexts:
    """A platform's status lines (bot.messages), as the pipeline shows them."""

    started: str  # a picture was accepted and is being fetched
    started_clip: str  # the same for a clip
    queued: str  # "{position}" in the engine's queue
    drawing: str  # the model is drawing it
    progress: str  # "{percent}" of a clip drawn
    clip_too_big: str  # "{size}" and "{limit}" in MB: the drawn clip can't be uploaded

    def translated(self, lang: Lang) -> StatusTexts:
        """The same lines in `lang` (the fields are English msgids)."""
        return StatusTexts(*(lang(text) for text in astuple(self)))


class Status(Protocol):
    """The requester's status line of one request; platform errors are logged, never raised."""

    async def show(self, text: str) -> None:
        """Show `text` (with the Cancel button, if offered), unless it is already shown."""

    async def fail(self, text: str) -> None:
        """Show a final failure (or refusal) `text`, without buttons; the first answer if
        nothing was said yet."""

    async def delete(self) -> None:
        """The result is there: remove the status line."""

    def offer_cancel(self, job_id: str | None) -> None:
        """Show a Cancel button for `job_id` under the next updates; None removes it."""


class Conversation(Protocol):
    """One request on one platform, as the pipeline drives it.

    download, send_picture and send_clip raise Failure (the user is told its text),
    one of `errors` (the platform failed: the user gets the generic failure), or
    bot.pipeline.charges.DeliveryUnconfirmed (the result most likely arrived: settled as
    delivered, never sent again).
    """

    platform: str  # "telegram", "discord": metrics and log label
    user: str  # the quota and engine key of the requester
    chat: str  # the quota key of where the request was made
    notify_chat: str | None  # where to tell the user after a restart cut the job short
    notify_message: str | None  # the message to reply to then, if the platform has one
    lang: Lang  # the requester's language: the pipeline's own words are translated with it
    texts: StatusTexts  # already in `lang`
    errors: tuple[type[Exception], ...]  # the platform's own error types

    @property
    def status(self) -> Status:
        """The requester's status line."""

    @property
    def moving(self) -> bool:
        """A clip (video, GIF, video sticker), judged from the request before downloading."""

    @property
    def size(self) -> int | None:
        """The media's size in bytes as the platform declared it, if it did."""

    @property
    def download_cap(self) -> int | None:
        """The platform's own limit on what a bot may download, if it has one."""

    @property
    def upload_limit(self) -> int:
        """The largest clip the platform takes from the bot here, in bytes."""

    @property
    def clip_output(self) -> OutputKind:
        """The container a drawn clip is sent back in."""

    @property
    def source_id(self) -> str | None:
        """The platform message the media came from, when deleting it should cancel a clip."""

    async def acknowledge(self) -> bool:
        """Answer the platform that the request was received, before the quota is asked;
        False when it can't be answered at all (then nothing is charged or said)."""

    async def show_activity(self) -> None:
        """A platform activity hint ("sending a photo...") while the work runs, if any."""

    def animated(self) -> None:
        """The downloaded still picture turned out to be animated: send it back as a clip."""

    async def download(self, limit: int) -> bytes:
        """The media's bytes, at most `limit` of them (else engine.errors.FileTooLarge)."""

    async def send_picture(
        self, image: Pixels, result: Pixels, look: StyleChoice, note: str
    ) -> None:
        """Send the drawn `result` (of `image`) back; `note` goes after the caption."""

    async def send_clip(self, result: VideoResult, look: StyleChoice, note: str) -> None:
        """Send the drawn clip back; `note` goes after the caption."""
