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
        # Positions are polled often by frontends; recompute only after the queue changed.
        self._version = 0
        self._positions_version = -1
        self._positions: dict[str, int] = {}

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
        self._version += 1
        self._changed.set()

    def remove(self, item: PendingJob) -> bool:
        """Take a job out wherever it waits; False if it was no longer queued."""
        lane = self._lanes.get(item.job.user_id)
        if lane is None or item not in lane:
            return False
        lane.remove(item)
        self._size -= 1
        self._version += 1
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
        self._version += 1
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

    def waiting(self) -> tuple[PendingJob, ...]:
        """A snapshot of the waiting jobs in arrival order."""
        return tuple(
            sorted((i for lane in self._lanes.values() for i in lane), key=lambda i: i.seq)
        )

    def position(self, job_id: str) -> int | None:
        """1-based turn at which the job would be served (ignoring batching), or None if not queued."""
        if self._positions_version != self._version:
            self._positions = self._compute_positions()
            self._positions_version = self._version
        return self._positions.get(job_id)

    def _compute_positions(self) -> dict[str, int]:
        # Serving a user makes them the most recent, so every round visits users in the same
        # order as the first: a job's turn is (its depth in its lane, its user's rank).
        order = sorted(
            self._lanes, key=lambda u: (self._last_served.get(u, 0), self._lanes[u][0].seq)
        )
        turns = sorted(
            (depth, rank, item.job.job_id)
            for rank, user in enumerate(order)
            for depth, item in enumerate(self._lanes[user])
        )
        return {job_id: turn for turn, (_, _, job_id) in enumerate(turns, start=1)}

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
        self._version += 1
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
