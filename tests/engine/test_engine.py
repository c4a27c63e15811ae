"""Queue, micro-batcher and worker semantics, with a recording style standing in for a model."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest
import torch

from engine.config import EngineConfig
from engine.engine import Engine
from engine.errors import (
    EngineClosed,
    InferenceFailed,
    JobTimeout,
    QueueFull,
    UnknownStyle,
    UnsupportedMedia,
)
from engine.job import Job


class RecordingStyle:
    """Inverts the image; records each batch's marker values; can block or fail on demand."""

    description = "test double"
    needs_exact_size = False

    def __init__(self, name: str = "rec") -> None:
        self.name = name
        self.batches: list[list[int]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail_marker: int | None = None
        self.sleep_s = 0.0

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        markers = [round(float(v) * 255) for v in images[:, 0, 0, 0]]
        self.batches.append(markers)
        self.gate.wait(timeout=10)
        if self.sleep_s:
            time.sleep(self.sleep_s)
        if self.fail_marker is not None and self.fail_marker in markers:
            raise RuntimeError("model exploded")
        return 1.0 - images


def img(marker: int, h: int = 20, w: int = 24) -> np.ndarray:
    return np.full((h, w, 3), marker, dtype=np.uint8)


def config(**kw: object) -> EngineConfig:
    base: dict[str, object] = {
        "device": "cpu",
        "max_batch_size": 4,
        "max_wait_ms": 50.0,
        "bucket_px": 32,
        "split_cpu_batches": False,  # observe the batches the batcher forms
    }
    base.update(kw)
    return EngineConfig(**base)  # type: ignore[arg-type]


async def wait_until(pred: object, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not pred():  # type: ignore[operator]
        if time.monotonic() > end:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)


async def test_result_is_the_styled_image_cropped_back() -> None:
    style = RecordingStyle()
    async with Engine(config(), {"rec": style}) as engine:
        out = await engine.submit(Job(img(10, 21, 37), "rec"))
    assert out.shape == (21, 37, 3)
    assert out.dtype == np.uint8
    assert np.all(out == 245)


async def test_batch_fills_to_max_size_without_waiting_for_deadline() -> None:
    style = RecordingStyle()
    async with Engine(config(max_wait_ms=5000.0, max_batch_size=4), {"rec": style}) as engine:
        started = time.monotonic()
        outs = await asyncio.gather(
            *(engine.submit(Job(img(i), "rec", user_id="u")) for i in range(8))
        )
        elapsed = time.monotonic() - started
    assert [len(b) for b in style.batches] == [4, 4]
    assert sorted(m for b in style.batches for m in b) == list(range(8))
    assert [int(o[0, 0, 0]) for o in outs] == [255 - i for i in range(8)]
    assert elapsed < 4.0  # a full batch must not sit out the 5 s deadline


async def test_deadline_closes_a_partial_batch() -> None:
    style = RecordingStyle()
    async with Engine(config(max_wait_ms=30.0, max_batch_size=8), {"rec": style}) as engine:
        first = asyncio.create_task(engine.submit(Job(img(1), "rec")))
        await asyncio.sleep(0.3)  # well past the 30 ms deadline
        second = asyncio.create_task(engine.submit(Job(img(2), "rec")))
        await asyncio.gather(first, second)
    assert style.batches == [[1], [2]]


async def test_jobs_arriving_within_the_deadline_share_a_batch() -> None:
    style = RecordingStyle()
    async with Engine(config(max_wait_ms=400.0, max_batch_size=8), {"rec": style}) as engine:
        first = asyncio.create_task(engine.submit(Job(img(1), "rec")))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(engine.submit(Job(img(2), "rec")))
        await asyncio.gather(first, second)
    assert style.batches == [[1, 2]]


async def test_only_compatible_jobs_share_a_batch() -> None:
    a, b = RecordingStyle("a"), RecordingStyle("b")
    async with Engine(config(max_wait_ms=100.0, max_batch_size=8), {"a": a, "b": b}) as engine:
        await asyncio.gather(
            engine.submit(Job(img(1), "a")),
            engine.submit(Job(img(2), "b")),
            engine.submit(Job(img(3, 100, 100), "a")),  # other size bucket
            engine.submit(Job(img(4, 25, 30), "a")),  # same 32-px bucket as 20x24
        )
    assert sorted(a.batches) == [[1, 4], [3]]
    assert b.batches == [[2]]


async def test_job_that_times_out_in_queue_never_reaches_the_model() -> None:
    style = RecordingStyle()
    style.gate.clear()
    async with Engine(config(job_timeout_s=0.3, max_batch_size=1), {"rec": style}) as engine:
        blocker = asyncio.create_task(engine.submit(Job(img(1), "rec")))
        await wait_until(lambda: style.batches)
        late = asyncio.create_task(engine.submit(Job(img(2), "rec")))
        with pytest.raises(JobTimeout) as info:
            await late
        assert info.value.timeout_s == pytest.approx(0.3)
        style.gate.set()
        await blocker  # the job already in the model is delivered, not dropped
        assert engine.queue_depth == 0
    assert style.batches == [[1]]


async def test_a_failed_batch_fails_every_job_in_it_and_the_engine_goes_on() -> None:
    style = RecordingStyle()
    style.fail_marker = 2
    async with Engine(config(max_wait_ms=200.0, max_batch_size=3), {"rec": style}) as engine:
        results = await asyncio.gather(
            *(engine.submit(Job(img(i), "rec")) for i in (1, 2, 3)), return_exceptions=True
        )
        assert all(isinstance(r, InferenceFailed) for r in results)
        assert all(
            isinstance(r, InferenceFailed) and "model exploded" in str(r.cause) for r in results
        )
        after = await engine.submit(Job(img(7), "rec"))
    assert int(after[0, 0, 0]) == 248


async def test_one_users_burst_does_not_starve_another_user() -> None:
    style = RecordingStyle()
    style.gate.clear()
    async with Engine(config(max_batch_size=1, max_wait_ms=0.0), {"rec": style}) as engine:
        burst = [
            asyncio.create_task(engine.submit(Job(img(i), "rec", user_id="alice")))
            for i in range(20)
        ]
        await wait_until(lambda: style.batches)
        bob = asyncio.create_task(engine.submit(Job(img(100), "rec", user_id="bob")))
        await wait_until(lambda: engine.queue_depth == 20)
        style.gate.set()
        await asyncio.gather(bob, *burst)
    order = [b[0] for b in style.batches]
    # alice's first job was already in the model; bob is served next, not after 19 more.
    assert order.index(100) == 1
    assert [m for m in order if m != 100] == list(range(20))


async def test_queue_position_is_round_robin() -> None:
    style = RecordingStyle()
    style.gate.clear()
    async with Engine(config(max_batch_size=1, max_wait_ms=0.0), {"rec": style}) as engine:
        jobs = [Job(img(i), "rec", user_id="alice") for i in range(4)] + [
            Job(img(9), "rec", user_id="bob")
        ]
        tasks = [asyncio.create_task(engine.submit(j)) for j in jobs]
        await wait_until(lambda: engine.queue_depth == 4)
        positions = [engine.position(j.job_id) for j in jobs]
        style.gate.set()
        await asyncio.gather(*tasks)
    assert positions == [None, 2, 3, 4, 1]


async def test_full_queue_raises_queue_full() -> None:
    style = RecordingStyle()
    style.gate.clear()
    async with Engine(config(max_batch_size=1, queue_size=2), {"rec": style}) as engine:
        running = asyncio.create_task(engine.submit(Job(img(0), "rec")))
        await wait_until(lambda: style.batches)
        queued = [asyncio.create_task(engine.submit(Job(img(i), "rec"))) for i in (1, 2)]
        await wait_until(lambda: engine.queue_depth == 2)
        with pytest.raises(QueueFull) as info:
            await engine.submit(Job(img(3), "rec"))
        assert info.value.capacity == 2
        style.gate.set()
        await asyncio.gather(running, *queued)


async def test_cancelled_caller_frees_its_queue_slot() -> None:
    style = RecordingStyle()
    style.gate.clear()
    async with Engine(config(max_batch_size=1, queue_size=1), {"rec": style}) as engine:
        running = asyncio.create_task(engine.submit(Job(img(0), "rec")))
        await wait_until(lambda: style.batches)
        waiting = asyncio.create_task(engine.submit(Job(img(1), "rec")))
        await wait_until(lambda: engine.queue_depth == 1)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        assert engine.queue_depth == 0
        replacement = asyncio.create_task(engine.submit(Job(img(2), "rec")))
        style.gate.set()
        await asyncio.gather(running, replacement)
    assert [b[0] for b in style.batches] == [0, 2]


async def test_inference_does_not_block_the_event_loop() -> None:
    style = RecordingStyle()
    style.sleep_s = 0.5
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async with Engine(config(), {"rec": style}) as engine:
        t = asyncio.create_task(ticker())
        await engine.submit(Job(img(1), "rec"))
        t.cancel()
    # 0.5 s of blocking inference on the loop would allow ~0 ticks; off the loop, dozens.
    assert ticks >= 20


async def test_close_drains_queued_jobs_then_refuses_new_ones() -> None:
    style = RecordingStyle()
    style.gate.clear()
    engine = Engine(config(max_batch_size=1), {"rec": style})
    await engine.start()
    tasks = [asyncio.create_task(engine.submit(Job(img(i), "rec"))) for i in range(3)]
    await wait_until(lambda: engine.queue_depth == 2)
    closing = asyncio.create_task(engine.close())
    await asyncio.sleep(0.05)
    with pytest.raises(EngineClosed):
        await engine.submit(Job(img(9), "rec"))
    style.gate.set()
    await closing
    outs = await asyncio.gather(*tasks)
    assert [int(o[0, 0, 0]) for o in outs] == [255, 254, 253]


async def test_close_without_drain_fails_queued_jobs() -> None:
    style = RecordingStyle()
    style.gate.clear()
    engine = Engine(config(max_batch_size=1), {"rec": style})
    await engine.start()
    running = asyncio.create_task(engine.submit(Job(img(0), "rec")))
    await wait_until(lambda: style.batches)
    queued = asyncio.create_task(engine.submit(Job(img(1), "rec")))
    await wait_until(lambda: engine.queue_depth == 1)
    closing = asyncio.create_task(engine.close(drain=False))
    with pytest.raises(EngineClosed):
        await queued
    style.gate.set()
    await closing
    assert int((await running)[0, 0, 0]) == 255
    assert style.batches == [[0]]


async def test_bad_jobs_are_refused_before_queueing() -> None:
    async with Engine(config(), {"rec": RecordingStyle()}) as engine:
        with pytest.raises(UnknownStyle) as info:
            await engine.submit(Job(img(1), "nope"))
        assert info.value.available == ("rec",)
        with pytest.raises(UnsupportedMedia):
            await engine.submit(Job(np.zeros((4, 4), dtype=np.uint8), "rec"))
        assert engine.queue_depth == 0


def test_config_validation_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_batch_size"):
        EngineConfig(max_batch_size=0)
    with pytest.raises(ValueError, match="device"):
        EngineConfig(device="tpu")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="job_timeout_s"):
        EngineConfig(job_timeout_s=-1)


async def test_cpu_split_runs_each_image_alone_at_its_own_size() -> None:
    seen: list[tuple[int, ...]] = []

    class ShapeStyle(RecordingStyle):
        def __call__(self, images: torch.Tensor) -> torch.Tensor:
            seen.append(tuple(images.shape))
            return super().__call__(images)

    cfg = config(split_cpu_batches=True, max_wait_ms=300.0)
    async with Engine(cfg, {"rec": ShapeStyle()}) as engine:
        outs = await asyncio.gather(
            engine.submit(Job(img(1, 20, 24), "rec")), engine.submit(Job(img(2, 30, 17), "rec"))
        )
        assert engine.batcher.batch_sizes == [2]  # one batch formed ...
    assert sorted(seen) == [(1, 3, 20, 24), (1, 3, 30, 17)]  # ... run image by image, unpadded
    assert [o.shape for o in outs] == [(20, 24, 3), (30, 17, 3)]
    assert [int(o[0, 0, 0]) for o in outs] == [254, 253]


async def test_person_aware_webtoon_can_be_switched_off() -> None:
    from engine.styles.webtoon import WebtoonStyle

    for flag in (True, False):
        engine = Engine(config(person_aware=flag))
        worker = engine._build_worker()
        webtoon = worker.style("webtoon")
        assert isinstance(webtoon, WebtoonStyle)
        assert webtoon.person_aware is flag


async def test_batch_sizes_keep_only_the_recent_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # A long-lived engine runs millions of batches: the list must not grow with them.
    import engine.batcher

    monkeypatch.setattr(engine.batcher, "RECENT_BATCHES", 3)
    async with Engine(config(max_wait_ms=0.0), {"rec": RecordingStyle()}) as eng:
        for i in range(10):
            await eng.submit(Job(img(i), "rec"))
        assert eng.batcher.batches_run == 10
        assert 3 <= len(eng.batcher.batch_sizes) <= 6
        assert eng.batcher.batch_sizes[-3:] == [1, 1, 1]
