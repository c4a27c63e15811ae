"""The `.env` file in the working directory: tokens for a plain `toonbot run`, as compose reads it.

Parsed by python-dotenv (the de-facto format: KEY=value lines, quotes, comments, `export`).
Variables already set (to something non-empty) in the environment win, so Docker, systemd and
the shell keep the last word. A file that others may read is still read, with one warning: it
holds bot tokens.
"""

from __future__ import annotations

import io
import logging
import os
import stat
from collections.abc import MutableMapping
from pathlib import Path
from typing import Final

from dotenv import dotenv_values

__all__ = ["DOTENV_FILE", "MAX_DOTENV_BYTES", "load_dotenv_file"]

DOTENV_FILE: Final = Path(".env")
# A handful of variables fit in a few hundred bytes; anything this big is not a .env file.
MAX_DOTENV_BYTES: Final = 64 * 1024

log = logging.getLogger(__name__)


def load_dotenv_file(
    path: Path = DOTENV_FILE, environ: MutableMapping[str, str] | None = None
) -> tuple[str, ...]:
    """Copy the variables of `path` into `environ` (default os.environ) where not set there.

    "Not set" includes set to an empty string, as .env.example's comments say ("empty means
    unset"). Returns the names it set, sorted (empty when the file is missing). Empty values
    are skipped, so an empty `TOONBOT_DATA_DIR=` line leaves the default in place. Raises
    nothing: a file that is not a regular file (a directory, a FIFO that would block), larger
    than MAX_DOTENV_BYTES, unreadable or not UTF-8 is logged and skipped; a malformed line is
    skipped by python-dotenv with its own warning, and a value holding a NUL byte (which no
    environment can carry) with ours.
    """
    environ = os.environ if environ is None else environ
    try:
        # Checked before opening: opening a FIFO blocks until something writes to it.
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            log.warning("ignoring %s: not a regular file", path)
            return ()
        with path.open("rb") as file:
            raw = file.read(MAX_DOTENV_BYTES + 1)
        if len(raw) > MAX_DOTENV_BYTES:
            log.warning("ignoring %s: larger than %d KiB", path, MAX_DOTENV_BYTES // 1024)
            return ()
        values = dotenv_values(stream=io.StringIO(raw.decode("utf-8-sig")))
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return ()
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s can be read by other users; it holds bot tokens: chmod 600 %s", path, path)
    added = []
    for name, value in values.items():
        if not value or environ.get(name):
            continue
        if "\0" in name or "\0" in value:
            log.warning("ignoring %s in %s: it holds a NUL byte", name, path)
            continue
        environ[name] = value
        added.append(name)
    return tuple(sorted(added))
