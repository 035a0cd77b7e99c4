"""Background work of parcel tracking: the sandbox carrier's scheduled scans."""

from __future__ import annotations

import asyncio
import logging

from liveshop.core.background import InThread
from liveshop.core.settings import Settings
from liveshop.tracking.carriers import SANDBOX
from liveshop.tracking.config import carriers_for
from liveshop.tracking.receiving import advance_sandbox_parcels

logger = logging.getLogger(__name__)

CHECK_FRACTION = 4  # look four times per sandbox step, so a scan is at most a quarter late


def run_tracking_jobs_once(settings: Settings) -> int:
    carrier = carriers_for(settings)[SANDBOX]
    return advance_sandbox_parcels(settings.resolved_database_url(), carrier=carrier)


async def run_tracking_jobs_forever(
    settings: Settings, *, in_thread: InThread = asyncio.to_thread
) -> None:
    pause = max(0.2, settings.sandbox_carrier_step_seconds / CHECK_FRACTION)
    while True:
        try:
            await in_thread(run_tracking_jobs_once, settings)
        except Exception:
            logger.exception("tracking jobs failed; will retry")
        await asyncio.sleep(pause)
