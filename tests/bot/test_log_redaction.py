"""No bot token, interaction token, password or raw user/chat id reaches the log, at any level."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import run_bots
from bot.config import DISCORD_TOKEN_ENV, TELEGRAM_TOKEN_ENV, Config, parse_config
from bot.logsetup import REDACTED, configure_logging, redact
from engine.engine import Engine
from engine.logcontext import bind
from tests.bot.harness import photo_bytes, stand_in_styles
from tests.fakes.discord_server import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeTelegram

# Distinctive ids: a Telegram user id and a Discord snowflake, found nowhere else by chance.
TG_USER = 987_654_321
DC_USER = 712_345_678_901_234_567


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    """The root logger and its library levels, restored after the test."""
    logger = logging.getLogger()
    handlers, level = list(logger.handlers), logger.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    try:
        yield logger
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        for handler in handlers:
            logger.addHandler(handler)
        logger.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


def bot_config(telegram: FakeTelegram, tmp_path: Path) -> Config:
    data = {
        "telegram": {"api_url": telegram.url},
        "database": {"sqlite_path": str(tmp_path / "toonbot.sqlite3")},
        "engine": {"device": "cpu", "max_wait_ms": 5},
        "quota": {"cooldown_s": 0},
    }
    env = {TELEGRAM_TOKEN_ENV: telegram.token, DISCORD_TOKEN_ENV: DISCORD_TOKEN}
    return parse_config(data, env=env)


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_both_bots_at_debug_level_log_no_token_and_no_raw_id(
    fmt: str, root: logging.Logger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    # As `toonbot -v run` sets it up, but without telling the filter the tokens: the patterns
    # alone must catch them (the CLI passes the configured secrets on top).
    configure_logging("debug", "json" if fmt == "json" else "text", out)
    async with FakeTelegram() as telegram, FakeDiscord() as discord_fake:
        discord_fake.patch(monkeypatch)
        config = bot_config(telegram, tmp_path)
        stop = asyncio.Event()
        styles = stand_in_styles()
        task = asyncio.create_task(
            run_bots(config, stop=stop, engine_factory=lambda c: Engine(c.engine, styles))
        )
        await discord_fake.wait_for(lambda: discord_fake.identified, timeout=60)
        source = photo_bytes(64, 48)
        telegram.push_photo(TG_USER, source, caption="sketch")
        record = await discord_fake.toon(DC_USER, discord_fake.upload(source), "sketch")
        await discord_fake.wait_for(lambda: discord_fake.results(record), timeout=60)
        await telegram.wait_for(lambda: telegram.find("sendPhoto", chat_id=TG_USER), timeout=60)
        stop.set()
        assert await asyncio.wait_for(task, timeout=30) == 0
    logged = out.getvalue()
    # The libraries did log their URLs, payloads and updates: the check below is not vacuous.
    assert "telegram.ext.ExtBot" in logged and "discord.webhook" in logged
    assert "/webhooks/" in logged and "getUpdates" in logged and REDACTED in logged
    secret_part = telegram.token.split(":", 1)[1]
    for needle in (telegram.token, secret_part, DISCORD_TOKEN, record.token):
        assert needle not in logged, f"a token is in the log: {needle}"
    for raw_id in (TG_USER, DC_USER):
        assert str(raw_id) not in logged, f"a raw id is in the log: {raw_id}"
    if fmt == "json":
        assert all(json.loads(line) for line in logged.splitlines())


def logged_with(fmt: str, secrets: tuple[str, ...] = ()) -> tuple[io.StringIO, logging.Logger]:
    out = io.StringIO()
    configure_logging("debug", "json" if fmt == "json" else "text", out, secrets=secrets)
    return out, logging.getLogger("some.library")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_tracebacks_args_fields_and_stacks_are_masked(fmt: str, root: logging.Logger) -> None:
    out, log = logged_with(fmt)
    url = "https://api.telegram.org/bot1234567890:AAH-secretSECRETsecretSECRETsecret12/getMe"
    try:
        raise ConnectionError(f"cannot reach {url}")
    except ConnectionError:
        log.exception("request to %s failed", url)
    with bind(user="tg:987654321"):
        log.warning(
            "callback %s for %s",
            "/interactions/1/itoken-abcdef123/callback",
            {"chat": {"id": 987654321, "first_name": "Ann"}},
            extra={"fields": {"chat": "tg:-100987654321"}},
            stack_info=True,
        )
    logged = out.getvalue()
    for leak in ("AAH-secret", "itoken-abcdef123", "987654321", "Ann"):
        assert leak not in logged
    assert "ConnectionError: cannot reach https://api.telegram.org/bot<redacted>/getMe" in logged
    assert "/interactions/1/<redacted>/callback" in logged and "'id': <id>" in logged


def test_configured_secrets_are_masked_verbatim(root: logging.Logger) -> None:
    out, log = logged_with("text", secrets=("hunter2-db-password", "plain-discord-token"))
    log.debug("connecting with %s and %s", "hunter2-db-password", "plain-discord-token")
    log.debug("postgresql+asyncpg://toon:pw123@db/toonbot")
    logged = out.getvalue()
    assert "hunter2" not in logged and "plain-discord-token" not in logged and "pw123" not in logged
    assert logged.count(REDACTED) == 3


def test_redact_leaves_ordinary_numbers_and_urls_alone() -> None:
    line = "listening on http://127.0.0.1:8443/metrics; 1048576 bytes, message_id=5 took 12.5 ms"
    assert redact(line) == line
