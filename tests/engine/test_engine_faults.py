"""The engine survives a batch that crashes or hangs: jobs fail cleanly, the worker is replaced."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import ItemsView

import numpy as np
import pytest
import torch
from prometheus_client import CollectorRegistry

from engine.config import EngineConfig
from engine.engine import Engine
from engine.errors import InferenceFailed, InferenceTimeout
from engine.job import Job
from engine.metrics import EngineMetrics
from tests.engine.test_engine import config, img, wait_until

CRASH = 13  # a batch holding an image of this value raises
HANG = 66  # a batch holding an image of this value blocks until `release` is set


class TrippingStyle:
    """Inverts the image; crashes or hangs when a trigger value is in the batch."""

    description = "test double"
    needs_exact_size = False

    def __init__(self) -> None:
        self.release = threading.Event()
        self.threads: list[threading.Thread] = []
        self.markers: list[list[int]] = []

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        markers = [round(float(v) * 255) for v in images[:, 0, 0, 0]]
        self.threads.append(threading.current_thread())
        self.markers.append(markers)
        if CRASH in markers:
            raise RuntimeError("CUDA out of memory")
        if HANG in markers:
            self.release.wait(timeout=30)
        return 1.0 - images


async def test_crashed_batch_fails_its_jobs_and_the_next_batch_runs_on_a_fresh_worker() -> None:
    style = TrippingStyle()
    async with Engine(config(max_wait_ms=200.0), {"rec": style}) as engine:
        first_worker = engine.worker_id
        results = await asyncio.gather(
            *(engine.submit(Job(img(v), "rec")) for v in (1, CRASH, 3)), return_exceptions=True
        )
        assert style.markers == [[1, CRASH, 3]]  # one batch, so all three fail together
        for result in results:
            assert isinstance(result, InferenceFailed)
            assert "out of memory" in str(result.cause)
        crashed_thread = style.threads[0]

        after = await engine.submit(Job(img(7), "rec"))
        assert int(after[0, 0, 0]) == 248
        assert engine.restarts == 1
        assert style.threads[1] is not crashed_thread
        assert engine.worker_id is not None and engine.worker_id != first_worker
        await wait_until(lambda: not crashed_thread.is_alive())  # the old thread was stopped

        again = await engine.submit(Job(img(8), "rec"))  # a healthy batch restarts nothing
        assert int(again[0, 0, 0]) == 247
        assert engine.restarts == 1
    assert style.threads[2] is style.threads[1]


async def test_a_crash_fails_only_its_own_batch() -> None:
    crashing, healthy = TrippingStyle(), TrippingStyle()
    styles = {"a": crashing, "b": healthy}
    async with Engine(config(max_wait_ms=100.0), styles) as engine:  # type: ignore[arg-type]
        results = await asyncio.gather(
            engine.submit(Job(img(CRASH), "a")),
            engine.submit(Job(img(5), "b")),
            engine.submit(Job(img(6, 100, 100), "a")),  # same style, other size: other batch
            return_exceptions=True,
        )
        assert isinstance(results[0], InferenceFailed)
        assert isinstance(results[1], np.ndarray) and int(results[1][0, 0, 0]) == 250
        assert isinstance(results[2], np.ndarray) and int(results[2][0, 0, 0]) == 249
        assert engine.restarts == 1


async def test_hung_batch_times_out_and_the_engine_goes_on_on_a_fresh_thread() -> None:
    style = TrippingStyle()
    try:
        cfg = config(max_batch_size=1, batch_timeout_s=1.0)
        async with Engine(cfg, {"rec": style}) as engine:
            hung = asyncio.create_task(engine.submit(Job(img(HANG), "rec")))
            await wait_until(lambda: style.markers)
            behind = asyncio.create_task(engine.submit(Job(img(2), "rec")))
            await wait_until(lambda: engine.queue_depth == 1)

            with pytest.raises(InferenceTimeout) as info:
                await hung
            assert info.value.timeout_s == pytest.approx(1.0)
            assert isinstance(info.value, InferenceFailed)  # callers of old keep working

            assert int((await behind)[0, 0, 0]) == 253
            hung_thread, fresh_thread = style.threads
            assert fresh_thread is not hung_thread
            assert hung_thread.is_alive() and hung_thread.daemon  # abandoned, not joined
            assert engine.restarts == 1
            assert engine.abandoned_threads == 1
        # close() returned although the hung call is still stuck in the model.
        assert hung_thread.is_alive()
    finally:
        style.release.set()
    await wait_until(lambda: not hung_thread.is_alive())  # it exits once the call returns


class RebuildFails(dict[str, TrippingStyle]):
    """The styles of an engine whose first rebuild of its worker fails (as a CUDA OOM would)."""

    builds = 0

    def items(self) -> ItemsView[str, TrippingStyle]:  # each worker build reads them once
        self.builds += 1
        if self.builds == 2:
            raise RuntimeError("out of memory while rebuilding")
        return super().items()


async def test_a_failing_restart_is_retried_before_the_next_batch() -> None:
    style = TrippingStyle()
    async with Engine(config(), RebuildFails(rec=style)) as engine:  # type: ignore[arg-type]
        with pytest.raises(InferenceFailed):
            await engine.submit(Job(img(CRASH), "rec"))
        with pytest.raises(InferenceFailed) as info:  # the restart itself failed
            await engine.submit(Job(img(1), "rec"))
        assert "out of memory" in str(info.value.cause)
        out = await engine.submit(Job(img(1), "rec"))  # the second restart works
        assert int(out[0, 0, 0]) == 254
        assert engine.restarts == 2


def test_batch_timeout_is_validated() -> None:
    with pytest.raises(ValueError, match="batch_timeout_s"):
        EngineConfig(batch_timeout_s=0)
    assert EngineConfig().batch_timeout_s >= 60  # generous: a slow CPU batch is not a hang


async def test_a_hung_batch_is_counted_as_failed_in_the_metrics() -> None:
    registry = CollectorRegistry()
    style = TrippingStyle()
    try:
        cfg = config(max_batch_size=1, batch_timeout_s=0.5)
        async with Engine(cfg, {"rec": style}, metrics=EngineMetrics(registry)) as engine:
            with pytest.raises(InferenceTimeout):
                await engine.submit(Job(img(HANG), "rec"))
    finally:
        style.release.set()
    labels = {"outcome": "failed", "style": "rec"}
    assert registry.get_sample_value("toonbot_engine_jobs_total", labels) == 1
