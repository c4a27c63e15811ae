"""Structured logs: one job id follows a photo from the update to the delivered reply."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.logsetup import make_handler
from bot.tracking import user_tag
from tests.bot.harness import photo_bytes
from tests.bot.telegram.conftest import Toonbot

USER = 4242


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above, as the JSON handler of `toonbot run` writes it."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_received_queued_and_delivered_lines_share_the_job_id(
    toonbot: Toonbot, json_lines: io.StringIO
) -> None:
    fake = toonbot.fake
    fake.push_photo(USER, photo_bytes(), caption="sketch")
    await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER))
    await fake.wait_for(lambda: "request finished" in json_lines.getvalue())

    entries = parsed(json_lines)
    for entry in entries:
        assert {"ts", "level", "logger", "msg"} <= entry.keys()
    mine = [e for e in entries if "job_id" in e]
    by_msg = {e["msg"]: e for e in mine}
    assert {"request received", "queued", "request finished: delivered"} <= by_msg.keys()
    assert len({e["job_id"] for e in mine}) == 1
    finished = by_msg["request finished: delivered"]
    assert finished["platform"] == "telegram" and finished["kind"] == "photo"
    assert finished["style"] == "sketch" and finished["outcome"] == "delivered"
    assert finished["level"] == "info" and finished["logger"] == "toonbot.requests"
    assert isinstance(finished["duration_ms"], float) and finished["duration_ms"] >= 0
    # Users appear under a pseudonym, never their platform id.
    assert finished["user"] == user_tag(f"tg:{USER}") and str(USER) not in finished["user"]


async def test_a_refused_photo_logs_its_outcome(toonbot: Toonbot, json_lines: io.StringIO) -> None:
    fake = toonbot.fake
    await toonbot.quota.set_chat_limits(f"tg:{USER}", daily_per_user=0, updated_by="tg:0")
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: "request finished" in json_lines.getvalue())
    [finished] = [e for e in parsed(json_lines) if e["msg"].startswith("request finished")]
    assert finished["outcome"] == "refused_quota" and finished["style"] == "webtoon"
    assert toonbot.images_drawn == 0
