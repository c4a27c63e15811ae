"""Fixtures and markers shared by the Telegram and Discord bot tests (helpers: harness.py)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import DatabaseSettings, QuotaSettings
from bot.db import Database
from bot.quota import QuotaService
from engine.config import EngineConfig
from engine.engine import Engine
from tests.bot.harness import Backend, record_jobs, stand_in_styles


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "quota(**limits): QuotaSettings for the toonbot fixture")
    config.addinivalue_line(
        "markers", "database(**settings): DatabaseSettings for the toonbot fixture"
    )
    config.addinivalue_line("markers", "engine(**settings): EngineConfig for the toonbot fixture")
    config.addinivalue_line("markers", "video(**limits): VideoLimits for the toonbot fixture")


def _marked(request: pytest.FixtureRequest, name: str) -> dict[str, Any]:
    marker = request.node.get_closest_marker(name)
    return dict(marker.kwargs) if marker else {}


@pytest.fixture
async def backend(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Backend]:
    """Stand-in styles in a real Engine, and a QuotaService on a fresh SQLite file, as the
    quota, engine and database markers say; every job the engine is handed is recorded."""
    limits = {"daily_per_user": 20, "cooldown_s": 0, "per_chat_per_hour": 0}
    limits.update(_marked(request, "quota"))
    # Photos must never be written anywhere: point every temp file at a folder we inspect.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    styles = stand_in_styles()
    config = EngineConfig(
        **{"device": "cpu", "max_batch_size": 8, "max_wait_ms": 5.0, "bucket_px": 32}
        | _marked(request, "engine")
    )
    settings = DatabaseSettings(
        sqlite_path=str(tmp_path / "quota.sqlite3"), **_marked(request, "database")
    )
    async with Database(settings) as db, Engine(config, styles) as engine:
        quota = QuotaService(db, QuotaSettings(**limits))
        yield Backend(quota, engine, styles, record_jobs(engine, monkeypatch))
    assert not list(scratch.iterdir()), "something was written to a temp file"
