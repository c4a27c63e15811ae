"""Closing a charge after a job, without letting a database hiccup hide the job's outcome."""

from __future__ import annotations

import logging

from bot.metrics import BotMetrics
from bot.quota import Grant, QuotaService

__all__ = ["refund_quietly", "settle_quietly"]

log = logging.getLogger(__name__)


async def settle_quietly(quota: QuotaService, grant: Grant) -> None:
    """Close a delivered job's charge; a failure is logged, never raised."""
    try:
        await quota.settle(grant)
    except Exception:
        # Delivered, but still open: this instance's next start refunds one unit too many.
        log.exception("could not settle the charge of %s in %s", grant.user, grant.chat)


async def refund_quietly(
    quota: QuotaService, grant: Grant, metrics: BotMetrics | None, platform: str
) -> None:
    """Give a failed job's unit back; a failure is logged, never raised."""
    try:
        await quota.refund(grant)
        if metrics is not None:
            metrics.refunds.labels(platform).inc()
    except Exception:
        # The user is still told about the failure; the charge stays open in the ledger, and
        # this instance's next start refunds it.
        log.exception("could not refund quota of %s in %s", grant.user, grant.chat)
