"""Hygiene: user tags keyed with a per-install secret (0600), and a clean stop logs no error."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import tracking
from bot.app import run_bots
from bot.config import TELEGRAM_TOKEN_ENV, parse_config
from bot.messages import CLI_INTERRUPTED
from bot.tracking import TAG_KEY_FILE, load_tag_key, use_tag_key, user_tag
from tests.bot.harness import photo_bytes
from tests.fakes.telegram_server import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def restore_key() -> Iterator[None]:
    """The process's tag key, put back after the test."""
    key = tracking._tag_key
    try:
        yield
    finally:
        use_tag_key(key)


def unkeyed(user: str) -> str:
    """The tag as it was before: anyone could compute it for every possible id."""
    return hashlib.blake2b(user.encode(), digest_size=6, person=b"toonbot-user").hexdigest()


@pytest.mark.usefixtures("restore_key")
def test_the_log_key_is_created_once_with_mode_0600_and_keys_the_tags(tmp_path: Path) -> None:
    path = tmp_path / "state" / TAG_KEY_FILE
    key = load_tag_key(path)
    assert len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_tag_key(path) == key, "the second start reuses it"
    use_tag_key(key)
    tag = user_tag("tg:4242")
    assert tag == user_tag("tg:4242") and len(tag) == 12
    assert tag != unkeyed("tg:4242"), "the tag is not the public, unkeyed hash"
    use_tag_key(load_tag_key(tmp_path / "other" / TAG_KEY_FILE))
    assert user_tag("tg:4242") != tag, "another install's tags differ"


def test_a_damaged_key_file_is_refused_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / TAG_KEY_FILE
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match="not a log key"):
        load_tag_key(path)
    assert path.read_bytes() == b"short"


@pytest.mark.usefixtures("restore_key")
async def test_run_keeps_its_key_beside_the_database(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        data = {
            "telegram": {"api_url": fake.url},
            "database": {"sqlite_path": str(tmp_path / "toonbot.sqlite3")},
            "engine": {"device": "cpu"},
        }
        stop = asyncio.Event()
        stop.set()  # start, then stop at once
        config = parse_config(data, env={TELEGRAM_TOKEN_ENV: fake.token})
        assert await asyncio.wait_for(run_bots(config, stop=stop), timeout=60) == 0
    key_file = tmp_path / TAG_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert tracking._tag_key == key_file.read_bytes()


async def start_toonbot(fake: FakeTelegram, tmp_path: Path) -> asyncio.subprocess.Process:
    """`toonbot -v run` in its own process against the fake, logging JSON to stderr."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\napi_url = "{fake.url}"\n[engine]\ndevice = "cpu"\nperson_aware = false\n'
        f'[database]\nsqlite_path = "{tmp_path / "toonbot.sqlite3"}"\n'
        '[logging]\nformat = "json"\n[quota]\ncooldown_s = 0\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOONBOT_")}
    env.update(
        {"TOONBOT_CONFIG": str(config), TELEGRAM_TOKEN_ENV: fake.token, "PYTHONPATH": str(ROOT)}
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "-v",
        "run",
        cwd=tmp_path,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )


async def stopped(proc: asyncio.subprocess.Process, sig: signal.Signals) -> tuple[int, str]:
    try:
        proc.send_signal(sig)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


def assert_no_error_logged(err: str) -> None:
    assert "Traceback" not in err, err
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    bad = [r for r in records if r["level"] in ("error", "critical")]
    assert not bad, bad


async def test_ctrl_c_while_starting_up_exits_quietly(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        proc = await start_toonbot(fake, tmp_path)
        await asyncio.sleep(0.5)  # still importing torch, PyAV and the bots
        code, err = await stopped(proc, signal.SIGINT)
    assert_no_error_logged(err)
    # Either it was still importing (one line, 130) or already up and stopped as asked (0).
    assert (code, err.strip()) == (130, f"toonbot: {CLI_INTERRUPTED}") or code == 0, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_a_signal_with_a_picture_in_flight_finishes_it_and_logs_no_error(
    sig: signal.Signals, tmp_path: Path
) -> None:
    async with FakeTelegram() as fake:
        proc = await start_toonbot(fake, tmp_path)
        fake.push_text(3, "/start")
        await fake.wait_for(lambda: fake.texts(3), timeout=90)
        fake.push_photo(3, photo_bytes(640, 480), caption="webtoon")
        await fake.wait_for(lambda: fake.find("sendChatAction", chat_id=3), timeout=30)
        code, err = await stopped(proc, sig)
        assert fake.find("sendPhoto", chat_id=3), "the picture in progress was delivered"
    assert code == 0, err
    assert_no_error_logged(err)
    assert any('"msg": "engine stopped"' in line for line in err.splitlines())
