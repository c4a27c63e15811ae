"""The composition root turns start-up failures into one clear line and an exit code."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import _serve
from bot.config import parse_config


async def test_a_broken_model_card_stops_start_up_with_its_file_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cards = tmp_path / "cards"
    cards.mkdir()
    (cards / "broken.toml").write_text('name = "x"\nformat = "gif"\n')
    config = parse_config(
        {
            "database": {"sqlite_path": str(tmp_path / "db.sqlite3")},
            "models": {"cards_dir": str(cards), "cache_dir": str(tmp_path / "cache")},
            "engine": {"device": "cpu"},
        },
        env={},
    )
    code = await asyncio.wait_for(_serve(config, ["telegram"], asyncio.Event()), 60)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("toonbot: ") and "broken.toml" in err
    assert "Traceback" not in err


async def test_no_token_says_where_to_put_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.app import run_bots

    monkeypatch.chdir(tmp_path)
    config = parse_config({"database": {"sqlite_path": str(tmp_path / "db.sqlite3")}}, env={})
    assert await run_bots(config) == 2
    err = capsys.readouterr().err
    assert err == (
        "toonbot: No bot token is set, so there is nothing to run. Set TOONBOT_TELEGRAM_TOKEN "
        f"for Telegram and/or TOONBOT_DISCORD_TOKEN for Discord in {tmp_path / '.env'} or the "
        "environment, then run `toonbot run` again.\n"
    )
