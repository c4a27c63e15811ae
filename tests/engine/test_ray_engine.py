"""The engine as a Ray Serve deployment on a single-node local Ray: same results as the local
engine, engine errors arriving as the same types, and a clean shutdown."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.config import EngineConfig
from engine.engine import Engine
from engine.errors import EngineClosed, InferenceFailed, UnknownStyle
from engine.job import Job
from engine.remote import CarriedError
from tests.engine.tiny_styles import tiny_styles

REPO = Path(__file__).resolve().parents[2]
APP = "toonbot-engine-test"
STYLES = "tests.engine.tiny_styles:tiny_styles"


def config() -> EngineConfig:
    return EngineConfig(
        device="cpu",
        max_batch_size=4,
        max_wait_ms=5,
        bucket_px=32,
        person_aware=False,
        torch_threads=1,
        backend="ray",
        ray_app=APP,
        ray_replicas=1,
        ray_gpus_per_replica=0,
    )


def picture(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (37, 45, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def serve_app() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    serve = pytest.importorskip("ray.serve")
    from engine.remote import build_app

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,
        # Workers import this worktree's engine and test styles, not an installed copy.
        runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}},
    )
    try:
        serve.start(proxy_location="Disabled")
        serve.run(
            build_app(config(), styles=STYLES, ray_actor_options={"num_cpus": 0.5}),
            name=APP,
            route_prefix=None,
        )
        yield serve
    finally:
        serve.shutdown()
        ray.shutdown()


def test_importing_the_engine_does_not_import_ray() -> None:
    import subprocess
    import sys

    code = "import engine.engine, engine.remote, sys; print('ray' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert out.stdout.strip() == "False"


def test_carried_errors_rebuild_the_same_type_and_fields() -> None:
    carried = CarriedError.from_error(UnknownStyle("nope", ("a", "b")))
    again = carried.rebuild()
    assert type(again) is UnknownStyle
    assert (again.name, again.available, str(again)) == ("nope", ("a", "b"), str(carried.args[0]))
    failed = CarriedError.from_error(InferenceFailed(MemoryError("out of memory")))
    rebuilt = failed.rebuild()
    assert isinstance(rebuilt, InferenceFailed)
    assert isinstance(rebuilt.cause, MemoryError)


async def test_ray_round_trip_matches_the_local_engine(serve_app: Any) -> None:
    from engine.remote import RayEngine

    images = [picture(seed) for seed in range(3)]
    local_config = EngineConfig(device="cpu", max_batch_size=4, bucket_px=32, torch_threads=1)
    async with Engine(local_config, tiny_styles()) as local:
        expected = [await local.submit(Job(image, "tiny", user_id="u")) for image in images]
    async with RayEngine(config()) as remote:
        assert remote.style_names == ("tiny", "other")
        assert remote.device == "ray:cpu"
        assert remote.option_names("tiny") == ()  # tiny styles take no options
        got = [await remote.submit(Job(image, "tiny", user_id="u")) for image in images]
        assert remote.queue_depth == 0
        assert remote.position("anything") is None
    for out, want in zip(got, expected, strict=True):
        assert out.dtype == np.uint8 and out.shape == (37, 45, 3)
        np.testing.assert_array_equal(out, want)


async def test_unknown_style_arrives_as_unknown_style(serve_app: Any) -> None:
    from engine.remote import RayEngine

    async with RayEngine(config()) as remote:
        with pytest.raises(UnknownStyle) as caught:
            await remote.submit(Job(picture(), "no-such-style", user_id="u"))
    assert caught.value.name == "no-such-style"
    assert caught.value.available == ("tiny", "other")


async def test_closed_client_refuses_and_a_missing_app_is_reported(serve_app: Any) -> None:
    from engine.remote import RayEngine

    remote = RayEngine(config())
    async with remote:
        pass
    with pytest.raises(EngineClosed):
        await remote.submit(Job(picture(), "tiny"))
    with pytest.raises(EngineClosed, match="no-such-app"):
        async with RayEngine(EngineConfig(backend="ray", ray_app="no-such-app")):
            pass


def test_deleting_the_app_stops_its_replica(serve_app: Any) -> None:
    serve_app.delete(APP)
    assert APP not in serve_app.status().applications
