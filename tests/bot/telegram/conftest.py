"""A real TelegramFrontend, Engine and quota database wired to the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from telegram.ext import AIORateLimiter

from bot.metrics import BotMetrics
from bot.quota import QuotaService
from bot.telegram import TelegramFrontend
from engine.engine import Engine
from engine.video import VideoLimits
from tests.bot.harness import Backend, Rig, frontend_kwargs
from tests.fakes.telegram_server import FakeTelegram


@dataclass
class Toonbot(Rig[FakeTelegram, TelegramFrontend]):
    """Everything a test drives or inspects."""

    video: VideoLimits | None = None

    def fresh_frontend(self) -> TelegramFrontend:
        return make_frontend(self.fake, self.engine, self.quota, self.video)


def make_frontend(
    fake: FakeTelegram,
    engine: Engine,
    quota: QuotaService,
    video: VideoLimits | None = None,
    metrics: BotMetrics | None = None,
) -> TelegramFrontend:
    """The production frontend, pointed at the fake, with quick status updates."""
    return TelegramFrontend(
        **frontend_kwargs(fake.token, engine, quota, metrics),
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        # The fake has no flood limits to respect; retries on 429 stay on.
        rate_limiter=AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3),
        video=video,
        poll_timeout_s=5,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def toonbot(
    fake: FakeTelegram, backend: Backend, request: pytest.FixtureRequest
) -> AsyncIterator[Toonbot]:
    marker = request.node.get_closest_marker("video")
    video = VideoLimits(**marker.kwargs) if marker else None
    frontend = make_frontend(fake, backend.engine, backend.quota, video)
    bot = Toonbot(
        fake, backend.quota, backend.engine, backend.styles, frontend, backend.jobs, video
    )
    async with backend.running(bot):
        yield bot
