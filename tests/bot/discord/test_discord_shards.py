"""Sharding: the bot opens one gateway connection per shard, each identifying with its shard id,
and answers interactions whichever shard delivers them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest

from bot.config import DatabaseSettings, QuotaSettings
from bot.db import Database
from bot.discord import DiscordFrontend
from bot.discord.frontend import ShardedToonClient, ToonClient
from bot.quota import QuotaService
from engine.config import EngineConfig
from engine.engine import Engine
from tests.bot.discord.conftest import make_frontend
from tests.bot.harness import TRANSFORMS, StandInStyle, decode_upload, expected_toon, photo_bytes
from tests.fakes.discord_server import FakeDiscord

USER = 1001
Factory = Callable[..., DiscordFrontend]


@pytest.fixture
async def frontend_for(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[Factory]:
    """Builds started-later frontends on one engine and database; stops them all after."""
    styles = {name: StandInStyle(name) for name in TRANSFORMS}
    config = EngineConfig(device="cpu", max_batch_size=4, max_wait_ms=5.0, bucket_px=32)
    settings = DatabaseSettings(sqlite_path=str(tmp_path / "quota.sqlite3"))
    made: list[DiscordFrontend] = []
    async with Database(settings) as db, Engine(config, styles) as engine:
        quota = QuotaService(db, QuotaSettings(cooldown_s=0))

        def make(shards: int | Literal["auto"], **options: Any) -> DiscordFrontend:
            frontend = make_frontend(
                fake, engine, quota, shards=shards, identify_interval_s=0.0, **options
            )
            made.append(frontend)
            return frontend

        try:
            yield make
        finally:
            for frontend in made:
                await frontend.stop()


async def test_auto_shards_identify_each_shard_and_answer_on_shard_one(
    fake: FakeDiscord, frontend_for: Factory
) -> None:
    fake.shard_count = 2
    frontend = frontend_for("auto")
    assert isinstance(frontend.client, ShardedToonClient)
    await frontend.start()
    assert [c.path for c in fake.calls if c.path == "gateway/bot"] == ["gateway/bot"]
    assert sorted(fake.identifies) == [[0, 2], [1, 2]]  # type: ignore[type-var]
    assert sorted(fake.shard_sessions) == [0, 1]
    assert frontend.client.shard_count == 2

    source = photo_bytes(72, 48)
    record = await fake.toon(USER, fake.upload(source), shard=1)
    [message] = await fake.wait_for(lambda: fake.results(record))
    toon = message["attachments"][0]
    assert toon["filename"] == "toon_webtoon.png"
    pixels = decode_upload(fake.file(toon))
    assert np.abs(pixels.astype(int) - expected_toon(source, "webtoon")).max() <= 1
    assert record.callbacks[0]["type"] == 5


async def test_a_process_runs_only_its_own_shards(fake: FakeDiscord, frontend_for: Factory) -> None:
    # A fixed count needs no /gateway/bot; this process takes shard 1 of 3 only.
    frontend = frontend_for(3, shard_ids=(1,))
    await frontend.start()
    assert fake.identifies == [[1, 3]]
    assert "gateway/bot" not in [c.path for c in fake.calls]
    record = await fake.toon(USER, fake.upload(photo_bytes(40, 40)), "sketch", shard=1)
    [message] = await fake.wait_for(lambda: fake.results(record))
    assert message["attachments"][0]["filename"] == "toon_sketch.png"


async def test_zero_shards_is_one_plain_connection(
    fake: FakeDiscord, frontend_for: Factory
) -> None:
    frontend = frontend_for(0)
    assert type(frontend.client) is ToonClient
    await frontend.start()
    assert fake.identifies == [None]
    assert "gateway/bot" not in [c.path for c in fake.calls]
