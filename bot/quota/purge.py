"""Deleting quota rows that can no longer matter, periodically, for as long as the bots run."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from bot.quota.errors import QuotaUnavailable
from bot.quota.service import QuotaService

__all__ = ["purge_periodically", "purging"]

log = logging.getLogger(__name__)


async def purge_periodically(quota: QuotaService, interval_s: float) -> None:
    """Run quota.purge_expired() now and then every `interval_s`, until cancelled.

    A purge that fails is logged and tried again at the next interval: the rows it would have
    deleted only take space, so a failure never stops the bots.
    """
    while True:
        try:
            purged = await quota.purge_expired()
        except QuotaUnavailable as exc:  # busy, lost or full: already reported where it applies
            log.warning("purging expired quota rows failed: %s", exc)
        except Exception:
            log.exception("purging expired quota rows failed")
        else:
            if purged:
                log.info("purged %d expired quota rows", purged)
        await asyncio.sleep(interval_s)


@contextlib.asynccontextmanager
async def purging(quota: QuotaService, interval_s: float) -> AsyncIterator[None]:
    """While entered, a task runs purge_periodically; leaving cancels it and waits for it."""
    task = asyncio.create_task(purge_periodically(quota, interval_s), name="quota-purge")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.wait([task])  # a cancellation of our own caller still propagates
