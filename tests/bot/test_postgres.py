"""Quotas on a real PostgreSQL started for this module: migrations, the service, and several
bot processes sharing one database's limits."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from bot.config import DatabaseSettings, QuotaSettings
from bot.db import Database, alembic_config, head_revision
from bot.quota import Grant, QuotaExceeded, QuotaService
from tests.bot import quota_worker
from tests.bot.postgres import PostgresCluster, running_postgres

pytest.importorskip("asyncpg")

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    with running_postgres() as started:
        if isinstance(started, str):
            pytest.skip(started)
        yield started


@pytest.fixture
async def url(cluster: PostgresCluster) -> str:
    """A fresh, empty database on the shared cluster for each test."""
    return await cluster.fresh_database()


@pytest.fixture
async def db(url: str) -> AsyncIterator[Database]:
    async with Database(DatabaseSettings(), url) as database:
        yield database


async def test_migrations_reach_head_on_postgresql(db: Database) -> None:
    assert db.dialect == "postgresql"
    assert await db.revision() == head_revision()
    async with db.transaction() as conn:
        tables = set(
            (
                await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            ).scalars()
        )
    assert {"quota_usage", "quota_cooldowns", "chat_limits", "user_preferences"} <= tables


async def test_charge_locale_migrates_down_and_up_again_on_postgresql(url: str) -> None:
    async def charge_columns(db: Database) -> set[str]:
        query = text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'quota_charges'"
        )
        async with db.transaction() as conn:
            return set((await conn.execute(query)).scalars())

    async with Database(DatabaseSettings(), url) as db:
        quota = QuotaService(db, QuotaSettings(cooldown_s=0))
        await quota.consume("tg:1", "tg:1", platform="telegram", notify_chat="1", locale="ko")
        assert "locale" in await charge_columns(db)
        [charge] = await QuotaService(db, QuotaSettings(), instance="other").recover("default")
        assert charge.locale == "ko"  # stored and read back through asyncpg
        await quota.consume("tg:1", "tg:1", platform="telegram", locale="en")

    await asyncio.to_thread(command.downgrade, alembic_config(url), "0002")
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == "0002"
        dropped = await conn.fetchval(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'quota_charges' AND column_name = 'locale'"
        )
        assert dropped == 0
    finally:
        await conn.close()
    async with Database(DatabaseSettings(), url) as db:  # upgrades to head again on entry
        assert await db.revision() == head_revision()
        assert "locale" in await charge_columns(db)
        [kept] = await QuotaService(db, QuotaSettings()).recover()
    assert kept.locale is None  # the open charge survived both; only its language went


async def test_quota_service_counts_refunds_and_remembers_on_postgresql(db: Database) -> None:
    quota = QuotaService(db, QuotaSettings(daily_per_user=3, cooldown_s=0, per_chat_per_hour=0))
    results = await asyncio.gather(
        *(quota.consume("tg:1", "tg:-5", platform="telegram") for _ in range(8)),
        return_exceptions=True,
    )
    grants = [r for r in results if isinstance(r, Grant)]
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert sorted(g.used_today for g in grants) == [1, 2, 3]
    assert len(refused) == 5 and {e.reason for e in refused} == {"daily"}
    await quota.refund(grants[0])
    assert (await quota.status("tg:1", "tg:-5")).remaining_today == 1
    await quota.set_style("tg:1", "cel")
    assert await quota.get_style("tg:1") == "cel"


async def test_processes_started_together_share_exactly_one_limit(url: str, tmp_path: Path) -> None:
    # Three bot processes on one fresh database: they migrate it at the same moment, then each
    # tries LIMIT consumes for the same user at once; PostgreSQL must grant LIMIT in total.
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [url, str(quota_worker.LIMIT), str(go)]
    procs = [
        await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "tests.bot.quota_worker", *args],
            cwd=REPO,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await proc.stdout.readline()
            if line.strip() != b"ready":
                _, err = await proc.communicate()
                pytest.fail(f"worker did not start: {line!r} {err.decode()[-2000:]}")
        go.touch()
        outputs = [await proc.communicate() for proc in procs]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
    granted = [int(out) for out, _ in outputs]
    assert sum(granted) == quota_worker.LIMIT
    async with Database(DatabaseSettings(), url) as db, db.transaction() as conn:
        used = (await conn.execute(text("SELECT used FROM quota_usage"))).scalars().all()
    assert used == [quota_worker.LIMIT]
