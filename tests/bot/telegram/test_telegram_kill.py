"""A real `toonbot run` process SIGKILLed with a picture in flight: no unit lost, none charged twice.

test_telegram_restart.py simulates the crash inside one process; here the operating system kills
the bot, so nothing of it survives but the SQLite file, and the next start must put things right.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from bot import messages
from bot.config import TELEGRAM_TOKEN_ENV, DatabaseSettings, QuotaSettings
from bot.db import Database
from bot.quota import QuotaService
from tests.bot.harness import photo_bytes
from tests.fakes.telegram_server import Call, FakeTelegram

ROOT = Path(__file__).resolve().parents[3]
USER = 4242
KEY = f"tg:{USER}"
# A process start imports torch and PTB: generous on a loaded machine, never a timing assertion.
START_S = 120.0

# The first process: the batcher holds a lone job up to 10 s (the most max_wait_ms allows),
# waiting for company, so the picture is surely still in flight, charged and undelivered, when
# the test kills the process right after its status says the engine has it. (Were the machine
# ever too slow for that, the test fails saying so rather than passing.)
HOLD = "max_batch_size = 8\nmax_wait_ms = 10000\nsplit_cpu_batches = false\n"
QUICK = "max_wait_ms = 5\n"


def write_config(fake: FakeTelegram, tmp_path: Path, name: str, engine: str) -> Path:
    """A config.toml for `toonbot run` on the shared SQLite file, with `engine` settings added."""
    # One unit a day and an hour's cooldown: only a refund of both lets the user draw again.
    path = tmp_path / name
    path.write_text(
        f'[telegram]\napi_url = "{fake.url}"\n'
        '[engine]\ndevice = "cpu"\nperson_aware = false\ntorch_threads = 1\n'
        + engine
        + f'[database]\nsqlite_path = "{tmp_path / "toonbot.sqlite3"}"\n'
        "[quota]\ndaily_per_user = 1\ncooldown_s = 3600\nper_chat_per_hour = 0\n"
        f'[models]\ncache_dir = "{tmp_path / "models"}"\n'
    )
    return path


@contextlib.asynccontextmanager
async def toonbot_run(
    fake: FakeTelegram, config: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`toonbot run` as a real child process with this worktree's code; killed if still alive."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOONBOT_")}
    env.update(
        {"TOONBOT_CONFIG": str(config), TELEGRAM_TOKEN_ENV: fake.token, "PYTHONPATH": str(ROOT)}
    )
    # Logs go to a file: a pipe nobody reads could fill up and stall the bot.
    with config.with_suffix(".log").open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            cwd=config.parent,
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            yield proc
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def until(
    fake: FakeTelegram,
    proc: asyncio.subprocess.Process,
    config: Path,
    predicate: Callable[[], object],
) -> None:
    """Wait (boundedly) for predicate(); fail at once, with the bot's log, if the bot exits."""
    await fake.wait_for(lambda: proc.returncode is not None or predicate(), START_S)
    assert proc.returncode is None, config.with_suffix(".log").read_text()


async def running(fake: FakeTelegram, proc: asyncio.subprocess.Process, config: Path) -> None:
    """Until the bot says it is running: by then it has recovered and sent its notices."""
    log = config.with_suffix(".log")
    await until(fake, proc, config, lambda: "toonbot is running" in log.read_text())


async def stop(proc: asyncio.subprocess.Process, config: Path) -> None:
    """SIGTERM: the bot finishes what it has in hand and exits 0."""
    proc.send_signal(signal.SIGTERM)
    await asyncio.wait_for(proc.wait(), timeout=60)
    log = config.with_suffix(".log").read_text()
    assert proc.returncode == 0, log
    assert "Traceback" not in log


async def ledger(tmp_path: Path) -> tuple[int, int]:
    """(units the user has used today, charges open) as the database file says."""
    settings = DatabaseSettings(sqlite_path=str(tmp_path / "toonbot.sqlite3"))
    async with Database(settings) as db:
        quota = QuotaService(db, QuotaSettings())
        return (await quota.status(KEY, KEY)).used_today, await quota.open_charges()


def edits(fake: FakeTelegram) -> list[Call]:
    """Status edits ("Queued…", "Drawing…"): the engine has the job."""
    return fake.find("editMessageText", chat_id=USER)


def confirmed(fake: FakeTelegram, message_id: int) -> bool:
    """Whether the bot polled again after receiving `message_id`, which confirms that update.

    Killed before that, the next start would get the photo again (as from real Telegram).
    """
    polls = fake.find("getUpdates")
    for i, call in enumerate(polls):
        if any(u.get("message", {}).get("message_id") == message_id for u in call.result or []):
            return i + 1 < len(polls)
    return False


def answers(fake: FakeTelegram, message_id: int) -> list[Call]:
    """The bot's final answers to `message_id`: a picture, or a text other than its status."""
    return [
        c
        for c in fake.find("sendPhoto", chat_id=USER) + fake.find("sendMessage", chat_id=USER)
        if (c.params.get("reply_parameters") or {}).get("message_id") == message_id
        and c.params.get("text") != messages.TG_STATUS_STARTED
    ]


def restarted(fake: FakeTelegram) -> list[Call]:
    return [
        c for c in fake.find("sendMessage", chat_id=USER) if c.params["text"] == messages.RESTARTED
    ]


async def test_sigkill_with_a_picture_in_flight_refunds_it_once_on_the_next_start(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    held = write_config(fake, tmp_path, "held.toml", HOLD)
    async with toonbot_run(fake, held) as proc:
        sent = fake.push_photo(USER, photo_bytes())
        await until(fake, proc, held, lambda: edits(fake) and confirmed(fake, sent["message_id"]))
        proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not fake.find("sendPhoto", chat_id=USER), "the held picture was delivered anyway"
    # Charged and never delivered: the unit is used and its charge stays open in the file.
    assert await ledger(tmp_path) == (1, 1)

    quick = write_config(fake, tmp_path, "quick.toml", QUICK)
    async with toonbot_run(fake, quick) as proc:
        await running(fake, proc, quick)
        [notice] = restarted(fake)
        assert notice.params["reply_parameters"]["message_id"] == sent["message_id"]
        # The refund gave back the day's only unit and the cooldown: a new photo is drawn.
        again = fake.push_photo(USER, photo_bytes())
        [answer] = await fake.wait_for(lambda: answers(fake, again["message_id"]), 60)
        assert answer.method == "sendPhoto", answer.params.get("text")
        await stop(proc, quick)
    assert await ledger(tmp_path) == (1, 0)

    # A third start has nothing left to refund: the user hears about the restart only once.
    async with toonbot_run(fake, quick) as proc:
        await running(fake, proc, quick)
        await stop(proc, quick)
    assert len(restarted(fake)) == 1
    assert len(fake.find("sendPhoto", chat_id=USER)) == 1
    assert await ledger(tmp_path) == (1, 0)
