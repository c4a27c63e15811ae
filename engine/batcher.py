"""The micro-batcher: gathers compatible jobs into batches and hands them to the worker thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from engine.analysis.types import PersonAnalysis
from engine.errors import InferenceFailed, InferenceTimeout, JobTimeout
from engine.fairqueue import FairQueue
from engine.job import BatchKey, JobState, PendingJob
from engine.styles.options import StyleOptions

__all__ = ["BatchRunner", "Batcher"]

log = logging.getLogger(__name__)

# batch_sizes keeps the most recent ones only: a long-lived engine runs millions of batches.
RECENT_BATCHES = 1024


class BatchRunner(Protocol):
    """Runs one batch off the event loop (WorkerSupervisor.run) and returns its results.

    analyses: per-image, or None when no job has one; options: the batch's StyleOptions, only
    passed when they are not the default.
    """

    async def __call__(
        self,
        style: str,
        images: Sequence[np.ndarray],
        padded: tuple[int, int],
        analyses: Sequence[PersonAnalysis | None] | None = None,
        *,
        options: StyleOptions | None = None,
    ) -> list[np.ndarray]:
        """Stylize `images`, in order."""
        ...


class Batcher:
    """Wait for a first job, fill to max_batch_size or a monotonic deadline, run, repeat."""

    def __init__(
        self,
        queue: FairQueue,
        runner: BatchRunner,
        *,
        max_batch_size: int,
        max_wait_s: float,
        job_timeout_s: float,
        on_start: Callable[[Sequence[float]], None] | None = None,
    ) -> None:
        """on_start, when given, is called with each batch's queue waits (seconds, one per
        job) just before the batch runs."""
        self._queue = queue
        self._runner = runner
        self._max_batch_size = max_batch_size
        self._max_wait_s = max_wait_s
        self._job_timeout_s = job_timeout_s
        self._on_start = on_start
        self.batches_run = 0
        self.batch_sizes: list[int] = []  # the last RECENT_BATCHES batches' sizes, oldest first

    async def run(self) -> None:
        """Serve batches until the queue hands out the None sentinel."""
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = await self._fill(first)
            live = self._admit(batch)
            if live:
                await self._execute(live)

    async def _fill(self, first: PendingJob) -> list[PendingJob]:
        first.state = JobState.RUNNING
        batch = [first]
        deadline = time.monotonic() + self._max_wait_s
        while len(batch) < self._max_batch_size:
            remaining = deadline - time.monotonic()
            nxt = self._queue.pop_nowait(first.key)
            if nxt is None and remaining > 0:
                nxt = await self._queue.get(first.key, timeout=remaining)
            if nxt is None:
                break
            nxt.state = JobState.RUNNING
            batch.append(nxt)
        return batch

    def _admit(self, batch: list[PendingJob]) -> list[PendingJob]:
        """Drop jobs whose caller gave up or whose deadline passed before they reach the model."""
        now = time.monotonic()
        live = []
        for item in batch:
            if item.future.done():
                item.state = JobState.DONE
            elif now >= item.deadline:
                item.state = JobState.DONE
                item.future.set_exception(JobTimeout(self._job_timeout_s))
            else:
                live.append(item)
        return live

    async def _execute(self, live: list[PendingJob]) -> None:
        key: BatchKey = live[0].key
        style, ph, pw, options = key
        images = [item.job.image for item in live]
        given = [item.job.analysis for item in live]
        analyses = None if all(a is None for a in given) else given
        if self._on_start is not None:
            now = time.monotonic()
            self._on_start([now - item.enqueued for item in live])
        started = time.perf_counter()
        try:
            if options.is_default:
                results = await self._runner(style, images, (ph, pw), analyses)
            else:
                results = await self._runner(style, images, (ph, pw), analyses, options=options)
            if len(results) != len(live):
                raise RuntimeError(f"runner returned {len(results)} results for {len(live)} jobs")
        except Exception as exc:  # a failed batch fails every job in it, never just some
            log.exception("batch of %d %s jobs failed", len(live), style)
            for item in live:
                _settle(item, exc=_failure(exc))
            return
        finally:
            self.batches_run += 1
            self.batch_sizes.append(len(live))
            if len(self.batch_sizes) > 2 * RECENT_BATCHES:  # trimmed in amortized O(1)
                del self.batch_sizes[:-RECENT_BATCHES]
        log.debug(
            "batch style=%s options=%s size=%d padded=%dx%d took %.1f ms",
            style,
            options.as_dict(),
            len(live),
            ph,
            pw,
            (time.perf_counter() - started) * 1000,
        )
        for item, result in zip(live, results, strict=True):
            _settle(item, result=result)


def _failure(exc: Exception) -> InferenceFailed:
    # A fresh exception per job: one object raised in many tasks would share its traceback.
    if isinstance(exc, InferenceTimeout):
        return InferenceTimeout(exc.timeout_s)
    return InferenceFailed(exc.cause if isinstance(exc, InferenceFailed) else exc)


def _settle(
    item: PendingJob, *, result: np.ndarray | None = None, exc: BaseException | None = None
) -> None:
    item.state = JobState.DONE
    if item.future.done():  # the caller was cancelled while the batch ran
        return
    if exc is not None:
        item.future.set_exception(exc)
    else:
        assert result is not None
        item.future.set_result(result)
