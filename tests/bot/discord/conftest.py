"""A real DiscordFrontend, Engine and quota database wired to the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.discord import DiscordFrontend
from bot.metrics import BotMetrics
from bot.quota import QuotaService
from engine.engine import Engine
from tests.bot.harness import Backend, Rig, frontend_kwargs
from tests.fakes.discord_server import FakeDiscord


@dataclass
class Toonbot(Rig[FakeDiscord, DiscordFrontend]):
    """Everything a test drives or inspects."""

    def fresh_frontend(self) -> DiscordFrontend:
        return make_frontend(self.fake, self.engine, self.quota)


def make_frontend(
    fake: FakeDiscord,
    engine: Engine,
    quota: QuotaService,
    metrics: BotMetrics | None = None,
    **options: Any,
) -> DiscordFrontend:
    """The production frontend, pointed at the fake, with quick status updates."""
    return DiscordFrontend(
        **frontend_kwargs(fake.token, engine, quota, metrics),
        api_base=fake.api_base,
        gateway=fake.gateway,
        ready_timeout_s=10,
        **options,
    )


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.patch(monkeypatch)
        yield server


@pytest.fixture
async def toonbot(fake: FakeDiscord, backend: Backend) -> AsyncIterator[Toonbot]:
    frontend = make_frontend(fake, backend.engine, backend.quota)
    bot = Toonbot(fake, backend.quota, backend.engine, backend.styles, frontend, backend.jobs)
    async with backend.running(bot):
        yield bot
