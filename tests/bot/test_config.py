"""config.toml loading: defaults, the shipped file, typos and bad values, secrets from env."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_toml_matches_the_defaults() -> None:
    shipped = load_config(ROOT / "config.toml", env={})
    assert shipped == parse_config({}, env={})
    assert shipped.engine.max_batch_size == 8
    assert shipped.images.max_side == 1536
    assert shipped.styles.default == "webtoon"


def test_values_are_read_and_ints_widen_to_floats(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[engine]\nmax_batch_size = 4\nmax_wait_ms = 5\n[output]\nformat = "jpeg"\n')
    cfg = load_config(path, env={})
    assert cfg.engine.max_batch_size == 4
    assert cfg.engine.max_wait_ms == 5.0
    assert isinstance(cfg.engine.max_wait_ms, float)
    assert cfg.output.format == "jpeg"


def test_secrets_come_only_from_the_environment() -> None:
    cfg = parse_config(
        {},
        env={
            "TOONBOT_TELEGRAM_TOKEN": "123:abc",
            "TOONBOT_DISCORD_TOKEN": "",
            "TOONBOT_DATABASE_URL": "sqlite+aiosqlite:///x.db",
        },
    )
    assert cfg.secrets.telegram_token == "123:abc"
    assert cfg.secrets.discord_token is None
    assert cfg.secrets.database_url == "sqlite+aiosqlite:///x.db"
    assert "123:abc" not in repr(cfg)
    with pytest.raises(ConfigError, match="unknown section"):
        parse_config({"secrets": {"telegram_token": "x"}}, env={})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[engine]\nmax_batch = 4\n", "unknown key.*max_batch"),
        ("[engine]\nmax_batch_size = 0\n", "max_batch_size"),
        ('[engine]\nmax_batch_size = "8"\n', "must be int"),
        ("[engine]\nmax_batch_size = true\n", "must be int"),
        ('[engine]\ndevice = "tpu"\n', "device"),
        ('[output]\nformat = "gif"\n', "format"),
        ("[images]\nmax_side = -5\n", "max_side"),
        ("[telegram]\nenabled = 1\n", "must be bool"),
        ("engine = 3\n", "must be a table"),
        ("[engine\n", "cannot read"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path, env={})


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", env={})


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = tmp_path / "env.toml"
    path.write_text('[styles]\ndefault = "sketch"\n')
    assert load_config(env={"TOONBOT_CONFIG": str(path)}).styles.default == "sketch"


def test_video_section_is_typed_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[video]\nmax_duration_s = 30\nmax_frames = 900\n")
    cfg = load_config(path, env={})
    assert cfg.video.max_duration_s == 30.0 and cfg.video.max_frames == 900
    assert load_config(ROOT / "config.toml", env={}).video.max_side == 720
    path.write_text("[video]\nmax_side = 5\n")
    with pytest.raises(ConfigError, match="max_side"):
        load_config(path, env={})
