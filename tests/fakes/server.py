"""What the fake servers share: an aiohttp app on 127.0.0.1 at a free port, started and stopped
with `async with`, a closing switch that cuts stalled answers short, and polling for a condition.

Each fake adds its routes (`_routes`), anything to close before the app stops (`_close`), and
a summary of recent calls for a failed wait (`_summary`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Self, TypeVar

from aiohttp import web

__all__ = ["FakeServer"]

T = TypeVar("T")
_MAX_BODY = 64 * 1024 * 1024  # uploads well past any platform's limit still arrive whole


class FakeServer:
    """The start-up, shutdown and waiting shared by the fakes; use as `async with Fake() as f:`."""

    def __init__(self) -> None:
        self.port = 0
        self._closing = asyncio.Event()  # set on close: releases long polls and stalls at once
        self._runner: web.AppRunner | None = None

    # -- what each fake supplies ---------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        """Add the fake's routes to `app`."""
        raise NotImplementedError

    async def _close(self) -> None:
        """Close what would keep the app from stopping (open websockets); nothing by default."""

    def _summary(self) -> str:
        """The recent calls, for the message of a wait that timed out."""
        raise NotImplementedError

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=_MAX_BODY)
        self._routes(app)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        await self._close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        """Root URL of the fake (for Telegram, as in config's telegram.api_url)."""
        return f"http://127.0.0.1:{self.port}"

    # -- for tests and handlers ----------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 15.0) -> T:
        """Poll until predicate() is truthy and return it; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"condition not reached in {timeout} s; calls: {self._summary()}"
                )
            await asyncio.sleep(0.01)

    async def _stall(self, seconds: float) -> None:
        """Wait `seconds`, or less if the fake closes meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)
