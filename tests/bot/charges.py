"""Waiting for a job's charge to close, shared by the fault and restart tests."""

from __future__ import annotations

import asyncio

from bot.quota import QuotaService

__all__ = ["charges_closed"]


async def charges_closed(quota: QuotaService) -> None:
    """Wait until every open charge is settled or refunded: the jobs are over."""
    for _ in range(1000):
        if await quota.open_charges() == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("a charge stayed open")
