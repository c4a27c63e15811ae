"""The Serve deployment: each replica owns a real Engine, started in the replica's event loop."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.config import EngineConfig
from engine.engine import Engine
from engine.errors import ToonError
from engine.job import Job
from engine.remote.wire import CarriedError
from engine.styles.options import StyleOptions

if TYPE_CHECKING:
    from ray.serve import Application

    from engine.neural.cards import ModelSettings
    from engine.styles.base import Style

__all__ = ["EngineReplica", "build_app", "load_styles"]

log = logging.getLogger(__name__)


def load_styles(spec: str) -> Mapping[str, Style]:
    """Call the "package.module:function" factory named by `spec` and return its styles."""
    module, _, func = spec.partition(":")
    if not module or not func:
        raise ValueError(f"styles spec must look like 'package.module:function', not {spec!r}")
    factory: Callable[[], Mapping[str, Style]] = getattr(importlib.import_module(module), func)
    return factory()


class EngineReplica:
    """One replica: a full local Engine (queue, batcher, worker thread) behind async methods."""

    def __init__(
        self, config: EngineConfig, models: ModelSettings | None = None, styles: str | None = None
    ) -> None:
        # Built (and its worker started) on first use, inside the loop Serve runs requests on:
        # the engine's futures and batcher task belong to that loop.
        self._engine = Engine(
            config, load_styles(styles) if styles is not None else None, models=models
        )
        self._started: asyncio.Task[None] | None = None

    async def _ready(self) -> Engine:
        if self._started is None:
            self._started = asyncio.ensure_future(self._engine.start())
        await asyncio.shield(self._started)
        return self._engine

    async def describe(self) -> dict[str, Any]:
        """Style names and device, for the client's start-up."""
        engine = await self._ready()
        return {
            "styles": engine.style_names,
            "device": engine.device,
            "options": {name: engine.option_names(name) for name in engine.style_names},
        }

    async def submit(
        self,
        image: np.ndarray,
        style: str,
        user_id: str,
        job_id: str,
        options: Mapping[str, float] | None = None,
    ) -> np.ndarray | CarriedError:
        """Stylize one image; engine errors come back as values so their type survives.

        options: the request's StyleOptions as a dict (StyleOptions.as_dict()).
        """
        engine = await self._ready()
        try:
            chosen = StyleOptions(**(options or {}))
            job = Job(image, style, user_id=user_id, job_id=job_id, options=chosen)
            return await engine.submit(job)
        except ToonError as exc:
            return CarriedError.from_error(exc)

    async def __del__(self) -> None:
        # Serve awaits this on graceful shutdown: let queued jobs finish, stop the worker thread.
        if self._started is not None:
            await self._engine.close()


def build_app(
    config: EngineConfig,
    *,
    models: ModelSettings | None = None,
    styles: str | None = None,
    ray_actor_options: Mapping[str, Any] | None = None,
) -> Application:
    """The Serve application: config.ray_replicas replicas, each reserving its GPUs."""
    from ray import serve

    options = {"num_gpus": config.ray_gpus_per_replica, **(ray_actor_options or {})}
    deployment = serve.deployment(
        name=config.ray_app,
        num_replicas=config.ray_replicas,
        ray_actor_options=options,
        # Let requests reach the replica's own fair queue rather than wait in Serve's router;
        # the engine refuses beyond queue_size with QueueFull, which the users see.
        max_ongoing_requests=config.queue_size + config.max_batch_size,
    )(EngineReplica)
    return deployment.bind(config, models, styles)
