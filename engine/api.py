"""The engine seam: what the frontends (bot/) may use of an engine, whichever backend serves it.

`Engine` (in this process) and `RayEngine` (a Ray Serve app) both provide `EngineSurface`;
mypy checks that in engine/remote/client.py. Frontends type against this protocol, so they
need not know which backend they got, and naming the type imports neither torch nor ray.
The one call that draws is `await engine.submit(job)` (a `engine.job.Job`); its errors are
the `engine.errors.ToonError` family.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

if TYPE_CHECKING:  # annotations only: importing this module stays light
    import numpy as np

    from engine.config import EngineConfig
    from engine.job import Job

__all__ = ["EngineSurface"]


class EngineSurface(Protocol):
    """What the frontends use of an engine; Engine and RayEngine both provide it."""

    async def __aenter__(self) -> Self:
        """Start serving."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving."""
        ...

    @property
    def config(self) -> EngineConfig:
        """The engine settings (frontends read max_batch_size)."""
        ...

    @property
    def style_names(self) -> tuple[str, ...]:
        """Names of the styles served."""
        ...

    @property
    def device(self) -> str:
        """Where inference runs."""
        ...

    @property
    def queue_depth(self) -> int:
        """Jobs waiting."""
        ...

    def option_names(self, style: str) -> tuple[str, ...]:
        """The StyleOptions fields (texture, color) `style` honours; () if it ignores options."""
        ...

    async def submit(self, job: Job) -> np.ndarray:
        """Stylize one image; raises the engine.errors.ToonError family."""
        ...

    def position(self, job_id: str) -> int | None:
        """1-based queue position of a waiting job, or None."""
        ...
