"""`toonbot run` with both bots on one engine and database, and `toonbot discord-sync`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from bot import messages
from bot.app import run_bots
from bot.cli import main
from bot.config import DISCORD_TOKEN_ENV, TELEGRAM_TOKEN_ENV, parse_config
from bot.discord import sync_commands
from tests.bot.harness import decode_upload, photo_bytes
from tests.fakes.discord_server import TOKEN, FakeDiscord
from tests.fakes.telegram_server import FakeTelegram

STYLES = ("webtoon", "manhwa", "sketch", "classic")
COMMANDS = [
    "Toonify",
    "toon",
    "toon-admin",
    "toon-forget",
    "toon-help",
    "toon-privacy",
    "toon-quota",
    "toon-style",
]


async def test_run_serves_discord_and_telegram_together(fake: FakeDiscord, tmp_path: Path) -> None:
    async with FakeTelegram() as telegram:
        data = {
            "telegram": {"api_url": telegram.url},
            "database": {"sqlite_path": str(tmp_path / "toonbot.sqlite3")},
            "engine": {"device": "cpu", "max_wait_ms": 5},
            "quota": {"cooldown_s": 0},
        }
        env = {TELEGRAM_TOKEN_ENV: telegram.token, DISCORD_TOKEN_ENV: TOKEN}
        stop = asyncio.Event()
        task = asyncio.create_task(run_bots(parse_config(data, env=env), stop=stop))
        await fake.wait_for(lambda: fake.identified, timeout=60)
        source = photo_bytes(64, 48)
        telegram.push_photo(1, source, caption="sketch")
        record = await fake.toon(7, fake.upload(source), "sketch")
        [message] = await fake.wait_for(lambda: fake.results(record), timeout=60)
        await telegram.wait_for(lambda: telegram.find("sendPhoto", chat_id=1), timeout=60)
        toon = decode_upload(fake.file(message["attachments"][0]))
        assert toon.shape == (48, 64, 3)
        assert np.abs(toon.astype(int) - decode_upload(source).astype(int)).mean() > 3
        stop.set()
        assert await asyncio.wait_for(task, timeout=30) == 0


async def test_a_refused_discord_token_is_explained_with_exit_code_2(
    fake: FakeDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = {"database": {"sqlite_path": str(tmp_path / "toonbot.sqlite3")}}
    config = parse_config(data, env={DISCORD_TOKEN_ENV: "not-the-token"})
    assert await asyncio.wait_for(run_bots(config), timeout=30) == 2
    err = capsys.readouterr().err
    assert messages.DC_BAD_TOKEN.format(env=DISCORD_TOKEN_ENV) in err
    assert "Traceback" not in err


async def test_discord_sync_overwrites_global_and_guild_commands(fake: FakeDiscord) -> None:
    assert await sync_commands(TOKEN, STYLES) == 8
    assert sorted(c["name"] for c in fake.commands["global"]) == COMMANDS
    by_name = {c["name"]: c for c in fake.commands["global"]}
    toon = by_name["toon"]
    [style] = [o for o in toon["options"] if o["name"] == "style"]
    assert [c["value"] for c in style["choices"]] == list(STYLES)
    assert by_name["Toonify"]["type"] == 3
    admin = by_name["toon-admin"]
    assert int(admin["default_member_permissions"]) == 1 << 5  # manage_guild
    assert admin["dm_permission"] is False
    assert {o["name"] for o in admin["options"]} == {
        "limits",
        "set-daily",
        "set-hourly",
        "set-cooldown",
        "set-style",
    }
    assert await sync_commands(TOKEN, STYLES, guild_id=42) == 8
    assert sorted(c["name"] for c in fake.commands["42"]) == COMMANDS
    # Only REST: syncing never opens the gateway.
    assert fake.identified == 0


async def test_toonbot_discord_sync_command(
    fake: FakeDiscord,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    monkeypatch.setenv("TOONBOT_CONFIG", str(config))
    monkeypatch.setenv(DISCORD_TOKEN_ENV, TOKEN)
    # main() runs its own event loop: off this one, which serves the fake.
    assert await asyncio.to_thread(main, ["discord-sync", "--guild", "42"]) == 0
    assert sorted(c["name"] for c in fake.commands["42"]) == COMMANDS
    assert "synced 8 commands to server 42" in capsys.readouterr().out
    monkeypatch.setenv(DISCORD_TOKEN_ENV, "wrong")
    assert await asyncio.to_thread(main, ["discord-sync"]) == 2
    assert "global" not in fake.commands


async def test_discord_unreachable_at_start_is_explained(
    fake: FakeDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail_next("GET", "users/@me", 403)
    data = {"database": {"sqlite_path": str(tmp_path / "toonbot.sqlite3")}}
    config = parse_config(data, env={DISCORD_TOKEN_ENV: TOKEN})
    assert await asyncio.wait_for(run_bots(config), timeout=30) == 1
    err = capsys.readouterr().err
    assert messages.DC_START_FAILED.split("{")[0] in err
    assert "Traceback" not in err
