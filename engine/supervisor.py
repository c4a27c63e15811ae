"""The inference thread's keeper: runs batches on it, replaces it after a crash or a hang."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TypeVar

import numpy as np

from engine.analysis.types import PersonAnalysis
from engine.errors import InferenceTimeout
from engine.styles.options import StyleOptions
from engine.worker import InferenceWorker

__all__ = ["InferenceThread", "WorkerSupervisor"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_Call = tuple[Callable[[], object], "Future[object]"]


class InferenceThread:
    """One daemon thread running submitted calls in order.

    A daemon, unlike a ThreadPoolExecutor's threads, so that a call hung inside the model (which
    Python cannot interrupt) never keeps the process from exiting once it is abandoned.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue `fn` to run on the thread; its result or exception lands in the future."""
        future: Future[T] = Future()
        self._calls.put((fn, future))  # type: ignore[arg-type]
        return future

    def stop(self) -> None:
        """Let the thread exit once the calls already queued have run; does not wait."""
        self._calls.put(None)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to exit (after stop)."""
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the thread is still running (a hung one stays alive)."""
        return self._thread.is_alive()

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            fn, future = call
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn()
            except BaseException as exc:  # handed to the awaiting side as-is
                future.set_exception(exc)
            else:
                future.set_result(result)


class WorkerSupervisor:
    """Runs batches on one inference thread and keeps that thread healthy.

    After a batch raises, the thread and the worker are replaced before the next batch runs, in
    case the failure left either in a bad state. A batch running longer than `batch_timeout_s`
    fails with InferenceTimeout; its thread cannot be killed, so it is abandoned (it exits by
    itself if the call ever returns) and the next batch gets a fresh one.
    """

    def __init__(
        self,
        build_worker: Callable[[], InferenceWorker],
        *,
        batch_timeout_s: float,
        thread_name: str = "toonbot-infer",
    ) -> None:
        self._build_worker = build_worker
        self._batch_timeout_s = batch_timeout_s
        self._thread_name = thread_name
        self._thread: InferenceThread | None = None
        self._worker: InferenceWorker | None = None
        self._stale = False
        self._abandoned: list[InferenceThread] = []
        self.restarts = 0

    @property
    def worker(self) -> InferenceWorker:
        """The worker batches currently run on."""
        if self._worker is None:
            raise RuntimeError("the supervisor is not started")
        return self._worker

    @property
    def abandoned_threads(self) -> int:
        """Hung inference threads given up on that are still running."""
        self._abandoned = [t for t in self._abandoned if t.alive]
        return len(self._abandoned)

    async def start(self) -> InferenceWorker:
        """Start the inference thread and build the worker on it."""
        thread = self._thread = InferenceThread(f"{self._thread_name}-{self.restarts}")
        # Device probing and model construction can touch CUDA: on the thread that runs them.
        try:
            self._worker = await asyncio.wrap_future(thread.submit(self._build_worker))
        except BaseException:
            thread.stop()
            raise
        self._stale = False
        return self._worker

    async def run(
        self,
        style: str,
        images: Sequence[np.ndarray],
        padded: tuple[int, int],
        analyses: Sequence[PersonAnalysis | None] | None = None,
        *,
        options: StyleOptions | None = None,
    ) -> list[np.ndarray]:
        """Run one batch on the inference thread; raises what the model raised, or InferenceTimeout.

        analyses: per-image PersonAnalysis or None, options: the batch's StyleOptions; both
        passed on to InferenceWorker.run.
        """
        if self._stale:
            await self._restart()
        thread, worker = self._thread, self._worker
        assert thread is not None and worker is not None, "supervisor not started"

        def batch() -> list[np.ndarray]:
            # Photos keep the three-argument call, which wrappers of run() (bench/load.py) take.
            if options is not None and not options.is_default:
                return worker.run(style, images, padded, analyses, options=options)
            if analyses is None:
                return worker.run(style, images, padded)
            return worker.run(style, images, padded, analyses)

        future = thread.submit(batch)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self._batch_timeout_s)
        except TimeoutError:
            log.error(
                "batch of %d %s images hung for over %g s; abandoning thread %s",
                len(images),
                style,
                self._batch_timeout_s,
                thread.name,
            )
            self._abandon(thread)
            raise InferenceTimeout(self._batch_timeout_s) from None
        except Exception:
            self._stale = True
            raise

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the inference thread (never waiting for an abandoned one)."""
        if self._thread is not None:
            self._thread.stop()
            if wait:
                self._thread.join()
            self._thread = None

    def _abandon(self, thread: InferenceThread) -> None:
        thread.stop()  # exits by itself if the stuck call ever returns
        self._abandoned.append(thread)
        self._thread = None
        self._stale = True

    async def _restart(self) -> None:
        old = self._thread
        self.restarts += 1
        log.warning("restarting the inference worker (restart #%d)", self.restarts)
        if old is not None:
            old.stop()  # idle after a crashed batch: exits at once
        self._thread = None
        # If building fails, _stale stays set and the next batch tries again.
        await self.start()
