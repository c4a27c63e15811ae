"""`toonbot doctor` against the fake Telegram and Discord APIs, real SQLite files and model cards."""

from __future__ import annotations

import hashlib
import io
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import (
    DATABASE_URL_ENV,
    DISCORD_TOKEN_ENV,
    TELEGRAM_TOKEN_ENV,
    Config,
    DatabaseSettings,
    parse_config,
)
from bot.db import Database, head_revision
from bot.doctor import Check, gather_checks, print_checks
from tests.bot.tiny_models import tiny_onnx
from tests.fakes.discord_server import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeTelegram


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def discord_api() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


def make_config(
    tmp_path: Path, env: dict[str, str], fake_tg: FakeTelegram | None = None, **extra: Any
) -> Config:
    data: dict[str, Any] = {
        "database": {"sqlite_path": str(tmp_path / "toonbot.sqlite3")},
        "engine": {"device": "cpu"},
        "models": {"cards_dir": str(tmp_path / "cards"), "cache_dir": str(tmp_path / "cache")},
        **extra,
    }
    if fake_tg is not None:
        data["telegram"] = {"api_url": fake_tg.url}
    return parse_config(data, env=env)


async def migrated(tmp_path: Path) -> None:
    async with Database(DatabaseSettings(sqlite_path=str(tmp_path / "toonbot.sqlite3"))):
        pass


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


async def test_valid_tokens_and_a_migrated_database_pass(
    tmp_path: Path, telegram: FakeTelegram, discord_api: FakeDiscord
) -> None:
    await migrated(tmp_path)
    env = {TELEGRAM_TOKEN_ENV: telegram.token, DISCORD_TOKEN_ENV: DISCORD_TOKEN}
    checks = await gather_checks(
        make_config(tmp_path, env, telegram), discord_api=discord_api.api_base
    )
    found = by_name(checks)
    assert found["telegram token"].status == "OK" and "valid: @" in found["telegram token"].detail
    assert found["discord token"].status == "OK" and "ToonBot" in found["discord token"].detail
    assert found["database"].status == "OK" and head_revision() in found["database"].detail
    assert found["device"].status == "OK" and found["device"].detail.startswith("cpu")
    assert found["encoder libx264"].status == "OK"
    assert found["styles"].detail.startswith("webtoon")
    assert not [c for c in checks if c.status == "FAIL"]


async def test_refused_tokens_fail_with_a_hint(
    tmp_path: Path, telegram: FakeTelegram, discord_api: FakeDiscord
) -> None:
    await migrated(tmp_path)
    env = {TELEGRAM_TOKEN_ENV: "1:wrong", DISCORD_TOKEN_ENV: "wrong"}
    checks = await gather_checks(
        make_config(tmp_path, env, telegram), discord_api=discord_api.api_base
    )
    found = by_name(checks)
    for name in ("telegram token", "discord token"):
        assert found[name].status == "FAIL"
        assert "refused by the API (HTTP 401)" in found[name].detail
        assert found[name].hint == "check the token"
    out = io.StringIO()
    print_checks(checks, out)
    assert "FAIL  telegram token" in out.getvalue() and "-> check the token" in out.getvalue()


async def test_an_unreachable_api_fails_quickly(tmp_path: Path) -> None:
    await migrated(tmp_path)
    closed = FakeTelegram()
    async with closed:
        url = closed.url  # nothing listens here once the fake has stopped
    data = {"telegram": {"api_url": url}, "discord": {"enabled": False}}
    config = make_config(tmp_path, {TELEGRAM_TOKEN_ENV: "1:x"}, **data)
    found = by_name(await gather_checks(config))
    assert found["telegram token"].status == "FAIL"
    assert "unreachable" in found["telegram token"].detail
    assert found["discord token"].detail == "[discord] enabled = false"


def test_missing_tokens_fail_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nsqlite_path = "{tmp_path / "db.sqlite3"}"\n')
    for name in (TELEGRAM_TOKEN_ENV, DISCORD_TOKEN_ENV, DATABASE_URL_ENV):
        monkeypatch.delenv(name, raising=False)
    assert main(["--config", str(config), "doctor", "--offline"]) == 1
    out = capsys.readouterr().out
    assert f"WARN  telegram token    {TELEGRAM_TOKEN_ENV} is not set" in out
    assert "FAIL  frontends" in out
    # The doctor only looks: it must not create the database it reports missing, and a first
    # start creates it, so that is no warning.
    assert "OK    database" in out and "does not exist yet; toonbot run" in out
    assert not (tmp_path / "db.sqlite3").exists()


async def test_offline_skips_the_network_and_passes_with_a_token(tmp_path: Path) -> None:
    await migrated(tmp_path)
    # An api_url nothing answers on: --offline must not try it.
    data = {"telegram": {"api_url": "http://127.0.0.1:9"}}
    config = make_config(tmp_path, {TELEGRAM_TOKEN_ENV: "1:x"}, **data)
    checks = await gather_checks(config, offline=True)
    assert by_name(checks)["telegram token"].detail == "set (not checked: --offline)"
    assert not [c for c in checks if c.status == "FAIL"]


async def test_database_behind_head_warns_and_unreachable_fails_masked(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "toonbot.sqlite3").close()  # exists, never migrated
    found = by_name(await gather_checks(make_config(tmp_path, {}), offline=True))
    assert found["database"].status == "WARN"
    assert "at revision none" in found["database"].detail
    assert found["database"].hint.startswith("toonbot db upgrade")

    # A revision this version doesn't ship: a newer ToonBot migrated it; running would misread it.
    with sqlite3.connect(tmp_path / "toonbot.sqlite3") as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999_future')")
    found = by_name(await gather_checks(make_config(tmp_path, {}), offline=True))
    assert found["database"].status == "FAIL"
    assert "migrated by a newer ToonBot" in found["database"].detail

    url = "postgresql+asyncpg://toon:hunter2@127.0.0.1:9/toonbot"
    found = by_name(
        await gather_checks(make_config(tmp_path, {DATABASE_URL_ENV: url}), offline=True)
    )
    assert found["database"].status == "FAIL" and "unreachable" in found["database"].detail
    assert "hunter2" not in found["database"].detail and "***" in found["database"].detail


async def test_model_weights_are_checked_against_the_card(tmp_path: Path) -> None:
    cards, cache = tmp_path / "cards", tmp_path / "cache"
    cards.mkdir()
    cache.mkdir()
    weights = tiny_onnx()  # a real model: the doctor loads each installed one
    digest = hashlib.sha256(weights).hexdigest()
    for name, sha in (("good", digest), ("bad", "0" * 64), ("loose", ""), ("absent", digest)):
        (cards / f"{name}.toml").write_text(
            f'name = "{name}"\ndescription = "test"\nformat = "onnx"\nfile = "{name}.onnx"\n'
            f'sha256 = "{sha}"\nurl = "https://example.invalid/{name}.onnx"\n'
            'licence = "test"\ncommercial_use = true\nlayout = "NHWC"\nrange = "[-1,1]"\n'
            "size_multiple = 8\n"
        )
        if name != "absent":
            (cache / f"{name}.onnx").write_bytes(weights)
    found = by_name(await gather_checks(make_config(tmp_path, {}), offline=True))
    assert found["model good"].status == "OK" and "verified" in found["model good"].detail
    assert found["model bad"].status == "FAIL" and "checksum mismatch" in found["model bad"].detail
    assert found["model loose"].status == "WARN" and "unverified" in found["model loose"].detail
    assert found["model absent"].hint == "toonbot models pull absent"
    assert "good" in found["styles"].detail
