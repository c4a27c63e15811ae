"""Clip jobs in progress that their requester can cancel, by a button or by deleting the source."""

from __future__ import annotations

import asyncio
import enum
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["CancelOutcome", "ClipCancelled", "ClipJobs"]

T = TypeVar("T")


class ClipCancelled(Exception):
    """The requester cancelled the clip before it was finished."""


class CancelOutcome(enum.Enum):
    """What a cancel request did."""

    CANCELLED = "cancelled"
    NOT_YOURS = "not_yours"
    GONE = "gone"  # finished, failed or never ours: nothing left to cancel


@dataclass(slots=True)
class _Job:
    requester: str
    task: asyncio.Task[Any]
    source: str | None
    cancelled: bool = False


class ClipJobs:
    """Runs each clip's drawing as its own task, so a cancel stops it and nothing else."""

    def __init__(self) -> None:
        self._jobs: dict[str, _Job] = {}
        self._by_source: dict[str, str] = {}

    @staticmethod
    def new_id() -> str:
        """A fresh job id, short enough for a button's callback data."""
        return secrets.token_hex(8)

    def __len__(self) -> int:
        return len(self._jobs)

    async def run(
        self,
        job_id: str,
        requester: str,
        work: Coroutine[Any, Any, T],
        *,
        source: str | None = None,
    ) -> T:
        """Await `work` as a cancellable job; raises ClipCancelled if its requester cancelled it."""
        task = asyncio.ensure_future(work)
        job = _Job(requester, task, source)
        self._jobs[job_id] = job
        if source is not None:
            self._by_source[source] = job_id
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            # Our own cancellation (shutdown) must go on propagating; only the job's becomes
            # a ClipCancelled the caller answers.
            if job.cancelled and (current is None or current.cancelling() == 0):
                raise ClipCancelled() from None
            raise
        finally:
            del self._jobs[job_id]
            if source is not None and self._by_source.get(source) == job_id:
                del self._by_source[source]

    def cancel(self, job_id: str, by: str) -> CancelOutcome:
        """Cancel a job for its requester; anyone else is refused."""
        job = self._jobs.get(job_id)
        if job is None or job.task.done():
            return CancelOutcome.GONE
        if job.requester != by:
            return CancelOutcome.NOT_YOURS
        job.cancelled = True
        job.task.cancel()
        return CancelOutcome.CANCELLED

    def cancel_source(self, source: str) -> bool:
        """Cancel the job drawing `source` (its message was deleted); True if there was one."""
        job_id = self._by_source.get(source)
        if job_id is None:
            return False
        job = self._jobs[job_id]
        return self.cancel(job_id, job.requester) is CancelOutcome.CANCELLED
