"""Platform identity is explicit: the frontend names its platform when it charges, the ledger
stores that name with the open charge, and recovery hands the charge back to that frontend,
whatever the user and chat keys look like. On real SQLite files, migrated like a starting bot."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import DatabaseSettings, OutputSettings, QuotaSettings
from bot.db import Database
from bot.i18n import ENGLISH
from bot.options import StyleChoice
from bot.pipeline import RequestPipeline
from bot.pipeline.adapter import Failure, StatusTexts
from bot.pipeline.flow import PipelineSettings
from bot.quota import QuotaService, RecoveredCharge
from engine.imageio import ImageLimits
from engine.video import OutputKind

LIMITS = QuotaSettings(daily_per_user=5, cooldown_s=0, per_chat_per_hour=0)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "quota.sqlite3"


@pytest.fixture
async def db(path: Path) -> AsyncIterator[Database]:
    async with Database(DatabaseSettings(sqlite_path=str(path))) as database:
        yield database


def stored_platforms(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT platform FROM quota_charges")]


def counted(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT coalesce(sum(used), 0) FROM quota_usage").fetchone()[0])


async def test_a_charge_is_recovered_for_the_platform_that_made_it_not_its_key_prefix(
    db: Database, path: Path
) -> None:
    dead = QuotaService(db, LIMITS, instance="bot-a")
    # Keys without the "dc:" prefix, and a "tg:"-looking key charged by Discord.
    await dead.consume("2002", "guild-7", platform="discord", notify_chat="555")
    await dead.consume("tg:3", "tg:3", platform="discord", notify_chat="556")
    await dead.consume("mx:@ann", "mx:!room", platform="matrix", notify_chat="!room")
    assert stored_platforms(path) == ["discord", "discord", "matrix"]

    recovered = await QuotaService(db, LIMITS, instance="bot-a").recover()

    assert recovered == [
        RecoveredCharge("discord", "2002", "guild-7", notify_chat="555", notify_message=None),
        RecoveredCharge("discord", "tg:3", "tg:3", notify_chat="556", notify_message=None),
        RecoveredCharge("matrix", "mx:@ann", "mx:!room", notify_chat="!room", notify_message=None),
    ]
    assert counted(path) == 0


async def test_recovery_reads_the_stored_platform_of_charges_already_in_the_database(
    db: Database, path: Path
) -> None:
    # A charge an earlier release wrote (it filled the column from the key prefix), and one whose
    # stored platform disagrees with its key: recovery believes the column, never the key.
    with sqlite3.connect(path) as conn:
        for charge_id, platform, user in (
            ("a" * 32, "telegram", "tg:1"),
            ("b" * 32, "discord", "tg:2"),
        ):
            conn.execute(
                "INSERT INTO quota_charges (charge_id, instance, platform, user_key, chat_key,"
                " daily_scope, daily_window, notify_chat, created_at)"
                " VALUES (?, 'default', ?, ?, ?, ?, 0, '9', ?)",
                (charge_id, platform, user, user, f"day {user} {user}", float(ord(charge_id[0]))),
            )
    recovered = await QuotaService(db, LIMITS).recover()
    assert [(c.platform, c.user) for c in recovered] == [("telegram", "tg:1"), ("discord", "tg:2")]


@pytest.mark.parametrize("bad", ["", "Discord", "tele gram", "x" * 17, "dc:"])
async def test_a_charge_without_a_proper_platform_name_is_refused_and_counts_nothing(
    db: Database, path: Path, bad: str
) -> None:
    with pytest.raises(ValueError, match="platform"):
        await QuotaService(db, LIMITS).consume("tg:1", "tg:1", platform=bad)
    assert counted(path) == 0 and stored_platforms(path) == []


class _Status:
    def __init__(self) -> None:
        self.failed: list[str] = []

    async def show(self, text: str) -> None:
        pass

    async def fail(self, text: str) -> None:
        self.failed.append(text)

    async def delete(self) -> None:
        pass

    def offer_cancel(self, job_id: str | None) -> None:
        pass


class _Conversation:
    """A request from a platform whose keys carry no prefix the quota package could know."""

    platform = "matrix"
    user = "@ann:example.org"
    chat = "!room:example.org"
    notify_chat = "!room:example.org"
    notify_message = "$event"
    texts = StatusTexts("started", "started clip", "{position}", "drawing", "{percent}", "big")
    lang = ENGLISH
    errors: tuple[type[Exception], ...] = ()
    moving = False
    size = 1000
    download_cap = None
    upload_limit = 1 << 20
    clip_output: OutputKind = "mp4"
    source_id = None

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self.status = _Status()
        self.charged_as: list[str] = []

    async def acknowledge(self) -> bool:
        return True

    async def show_activity(self) -> None:
        pass

    def animated(self) -> None:
        pass

    async def download(self, limit: int) -> bytes:
        # The charge is open while the media is fetched: see what the ledger holds, then fail.
        self.charged_as = stored_platforms(self._db_path)
        raise Failure("could not fetch")

    async def send_picture(self, *args: object) -> None:
        raise AssertionError("nothing is drawn")

    async def send_clip(self, *args: object) -> None:
        raise AssertionError("nothing is drawn")


class _Engine:
    style_names = ("tiny",)


async def test_the_pipeline_charges_in_the_name_of_the_conversations_platform(
    db: Database, path: Path
) -> None:
    quota = QuotaService(db, LIMITS)
    pipeline = RequestPipeline(
        _Engine(),  # type: ignore[arg-type]  # never asked: the download fails first
        quota,
        PipelineSettings(images=ImageLimits(), output=OutputSettings()),
    )
    conv = _Conversation(path)
    await pipeline.run(conv, StyleChoice("tiny"))  # type: ignore[arg-type]
    assert conv.charged_as == ["matrix"]
    assert conv.status.failed == ["could not fetch"]
    assert counted(path) == 0 and await quota.open_charges() == 0  # refunded
