"""Where ToonBot keeps its files: one data directory for the quota database, the downloaded model
weights and the log key.

The directory is $TOONBOT_DATA_DIR when set (Docker and the systemd unit set it), else the
platform's per-user data folder (platformdirs: ~/.local/share/toonbot on Linux, honouring
$XDG_DATA_HOME). `[database] sqlite_path` and `[models] cache_dir` in config.toml still win.

Older versions kept the database in the directory toonbot started in and the weights in
~/.cache/toonbot/models. When config.toml names neither and the old file is there but the new one
is not, ToonBot keeps using the old one (starting an empty database would reset every user's
counts) and says, once per start, how to move it. Nothing here creates anything: the folders are
made (owner-only) by whatever first writes into them, through make_private_dirs.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "DATABASE_FILE",
    "DATA_DIR_ENV",
    "LEGACY_MODELS_DIR",
    "LOG_KEY_FILE",
    "MODELS_DIR",
    "PRIVATE_DIR_MODE",
    "DataPaths",
    "default_data_dir",
    "make_private_dirs",
    "resolve_paths",
]

DATA_DIR_ENV: Final = "TOONBOT_DATA_DIR"
# The file and folder names inside the data directory.
DATABASE_FILE: Final = "toonbot.sqlite3"
# The log key (bot.tracking.TAG_KEY_FILE, which imports prometheus_client), beside the database.
LOG_KEY_FILE: Final = "toonbot-log.key"
MODELS_DIR: Final = "models"
# Where versions before the data directory put downloaded weights (the database went to the
# working directory, as DATABASE_FILE).
LEGACY_MODELS_DIR: Final = "~/.cache/toonbot/models"
# Owner only: the folder holds user ids (the database) and the log key.
PRIVATE_DIR_MODE: Final = 0o700


@dataclass(frozen=True, slots=True)
class DataPaths:
    """The resolved locations, and what to tell the operator about them."""

    data_dir: Path
    sqlite_path: Path
    models_dir: Path
    # One line each, logged at start-up: an old location still in use, and how to move it.
    notices: tuple[str, ...] = ()


def default_data_dir(env: Mapping[str, str]) -> Path:
    """$TOONBOT_DATA_DIR (made absolute) or the platform's per-user data folder for toonbot."""
    override = env.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(os.path.abspath(Path(override).expanduser()))
    import platformdirs  # only when needed: `toonbot --help` stays fast

    return Path(platformdirs.user_data_dir("toonbot", appauthor=False))


def resolve_paths(
    sqlite_path: str, cache_dir: str, env: Mapping[str, str], *, sqlite: bool = True
) -> DataPaths:
    """Absolute paths for the database and the weights; "" means "the default".

    An explicit setting is used as it is (relative to the working directory, "~" expanded).
    An old database in the working directory is kept in use only when nothing chose the place:
    with $TOONBOT_DATA_DIR set, the data directory wins and a notice says how to move it.
    sqlite=False (quotas live in $TOONBOT_DATABASE_URL): no word about an old SQLite file.
    """
    data_dir = default_data_dir(env)
    notices: list[str] = []
    if sqlite_path:
        database = Path(os.path.abspath(Path(sqlite_path).expanduser()))
    else:
        database = data_dir / DATABASE_FILE
        old = Path(os.path.abspath(DATABASE_FILE))
        if sqlite and old != database and old.is_file():
            chosen = bool(env.get(DATA_DIR_ENV, "").strip())
            if chosen and not _exists(database):
                # The operator named the data directory: it wins, but the old counts are not
                # dropped without a word.
                key = old.with_name(LOG_KEY_FILE)
                also = f" {_q(key)}" if key.is_file() else ""
                notices.append(
                    f"{DATA_DIR_ENV} is set, so the quota database is {database} (new); an "
                    f"older one is at {old}. To keep its counts, stop toonbot and run "
                    f"`mkdir -p -m 700 {_q(data_dir)} && mv {_q(old)}*{also} {_q(data_dir)}/`"
                )
            elif _exists(database):
                notices.append(
                    f"ignoring {old}, a quota database where older ToonBot versions kept it: "
                    f"using {database}. Delete the old file (and its -wal, -shm) once you are "
                    "sure it is not the one you want"
                )
            else:
                database = old
                # The log key sits beside the database: it moves too, or every log tag changes.
                key = old.with_name(LOG_KEY_FILE)
                also = f" {_q(key)}" if key.is_file() else ""
                notices.append(
                    f"using the quota database {old} (where older ToonBot versions kept it) "
                    f"instead of {data_dir}: stop toonbot and run "
                    f"`mkdir -p -m 700 {_q(data_dir)} && mv {_q(old)}*{also} {_q(data_dir)}/` "
                    "to move it, "
                    f'or set [database] sqlite_path = "{old}" to keep it there'
                )
    if cache_dir:
        models = Path(os.path.abspath(Path(cache_dir).expanduser()))
    else:
        models = data_dir / MODELS_DIR
        old_models = _expand(LEGACY_MODELS_DIR)
        if old_models is not None and not _exists(models) and _has_files(old_models):
            models = old_models
            notices.append(
                f"using model weights in {old_models} (where older ToonBot versions kept them) "
                f"instead of {data_dir / MODELS_DIR}: run "
                f"`mkdir -p -m 700 {_q(data_dir)} && mv {_q(old_models)} "
                f"{_q(data_dir / MODELS_DIR)}` to "
                f'move them, or set [models] cache_dir = "{old_models}" to keep them there'
            )
    return DataPaths(data_dir, database, models, tuple(notices))


def make_private_dirs(path: Path) -> None:
    """Create `path` and any missing parents owner-only (0700, whatever the umask).

    Folders that already exist are left as they are: the operator (or systemd's StateDirectory,
    or a Docker volume) chose their owner and mode.
    """
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:  # another process made it first
            continue
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode lost the bits the umask took


def _q(path: Path) -> str:
    """`path` quoted for the shell command a notice suggests (folders may hold spaces)."""
    return shlex.quote(str(path))


def _expand(path: str) -> Path | None:
    """`path` with "~" expanded; None where there is no home (a service with no $HOME)."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        return None


def _exists(path: Path) -> bool:
    return os.path.lexists(path)


def _has_files(folder: Path) -> bool:
    try:
        return any(entry.is_file() for entry in folder.iterdir())
    except OSError:  # missing, or not readable: nothing to keep using
        return False
