"""The engine facade: `await engine.submit(job)` is the one call frontends depend on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self

import numpy as np

from engine.analysis.types import PersonAnalysis, PersonAnalyzer
from engine.batcher import Batcher
from engine.config import EngineConfig
from engine.errors import (
    EngineClosed,
    InferenceFailed,
    JobTimeout,
    MediaProblem,
    QueueFull,
    UnknownStyle,
    UnsupportedMedia,
)
from engine.fairqueue import FairQueue
from engine.job import BatchKey, Job, JobState, PendingJob
from engine.styles.base import AnalyzingStyle, Style
from engine.styles.options import StyleOptions
from engine.supervisor import WorkerSupervisor
from engine.worker import InferenceWorker, bucket_size, select_device

if TYPE_CHECKING:
    from engine.metrics import EngineMetrics
    from engine.neural.cards import ModelSettings

__all__ = ["Engine"]

log = logging.getLogger(__name__)

_OUTCOMES: dict[type[BaseException], str] = {
    JobTimeout: "timeout",
    InferenceFailed: "failed",
    asyncio.CancelledError: "cancelled",
    QueueFull: "queue_full",
    EngineClosed: "closed",
}


class Engine:
    """Bounded fair queue + micro-batcher + one inference thread; use as `async with Engine(cfg)`."""

    def __init__(
        self,
        config: EngineConfig,
        styles: Mapping[str, Style] | None = None,
        *,
        models: ModelSettings | None = None,
        metrics: EngineMetrics | None = None,
    ) -> None:
        self.config = config
        self._metrics = metrics
        self._styles_override = styles
        self._models = models
        self._exact_size: frozenset[str] = frozenset()
        self._queue: FairQueue | None = None
        self._batcher: Batcher | None = None
        self._task: asyncio.Task[None] | None = None
        self._supervisor: WorkerSupervisor | None = None
        self._styles: Mapping[str, Style] | None = None
        self._worker: InferenceWorker | None = None
        self._closing = False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def style_names(self) -> tuple[str, ...]:
        """Names of the styles this engine serves."""
        return tuple(self._require_worker().style_names)

    @property
    def device(self) -> str:
        """Device the worker runs on, e.g. "cpu" or "cuda"."""
        return str(self._require_worker().device)

    def analyzer_for(self, style: str) -> PersonAnalyzer | None:
        """The PersonAnalyzer `style` builds its guides with, or None (no such style, or one
        that analyzes nothing). May build the analyzer: call it off the event loop.
        """
        model = self._require_worker().style(style)
        return model.analyzer() if isinstance(model, AnalyzingStyle) else None

    def option_names(self, style: str) -> tuple[str, ...]:
        """The StyleOptions fields (texture, color) `style` honours; () if it ignores options."""
        return self._require_worker().option_names(style)

    @property
    def queue_depth(self) -> int:
        """Jobs waiting for a batch."""
        return len(self._queue) if self._queue is not None else 0

    @property
    def batcher(self) -> Batcher:
        """The running batcher (for stats)."""
        if self._batcher is None:
            raise EngineClosed("engine is not started")
        return self._batcher

    @property
    def restarts(self) -> int:
        """Times the inference worker was replaced after a failed or hung batch."""
        return self._supervisor.restarts if self._supervisor is not None else 0

    @property
    def abandoned_threads(self) -> int:
        """Inference threads left behind because a batch hung in them (they exit on return)."""
        return self._supervisor.abandoned_threads if self._supervisor is not None else 0

    @property
    def worker_id(self) -> int | None:
        """An identity of the current inference worker (it changes when one is replaced);
        None before start."""
        return id(self._supervisor.worker) if self._supervisor is not None else None

    def waiting(self) -> tuple[PendingJob, ...]:
        """A snapshot of the jobs waiting for a batch, oldest first (read-only: for stats and
        tests; changing them changes nothing)."""
        return self._queue.waiting() if self._queue is not None else ()

    async def start(self) -> None:
        """Build styles and the worker, start the inference thread and the batcher task."""
        if self._task is not None:
            return
        # The supervisor builds the worker on the inference thread, off the event loop, and
        # rebuilds it (styles are kept) whenever a batch crashes or hangs.
        self._supervisor = WorkerSupervisor(
            self._build_worker, batch_timeout_s=self.config.batch_timeout_s
        )
        self._worker = await self._supervisor.start()
        self._queue = FairQueue(self.config.queue_size)
        self._batcher = Batcher(
            self._queue,
            self._supervisor.run if self._metrics is None else self._measured_run,
            max_batch_size=self.config.max_batch_size,
            max_wait_s=self.config.max_wait_ms / 1000.0,
            job_timeout_s=self.config.job_timeout_s,
            on_start=None if self._metrics is None else self._observe_waits,
            split_batches=self.config.split_cpu_batches and self._worker.device.type == "cpu",
        )
        self._closing = False
        self._task = asyncio.create_task(self._batcher.run(), name="toonbot-batcher")
        self._task.add_done_callback(self._on_batcher_exit)
        if self._metrics is not None:
            self._metrics.watch_queue(lambda: self.queue_depth)
        log.info("engine started on %s (%s)", self._worker.device, self._worker.precision)

    def _build_worker(self) -> InferenceWorker:
        # Models are loaded once; a restart only builds a fresh worker around them.
        styles = self._styles_override if self._styles_override is not None else self._styles
        if styles is None:
            from engine.styles import build_styles

            styles = build_styles(
                select_device(self.config.device),
                self._models,
                person_aware=self.config.person_aware,
                max_faces=self.config.max_faces,
                warp=self.config.portrait_warp,
            )
            self._styles = styles
        # Generators that normalize over the whole picture would see the bucket padding;
        # their jobs only batch with images of exactly the same size.
        self._exact_size = frozenset(
            name for name, style in styles.items() if style.needs_exact_size
        )
        return InferenceWorker(self.config, styles)

    async def submit(self, job: Job) -> np.ndarray:
        """Stylize one image; raises QueueFull, JobTimeout, InferenceFailed, UnknownStyle, EngineClosed.

        ValueError when job.analysis is given for an image of another size; TypeError when
        job.options is not a StyleOptions. Options the style does not honour are ignored.
        """
        if self._metrics is None:
            return await self._submit(job)
        started = time.monotonic()
        outcome: str | None = None
        try:
            result = await self._submit(job)
            outcome = "ok"
            return result
        except BaseException as exc:
            # By the error tree, so subclasses (InferenceTimeout is an InferenceFailed) count too.
            outcome = next((o for t, o in _OUTCOMES.items() if isinstance(exc, t)), None)
            raise
        finally:
            if outcome is not None:  # bad requests (unknown style, wrong array) are not jobs
                self._metrics.jobs.labels(outcome, job.style).inc()
                self._metrics.job_latency.labels(job.style).observe(time.monotonic() - started)

    def _observe_waits(self, waits: Sequence[float]) -> None:
        assert self._metrics is not None
        for wait in waits:
            self._metrics.queue_wait.observe(wait)

    async def _measured_run(
        self,
        style: str,
        images: Sequence[np.ndarray],
        padded: tuple[int, int],
        analyses: Sequence[PersonAnalysis | None] | None = None,
        *,
        options: StyleOptions | None = None,
    ) -> list[np.ndarray]:
        metrics, supervisor = self._metrics, self._supervisor
        assert metrics is not None and supervisor is not None
        now = time.monotonic()
        metrics.batch_size.observe(len(images))
        try:
            return await supervisor.run(style, images, padded, analyses, options=options)
        finally:
            metrics.inference.observe(time.monotonic() - now)

    async def _submit(self, job: Job) -> np.ndarray:
        if self._closing or self._queue is None or self._worker is None:
            raise EngineClosed("engine is shutting down")
        if job.style not in self._worker.style_names:
            raise UnknownStyle(job.style, tuple(self._worker.style_names))
        image = job.image
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise UnsupportedMedia(MediaProblem.NOT_RGB_PIXELS)
        if job.analysis is not None and job.analysis.person_mask.shape != image.shape[:2]:
            raise ValueError(
                f"job.analysis is of a {job.analysis.person_mask.shape} image, "
                f"not of this {image.shape[:2]} one"
            )
        if not isinstance(job.options, StyleOptions):
            raise TypeError(f"job.options must be StyleOptions, not {type(job.options).__name__}")
        loop = asyncio.get_running_loop()
        if job.style in self._exact_size:
            ph, pw = image.shape[0], image.shape[1]
        else:
            ph, pw = bucket_size(image.shape[0], image.shape[1], self.config.bucket_px)
        item = PendingJob(
            job=job,
            key=BatchKey(job.style, ph, pw, self._honoured(job.style, job.options)),
            future=loop.create_future(),
            deadline=time.monotonic() + self.config.job_timeout_s,
        )
        self._queue.put(item)
        timer = loop.call_later(self.config.job_timeout_s, self._expire, item)
        try:
            return await item.future
        finally:
            timer.cancel()
            if item.state is JobState.QUEUED:  # the caller was cancelled: free its slot now
                self._queue.remove(item)
                item.state = JobState.DONE

    def _honoured(self, style: str, options: StyleOptions) -> StyleOptions:
        # Only what the style uses keys the batch: a sketch with a texture batches with plain
        # sketches, and runs as one.
        if options.is_default:
            return options
        names = self._require_worker().option_names(style)
        return StyleOptions(**{k: v for k, v in options.as_dict().items() if k in names})

    def position(self, job_id: str) -> int | None:
        """1-based queue position of a waiting job, or None if it is running or unknown."""
        return None if self._queue is None else self._queue.position(job_id)

    def _expire(self, item: PendingJob) -> None:
        # Only a job still waiting is failed here; one in the model finishes and is delivered.
        if item.state is JobState.QUEUED and self._queue is not None and self._queue.remove(item):
            item.state = JobState.DONE
            if not item.future.done():
                item.future.set_exception(JobTimeout(self.config.job_timeout_s))

    def _on_batcher_exit(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        # A batcher bug must not leave callers awaiting forever: refuse new work, fail the rest.
        log.error("batcher stopped unexpectedly", exc_info=task.exception())
        self._closing = True
        if self._queue is not None:
            for item in self._queue.drain():
                item.state = JobState.DONE
                if not item.future.done():
                    item.future.set_exception(EngineClosed("engine stopped unexpectedly"))

    async def close(self, *, drain: bool = True) -> None:
        """Stop accepting jobs; finish (drain=True) or fail queued ones; stop the worker thread."""
        if self._task is None:
            return
        self._closing = True
        assert self._queue is not None
        if not drain:
            for item in self._queue.drain():
                item.state = JobState.DONE
                if not item.future.done():
                    item.future.set_exception(EngineClosed("engine shut down before the job ran"))
        self._queue.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._supervisor is not None:
            self._supervisor.shutdown(wait=True)
        log.info("engine stopped")

    def _require_worker(self) -> InferenceWorker:
        if self._worker is None:
            raise EngineClosed("engine is not started")
        return self._worker
