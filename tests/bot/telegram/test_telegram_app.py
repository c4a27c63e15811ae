"""`toonbot run` wiring: run_bots starts the Telegram frontend on the real engine and stops cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from bot import messages
from bot.app import run_bots
from bot.config import (
    TELEGRAM_TOKEN_ENV,
    Config,
    ConfigError,
    parse_config,
)
from tests.bot.harness import decode_upload, photo_bytes
from tests.fakes.telegram_server import FakeTelegram

ROOT = Path(__file__).resolve().parents[3]


def config_for(fake: FakeTelegram, tmp_path: Path, token: str) -> Config:
    data = {
        "telegram": {"api_url": fake.url + "/"},
        "database": {"sqlite_path": str(tmp_path / "toonbot.sqlite3")},
        "engine": {"device": "cpu", "max_wait_ms": 5},
        "quota": {"cooldown_s": 0},
    }
    return parse_config(data, env={TELEGRAM_TOKEN_ENV: token})


async def test_run_bots_serves_telegram_with_the_real_styles_until_stopped(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_bots(config_for(fake, tmp_path, fake.token), stop=stop))
    source = photo_bytes(64, 48)
    fake.push_photo(1, source, caption="sketch")
    [photo] = await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=1), timeout=60)
    toon = decode_upload(photo.files["photo"])
    assert toon.shape == (48, 64, 3)
    assert np.abs(toon.astype(int) - decode_upload(source).astype(int)).mean() > 3
    stop.set()
    assert await asyncio.wait_for(task, timeout=30) == 0
    assert (tmp_path / "toonbot.sqlite3").is_file()


async def test_a_refused_token_is_explained_with_exit_code_2(
    fake: FakeTelegram, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(fake, tmp_path, "999:not-the-token")
    assert await asyncio.wait_for(run_bots(config), timeout=30) == 2
    err = capsys.readouterr().err
    assert messages.TG_BAD_TOKEN.format(env=TELEGRAM_TOKEN_ENV) in err
    assert "Traceback" not in err


async def test_toonbot_run_stops_cleanly_on_sigterm(fake: FakeTelegram, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\napi_url = "{fake.url}"\n[engine]\ndevice = "cpu"\n'
        f'[database]\nsqlite_path = "{tmp_path / "toonbot.sqlite3"}"\n'
        '[logging]\nformat = "json"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOONBOT_")}
    env.update(
        {"TOONBOT_CONFIG": str(config), TELEGRAM_TOKEN_ENV: fake.token, "PYTHONPATH": str(ROOT)}
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        fake.push_text(3, "/start")
        await fake.wait_for(lambda: fake.texts(3), timeout=90)
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    # [logging] format = "json" is applied by `toonbot run`: its log lines are JSON objects.
    logged = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    assert any(e["logger"] == "engine.engine" and e["level"] == "info" for e in logged)
    assert any(e["msg"].startswith("toonbot is running") for e in logged)


async def test_telegram_unreachable_at_start_is_explained(
    fake: FakeTelegram, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail_next("getMe", 500)
    config = config_for(fake, tmp_path, fake.token)
    assert await asyncio.wait_for(run_bots(config), timeout=30) == 1
    err = capsys.readouterr().err
    assert messages.TG_START_FAILED.split("{")[0] in err
    assert "Traceback" not in err


def test_api_url_must_be_http() -> None:
    with pytest.raises(ConfigError, match=r"telegram\.api_url must be an http"):
        parse_config({"telegram": {"api_url": "api.telegram.org"}}, env={})
