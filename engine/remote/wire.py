"""What crosses the wire between RayEngine and its replicas, without importing ray."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

import numpy as np

from engine import errors
from engine.config import EngineConfig
from engine.job import Job

__all__ = ["CarriedError", "EngineSurface"]


class EngineSurface(Protocol):
    """What the frontends use of an engine; Engine and RayEngine both provide it."""

    async def __aenter__(self) -> Any:
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

    async def submit(self, job: Job) -> np.ndarray:
        """Stylize one image."""
        ...

    def position(self, job_id: str) -> int | None:
        """1-based queue position of a waiting job, or None."""
        ...


@dataclass(frozen=True, slots=True)
class CarriedError:
    """A ToonError flattened for transport: its class name, args and attributes.

    The engine's errors take data in __init__ (UnknownStyle(name, available)), which plain
    pickling of an exception cannot rebuild; carrying the fields rebuilds the same type.
    """

    name: str
    args: tuple[Any, ...]
    attrs: dict[str, Any]

    @classmethod
    def from_error(cls, exc: errors.ToonError) -> CarriedError:
        """Flatten `exc`; attributes that cannot be pickled travel as RuntimeError/str."""
        attrs = {key: _portable(value) for key, value in vars(exc).items()}
        return cls(type(exc).__name__, tuple(_portable(a) for a in exc.args), attrs)

    def rebuild(self) -> errors.ToonError:
        """The same ToonError subclass with the same fields (unknown names: InferenceFailed)."""
        kind = getattr(errors, self.name, None)
        if not (isinstance(kind, type) and issubclass(kind, errors.ToonError)):
            return errors.InferenceFailed(RuntimeError(f"{self.name}: {self.args}"))
        exc = kind.__new__(kind)
        exc.args = self.args
        exc.__dict__.update(self.attrs)
        return exc


def _portable(value: Any) -> Any:
    try:
        pickle.dumps(value)
    except Exception:
        if isinstance(value, BaseException):
            return RuntimeError(f"{type(value).__name__}: {value}")
        return repr(value)
    return value
