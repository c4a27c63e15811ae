"""Bad configuration at start-up: one line naming the setting and the fix, never a traceback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import torch

from bot.app import run_bots
from bot.cli import main
from bot.config import (
    DATABASE_URL_ENV,
    TELEGRAM_TOKEN_ENV,
    ConfigError,
    load_config,
    parse_config,
)
from bot.messages import CLI_NO_RAY_CLUSTER


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TOONBOT_* or RAY_ADDRESS from the caller's shell; run from an empty folder."""
    for name in (DATABASE_URL_ENV, TELEGRAM_TOKEN_ENV, "TOONBOT_CONFIG", "RAY_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def one_line(err: str) -> str:
    """The single line written, asserted to be a toonbot message without a traceback."""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("toonbot: ")
    return lines[0]


@pytest.mark.parametrize("url", ["notaurl", "postgres ql://x", "foo://host/db"])
def test_a_database_url_that_is_not_one_is_named_with_the_fix(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    assert main(["db", "upgrade"]) == 2
    line = one_line(capsys.readouterr().err)
    assert DATABASE_URL_ENV in line and "postgresql+asyncpg://" in line
    assert "sqlite_path" in line


def test_the_bad_database_url_is_refused_before_run_starts_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "notaurl:with-a-secret")
    monkeypatch.setenv(TELEGRAM_TOKEN_ENV, "1:x")
    assert main(["run"]) == 2
    line = one_line(capsys.readouterr().err)
    # The value may carry a password: it is never echoed.
    assert DATABASE_URL_ENV in line and "with-a-secret" not in line
    assert not list(tmp_path.iterdir()), "nothing is created"


def test_a_database_url_sqlalchemy_understands_is_accepted() -> None:
    config = parse_config({}, env={DATABASE_URL_ENV: "sqlite+aiosqlite:///x.db"})
    assert config.secrets.database_url == "sqlite+aiosqlite:///x.db"


@pytest.fixture
def no_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine, as one without a CUDA device (torch's own probe answers no)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def cuda_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[engine]\ndevice = "cuda"\n')
    return path


@pytest.mark.usefixtures("no_cuda")
def test_toon_with_cuda_on_a_machine_without_it_names_the_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "in.png"
    photo.write_bytes(b"not read")
    assert main(["--config", str(cuda_config(tmp_path)), "toon", str(photo)]) == 2
    line = one_line(capsys.readouterr().err)
    assert '[engine] device = "cuda"' in line and 'device = "auto"' in line
    assert not (tmp_path / "in-webtoon.png").exists()


@pytest.mark.usefixtures("no_cuda")
async def test_run_with_cuda_on_a_machine_without_it_names_the_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(cuda_config(tmp_path), env={TELEGRAM_TOKEN_ENV: "1:x"})
    assert await asyncio.wait_for(run_bots(config), timeout=30) == 2
    line = one_line(capsys.readouterr().err)
    assert '[engine] device = "cuda"' in line and 'device = "auto"' in line
    assert not (tmp_path / "toonbot.sqlite3").exists(), "stopped before opening the database"


def test_engine_serve_without_a_ray_cluster_says_how_to_start_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("ray")
    assert main(["engine-serve"]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith("toonbot: " + CLI_NO_RAY_CLUSTER.split("{")[0])
    assert "ray start --head" in line and "ray_address" in line


def test_a_typo_in_the_default_style_is_refused_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[styles]\ndefault = "webtun"\n')
    with pytest.raises(ConfigError, match=r"\[styles\] default = 'webtun' is not a style"):
        load_config(path, env={})
    assert main(["--config", str(path), "styles"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "webtun" in line and "webtoon" in line and "sketch" in line


def test_every_built_in_style_is_accepted_as_the_default() -> None:
    for name in ("webtoon", "manhwa", "sketch", "classic"):
        assert parse_config({"styles": {"default": name}}, env={}).styles.default == name
