"""The engine as a Ray Serve deployment: replicas each own an Engine; RayEngine is the client.

Importing this package does not import ray: only starting a RayEngine or building the
deployment does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.api import EngineSurface
from engine.remote.wire import CarriedError

if TYPE_CHECKING:
    from engine.remote.client import RayEngine
    from engine.remote.deployment import EngineReplica, build_app

__all__ = ["CarriedError", "EngineReplica", "EngineSurface", "RayEngine", "build_app"]

_LAZY = {
    "RayEngine": "engine.remote.client",
    "EngineReplica": "engine.remote.deployment",
    "build_app": "engine.remote.deployment",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
