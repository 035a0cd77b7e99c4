"""The scheduled retraining, run by the app's lifespan beside the other jobs."""

from __future__ import annotations

import asyncio
import logging

from liveshop.core.background import InThread, raise_if_stopping
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings

logger = logging.getLogger(__name__)

FIRST_TRAINING_DELAY_SECONDS = 30.0  # let the app settle (and its recorder flush) first


def train_once(settings: Settings) -> str:
    """Train and publish a version. In the app's training job a shutdown stops it at its
    next step (nothing is published); elsewhere it runs to the end."""
    from liveshop.recommend.training import train

    with unit_of_work(settings.resolved_database_url(), writes=False) as session:
        return train(session, settings, step=lambda _text: raise_if_stopping())


async def run_training_forever(
    settings: Settings, *, interval_seconds: float, in_thread: InThread = asyncio.to_thread
) -> None:
    """Retrain every ``interval_seconds`` in a worker thread; a failed training keeps
    the model being served and is logged."""
    await asyncio.sleep(min(FIRST_TRAINING_DELAY_SECONDS, interval_seconds))
    while True:
        try:
            version = await in_thread(train_once, settings)
            logger.info("recommendation model %s trained", version)
        except Exception:
            logger.exception("recommendation training failed; the served model is unchanged")
        await asyncio.sleep(interval_seconds)
