"""The quota database deleted while the Discord bot runs: /toon-quota and the admin commands
answer "quota unavailable" privately instead of failing, and log no traceback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import messages
from tests.bot.discord.conftest import Toonbot
from tests.fakes.discord_objects import MANAGE_GUILD
from tests.fakes.discord_objects import MEMBER_PERMISSIONS as MEMBER

USER = 1001


async def test_quota_and_admin_commands_say_unavailable_when_the_database_is_gone(
    toonbot: Toonbot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = toonbot.fake
    (tmp_path / "quota.sqlite3").unlink()
    records = [
        await fake.command(USER, "toon-quota"),
        await fake.admin(USER, "limits", None, permissions=MEMBER | MANAGE_GUILD),
        await fake.admin(USER, "set-daily", 3, permissions=MEMBER | MANAGE_GUILD),
    ]
    for record in records:
        await fake.wait_for(lambda r=record: fake.ephemeral_texts(r))
        assert fake.ephemeral_texts(record) == [messages.QUOTA_UNAVAILABLE]
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert all(r.name == "bot.db" for r in problems)  # the loss, and no traceback
