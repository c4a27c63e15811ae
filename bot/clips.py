"""Stylize a clip for a chat frontend, reporting percent progress at a pace chats allow."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from engine.engine import Engine
from engine.styles.options import StyleOptions
from engine.video import OutputKind, VideoLimits, VideoResult, fit_video, toon_video

__all__ = ["fit_clip", "toon_clip"]


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
    engine: Engine,
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
