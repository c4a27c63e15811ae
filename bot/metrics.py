"""The bot's own Prometheus instruments and the optional /metrics HTTP endpoint."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

__all__ = ["REQUEST_OUTCOMES", "BotMetrics", "MetricsError", "MetricsServer"]

REQUEST_OUTCOMES = ("delivered", "refused_quota", "bad_input", "error", "cancelled")


class BotMetrics:
    """Requests by platform, kind and outcome, and quota refunds, on a caller-owned registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "toonbot_requests",
            "Pictures and clips users asked for, by platform, kind (photo/video) and outcome.",
            ["platform", "kind", "outcome"],
            registry=registry,
        )
        self.refunds = Counter(
            "toonbot_quota_refunds",
            "Quota units given back because a request was not delivered.",
            ["platform"],
            registry=registry,
        )


class MetricsError(Exception):
    """The metrics endpoint could not listen (port taken, unknown host)."""


class MetricsServer:
    """Serves GET /metrics for `registry` on host:port while open (`async with`)."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int) -> None:
        self._registry = registry
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The port listened on (the real one when 0 was asked for)."""
        if self._runner is None or not self._runner.addresses:
            return self._port
        return int(self._runner.addresses[0][1])

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/metrics", self._scrape)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self._host, self._port).start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise MetricsError(f"cannot serve metrics on {self._host}:{self._port}: {exc}") from exc
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _scrape(self, request: web.Request) -> web.Response:
        body = generate_latest(self._registry)
        # CONTENT_TYPE_LATEST carries its own charset parameter, so set the header directly.
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
