"""One byte budget for the uploads being downloaded and decoded, shared by every frontend.

Each upload in flight holds its file in memory and, while it is decoded, its pixels or frames
too: ten users sending 20 MB videos at once once peaked at 1.2 GB. A request reserves its
estimated cost (upload_cost) before it downloads and gives it back once decoded (pictures) or
drawn (clips). A request that does not fit waits, first come first served, for at most
`wait_s` seconds, then gets BudgetBusy: the frontend refunds it and says "busy, try again".
"""

from __future__ import annotations

import asyncio
import collections
import time
from types import TracebackType

__all__ = [
    "CLIP_EXPANSION",
    "PICTURE_EXPANSION",
    "BudgetBusy",
    "ByteBudget",
    "Reservation",
    "shared_budget",
    "upload_cost",
]

# Bytes in memory per byte of upload at the peak of its handling. A clip: the file, the frames
# decoded ahead and the encoder's output (measured ~2.5: 50 MB for a 20 MB video). A picture:
# the file plus its decoded RGB pixels, roughly 10x a JPEG's size.
CLIP_EXPANSION = 2.5
PICTURE_EXPANSION = 11.0


def upload_cost(size: int, *, moving: bool, max_pixels: int | None = None) -> int:
    """Estimated peak bytes of handling an upload of `size` bytes (a clip when `moving`); a
    picture's pixels count at most `max_pixels` (the decoder refuses more) at 3 bytes each."""
    size = max(0, size)
    if moving:
        return int(size * CLIP_EXPANSION)
    decoded = size * (PICTURE_EXPANSION - 1)
    if max_pixels is not None:
        decoded = min(decoded, 3 * max_pixels)
    return int(size + decoded)


class BudgetBusy(Exception):
    """No room in the budget within the wait allowed.

    needed: bytes asked for; in_use: bytes reserved by others; limit: the budget; waited_s: how
    long the request waited, in seconds.
    """

    def __init__(self, needed: int, in_use: int, limit: int, waited_s: float) -> None:
        super().__init__(
            f"{needed} bytes wanted, {in_use} of {limit} in use; waited {waited_s:.1f} s"
        )
        self.needed = needed
        self.in_use = in_use
        self.limit = limit
        self.waited_s = waited_s


class Reservation:
    """Bytes held in a ByteBudget; release() (idempotent) or leaving `async with` frees them."""

    def __init__(self, budget: ByteBudget, nbytes: int) -> None:
        self._budget = budget
        self.nbytes = nbytes
        self._held = True

    def release(self) -> None:
        """Give the bytes back; later calls do nothing."""
        if self._held:
            self._held = False
            self._budget._give_back(self.nbytes)

    async def __aenter__(self) -> Reservation:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class ByteBudget:
    """At most `limit` bytes (> 0) reserved at once; waiters served in arrival order.

    A request bigger than the whole budget is clamped to it: it still runs, alone.
    """

    def __init__(self, limit: int, wait_s: float = 10.0) -> None:
        if limit <= 0:
            raise ValueError(f"the byte budget must be positive, not {limit}")
        if wait_s < 0:
            raise ValueError(f"the budget wait must be >= 0 s, not {wait_s}")
        self.limit = limit
        self.wait_s = wait_s
        self.in_use = 0
        self.peak = 0  # most bytes ever reserved at once, for benchmarks and logs
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    async def reserve(self, nbytes: int) -> Reservation:
        """Reserve `nbytes` (clamped to 0..limit), waiting up to wait_s; BudgetBusy if no room."""
        need = min(max(0, nbytes), self.limit)
        if not self._waiters and self.in_use + need <= self.limit:
            self._take(need)
            return Reservation(self, need)
        started = time.monotonic()
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (need, granted)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(asyncio.shield(granted), self.wait_s)
        except BaseException as exc:
            if granted.done() and not granted.cancelled():
                # Granted just as the wait ended: hand the bytes straight back.
                self._give_back(need)
            else:
                granted.cancel()
                self._waiters.remove(entry)
                self._grant_waiters()  # a big request leaving may let smaller ones in
            if isinstance(exc, TimeoutError):
                waited = time.monotonic() - started
                raise BudgetBusy(need, self.in_use, self.limit, waited) from None
            raise
        return Reservation(self, need)

    def _take(self, nbytes: int) -> None:
        self.in_use += nbytes
        self.peak = max(self.peak, self.in_use)

    def _give_back(self, nbytes: int) -> None:
        self.in_use -= nbytes
        self._grant_waiters()

    def _grant_waiters(self) -> None:
        while self._waiters and self.in_use + self._waiters[0][0] <= self.limit:
            need, granted = self._waiters.popleft()
            self._take(need)
            granted.set_result(None)


_SHARED: dict[tuple[int, float], ByteBudget] = {}


def shared_budget(inflight_mb: int, busy_wait_s: float) -> ByteBudget:
    """The process's one budget for these settings ([memory] in config.toml), so every
    frontend started from one config draws on the same bytes."""
    key = (inflight_mb, busy_wait_s)
    if key not in _SHARED:
        _SHARED[key] = ByteBudget(inflight_mb * 1024 * 1024, busy_wait_s)
    return _SHARED[key]
