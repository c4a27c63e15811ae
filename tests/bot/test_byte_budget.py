"""The byte budget for uploads in flight: first come first served, bounded waits that end in
BudgetBusy (with its figures), the [memory] settings, and a Telegram flood told "busy" and
refunded end to end."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.ext import AIORateLimiter

from bot import messages
from bot.budget import BudgetBusy, ByteBudget, shared_budget, upload_cost
from bot.config import ConfigError, DatabaseSettings, OutputSettings, QuotaSettings, parse_config
from bot.db import Database
from bot.quota import QuotaService
from bot.telegram import TelegramFrontend
from engine.config import EngineConfig
from engine.engine import Engine
from engine.imageio import ImageLimits
from tests.bot.charges import charges_closed
from tests.bot.harness import StandInStyle, stand_in_styles
from tests.fakes.clips import make_clip
from tests.fakes.telegram_server import FakeTelegram


async def test_requests_that_fit_go_at_once_and_the_rest_wait_their_turn() -> None:
    budget = ByteBudget(100, wait_s=5)
    first = await budget.reserve(60)
    big = asyncio.create_task(budget.reserve(70))  # must wait for first
    await asyncio.sleep(0.05)
    small = asyncio.create_task(budget.reserve(10))  # fits, but queues behind big: no starving
    await asyncio.sleep(0.05)
    assert not big.done() and not small.done() and budget.in_use == 60
    first.release()
    first.release()  # idempotent
    held_big, held_small = await big, await small
    assert budget.in_use == 80 and budget.peak == 80
    held_big.release()
    held_small.release()
    assert budget.in_use == 0


async def test_a_request_that_finds_no_room_in_time_is_refused_with_the_figures() -> None:
    budget = ByteBudget(100, wait_s=0.2)
    async with await budget.reserve(90):
        with pytest.raises(BudgetBusy) as caught:
            await budget.reserve(20)
    busy = caught.value
    assert (busy.needed, busy.in_use, busy.limit) == (20, 90, 100)
    assert busy.waited_s >= 0.2
    assert budget.in_use == 0 and not budget._waiters
    # A request bigger than the whole budget still runs, alone.
    async with await budget.reserve(10_000) as alone:
        assert alone.nbytes == 100


def test_costs_follow_the_upload_size() -> None:
    mb = 1024 * 1024
    assert upload_cost(20 * mb, moving=True) == 50 * mb  # the 20 MB video: ~50 MB
    assert upload_cost(mb, moving=False) == 11 * mb
    # A picture's pixels never count beyond what the decoder accepts.
    assert upload_cost(20 * mb, moving=False, max_pixels=mb) == 23 * mb


def test_memory_settings_are_typed_and_checked() -> None:
    config = parse_config({"memory": {"inflight_mb": 64, "busy_wait_s": 2}}, {})
    assert (config.memory.inflight_mb, config.memory.busy_wait_s) == (64, 2.0)
    assert parse_config({}, {}).memory.inflight_mb == 256
    for bad in ({"inflight_mb": 0}, {"inflight_mb": "lots"}, {"busy_wait_s": -1}, {"mb": 1}):
        with pytest.raises(ConfigError, match="memory"):
            parse_config({"memory": bad}, {})
    assert shared_budget(64, 2.0) is shared_budget(64, 2.0)  # one per process for a config


Flood = tuple[FakeTelegram, QuotaService, ByteBudget, StandInStyle]


@functools.cache
def clip() -> bytes:
    """One clip for the whole flood: the encoder's output size varies by a few bytes from one
    call to the next, and the budget is sized from it to the byte."""
    return make_clip(audio=False)


@pytest.fixture
async def flood(tmp_path: Path) -> AsyncIterator[Flood]:
    styles = stand_in_styles()
    styles["webtoon"].hold()  # clips keep their bytes reserved until drawn
    clip_cost = upload_cost(len(clip()), moving=True)
    budget = ByteBudget(clip_cost * 2, wait_s=0.3)  # room for two clips at once
    config = EngineConfig(device="cpu", max_batch_size=8, max_wait_ms=5.0, bucket_px=32)
    database = DatabaseSettings(sqlite_path=str(tmp_path / "quota.sqlite3"))
    async with (
        FakeTelegram() as fake,
        Database(database) as db,
        Engine(config, styles) as engine,
    ):
        quota = QuotaService(db, QuotaSettings(daily_per_user=20, cooldown_s=0))
        frontend = TelegramFrontend(
            fake.token,
            engine,
            quota,
            images=ImageLimits(),
            output=OutputSettings(),
            default_style="webtoon",
            base_url=fake.base_url,
            base_file_url=fake.base_file_url,
            rate_limiter=AIORateLimiter(overall_max_rate=0, group_max_rate=0),
            status_interval_s=0.02,
            poll_timeout_s=1,
            budget=budget,
        )
        try:
            async with frontend:
                yield fake, quota, budget, styles["webtoon"]
        finally:
            styles["webtoon"].allow(100)


async def test_a_flood_of_clips_over_the_budget_is_told_busy_and_refunded(flood: Flood) -> None:
    fake, quota, budget, model = flood
    users = range(2001, 2006)
    for user in users:
        fake.push_video(user, clip())

    def busy() -> list[int]:
        return [u for u in users if messages.UPLOADS_BUSY in fake.texts(u)]

    await fake.wait_for(lambda: len(busy()) == 3)  # two fit, three wait 0.3 s and give up
    assert budget.in_use == budget.limit
    model.allow(100)
    await fake.wait_for(lambda: len([u for u in users if fake.find("sendVideo", chat_id=u)]) == 2)
    await charges_closed(quota)
    assert budget.in_use == 0 and budget.peak <= budget.limit
    drawn = [u for u in users if fake.find("sendVideo", chat_id=u)]
    assert sorted(drawn + busy()) == list(users)
    for user in users:  # delivered ones charged once, busy ones refunded
        used = (await quota.status(f"tg:{user}", f"tg:{user}")).used_today
        assert used == (1 if user in drawn else 0)
