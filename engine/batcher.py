"""The micro-batcher: gathers compatible jobs into batches and hands them to the worker thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

import numpy as np

from engine.analysis.types import PersonAnalysis
from engine.errors import InferenceFailed, InferenceTimeout, JobTimeout
from engine.fairqueue import FairQueue
from engine.job import BatchKey, JobState, PendingJob
from engine.styles.options import StyleOptions

__all__ = ["BatchRunner", "BatchWait", "Batcher"]

log = logging.getLogger(__name__)

# batch_sizes keeps the most recent ones only: a long-lived engine runs millions of batches.
RECENT_BATCHES = 1024

# "auto": wait for company only when it can help and is likely to come (Batcher._should_wait);
# "always": every batch waits up to max_wait for company (the behaviour before issue 16).
BatchWait = Literal["auto", "always"]


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
    """Wait for a first job, fill it with company, run the batch, repeat.

    What is queued now with the same batch key always joins, up to max_batch_size. Whether the
    batch then also *waits* up to max_wait for more depends on `wait` (see _should_wait): with
    "auto" a lone job waits only when waiting can pay off, so its overhead is the hand-off alone.
    """

    def __init__(
        self,
        queue: FairQueue,
        runner: BatchRunner,
        *,
        max_batch_size: int,
        max_wait_s: float,
        job_timeout_s: float,
        on_start: Callable[[Sequence[float]], None] | None = None,
        split_batches: bool = False,
        wait: BatchWait = "auto",
    ) -> None:
        """max_wait_s: the longest a batch waits for company (seconds, >= 0); on_start, when
        given, is called with each batch's queue waits (seconds, one per job) just before the
        batch runs. split_batches: the runner runs a batch image by image (the CPU split), so
        company saves nothing and "auto" never waits for it. wait: "auto" or "always"."""
        if wait not in ("auto", "always"):
            raise ValueError(f"wait must be 'auto' or 'always', not {wait!r}")
        self._queue = queue
        self._runner = runner
        self._max_batch_size = max_batch_size
        self._max_wait_s = max_wait_s
        self._job_timeout_s = job_timeout_s
        self._on_start = on_start
        self._split = split_batches
        self._wait = wait
        # Jobs in the previous batch (0: none yet), and when it was done (monotonic s).
        self._last_size = 0
        self._last_done = 0.0
        self.batches_run = 0
        self.batch_sizes: list[int] = []  # the last RECENT_BATCHES batches' sizes, oldest first
        self.batches_waited = 0  # batches that waited for company (for tests and benches)

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
            self._last_size = len(batch)
            self._last_done = time.monotonic()

    def _should_wait(self, first: PendingJob) -> bool:
        """Whether the batch led by `first` waits up to max_wait for company (else it takes
        only what is queued now).

        "always": yes. "auto": never when batches are split image by image (the CPU path:
        company saves nothing). Otherwise (a GPU, or an unsplit CPU) only while more jobs are
        plausibly coming: the previous batch had company (concurrent traffic), or `first`
        arrived while the previous batch was still being served (it queued behind it). A lone
        job after a quiet spell, or the next job of one user who sends one photo at a time,
        goes at once; under load batches still form, from the jobs that queue while a batch
        runs, and once they do the batcher waits again. Before the first batch there is no
        history, so it waits as before.
        """
        if self._wait == "always":
            return True
        if self._split:
            return False
        if self._last_size == 0 or self._last_size > 1:
            return True
        return first.enqueued < self._last_done

    async def _fill(self, first: PendingJob) -> list[PendingJob]:
        first.state = JobState.RUNNING
        batch = [first]
        wait = self._max_wait_s > 0 and self._should_wait(first)
        deadline = time.monotonic() + self._max_wait_s
        while len(batch) < self._max_batch_size:
            nxt = self._queue.pop_nowait(first.key)
            remaining = deadline - time.monotonic()
            if nxt is None and wait and remaining > 0:
                nxt = await self._queue.get(first.key, timeout=remaining)
            if nxt is None:
                break
            nxt.state = JobState.RUNNING
            batch.append(nxt)
        if wait:
            self.batches_waited += 1
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
