"""Engine instruments: outcomes, batch sizes and latencies move as jobs run, fail and wait."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from engine.engine import Engine
from engine.errors import InferenceFailed, QueueFull, UnknownStyle
from engine.job import Job
from engine.metrics import EngineMetrics
from tests.engine.test_engine import RecordingStyle, config, img, wait_until


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    got = registry.get_sample_value(name, labels)
    return 0.0 if got is None else got


async def test_jobs_batches_and_latencies_are_counted() -> None:
    registry = CollectorRegistry()
    style = RecordingStyle()
    style.gate.clear()  # hold the first batch so the next three queue up and batch together
    async with Engine(config(), {"rec": style}, metrics=EngineMetrics(registry)) as engine:
        first = asyncio.create_task(engine.submit(Job(img(1), "rec")))
        await wait_until(lambda: style.batches)
        rest = [asyncio.create_task(engine.submit(Job(img(i), "rec"))) for i in (2, 3, 4)]
        await wait_until(lambda: engine.queue_depth == 3)
        assert value(registry, "toonbot_engine_queue_depth") == 3
        style.gate.set()
        await asyncio.gather(first, *rest)
        with pytest.raises(UnknownStyle):
            await engine.submit(Job(img(5), "nope"))
    assert value(registry, "toonbot_engine_jobs_total", outcome="ok", style="rec") == 4
    assert value(registry, "toonbot_engine_jobs_total", outcome="ok", style="nope") == 0
    assert value(registry, "toonbot_engine_batch_size_count") == 2
    assert value(registry, "toonbot_engine_batch_size_sum") == 4
    assert value(registry, "toonbot_engine_inference_seconds_count") == 2
    assert value(registry, "toonbot_engine_queue_wait_seconds_count") == 4
    assert value(registry, "toonbot_engine_job_seconds_count", style="rec") == 4
    assert value(registry, "toonbot_engine_queue_depth") == 0


async def test_failures_refusals_and_cancellations_have_their_outcome() -> None:
    registry = CollectorRegistry()
    style = RecordingStyle()
    style.fail_marker = 9
    metrics = EngineMetrics(registry)
    async with Engine(config(queue_size=1), {"rec": style}, metrics=metrics) as engine:
        with pytest.raises(InferenceFailed):
            await engine.submit(Job(img(9), "rec"))
        style.gate.clear()
        running = asyncio.create_task(engine.submit(Job(img(1), "rec")))
        await wait_until(lambda: len(style.batches) == 2)
        waiting = asyncio.create_task(engine.submit(Job(img(2), "rec")))
        await wait_until(lambda: engine.queue_depth == 1)
        with pytest.raises(QueueFull):
            await engine.submit(Job(img(3), "rec"))
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        style.gate.set()
        await running
    for outcome, count in {"failed": 1, "queue_full": 1, "cancelled": 1, "ok": 1}.items():
        assert value(registry, "toonbot_engine_jobs_total", outcome=outcome, style="rec") == count
