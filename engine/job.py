"""What a caller hands the engine, and the engine's bookkeeping around it."""

from __future__ import annotations

import asyncio
import enum
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from engine.styles.options import StyleOptions

if TYPE_CHECKING:
    from engine.analysis import PersonAnalysis

__all__ = ["BatchKey", "Job", "JobState", "PendingJob", "new_job_id"]


class BatchKey(NamedTuple):
    """Jobs share a batch only when all of this is equal.

    options: the job's StyleOptions as far as its style honours them (Engine.submit drops the
    ones it ignores), so that two sketches with different textures still batch together.
    """

    style: str
    height: int  # padded
    width: int  # padded
    options: StyleOptions = StyleOptions()


def new_job_id() -> str:
    """A fresh 12-hex-digit job id."""
    return uuid.uuid4().hex[:12]


@dataclass(slots=True)
class Job:
    """One image to stylize: HxWx3 uint8 RGB, a style name and who asked (for fairness).

    analysis: the image's PersonAnalysis when the caller already has one (the video path
    smooths landmarks across frames); a person-aware style then uses it instead of analysing
    the image itself. Its person_mask must have the image's height and width.
    options: per-request look (texture, color); a style that is not a ConfigurableStyle
    ignores them, one that is runs as `style.with_options(options)`.
    """

    image: np.ndarray
    style: str
    user_id: str = "local"
    job_id: str = field(default_factory=new_job_id)
    analysis: PersonAnalysis | None = None
    options: StyleOptions = field(default_factory=StyleOptions)


class JobState(enum.Enum):
    """Where a submitted job is: waiting, taken into a batch, or finished."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


@dataclass(slots=True, eq=False)
class PendingJob:
    """A submitted job with its future, batch key and monotonic deadline."""

    job: Job
    key: BatchKey
    future: asyncio.Future[np.ndarray]
    deadline: float
    state: JobState = JobState.QUEUED
    enqueued: float = field(default_factory=time.monotonic)  # for the queue-wait metric
    seq: int = 0  # arrival order, set by the queue
