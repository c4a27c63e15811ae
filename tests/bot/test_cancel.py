"""ClipJobs: a job is cancelled by its requester only; shutdown still propagates as cancellation."""

from __future__ import annotations

import asyncio

import pytest

from bot.pipeline.cancel import CancelOutcome, ClipCancelled, ClipJobs


async def test_a_finished_job_returns_its_result_and_is_gone() -> None:
    jobs = ClipJobs()
    job = jobs.new_id()

    async def work() -> int:
        return 42

    assert await jobs.run(job, "tg:1", work()) == 42
    assert len(jobs) == 0
    assert jobs.cancel(job, "tg:1") is CancelOutcome.GONE


async def test_only_the_requester_cancels_and_the_work_sees_cancellation() -> None:
    jobs = ClipJobs()
    job, started, stopped = jobs.new_id(), asyncio.Event(), asyncio.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()

    running = asyncio.create_task(jobs.run(job, "tg:1", work(), source="m1"))
    await started.wait()
    assert jobs.cancel(job, "tg:2") is CancelOutcome.NOT_YOURS
    assert jobs.cancel(job, "tg:1") is CancelOutcome.CANCELLED
    with pytest.raises(ClipCancelled):
        await running
    assert stopped.is_set() and len(jobs) == 0
    assert jobs.cancel_source("m1") is False


async def test_deleting_the_source_cancels_its_job() -> None:
    jobs = ClipJobs()
    started = asyncio.Event()

    async def work() -> None:
        started.set()
        await asyncio.Event().wait()

    running = asyncio.create_task(jobs.run(jobs.new_id(), "dc:1", work(), source="77"))
    await started.wait()
    assert jobs.cancel_source("78") is False
    assert jobs.cancel_source("77") is True
    with pytest.raises(ClipCancelled):
        await running


async def test_cancelling_the_caller_is_not_mistaken_for_a_user_cancel() -> None:
    jobs = ClipJobs()
    started = asyncio.Event()

    async def work() -> None:
        started.set()
        await asyncio.Event().wait()

    running = asyncio.create_task(jobs.run(jobs.new_id(), "tg:1", work()))
    await started.wait()
    running.cancel()  # e.g. the bot stopping at once
    with pytest.raises(asyncio.CancelledError):
        await running
    assert len(jobs) == 0
