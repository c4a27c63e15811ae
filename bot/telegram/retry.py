"""Bounded retries of result uploads that Telegram answered with a 5xx or never received."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, TimedOut

__all__ = ["RETRY_DELAYS_S", "retry_send"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# Waits before each retry. 429s never get here: AIORateLimiter waits out retry_after itself.
RETRY_DELAYS_S: tuple[float, ...] = (1.0, 2.0, 4.0)


async def retry_send(send: Callable[[], Awaitable[T]]) -> T:
    """Call send(), retrying with backoff on 5xx answers and connection errors; then re-raise.

    PTB raises NetworkError for a 5xx and for a request that never reached Telegram; it does not
    retry either. A 5xx usually means the Bot API server failed before acting, but one that
    failed after sending would make a retry post the result twice. Duplicates are the accepted
    risk: the alternative, giving up, loses a result the user already waited for and was charged
    for. TimedOut is not retried: the upload may well have arrived, and a duplicate is likelier.
    """
    for delay in RETRY_DELAYS_S:
        try:
            return await send()
        except (BadRequest, TimedOut):
            raise
        except NetworkError as exc:
            log.warning("Telegram failed to take a result (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)
    return await send()
