"""The scheduled retention pass: every data class purged once a day (by default),
off the event loop, the way ``liveshop privacy retention`` does it by hand.

Each class runs in its own transaction, so one that fails (a behaviour-event
store another process holds locked, a database hiccup) is logged and retried
on the next pass, and the others are purged meanwhile. Every worker runs the
pass; the purges are conditional deletes and updates, safe to run side by side.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from liveshop.core.background import InThread
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.privacy.retention import DataClass, RetentionRun, run_retention

logger = logging.getLogger(__name__)

SECONDS_PER_HOUR = 3_600
# The first pass waits a minute: out of the start-up rush and out of short-lived
# (test) apps, yet soon enough that restarts more often than the interval do not
# put retention off for ever.
FIRST_PASS_DELAY_SECONDS = 60.0


@dataclass
class RetentionPass:
    """One pass: the classes purged (what each removed) and the classes that failed."""

    runs: list[RetentionRun] = field(default_factory=list)
    failed: list[DataClass] = field(default_factory=list)


def _purge_class(settings: Settings, data_class: DataClass, now: datetime | None) -> RetentionRun:
    with unit_of_work(settings.resolved_database_url()) as session:
        (run,) = run_retention(session, settings=settings, now=now, only={data_class})
    return run


def run_retention_once(settings: Settings, *, now: datetime | None = None) -> RetentionPass:
    """Purge every data class, each in its own transaction; never raises."""
    done = RetentionPass()
    for data_class in DataClass:
        try:
            run = _purge_class(settings, data_class, now)
        except Exception:
            logger.exception("retention of %s failed; the next pass retries it", data_class)
            done.failed.append(data_class)
            continue
        logger.info(
            "retention of %s before %s removed %s",
            data_class,
            run.cutoff.isoformat(timespec="seconds"),
            run.removed or "nothing (no purger registered)",
        )
        done.runs.append(run)
    return done


async def run_retention_forever(
    settings: Settings, *, in_thread: InThread = asyncio.to_thread
) -> None:
    """Run :func:`run_retention_once` every ``retention_interval_hours`` until cancelled."""
    await asyncio.sleep(FIRST_PASS_DELAY_SECONDS)
    while True:
        try:
            await in_thread(run_retention_once, settings)
        except Exception:  # the pass itself never raises; the thread hand-off might
            logger.exception("the retention pass could not run; it will run again")
        await asyncio.sleep(settings.retention_interval_hours * SECONDS_PER_HOUR)
