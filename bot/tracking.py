"""One user request, start to finish: a job id bound into every log line, and its outcome counted."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Iterator
from typing import Literal

from bot.metrics import BotMetrics
from engine.job import new_job_id
from engine.logcontext import bind, current_fields

__all__ = ["Outcome", "Request", "current_job_id", "track_request", "user_tag"]

log = logging.getLogger("toonbot.requests")

Outcome = Literal["delivered", "refused_quota", "bad_input", "error", "cancelled"]


def user_tag(user: str) -> str:
    """A short stable pseudonym of a platform user id, so logs can be correlated but not read."""
    return hashlib.blake2b(user.encode(), digest_size=6, person=b"toonbot-user").hexdigest()


def current_job_id() -> str | None:
    """The job id of the request being handled in this context, if any."""
    job_id = current_fields().get("job_id")
    return job_id if isinstance(job_id, str) else None


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
