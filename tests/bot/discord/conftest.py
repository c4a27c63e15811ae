"""A real DiscordFrontend, Engine and quota database wired to the fake Discord."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.config import DatabaseSettings, OutputSettings, QuotaSettings
from bot.db import Database
from bot.discord import DiscordFrontend
from bot.metrics import BotMetrics
from bot.quota import QuotaService
from engine.config import EngineConfig
from engine.engine import Engine
from engine.imageio import ImageLimits
from engine.job import Job
from tests.bot.telegram.conftest import StandInStyle, record_jobs, stand_in_styles
from tests.fakes.discord_server import FakeDiscord


@dataclass
class Toonbot:
    """Everything a test drives or inspects."""

    fake: FakeDiscord
    quota: QuotaService
    engine: Engine
    styles: dict[str, StandInStyle]
    frontend: DiscordFrontend
    jobs: list[Job] = field(default_factory=list)  # every job the engine was handed

    async def restart(self) -> None:
        """Stop the frontend and start a fresh one: no state survives but the database."""
        await self.frontend.stop()
        self.frontend = make_frontend(self.fake, self.engine, self.quota)
        await self.frontend.start()

    @property
    def images_drawn(self) -> int:
        """Images the engine ran through any style."""
        return sum(style.images for style in self.styles.values())


def make_frontend(
    fake: FakeDiscord,
    engine: Engine,
    quota: QuotaService,
    metrics: BotMetrics | None = None,
    **options: Any,
) -> DiscordFrontend:
    """The production frontend, pointed at the fake, with quick status updates."""
    return DiscordFrontend(
        fake.token,
        engine,
        quota,
        images=ImageLimits(),
        output=OutputSettings(),
        default_style="webtoon",
        api_base=fake.api_base,
        gateway=fake.gateway,
        status_interval_s=0.02,
        ready_timeout_s=10,
        metrics=metrics,
        **options,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "quota(**limits): QuotaSettings for the toonbot fixture")
    config.addinivalue_line(
        "markers", "database(**settings): DatabaseSettings for the toonbot fixture"
    )
    config.addinivalue_line("markers", "engine(**settings): EngineConfig for the toonbot fixture")


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.patch(monkeypatch)
        yield server


@pytest.fixture
async def toonbot(
    fake: FakeDiscord,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Toonbot]:
    marker = request.node.get_closest_marker("quota")
    limits = {"daily_per_user": 20, "cooldown_s": 0, "per_chat_per_hour": 0}
    limits.update(marker.kwargs if marker else {})
    # Photos must never be written anywhere: point every temp file at a folder we inspect.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    styles = stand_in_styles()
    tuning = request.node.get_closest_marker("engine")
    config = EngineConfig(
        **{"device": "cpu", "max_batch_size": 8, "max_wait_ms": 5.0, "bucket_px": 32}
        | (tuning.kwargs if tuning else {})
    )
    db_marker = request.node.get_closest_marker("database")
    settings = DatabaseSettings(
        sqlite_path=str(tmp_path / "quota.sqlite3"), **(db_marker.kwargs if db_marker else {})
    )
    async with Database(settings) as db, Engine(config, styles) as engine:
        quota = QuotaService(db, QuotaSettings(**limits))
        jobs = record_jobs(engine, monkeypatch)
        frontend = make_frontend(fake, engine, quota)
        await frontend.start()
        bot = Toonbot(fake, quota, engine, styles, frontend, jobs)
        try:
            yield bot
        finally:
            for style in styles.values():
                style.allow(100)
            await bot.frontend.stop()
    assert not list(scratch.iterdir()), "something was written to a temp file"
