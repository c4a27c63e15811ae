"""Result uploads to Telegram: timeouts sized to the upload, bounded retries of sends Telegram
never took, and "outcome unknown" for a send that timed out after the whole upload was written.

The promise is "charged once, delivered at most once". A send is retried only when Telegram
cannot have acted on it: a 5xx or a dropped connection (see retry_send), or a timeout before the
request body was fully written (connect, pool and write timeouts: Telegram never saw a complete
request). A timeout while waiting for the answer to a fully written upload (httpx's ReadTimeout)
is different: Telegram most likely posted the result and was slow to say so. Sending again could
post it twice, and refunding would hand back a unit for a picture that sits in the chat, so such
a send raises SendUnconfirmed and the caller settles the charge as delivered without telling the
user anything failed. The Bot API offers no way to ask whether a message was posted (bots cannot
read chat history, and sends carry no idempotency key), so "the body was written" is the best
evidence there is; the rare upload lost after being fully written is the accepted cost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypedDict, TypeVar

import httpx
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.pipeline.charges import DeliveryUnconfirmed

__all__ = [
    "READ_TIMEOUT_S",
    "RETRY_DELAYS_S",
    "SLOWEST_UPLOAD_BYTES_PER_S",
    "WRITE_TIMEOUT_BASE_S",
    "SendUnconfirmed",
    "UploadTimeouts",
    "body_written",
    "retry_send",
    "upload_timeouts",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

# Waits before each retry. 429s never get here: AIORateLimiter waits out retry_after itself.
RETRY_DELAYS_S: tuple[float, ...] = (1.0, 2.0, 4.0)
# How long to wait for Telegram's answer once an upload is written (it stores the file first).
READ_TIMEOUT_S = 30.0
# Write timeout of an upload: this much, plus its size at the slowest rate still waited for
# (256 KiB/s: a 50 MB clip gets 20 + 200 s). PTB's flat 20 s cut big clips off on slow links.
WRITE_TIMEOUT_BASE_S = 20.0
SLOWEST_UPLOAD_BYTES_PER_S = 256 * 1024


class UploadTimeouts(TypedDict):
    """Keyword arguments for a PTB send method, in seconds."""

    read_timeout: float
    write_timeout: float


def upload_timeouts(size: int) -> UploadTimeouts:
    """Timeouts for uploading `size` bytes (>= 0): the write one grows with the size."""
    write = WRITE_TIMEOUT_BASE_S + max(0, size) / SLOWEST_UPLOAD_BYTES_PER_S
    return {"read_timeout": READ_TIMEOUT_S, "write_timeout": write}


class SendUnconfirmed(DeliveryUnconfirmed):
    """A send timed out after its request was fully written: most likely delivered, unconfirmed.

    waited_s: seconds from the attempt's start to the timeout; attempt: 1 for the first try.
    """

    def __init__(self, waited_s: float, attempt: int) -> None:
        super().__init__(waited_s, f" (attempt {attempt})")
        self.attempt = attempt


def body_written(exc: TimedOut) -> bool | None:
    """Whether the timed-out request had been fully written: True for a read timeout (the
    request was out, its answer late), False when it never was (connect, pool or write
    timeout), None when PTB gives no cause to tell."""
    cause = exc.__cause__
    if isinstance(cause, httpx.ReadTimeout):
        return True
    if isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout | httpx.WriteTimeout):
        return False
    return None


async def retry_send(send: Callable[[], Awaitable[T]]) -> T:
    """Call send(); retry with backoff what Telegram cannot have acted on; then re-raise.

    Retried: NetworkError (PTB's 5xx and connections that failed) and timeouts before the
    request was fully written. A 5xx usually means the Bot API server failed before acting; one
    that failed after posting would make a retry post twice, the accepted risk against losing a
    result the user waited and paid for. Raised at once: BadRequest, and SendUnconfirmed for a
    timeout after the request was written, or one PTB gives no cause for (a retry could post
    the result twice).
    """
    for attempt, delay in enumerate((*RETRY_DELAYS_S, None), start=1):
        started = time.monotonic()
        try:
            return await send()
        except BadRequest:
            raise
        except TimedOut as exc:
            if body_written(exc) is not False:
                raise SendUnconfirmed(time.monotonic() - started, attempt) from exc
            if delay is None:
                raise
            log.warning("sending a result timed out before it was out; retrying in %.1f s", delay)
            await asyncio.sleep(delay)
        except NetworkError as exc:
            if delay is None:
                raise
            log.warning("Telegram failed to take a result (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")
