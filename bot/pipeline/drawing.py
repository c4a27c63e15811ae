"""Drawing on the engine for any frontend: pictures and clips in, stylized pixels out, progress
shown through a callback at a pace chats allow."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

import numpy as np
import numpy.typing as npt

from engine.api import EngineSurface
from engine.imageio import ImageLimits, OutputFormat, decode_image, encode_image, fit_within
from engine.job import Job
from engine.logcontext import current_fields
from engine.styles.options import StyleOptions
from engine.video import OutputKind, VideoLimits, VideoResult, fit_video, toon_video

__all__ = [
    "PositionTracker",
    "ShowPosition",
    "decode",
    "draw",
    "encode_to_fit",
    "fit_clip",
    "toon_clip",
]

log = logging.getLogger(__name__)

# Called with the job's queue position, or None once the model is drawing it.
ShowPosition = Callable[[int | None], Awaitable[None]]

# engine.position replays the fair queue, costing O(queue length x users) per call: 256 jobs from
# 256 users take seconds of CPU per polling round. Deep queues are therefore polled quadratically
# less often (the job finishing still ends the wait at once), bounding the event loop's share.
_CHEAP_DEPTH = 32
_MAX_INTERVAL_S = 60.0
# Each downscale step when a result must shrink to fit an upload limit.
_SHRINK = 0.75
_MIN_SIDE = 16


class PositionTracker:
    """While open, polls the job's queue position and hands it to `show`."""

    def __init__(
        self,
        show: ShowPosition,
        position: Callable[[], int | None],
        depth: Callable[[], int],
        interval_s: float,
    ) -> None:
        self._show = show
        self._position = position
        self._depth = depth
        self._interval_s = interval_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> PositionTracker:
        self._task = asyncio.create_task(self._run(), name="toonbot-status")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Stop politely rather than cancel, so an edit in flight cannot land after the final text.
        self._stop.set()
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self._show(self._position())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._next_interval())

    def _next_interval(self) -> float:
        scale = max(1.0, (self._depth() / _CHEAP_DEPTH) ** 2)
        return max(self._interval_s, min(_MAX_INTERVAL_S, self._interval_s * scale))


async def decode(data: bytes, limits: ImageLimits) -> npt.NDArray[np.uint8]:
    """Decode an upload to RGB pixels, refusing what `limits` forbids."""
    # Tens of milliseconds per photo: off the event loop, so one big picture never stalls
    # everyone else's updates.
    return await asyncio.to_thread(decode_image, data, limits)


async def draw(
    engine: EngineSurface,
    image: npt.NDArray[np.uint8],
    style: str,
    user: str,
    *,
    options: StyleOptions | None = None,
    show: ShowPosition | None = None,
    interval_s: float = 1.0,
) -> npt.NDArray[np.uint8]:
    """Queue `image` on the engine for `user` and return the stylized RGB pixels."""
    job = Job(image, style, user_id=user, options=options or StyleOptions())
    request_id = current_fields().get("job_id")
    if isinstance(request_id, str):  # one photo, one engine job: logs and engine share the id
        job.job_id = request_id
    # Created before the tracker, so the job is queued by the time the tracker first looks.
    submitted = asyncio.create_task(engine.submit(job))
    log.info("queued", extra={"fields": {"queue_depth": engine.queue_depth}})
    try:
        if show is None:
            return await submitted
        async with PositionTracker(
            show, lambda: engine.position(job.job_id), lambda: engine.queue_depth, interval_s
        ):
            return await submitted
    finally:
        submitted.cancel()  # a no-op once done; frees the queue slot if we were cancelled


def encode_to_fit(
    rgb: npt.NDArray[np.uint8], fmt: OutputFormat, limit: int, *, jpeg_quality: int = 92
) -> tuple[bytes, OutputFormat]:
    """Encode as `fmt`; if over `limit` bytes, fall back to JPEG and downscale until it fits."""
    payload = encode_image(rgb, fmt, jpeg_quality=jpeg_quality)
    if len(payload) <= limit:
        return payload, fmt
    image = rgb
    while True:
        payload = encode_image(image, "jpeg", jpeg_quality=min(jpeg_quality, 85))
        side = max(image.shape[:2])
        if len(payload) <= limit or side <= _MIN_SIDE:
            return payload, "jpeg"
        image = fit_within(image, max(_MIN_SIDE, int(side * _SHRINK)))


class _Progress:
    """Remembers the latest fraction; a ticker shows it in 10 % steps at most once per interval."""

    def __init__(self, show: Callable[[int], Awaitable[None]], interval_s: float) -> None:
        self._show = show
        self._interval_s = interval_s
        self._fraction = 0.0
        self._shown: int | None = None

    def __call__(self, fraction: float) -> None:
        """Called by toon_video after each frame; never awaits, so frames are not slowed down."""
        self._fraction = fraction

    async def tick(self) -> None:
        """Show progress until cancelled; throttled because chats rate-limit message edits."""
        while True:
            percent = int(self._fraction * 10) * 10
            if percent != self._shown:
                self._shown = percent
                await self._show(percent)
            await asyncio.sleep(self._interval_s)


async def toon_clip(
    engine: EngineSurface,
    data: bytes,
    style: str,
    user: str,
    limits: VideoLimits,
    *,
    show: Callable[[int], Awaitable[None]],
    interval_s: float,
    output: OutputKind,
    options: StyleOptions | None = None,
) -> VideoResult:
    """`toon_video` with `show(percent)` awaited in 10 % steps, at most once per `interval_s`."""
    progress = _Progress(show, interval_s)
    ticker = asyncio.create_task(progress.tick())
    try:
        return await toon_video(
            engine, data, style, user, limits, progress=progress, output=output, options=options
        )
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def fit_clip(result: VideoResult, max_bytes: int) -> VideoResult | None:
    """`result` re-encoded (off the event loop) to fit an upload limit; None if it can't be."""
    if len(result.data) <= max_bytes:
        return result
    return await asyncio.to_thread(fit_video, result, max_bytes)
