"""`toonbot engine-serve`: deploy the engine as a Ray Serve app, then exit."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from bot.commands.base import Command

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["COMMAND"]


def _engine_serve(args: argparse.Namespace, config: Config) -> int:
    try:
        import ray
        from ray import serve
    except ImportError:
        print("toonbot: engine-serve needs Ray: pip install 'ray[serve]'", file=sys.stderr)
        return 2
    from bot.messages import CLI_NO_RAY_CLUSTER
    from engine.remote import build_app

    engine = config.engine
    try:
        ray.init(address=engine.ray_address, logging_level=logging.WARNING)
    except (ConnectionError, TimeoutError, RuntimeError) as exc:  # what Ray raises for "no one"
        reason = str(exc).split(". ")[0].rstrip(".")
        print(
            "toonbot: " + CLI_NO_RAY_CLUSTER.format(address=engine.ray_address, reason=reason),
            file=sys.stderr,
        )
        return 1
    try:
        # Serve keeps the app on the cluster after this driver exits; rerunning updates it.
        serve.run(build_app(engine, models=config.models), name=engine.ray_app, route_prefix=None)
    finally:
        ray.shutdown()
    print(
        f"engine deployed as Ray Serve app {engine.ray_app!r}: {engine.ray_replicas} replica(s), "
        f"{engine.ray_gpus_per_replica:g} GPU(s) each"
    )
    return 0


COMMAND = Command(
    "engine-serve",
    "deploy the engine as a Ray Serve app on the cluster at engine.ray_address, then exit",
    _engine_serve,
)
