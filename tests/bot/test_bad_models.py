"""One corrupt or foreign weights file costs its own style, never the others; doctor names it."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn

from bot.app import run_bots
from bot.cli import main
from bot.config import TELEGRAM_TOKEN_ENV, load_config
from tests.bot.harness import photo_bytes
from tests.bot.tiny_models import tiny_onnx, write_card
from tests.fakes.telegram_server import FakeTelegram

BAD = ("corrupt", "foreign", "scrambled")


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A config whose model cache holds three unloadable files and one good ONNX model.

    corrupt: random bytes under a torch card; foreign: a whole pickled torch module (what
    torch.load(weights_only=True) refuses, advising to turn that off); scrambled: garbage
    under an ONNX card; good: a real ONNX model, installed without a pinned sha256.
    """
    cards, cache = tmp_path / "cards", tmp_path / "cache"
    cards.mkdir()
    cache.mkdir()
    (cache / write_card(cards, "corrupt", fmt="torch")).write_bytes(b"\x00garbage" * 64)
    torch.save(nn.Conv2d(3, 3, 1), cache / write_card(cards, "foreign", fmt="torch"))
    (cache / write_card(cards, "scrambled")).write_bytes(b"not an onnx protobuf")
    (cache / write_card(cards, "good")).write_bytes(tiny_onnx())
    path = tmp_path / "config.toml"
    path.write_text(
        f'[models]\ncards_dir = "{cards}"\ncache_dir = "{cache}"\n'
        f'[engine]\ndevice = "cpu"\nperson_aware = false\nmax_wait_ms = 5\n'
        f'[database]\nsqlite_path = "{tmp_path / "toonbot.sqlite3"}"\n'
        "[quota]\ncooldown_s = 0\n"
    )
    return path


def assert_one_quiet_line_per_bad_model(caplog: pytest.LogCaptureFixture) -> None:
    for name in BAD:
        lines = [r for r in caplog.records if f"model {name}:" in r.getMessage()]
        assert len(lines) == 1, [r.getMessage() for r in caplog.records]
        [line] = lines
        assert line.levelno == logging.ERROR and "skipped" in line.getMessage()
        assert line.exc_info is None and line.stack_info is None
    assert "weights_only" not in caplog.text and "Traceback" not in caplog.text


def test_toon_with_a_built_in_style_works_beside_bad_model_files(
    config_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = tmp_path / "in.png"
    Image.new("RGB", (64, 48), (200, 120, 40)).save(source)
    with caplog.at_level(logging.INFO):
        assert main(["--config", str(config_path), "toon", "-s", "sketch", str(source)]) == 0
    out, err = capsys.readouterr()
    assert (tmp_path / "in_sketch.png").is_file() and "in_sketch.png" in out
    assert "weights_only" not in err and "Traceback" not in err
    assert_one_quiet_line_per_bad_model(caplog)
    assert any("neural style good loaded" in r.getMessage() for r in caplog.records)


def test_doctor_loads_each_installed_model_and_fails_the_bad_ones(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config_path), "doctor", "--offline"]) == 1
    out = capsys.readouterr().out
    rows = {line.split()[2]: line for line in out.splitlines() if line.split()[1:2] == ["model"]}
    assert set(rows) == {*BAD, "good"}
    for name in BAD:
        assert rows[name].startswith("FAIL") and "does not load" in rows[name]
    assert "not a torch weights file" in rows["corrupt"]
    assert "pickled Python objects" in rows["foreign"] and "refused unread" in rows["foreign"]
    assert "not a readable ONNX model" in rows["scrambled"]
    assert rows["good"].startswith("WARN") and "loads, unverified" in rows["good"]
    assert "weights_only" not in out and "Traceback" not in out
    assert "toonbot models pull foreign" in out


async def test_run_serves_the_good_styles_beside_bad_model_files(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeTelegram() as fake:
        config_path.write_text(config_path.read_text() + f'[telegram]\napi_url = "{fake.url}"\n')
        config = load_config(config_path, env={TELEGRAM_TOKEN_ENV: fake.token})
        stop = asyncio.Event()
        with caplog.at_level(logging.INFO):
            task = asyncio.create_task(run_bots(config, stop=stop))
            for style in ("sketch", "good"):
                fake.push_photo(5, photo_bytes(64, 48), caption=style)
            await fake.wait_for(lambda: len(fake.find("sendPhoto", chat_id=5)) == 2, timeout=90)
            stop.set()
            assert await asyncio.wait_for(task, timeout=30) == 0
    assert_one_quiet_line_per_bad_model(caplog)
