"""Closing a charge after a job, without letting a database hiccup hide the job's outcome.

Charged once, delivered at most once: a result whose send timed out after the upload was fully
written is taken as delivered (DeliveryUnconfirmed) and settled, never sent again or refunded.
"""

from __future__ import annotations

import logging

from bot.metrics import BotMetrics
from bot.quota import Grant, QuotaService, QuotaUnavailable

__all__ = ["DeliveryUnconfirmed", "refund_quietly", "settle_quietly"]

log = logging.getLogger(__name__)


class DeliveryUnconfirmed(Exception):
    """A result's send timed out after its upload was fully written: the platform most likely
    posted it and was slow to say so. Settled as delivered; never sent again, never refunded.

    waited_s: seconds from the send's start to the timeout.
    """

    def __init__(self, waited_s: float, detail: str = "") -> None:
        super().__init__(f"no answer {waited_s:.1f} s after sending{detail}; the upload was out")
        self.waited_s = waited_s


async def settle_quietly(quota: QuotaService, grant: Grant) -> None:
    """Close a delivered job's charge; a failure is logged, never raised."""
    try:
        await quota.settle(grant)
    except QuotaUnavailable as exc:  # lost, full or locked: the database said why, in one line
        log.warning("could not settle the charge of %s in %s: %s", grant.user, grant.chat, exc)
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
    except QuotaUnavailable as exc:
        log.warning("could not refund quota of %s in %s: %s", grant.user, grant.chat, exc)
    except Exception:
        # The user is still told about the failure; the charge stays open in the ledger, and
        # this instance's next start refunds it.
        log.exception("could not refund quota of %s in %s", grant.user, grant.chat)
