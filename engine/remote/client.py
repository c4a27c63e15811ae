"""RayEngine: the Engine surface the frontends use, served by a Ray Serve application."""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from engine.api import EngineSurface
from engine.config import EngineConfig
from engine.errors import EngineClosed, InferenceFailed
from engine.job import Job
from engine.remote.wire import CarriedError

if TYPE_CHECKING:
    from engine.engine import Engine

__all__ = ["RayEngine"]


class RayEngine:
    """Sends each job to the Serve app `config.ray_app`; errors arrive as the engine's own types."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._handle: Any = None
        self._styles: tuple[str, ...] = ()
        self._device = ""
        self._options: dict[str, tuple[str, ...]] = {}
        self._pending: set[str] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._owns_ray = False
        self._closing = False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def style_names(self) -> tuple[str, ...]:
        """Names of the styles the replicas serve."""
        self._require_handle()
        return self._styles

    def option_names(self, style: str) -> tuple[str, ...]:
        """The StyleOptions fields (texture, color) `style` honours on the replicas."""
        self._require_handle()
        return self._options.get(style, ())

    @property
    def device(self) -> str:
        """Where the replicas run, e.g. "ray:cuda"."""
        self._require_handle()
        return f"ray:{self._device}"

    @property
    def queue_depth(self) -> int:
        """Jobs this process has in flight on the cluster."""
        return len(self._pending)

    async def start(self) -> None:
        """Connect to the cluster (unless this process already did) and to the application."""
        if self._handle is not None:
            return
        handle = await asyncio.to_thread(self._connect)
        try:
            info = await handle.describe.remote()
        except Exception as exc:
            await self._release_ray()
            raise EngineClosed(
                f"Ray Serve app {self.config.ray_app!r} did not answer: {exc}"
            ) from exc
        self._handle = handle
        self._styles = tuple(info["styles"])
        self._device = str(info["device"])
        # Replicas from before style options describe none: every style then ignores them.
        self._options = {k: tuple(v) for k, v in dict(info.get("options", {})).items()}
        self._closing = False

    def _connect(self) -> Any:
        import ray
        from ray import serve

        if not ray.is_initialized():
            ray.init(address=self.config.ray_address, logging_level=logging.WARNING)
            self._owns_ray = True
        try:
            return serve.get_app_handle(self.config.ray_app)
        except Exception as exc:  # RayServeException, or Serve not running on the cluster
            raise EngineClosed(
                f"no Ray Serve app {self.config.ray_app!r} at {self.config.ray_address}: {exc}"
            ) from exc

    async def submit(self, job: Job) -> np.ndarray:
        """Stylize one image on a replica; raises the same errors as Engine.submit."""
        handle = self._require_handle()
        if self._closing:
            raise EngineClosed("engine is shutting down")
        from ray.exceptions import RayError

        self._pending.add(job.job_id)
        self._idle.clear()
        try:
            result = await handle.submit.remote(
                job.image, job.style, job.user_id, job.job_id, job.options.as_dict()
            )
        except RayError as exc:  # a replica or the cluster failed, not the job itself
            raise InferenceFailed(exc) from exc
        finally:
            self._pending.discard(job.job_id)
            if not self._pending:
                self._idle.set()
        if isinstance(result, CarriedError):
            raise result.rebuild()
        return np.asarray(result)

    def position(self, job_id: str) -> int | None:
        """Always None: jobs wait in the replicas' queues, which are not polled from here."""
        return None

    async def close(self, *, drain: bool = True) -> None:
        """Refuse new jobs; wait for this process's jobs (drain=True); leave the app running."""
        if self._handle is None:
            return
        self._closing = True
        if drain:
            await self._idle.wait()
        self._handle = None
        await self._release_ray()

    async def _release_ray(self) -> None:
        if self._owns_ray:
            import ray

            await asyncio.to_thread(ray.shutdown)
            self._owns_ray = False

    def _require_handle(self) -> Any:
        if self._handle is None:
            raise EngineClosed("engine is not started")
        return self._handle


if TYPE_CHECKING:  # both backends offer what the frontends use (checked by mypy)
    _local: type[EngineSurface] = Engine
    _remote: type[EngineSurface] = RayEngine
