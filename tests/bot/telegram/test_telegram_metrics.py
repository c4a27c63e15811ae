"""`toonbot run` with [metrics] port set: a real Prometheus scrape after photos went through."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from bot import messages
from bot.app import _metrics, run_bots
from bot.config import TELEGRAM_TOKEN_ENV, Config, parse_config
from bot.metrics import BotMetrics
from tests.bot.harness import photo_bytes
from tests.bot.telegram.conftest import Toonbot, make_frontend
from tests.fakes.telegram_server import FakeTelegram

USER = 77


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_for(fake: FakeTelegram, tmp_path: Path, port: int) -> Config:
    data = {
        "telegram": {"api_url": fake.url},
        "database": {"sqlite_path": str(tmp_path / "toonbot.sqlite3")},
        "engine": {"device": "cpu", "max_wait_ms": 5, "person_aware": False},
        "quota": {"cooldown_s": 0, "daily_per_user": 1},
        "metrics": {"port": port},
    }
    return parse_config(data, env={TELEGRAM_TOKEN_ENV: fake.token})


async def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as resp,
    ):
        assert resp.status == 200
        assert resp.headers["Content-Type"] == CONTENT_TYPE_LATEST
        text = await resp.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_requests_and_engine_jobs_are_scraped_with_their_labels(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(run_bots(config_for(fake, tmp_path, port), stop=stop))
    try:
        fake.push_photo(USER, photo_bytes(64, 48), caption="sketch")
        await fake.wait_for(lambda: fake.find("sendPhoto", chat_id=USER), timeout=60)
        fake.push_photo(USER, photo_bytes(64, 48))  # over the daily limit of 1
        prefix = messages.DAILY_LIMIT_ONE.split("{")[0]
        await fake.wait_for(
            lambda: [
                c
                for c in fake.find("sendMessage", chat_id=USER)
                if c.params["text"].startswith(prefix)
            ]
        )

        async def settled() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
            # The refusal is counted just after its reply is sent: scrape until it shows.
            for _ in range(100):
                got = await scrape(port)
                if len([k for k in got if k[0] == "toonbot_requests_total"]) >= 2:
                    return got
                await asyncio.sleep(0.05)
            raise AssertionError("requests never counted")

        samples = await settled()
    finally:
        stop.set()
        assert await asyncio.wait_for(task, timeout=30) == 0

    def value(name: str, **labels: str) -> float:
        return samples.get((name, frozenset(labels.items())), 0.0)

    tg = {"platform": "telegram", "kind": "photo"}
    assert value("toonbot_requests_total", **tg, outcome="delivered") == 1
    assert value("toonbot_requests_total", **tg, outcome="refused_quota") == 1
    assert value("toonbot_quota_refunds_total", platform="telegram") == 0
    assert value("toonbot_engine_jobs_total", outcome="ok", style="sketch") == 1
    assert value("toonbot_engine_job_seconds_count", style="sketch") == 1
    assert value("toonbot_engine_batch_size_count") == 1
    assert value("toonbot_engine_inference_seconds_count") == 1
    assert value("toonbot_engine_queue_wait_seconds_count") == 1
    assert value("toonbot_engine_queue_depth") == 0


def test_metrics_are_off_unless_a_port_is_set() -> None:
    config = parse_config({}, env={})
    assert config.metrics.port == 0 and config.metrics.host == "127.0.0.1"
    engine_metrics, bot_metrics, server = _metrics(config)
    assert engine_metrics is None and bot_metrics is None
    assert isinstance(server, contextlib.nullcontext)


async def test_a_taken_metrics_port_stops_start_up_with_a_clear_line(
    fake: FakeTelegram, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        code = await asyncio.wait_for(run_bots(config_for(fake, tmp_path, port)), timeout=60)
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("toonbot: cannot serve metrics on 127.0.0.1:") and str(port) in err


async def test_failed_and_undecodable_photos_count_as_error_and_bad_input_with_refunds(
    toonbot: Toonbot,
) -> None:
    registry = CollectorRegistry()
    await toonbot.frontend.stop()
    toonbot.frontend = make_frontend(
        toonbot.fake, toonbot.engine, toonbot.quota, metrics=BotMetrics(registry)
    )
    await toonbot.frontend.start()
    fake = toonbot.fake

    def count(outcome: str) -> float:
        labels = {"platform": "telegram", "kind": "photo", "outcome": outcome}
        return registry.get_sample_value("toonbot_requests_total", labels) or 0.0

    toonbot.styles["webtoon"].fail = True
    fake.push_photo(USER, photo_bytes())
    await fake.wait_for(lambda: count("error") == 1)
    fake.push_document(
        USER, b"this is not a photo at all", file_name="a.jpg", mime_type="image/jpeg"
    )
    await fake.wait_for(lambda: count("bad_input") == 1)
    refunds = registry.get_sample_value("toonbot_quota_refunds_total", {"platform": "telegram"})
    assert refunds == 2
    assert count("delivered") == 0
