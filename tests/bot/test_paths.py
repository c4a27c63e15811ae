"""The data directory: platformdirs default, $TOONBOT_DATA_DIR, config.toml winning, owner-only
folders, and the old locations (database in the working directory, weights in ~/.cache) kept in
use with one line on how to move them."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config, parse_config, state_dir
from bot.paths import LOG_KEY_FILE, make_private_dirs, resolve_paths
from bot.tracking import TAG_KEY_FILE

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Host:
    """A made-up home: XDG data folder, home directory and working directory, all empty."""

    xdg: Path
    home: Path
    cwd: Path

    @property
    def default_data(self) -> Path:
        return self.xdg / "toonbot"


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    made = Host(tmp_path / "xdg", tmp_path / "home", tmp_path / "work")
    made.home.mkdir()
    made.cwd.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(made.xdg))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(made.home))
    monkeypatch.delenv("TOONBOT_DATA_DIR", raising=False)
    monkeypatch.delenv("TOONBOT_CONFIG", raising=False)
    monkeypatch.delenv("TOONBOT_DATABASE_URL", raising=False)
    monkeypatch.chdir(made.cwd)
    old_umask = os.umask(0o022)  # the usual one: folders would come out 0755 without care
    try:
        yield made
    finally:
        os.umask(old_umask)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_defaults_live_in_the_platform_data_folder(host: Host) -> None:
    config = parse_config({}, env={})
    assert config.paths.data_dir == host.default_data
    assert Path(config.database.sqlite_path) == host.default_data / "toonbot.sqlite3"
    assert config.models.cache_path == host.default_data / "models"
    assert config.paths.notices == ()
    assert not host.default_data.exists()  # loading the config creates nothing


def test_the_shipped_config_toml_keeps_the_defaults(host: Host) -> None:
    config = load_config(ROOT / "config.toml", env={})
    assert Path(config.database.sqlite_path) == host.default_data / "toonbot.sqlite3"
    assert config.models.cache_path == host.default_data / "models"


def test_environment_override_is_made_absolute(host: Host) -> None:
    config = parse_config({}, env={"TOONBOT_DATA_DIR": "srv/toon"})
    assert config.paths.data_dir == host.cwd / "srv" / "toon"
    assert Path(config.database.sqlite_path) == host.cwd / "srv/toon/toonbot.sqlite3"
    assert config.models.cache_path == host.cwd / "srv/toon/models"


def test_config_toml_paths_win_over_the_data_directory(host: Host, tmp_path: Path) -> None:
    data = {
        "database": {"sqlite_path": "quota.sqlite3"},
        "models": {"cache_dir": "~/weights"},
    }
    config = parse_config(data, env={"TOONBOT_DATA_DIR": str(tmp_path / "data")})
    assert Path(config.database.sqlite_path) == host.cwd / "quota.sqlite3"
    assert config.models.cache_path == host.home / "weights"
    assert config.paths.notices == ()


def test_an_old_database_in_the_working_directory_stays_in_use(host: Host) -> None:
    old = host.cwd / "toonbot.sqlite3"
    old.write_bytes(b"")
    config = parse_config({}, env={})
    assert Path(config.database.sqlite_path) == old
    (notice,) = config.paths.notices
    assert str(old) in notice and f"mv {old}* {host.default_data}/" in notice
    assert "sqlite_path" in notice
    # The log key beside it moves along, or every user's log tag would change.
    (host.cwd / "toonbot-log.key").write_bytes(b"k" * 32)
    (notice,) = parse_config({}, env={}).paths.notices
    assert f"mv {old}* {host.cwd / 'toonbot-log.key'} {host.default_data}/" in notice


def test_a_chosen_data_directory_wins_over_an_old_database_with_a_word(
    host: Host, tmp_path: Path
) -> None:
    old = host.cwd / "toonbot.sqlite3"
    old.write_bytes(b"")
    chosen = tmp_path / "srv"
    config = parse_config({}, env={"TOONBOT_DATA_DIR": str(chosen)})
    assert Path(config.database.sqlite_path) == chosen / "toonbot.sqlite3"
    (notice,) = config.paths.notices
    assert notice.startswith("TOONBOT_DATA_DIR is set")
    assert f"mv {old}* {chosen}/" in notice


def test_a_new_database_wins_over_an_old_one_with_a_word(host: Host) -> None:
    (host.cwd / "toonbot.sqlite3").write_bytes(b"")
    host.default_data.mkdir(parents=True)
    (host.default_data / "toonbot.sqlite3").write_bytes(b"")
    config = parse_config({}, env={})
    assert Path(config.database.sqlite_path) == host.default_data / "toonbot.sqlite3"
    (notice,) = config.paths.notices
    assert notice.startswith(f"ignoring {host.cwd / 'toonbot.sqlite3'}")


def test_an_old_database_is_not_mentioned_with_a_database_url(host: Host) -> None:
    (host.cwd / "toonbot.sqlite3").write_bytes(b"")
    config = parse_config({}, env={"TOONBOT_DATABASE_URL": "postgresql+asyncpg://h/db"})
    assert config.paths.notices == ()


def test_old_weights_in_the_cache_stay_in_use_until_moved(host: Host) -> None:
    old = host.home / ".cache" / "toonbot" / "models"
    old.mkdir(parents=True)
    assert parse_config({}, env={}).models.cache_path == host.default_data / "models"  # empty
    (old / "hayao.pt").write_bytes(b"weights")
    config = parse_config({}, env={})
    assert config.models.cache_path == old
    (notice,) = config.paths.notices
    assert f"mv {old} {host.default_data / 'models'}" in notice
    (host.default_data / "models").mkdir(parents=True)  # moved (or pulled anew): new one wins
    assert parse_config({}, env={}).models.cache_path == host.default_data / "models"


def test_db_upgrade_creates_the_data_directory_owner_only(host: Host) -> None:
    assert main(["db", "upgrade"]) == 0
    assert _mode(host.xdg) == 0o700  # missing parents too, whatever the umask
    assert _mode(host.default_data) == 0o700
    assert _mode(host.default_data / "toonbot.sqlite3") == 0o600
    assert not (host.cwd / "toonbot.sqlite3").exists()


def test_db_upgrade_keeps_the_old_database_and_says_how_to_move_it(
    host: Host, caplog: pytest.LogCaptureFixture
) -> None:
    old = host.cwd / "toonbot.sqlite3"
    # A real old database: made where the old default put it, by an explicit path.
    (host.cwd / "old.toml").write_text(f'[database]\nsqlite_path = "{old}"\n')
    assert main(["--config", str(host.cwd / "old.toml"), "db", "upgrade"]) == 0
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="toonbot"):
        assert main(["db", "upgrade"]) == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "toonbot"]
    assert len(lines) == 1 and f"using the quota database {old}" in lines[0]
    assert not host.default_data.exists()  # no empty database started beside it


def test_the_log_key_name_matches_the_one_tracking_writes() -> None:
    assert LOG_KEY_FILE == TAG_KEY_FILE


def test_make_private_dirs_leaves_existing_folders_alone(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        shared = tmp_path / "srv"
        shared.mkdir(mode=0o755)
        make_private_dirs(shared / "toonbot" / "models")
        assert _mode(shared) == 0o755
        assert _mode(shared / "toonbot") == 0o700
        assert _mode(shared / "toonbot" / "models") == 0o700
        make_private_dirs(shared / "toonbot" / "models")  # already there: no error
    finally:
        os.umask(old)


def test_log_key_goes_to_the_data_directory_with_a_database_url(host: Host, tmp_path: Path) -> None:
    env = {"TOONBOT_DATABASE_URL": "postgresql+asyncpg://h/db"}
    assert state_dir(parse_config({}, env=env)) == host.default_data
    # Older versions kept it in $XDG_STATE_HOME/toonbot: a key there keeps the users' tags.
    old = tmp_path / "state" / "toonbot"
    old.mkdir(parents=True)
    (old / "toonbot-log.key").write_bytes(b"k" * 32)
    assert state_dir(parse_config({}, env=env)) == old
    # Without a URL the key sits beside the SQLite file, as before.
    assert state_dir(parse_config({}, env={})) == host.default_data


def test_resolve_paths_without_a_home_skips_the_old_weights(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A service user with no $HOME and no passwd entry: "~" cannot be expanded.
    monkeypatch.setattr(Path, "expanduser", _no_home)
    paths = resolve_paths("", "", {"TOONBOT_DATA_DIR": str(tmp_path)})
    assert paths.models_dir == tmp_path / "models"


def _no_home(self: Path) -> Path:
    if str(self).startswith("~"):
        raise RuntimeError("Could not determine home directory.")
    return self
