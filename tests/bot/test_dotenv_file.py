"""The CLI's .env: read from the working directory, never over the real environment."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.cli import main
from bot.dotenv_file import MAX_DOTENV_BYTES, load_dotenv_file


def write_env(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_sets_only_what_the_environment_lacks(tmp_path: Path) -> None:
    env_file = write_env(
        tmp_path / ".env",
        "# tokens\nTOONBOT_TELEGRAM_TOKEN=123:abc\nexport TOONBOT_DISCORD_TOKEN='d.e.f'\n"
        "TOONBOT_DATA_DIR=\nTOONBOT_CONFIG=/from/file.toml\n",
    )
    environ = {"TOONBOT_CONFIG": "/from/shell.toml"}
    added = load_dotenv_file(env_file, environ)
    assert added == ("TOONBOT_DISCORD_TOKEN", "TOONBOT_TELEGRAM_TOKEN")
    assert environ == {
        "TOONBOT_CONFIG": "/from/shell.toml",  # the shell wins
        "TOONBOT_TELEGRAM_TOKEN": "123:abc",
        "TOONBOT_DISCORD_TOKEN": "d.e.f",  # quotes and `export` as in a shell
    }  # the empty TOONBOT_DATA_DIR= line leaves the default alone


def test_missing_and_unreadable_files_are_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    environ: dict[str, str] = {}
    assert load_dotenv_file(tmp_path / ".env", environ) == ()
    (tmp_path / "dir.env").mkdir()
    with caplog.at_level(logging.WARNING, logger="bot.dotenv_file"):
        assert load_dotenv_file(tmp_path / "dir.env", environ) == ()
    assert environ == {}
    assert "ignoring" in caplog.text


def test_a_file_others_can_read_is_read_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env_file = write_env(tmp_path / ".env", "TOONBOT_TELEGRAM_TOKEN=1:x\n", mode=0o644)
    environ: dict[str, str] = {}
    with caplog.at_level(logging.WARNING, logger="bot.dotenv_file"):
        load_dotenv_file(env_file, environ)
    assert environ == {"TOONBOT_TELEGRAM_TOKEN": "1:x"}
    assert f"chmod 600 {env_file}" in caplog.text
    caplog.clear()
    env_file.chmod(0o600)
    with caplog.at_level(logging.WARNING, logger="bot.dotenv_file"):
        load_dotenv_file(env_file, {})
    assert caplog.text == ""


def test_the_cli_reads_dotenv_before_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # .env names a config file that is not there: only a .env read first can make that fail.
    missing = tmp_path / "missing.toml"
    write_env(tmp_path / ".env", f"TOONBOT_CONFIG={missing}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TOONBOT_CONFIG", raising=False)
    try:
        assert main(["styles"]) == 2
    finally:
        os.environ.pop("TOONBOT_CONFIG", None)
    assert f"config file {missing} does not exist" in capsys.readouterr().err


def test_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    env_file = write_env(tmp_path / ".env", "TOONBOT_TELEGRAM_TOKEN=123:abc\n")
    environ = {"TOONBOT_TELEGRAM_TOKEN": ""}
    assert load_dotenv_file(env_file, environ) == ("TOONBOT_TELEGRAM_TOKEN",)
    assert environ == {"TOONBOT_TELEGRAM_TOKEN": "123:abc"}


def test_odd_files_are_skipped_without_blocking_or_crashing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fifo = tmp_path / "fifo.env"
    os.mkfifo(fifo)  # opening it would block until a writer came
    big = write_env(tmp_path / "big.env", "A=" + "x" * (MAX_DOTENV_BYTES + 10) + "\n")
    nul = write_env(tmp_path / "nul.env", "TOONBOT_TELEGRAM_TOKEN=ab\0c\nTOONBOT_CONFIG=c.toml\n")
    bom_crlf = write_env(tmp_path / "bom.env", "\ufeffTOONBOT_DISCORD_TOKEN=d\r\n")
    environ: dict[str, str] = {}
    with caplog.at_level(logging.WARNING, logger="bot.dotenv_file"):
        assert load_dotenv_file(fifo, environ) == ()
        assert load_dotenv_file(big, environ) == ()
        assert load_dotenv_file(nul, environ) == ("TOONBOT_CONFIG",)
        assert load_dotenv_file(bom_crlf, environ) == ("TOONBOT_DISCORD_TOKEN",)
    assert environ == {"TOONBOT_CONFIG": "c.toml", "TOONBOT_DISCORD_TOKEN": "d"}
    assert "not a regular file" in caplog.text
    assert "larger than 64 KiB" in caplog.text
    assert "TOONBOT_TELEGRAM_TOKEN" in caplog.text and "NUL byte" in caplog.text
