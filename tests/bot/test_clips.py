"""The clip progress reporter: 10 % steps, at most one update per interval."""

from __future__ import annotations

import asyncio

from bot.pipeline.drawing import _Progress


async def test_progress_is_shown_in_ten_percent_steps_without_repeats() -> None:
    shown: list[int] = []

    async def show(percent: int) -> None:
        shown.append(percent)

    progress = _Progress(show, interval_s=0.01)
    ticker = asyncio.create_task(progress.tick())
    try:
        for fraction in (0.0, 0.03, 0.55, 0.57, 0.99, 1.0):
            progress(fraction)
            await asyncio.sleep(0.05)
    finally:
        ticker.cancel()
    assert shown == [0, 50, 90, 100]


async def test_progress_updates_are_throttled_to_the_interval() -> None:
    shown: list[int] = []

    async def show(percent: int) -> None:
        shown.append(percent)

    progress = _Progress(show, interval_s=10.0)
    ticker = asyncio.create_task(progress.tick())
    try:
        for i in range(11):
            progress(i / 10)
            await asyncio.sleep(0.01)
    finally:
        ticker.cancel()
    assert shown == [0]  # the later steps wait for the next tick, seconds away
