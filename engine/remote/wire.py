"""What crosses the wire between RayEngine and its replicas, without importing ray."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

from engine import errors

__all__ = ["CarriedError"]


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
