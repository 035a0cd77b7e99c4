"""The app's shutdown waits for its background jobs' thread work: a job whose thread is
mid-work when the app stops has finished when the shutdown returns. (Before, the
shutdown cancelled the job's task and returned while its thread ran on, on the database:
on PostgreSQL the tests' TRUNCATE became a deadlock's victim.)"""

from __future__ import annotations

import asyncio
import fcntl
import sys
import threading
import time
import traceback

from liveshop.app import create_app
from liveshop.core.settings import Settings

WAIT_SECONDS = 30.0  # bounds the test's own waits
RELEASE_AFTER_SECONDS = 3.0  # a shutdown that does not wait has returned by then


def _threads_in(function: str) -> list[str]:
    """The threads whose stack is inside ``function`` at this moment."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return [
        names.get(ident, str(ident))
        for ident, frame in sys._current_frames().items()
        if any(f.f_code.co_name == function for f, _ in traceback.walk_stack(frame))
    ]


def test_shutdown_returns_after_a_training_mid_work_has_stopped(settings: Settings) -> None:
    # Trains as soon as the app starts, and keeps training.
    app = create_app(settings.model_copy(update={"recommend_train_minutes": 0.001}))
    folder = settings.home / "recommend"
    folder.mkdir(parents=True)
    lock = (folder / ".erasure.lock").open("a")
    # Held as an erasure holds it: the app's training waits for it, mid-work.
    fcntl.flock(lock, fcntl.LOCK_EX)
    release = threading.Timer(RELEASE_AFTER_SECONDS, fcntl.flock, (lock, fcntl.LOCK_UN))

    async def run_and_shut_down() -> list[str]:
        async with app.router.lifespan_context(app):
            deadline = time.monotonic() + WAIT_SECONDS
            while not _threads_in("train_once"):
                assert time.monotonic() < deadline, "the training job did not start"
                await asyncio.sleep(0.05)
            release.start()  # later than a shutdown that does not wait returns
        return _threads_in("train_once")  # the moment the shutdown returned

    try:
        # (asyncio.run joins the loop's threads as it ends: the lifespan's exit is the
        # moment that counts.)
        still_training = asyncio.run(run_and_shut_down())
    finally:
        release.cancel()
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
    assert still_training == []
