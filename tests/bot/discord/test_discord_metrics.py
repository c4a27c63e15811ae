"""Discord requests are counted and logged under one job id, like Telegram's."""

from __future__ import annotations

import io
import json
import logging

from prometheus_client import CollectorRegistry

from bot.logsetup import make_handler
from bot.metrics import BotMetrics
from tests.bot.discord.conftest import Toonbot, make_frontend
from tests.bot.harness import photo_bytes

USER = 1001


async def test_delivered_and_failed_pictures_are_counted_and_logged(toonbot: Toonbot) -> None:
    registry = CollectorRegistry()
    await toonbot.frontend.stop()
    toonbot.frontend = make_frontend(
        toonbot.fake, toonbot.engine, toonbot.quota, BotMetrics(registry)
    )
    await toonbot.frontend.start()
    fake = toonbot.fake
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def count(outcome: str) -> float:
        labels = {"platform": "discord", "kind": "photo", "outcome": outcome}
        return registry.get_sample_value("toonbot_requests_total", labels) or 0.0

    try:
        await fake.toon(USER, fake.upload(photo_bytes(64, 48)), "sketch")
        await fake.wait_for(lambda: count("delivered") == 1)
        toonbot.styles["webtoon"].fail = True
        await fake.toon(USER, fake.upload(photo_bytes(64, 48)))
        await fake.wait_for(lambda: count("error") == 1)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    refunds = registry.get_sample_value("toonbot_quota_refunds_total", {"platform": "discord"})
    assert refunds == 1
    finished = [
        entry
        for entry in map(json.loads, stream.getvalue().splitlines())
        if entry["msg"].startswith("request finished")
    ]
    assert [(e["outcome"], e["style"], e["platform"]) for e in finished] == [
        ("delivered", "sketch", "discord"),
        ("error", "webtoon", "discord"),
    ]
    assert finished[0]["job_id"] != finished[1]["job_id"]
