"""A bounded asyncio queue that serves users fairly and can hand out jobs by batch key."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Iterable

from engine.errors import QueueFull
from engine.job import BatchKey, PendingJob

__all__ = ["FairQueue"]

# Forget when idle users were last served once this many are remembered; they rank as new.
_MAX_REMEMBERED_USERS = 10_000


class FairQueue:
    """Per-user FIFO lanes; the next job comes from the user served least recently.

    So one user's 20 jobs never starve another user's one, even one who arrives late.
    Not thread-safe: it lives on the event loop, like everything that touches futures.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._lanes: dict[str, deque[PendingJob]] = {}
        self._last_served: dict[str, int] = {}
        self._served = itertools.count(1)
        self._arrivals = itertools.count()
        self._size = 0
        self._changed = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return self._size

    @property
    def capacity(self) -> int:
        """Most jobs that may wait at once."""
        return self._capacity

    def put(self, item: PendingJob) -> None:
        """Enqueue or raise QueueFull; never waits (a full queue is an answer, not a stall)."""
        if self._size >= self._capacity:
            raise QueueFull(self._capacity)
        item.seq = next(self._arrivals)
        self._lanes.setdefault(item.job.user_id, deque()).append(item)
        self._size += 1
        self._changed.set()

    def remove(self, item: PendingJob) -> bool:
        """Take a job out wherever it waits; False if it was no longer queued."""
        lane = self._lanes.get(item.job.user_id)
        if lane is None or item not in lane:
            return False
        lane.remove(item)
        self._size -= 1
        if not lane:
            self._drop_lane(item.job.user_id)
        return True

    def pop_nowait(self, key: BatchKey | None = None) -> PendingJob | None:
        """Next job in fair order (optionally only one with this batch key), or None."""
        best = _choose(self._lanes.items(), self._last_served, key)
        if best is None:
            return None
        user, item = best
        lane = self._lanes[user]
        lane.remove(item)
        self._size -= 1
        self._last_served[user] = next(self._served)
        if not lane:
            self._drop_lane(user)
        return item

    async def get(
        self, key: BatchKey | None = None, timeout: float | None = None
    ) -> PendingJob | None:
        """Wait for the next job (matching key if given); None on timeout or when closed and empty."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            item = self.pop_nowait(key)
            if item is not None:
                return item
            if self._closed and (key is not None or self._size == 0):
                return None
            self._changed.clear()
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return None

    def position(self, job_id: str) -> int | None:
        """1-based turn at which the job would be served (ignoring batching), or None if not queued."""
        lanes = {user: deque(lane) for user, lane in self._lanes.items()}
        last = dict(self._last_served)
        base = max(last.values(), default=0)
        for turn in itertools.count(1):
            best = _choose(lanes.items(), last, None)
            if best is None:
                return None
            user, item = best
            if item.job.job_id == job_id:
                return turn
            lanes[user].popleft()
            last[user] = base + turn
            if not lanes[user]:
                del lanes[user]
        return None  # pragma: no cover

    def close(self) -> None:
        """Wake waiters; once empty, get() returns the None sentinel."""
        self._closed = True
        self._changed.set()

    def drain(self) -> list[PendingJob]:
        """Remove and return every queued job."""
        items = sorted(
            (item for lane in self._lanes.values() for item in lane), key=lambda i: i.seq
        )
        self._lanes.clear()
        self._size = 0
        return items

    def _drop_lane(self, user: str) -> None:
        del self._lanes[user]
        if len(self._last_served) > _MAX_REMEMBERED_USERS:
            self._last_served = {u: s for u, s in self._last_served.items() if u in self._lanes}


def _choose(
    lanes: Iterable[tuple[str, deque[PendingJob]]],
    last_served: dict[str, int],
    key: BatchKey | None,
) -> tuple[str, PendingJob] | None:
    best: tuple[str, PendingJob] | None = None
    best_rank: tuple[int, int] = (0, 0)
    for user, lane in lanes:
        item = next((i for i in lane if key is None or i.key == key), None)
        if item is None:
            continue
        rank = (last_served.get(user, 0), item.seq)
        if best is None or rank < best_rank:
            best, best_rank = (user, item), rank
    return best
