"""The app's background jobs: stopping them signals their threads, cancels them, and
waits (for a bounded time) for the thread work they had started; work not yet started
is dropped."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from liveshop.core.background import BackgroundJobs, JobStopped, raise_if_stopping

WAIT_SECONDS = 10.0  # bounds the tests' own waits; none is expected to take it


def _blocking_work(started: threading.Event, release: threading.Event, done: list[str]) -> None:
    started.set()
    assert release.wait(WAIT_SECONDS)
    done.append("finished")


def test_stop_waits_for_the_thread_work_a_job_had_started() -> None:
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    async def scenario() -> bool:
        jobs = BackgroundJobs()
        jobs.start(jobs.in_thread(_blocking_work, started, release, done))
        assert await asyncio.to_thread(started.wait, WAIT_SECONDS)
        threading.Timer(0.3, release.set).start()  # mid-work when the stop begins
        stopped = await jobs.stop()
        assert done == ["finished"]  # before stop returned
        return stopped

    assert asyncio.run(scenario()) is True


def test_the_wait_is_bounded_and_what_is_left_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    async def scenario() -> bool:
        jobs = BackgroundJobs()
        jobs.start(jobs.in_thread(_blocking_work, started, release, done))
        assert await asyncio.to_thread(started.wait, WAIT_SECONDS)
        began = time.monotonic()
        stopped = await jobs.stop(wait_seconds=0.2)
        assert time.monotonic() - began < WAIT_SECONDS / 2
        return stopped

    with caplog.at_level(logging.ERROR, logger="liveshop.core.background"):
        assert asyncio.run(scenario()) is False
    assert caplog.messages == ["1 background job(s) still running in their threads after 0.2 s"]
    assert done == []
    release.set()


def test_long_work_stops_at_its_next_step() -> None:
    started = threading.Event()
    steps: list[int] = []

    def long_work() -> None:
        started.set()
        for step in range(int(WAIT_SECONDS / 0.01)):
            raise_if_stopping()
            steps.append(step)
            time.sleep(0.01)

    async def scenario() -> bool:
        jobs = BackgroundJobs()
        jobs.start(jobs.in_thread(long_work))
        assert await asyncio.to_thread(started.wait, WAIT_SECONDS)
        await asyncio.sleep(0.05)
        return await jobs.stop()

    assert asyncio.run(scenario()) is True
    assert 0 < len(steps) < WAIT_SECONDS / 0.01 / 2  # stopped early, not run to its end
    raise_if_stopping()  # outside the jobs' threads it never raises


def test_work_not_yet_started_is_dropped() -> None:
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    async def scenario() -> None:
        jobs = BackgroundJobs(threads=1)
        jobs.start(jobs.in_thread(_blocking_work, started, release, done))
        assert await asyncio.to_thread(started.wait, WAIT_SECONDS)
        jobs.start(jobs.in_thread(done.append, "queued behind it"))  # no thread free
        await asyncio.sleep(0.05)
        threading.Timer(0.2, release.set).start()
        assert await jobs.stop() is True

    asyncio.run(scenario())
    assert done == ["finished"]


def test_a_job_sees_its_thread_works_result_and_error() -> None:
    async def scenario() -> tuple[int, str]:
        jobs = BackgroundJobs()
        total = await jobs.in_thread(sum, [1, 2, 3])
        try:
            await jobs.in_thread(raise_stopped)
        except JobStopped as error:
            message = str(error)
        await jobs.stop()
        return total, message

    assert asyncio.run(scenario()) == (6, "told")


def raise_stopped() -> None:
    raise JobStopped("told")
