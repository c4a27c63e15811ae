"""When the batcher waits for company (issue 16): never on split CPU batches, on the GPU-like
path only while more jobs are plausibly coming. No timings: the queue records every time the
batcher asks it to wait, and max_wait is long enough that no test could sit one out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import numpy as np
import pytest

from engine.batcher import Batcher
from engine.fairqueue import FairQueue
from engine.job import BatchKey, Job, PendingJob
from engine.styles.options import StyleOptions

KEY = BatchKey("rec", 32, 32, StyleOptions())
HOUR_S = 3600.0  # a max_wait no test could sit out


class RecordingQueue(FairQueue):
    """A FairQueue that notes each keyed wait the batcher asks for (the fill's waits)."""

    def __init__(self) -> None:
        super().__init__(64)
        self.waits: list[float | None] = []

    async def get(
        self, key: BatchKey | None = None, timeout: float | None = None
    ) -> PendingJob | None:
        if key is not None:
            self.waits.append(timeout)
        return await super().get(key, timeout)


class Runner:
    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.ran = asyncio.Event()

    async def __call__(
        self,
        style: str,
        images: Sequence[np.ndarray],
        padded: tuple[int, int],
        analyses: object = None,
        *,
        options: StyleOptions | None = None,
    ) -> list[np.ndarray]:
        self.batches.append([int(im[0, 0, 0]) for im in images])
        self.ran.set()
        return [255 - im for im in images]


def pending(marker: int) -> PendingJob:
    job = Job(np.full((20, 24, 3), marker, dtype=np.uint8), "rec", user_id=f"u{marker}")
    item = PendingJob(
        job=job,
        key=KEY,
        future=asyncio.get_running_loop().create_future(),
        deadline=time.monotonic() + HOUR_S,
    )
    return item


async def served(
    batches: Sequence[Sequence[PendingJob]], *, split: bool, wait: str = "auto", max_wait_s: float
) -> tuple[Runner, RecordingQueue, Batcher]:
    """Put each group of jobs on the queue once the previous group has been answered."""
    queue, runner = RecordingQueue(), Runner()
    batcher = Batcher(
        queue,
        runner,
        max_batch_size=4,
        max_wait_s=max_wait_s,
        job_timeout_s=HOUR_S,
        split_batches=split,
        wait=wait,  # type: ignore[arg-type]
    )
    task = asyncio.create_task(batcher.run())
    for group in batches:
        for item in group:
            queue.put(item)
        await asyncio.gather(*(item.future for item in group))
    queue.close()
    await task
    return runner, queue, batcher


async def test_split_batches_never_wait_for_company() -> None:
    # An hour's max_wait: the lone job is answered only because the batcher does not wait.
    runner, queue, batcher = await served([[pending(1)]], split=True, max_wait_s=HOUR_S)
    assert runner.batches == [[1]]
    assert queue.waits == []
    assert batcher.batches_waited == 0


async def test_split_batches_still_take_what_is_queued() -> None:
    group = [pending(i) for i in range(6)]
    runner, queue, _ = await served([group], split=True, max_wait_s=HOUR_S)
    assert runner.batches == [[0, 1, 2, 3], [4, 5]]
    assert queue.waits == []


async def test_one_photo_at_a_time_waits_only_the_first_time() -> None:
    # No history: the first batch waits for company (50 ms, none comes). After it, one user
    # sending a photo once the last came back never waits, however long max_wait is.
    queue, runner = RecordingQueue(), Runner()
    batcher = Batcher(queue, runner, max_batch_size=4, max_wait_s=0.05, job_timeout_s=HOUR_S)
    task = asyncio.create_task(batcher.run())
    first = pending(0)
    queue.put(first)
    await first.future
    assert len(queue.waits) == 1
    batcher._max_wait_s = HOUR_S
    for i in range(1, 5):
        item = pending(i)
        queue.put(item)
        await item.future
    queue.close()
    await task
    assert runner.batches == [[0], [1], [2], [3], [4]]
    assert len(queue.waits) == 1  # only the first batch asked the queue to wait
    assert batcher.batches_waited == 1


async def test_jobs_arriving_together_still_batch_after_a_quiet_start() -> None:
    queue, runner = RecordingQueue(), Runner()
    gate = asyncio.Event()
    blocked = Runner()

    async def slow(*args: object, **kw: object) -> list[np.ndarray]:
        await gate.wait()
        return await blocked(*args, **kw)  # type: ignore[arg-type]

    batcher = Batcher(queue, slow, max_batch_size=4, max_wait_s=HOUR_S, job_timeout_s=HOUR_S)
    batcher._last_size, batcher._last_done = 1, time.monotonic()  # past the first batch
    task = asyncio.create_task(batcher.run())
    lone = pending(1)
    queue.put(lone)
    await asyncio.sleep(0)
    assert queue.waits == []  # a quiet spell: the lone job goes at once ...
    rush = [pending(i) for i in (2, 3, 4, 5, 6, 7)]
    for item in rush[:2]:
        queue.put(item)  # ... two more queue while it runs ...
    gate.set()
    await lone.future
    while not queue.waits:  # the batch 2 and 3 lead starts filling
        await asyncio.sleep(0)
    assert queue.waits == [pytest.approx(HOUR_S, rel=0.01)]  # ... so that batch waits ...
    for item in rush[2:]:
        queue.put(item)  # ... and company comes while it waits: one batch of 4
    await asyncio.gather(*(item.future for item in rush[:4]))
    queue.close()  # the batch after a full one waits for company: closing ends the wait
    await task
    assert rush[5].future.done()
    assert blocked.batches == [[1], [2, 3, 4, 5], [6, 7]]
    assert runner.batches == []


async def test_always_keeps_the_old_wait_even_on_split_batches() -> None:
    runner, queue, batcher = await served(
        [[pending(1)]], split=True, wait="always", max_wait_s=0.01
    )
    assert runner.batches == [[1]]
    assert queue.waits == [pytest.approx(0.01, abs=0.01)]
    assert batcher.batches_waited == 1


async def test_an_unknown_wait_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="wait"):
        Batcher(
            FairQueue(1),
            Runner(),
            max_batch_size=1,
            max_wait_s=0.0,
            job_timeout_s=1.0,
            wait="never",  # type: ignore[arg-type]
        )
