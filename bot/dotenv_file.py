"""The `.env` file in the working directory: tokens for a plain `toonbot run`, as compose reads it.

Parsed by python-dotenv (the de-facto format: KEY=value lines, quotes, comments, `export`).
Variables already set in the environment win, so Docker, systemd and the shell keep the last
word. A file that others may read is still read, with one warning: it holds bot tokens.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import MutableMapping
from pathlib import Path
from typing import Final

from dotenv import dotenv_values

__all__ = ["DOTENV_FILE", "load_dotenv_file"]

DOTENV_FILE: Final = Path(".env")

log = logging.getLogger(__name__)


def load_dotenv_file(
    path: Path = DOTENV_FILE, environ: MutableMapping[str, str] | None = None
) -> tuple[str, ...]:
    """Copy the variables of `path` into `environ` (default os.environ) where not already set.

    Returns the names it set, sorted (empty when the file is missing). Names given with no value
    (a bare `KEY` line) and empty values are skipped, so an empty `TOONBOT_DATA_DIR=` line copied
    from .env.example leaves the default in place. Raises nothing for a missing or unreadable
    file: an unreadable one is logged and skipped, like a malformed line (python-dotenv warns).
    """
    environ = os.environ if environ is None else environ
    try:
        mode = path.stat().st_mode
        values = dotenv_values(path, encoding="utf-8")
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return ()
    if not stat.S_ISREG(mode):
        log.warning("ignoring %s: not a regular file", path)
        return ()
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s can be read by other users; it holds bot tokens: chmod 600 %s", path, path)
    added = []
    for name, value in values.items():
        if value and name not in environ:
            environ[name] = value
            added.append(name)
    return tuple(sorted(added))
