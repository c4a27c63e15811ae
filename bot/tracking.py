"""One user request, start to finish: a job id bound into every log line, and its outcome counted."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from bot.metrics import BotMetrics
from engine.job import new_job_id
from engine.logcontext import bind

__all__ = [
    "TAG_KEY_FILE",
    "Outcome",
    "Request",
    "load_tag_key",
    "track_request",
    "use_tag_key",
    "user_tag",
]

log = logging.getLogger("toonbot.requests")

Outcome = Literal["delivered", "refused_quota", "bad_input", "error", "cancelled"]


# The per-install secret the pseudonyms are keyed with, in the install's state folder.
TAG_KEY_FILE = "toonbot-log.key"
_KEY_BYTES = 32  # blake2b's longest key
# Until the composition root loads the install's key: a per-process one (tags still unguessable).
_tag_key = secrets.token_bytes(_KEY_BYTES)


def load_tag_key(path: Path) -> bytes:
    """The install's 32-byte log key at `path`, created once (mode 0600) when it is missing.

    Raises OSError when the file cannot be created or read, ValueError when it is not a key.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) != _KEY_BYTES:
            raise ValueError(
                f"{path} is not a log key ({len(key)} bytes, not {_KEY_BYTES})"
            ) from None
        return key
    key = secrets.token_bytes(_KEY_BYTES)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def use_tag_key(key: bytes) -> None:
    """Key every user_tag from now on with `key` (the composition root does, at start-up)."""
    global _tag_key
    if len(key) != _KEY_BYTES:
        raise ValueError(f"the log key must be {_KEY_BYTES} bytes")
    _tag_key = key


def user_tag(user: str) -> str:
    """A short stable pseudonym of a platform user id, so logs can be correlated but not read.

    Keyed blake2b (a MAC) with the install's secret: without the key file, trying every
    possible id does not lead back from a tag to the user.
    """
    return hashlib.blake2b(
        user.encode(), digest_size=6, key=_tag_key, person=b"toonbot-user"
    ).hexdigest()


class Request:
    """What the handler reports back: the outcome (an exception that escapes means "error")."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.outcome: Outcome | None = None


@contextlib.contextmanager
def track_request(
    platform: str, kind: str, user: str, style: str, metrics: BotMetrics | None = None
) -> Iterator[Request]:
    """Bind job_id/platform/kind/user/style for the block; log its end with outcome and duration."""
    request = Request(new_job_id())
    started = time.monotonic()
    with bind(
        job_id=request.job_id, platform=platform, kind=kind, user=user_tag(user), style=style
    ):
        log.info("request received")
        try:
            yield request
        except BaseException as exc:
            # Cancellation is a shutdown or a vanished caller; anything else is our bug.
            request.outcome = "cancelled" if not isinstance(exc, Exception) else "error"
            raise
        finally:
            outcome = request.outcome or "error"
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            log.info(
                "request finished: %s",
                outcome,
                extra={"fields": {"outcome": outcome, "duration_ms": duration_ms}},
            )
            if metrics is not None:
                metrics.requests.labels(platform, kind, outcome).inc()
