"""FairQueue: predicted positions equal the real serving order, for random workloads."""

from __future__ import annotations

import asyncio
import random

import numpy as np
import pytest

from engine.errors import QueueFull
from engine.fairqueue import FairQueue
from engine.job import Job, PendingJob

_IMAGE = np.zeros((1, 1, 3), dtype=np.uint8)


def _item(user: str, loop: asyncio.AbstractEventLoop) -> PendingJob:
    return PendingJob(Job(_IMAGE, "s", user_id=user), ("s", 1, 1), loop.create_future(), 0.0)


@pytest.mark.parametrize("seed", range(20))
async def test_positions_predict_the_serving_order(seed: int) -> None:
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    queue = FairQueue(capacity=1000)
    users = [f"u{i}" for i in range(rng.randint(1, 8))]
    for _ in range(rng.randint(0, 30)):  # history: who was served recently matters
        queue.put(_item(rng.choice(users), loop))
        if rng.random() < 0.6:
            queue.pop_nowait()
    for _ in range(rng.randint(1, 40)):
        queue.put(_item(rng.choice(users), loop))
    predicted = {}
    for item in queue.waiting():
        predicted[item.job.job_id] = queue.position(item.job.job_id)
    served = []
    while (item := queue.pop_nowait()) is not None:
        served.append(item.job.job_id)
    assert sorted(predicted.values()) == list(range(1, len(served) + 1))
    assert served == sorted(predicted, key=lambda j: predicted[j])


async def test_put_beyond_capacity_raises_and_position_updates_after_changes() -> None:
    loop = asyncio.get_running_loop()
    queue = FairQueue(capacity=2)
    a, b = _item("a", loop), _item("a", loop)
    queue.put(a)
    queue.put(b)
    with pytest.raises(QueueFull):
        queue.put(_item("b", loop))
    assert queue.position(b.job.job_id) == 2
    assert queue.remove(a)
    assert queue.position(b.job.job_id) == 1
    assert queue.position(a.job.job_id) is None
    assert not queue.remove(a)
