"""Expired quota rows go: the service purges them periodically, and the composition root runs
that purge for as long as the bots do (real SQLite files, migrated to head)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from bot import app
from bot.config import ConfigError, DatabaseSettings, QuotaSettings, parse_config
from bot.db import Database
from bot.quota import QuotaService, QuotaUnavailable
from bot.quota.purge import purge_periodically, purging

DAY_S = 86_400
DAY0 = 20_000 * DAY_S  # 2024-10-04 00:00:00 UTC
NOON = DAY0 + 12 * 3600


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def rows(path: Path) -> tuple[int, int]:
    """(usage counters, cooldown marks) in the file, read by a separate connection."""
    with sqlite3.connect(path) as conn:
        counters = conn.execute("SELECT count(*) FROM quota_usage").fetchone()[0]
        marks = conn.execute("SELECT count(*) FROM quota_cooldowns").fetchone()[0]
    return counters, marks


async def eventually(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def consume_at(path: Path, when: float, user: str) -> None:
    """One granted photo at `when`: a usage counter and a cooldown mark."""
    async with Database(DatabaseSettings(sqlite_path=str(path))) as db:
        quota = QuotaService(db, QuotaSettings(cooldown_s=10), clock=Clock(when))
        await quota.consume(user, "tg:-100", platform="telegram")


async def test_periodic_purge_deletes_past_days_and_keeps_today(tmp_path: Path) -> None:
    path = tmp_path / "quota.sqlite3"
    await consume_at(path, NOON, "tg:7")
    clock = Clock(NOON)
    async with Database(DatabaseSettings(sqlite_path=str(path))) as db:
        quota = QuotaService(db, QuotaSettings(cooldown_s=10), clock=clock)
        async with purging(quota, 0.05):
            await asyncio.sleep(0.2)  # several purges: nothing has expired yet
            assert rows(path) == (1, 1)
            clock.now = NOON + 2 * DAY_S  # the next purge finds day 0 and its mark expired
            await quota.consume("tg:8", "tg:-100", platform="telegram")
            await eventually(lambda: rows(path) == (1, 1) and _only_today(path, clock.now))
    assert _only_today(path, clock.now)


def _only_today(path: Path, now: float) -> bool:
    with sqlite3.connect(path) as conn:
        starts = {s for (s,) in conn.execute("SELECT window_start FROM quota_usage")}
        marks = [t for (t,) in conn.execute("SELECT last_at FROM quota_cooldowns")]
    return all(s >= now - now % DAY_S for s in starts) and all(t >= now - DAY_S for t in marks)


class Flaky:
    """A quota whose first purge finds the database unavailable."""

    def __init__(self) -> None:
        self.calls = 0

    async def purge_expired(self) -> int:
        self.calls += 1
        if self.calls == 1:
            raise QuotaUnavailable("database is locked")
        return 3


async def test_a_failed_purge_is_logged_and_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    quota = Flaky()
    task = asyncio.create_task(purge_periodically(quota, 0.01))  # type: ignore[arg-type]
    await eventually(lambda: quota.calls >= 3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "purging expired quota rows failed" in caplog.text
    assert "Traceback" not in caplog.text


async def test_leaving_purging_stops_its_task() -> None:
    quota = Flaky()
    before = asyncio.all_tasks()
    async with purging(quota, 3600):  # type: ignore[arg-type]
        await eventually(lambda: quota.calls == 1)
        assert len(asyncio.all_tasks() - before) == 1
    assert asyncio.all_tasks() == before


@pytest.mark.parametrize("value", [0, 0.5, 86_401, -1])
def test_the_purge_interval_is_checked(value: float) -> None:
    with pytest.raises(ConfigError, match="purge_interval_s must be between 1 and 86400"):
        parse_config({"database": {"purge_interval_s": value}}, env={})


def test_the_purge_interval_defaults_to_an_hour() -> None:
    assert parse_config({}, env={}).database.purge_interval_s == 3600


class NullEngine:
    async def __aenter__(self) -> NullEngine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class NullFrontend:
    """Runs nothing; the test watches the database file meanwhile."""

    async def __aenter__(self) -> NullFrontend:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def notify_restarted(self, charges: Sequence[object]) -> None:
        return None


async def test_the_running_bots_purge_expired_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "toonbot.sqlite3"
    await consume_at(path, time.time() - 3 * DAY_S, "tg:7")  # rows from three days ago
    assert rows(path) == (1, 1)
    config = parse_config(
        {"database": {"sqlite_path": str(path)}, "engine": {"device": "cpu"}}, env={}
    )
    monkeypatch.setitem(app._FACTORIES, "telegram", lambda *_: NullFrontend())
    stop = asyncio.Event()
    serving = asyncio.create_task(
        app._serve(config, ["telegram"], stop, engine_factory=lambda _: NullEngine())  # type: ignore[arg-type,return-value]
    )
    try:
        await eventually(lambda: rows(path) == (0, 0) or serving.done(), timeout=60)
        assert not serving.done()
    finally:
        stop.set()
        assert await asyncio.wait_for(serving, 60) == 0
