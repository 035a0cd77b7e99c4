"""Background work of the notification centre: follower fan-outs, room reminders,
expiring coupons, and sending queued emails. Safe in every worker at once
(conditional updates, unique (user, fact) notices)."""

from __future__ import annotations

import asyncio
import logging

from liveshop.core.background import InThread
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.notifications import reminders
from liveshop.notifications.emails import Relay, send_pending_emails
from liveshop.notifications.fan_out import run_pending_fan_outs
from liveshop.notifications.listeners import mailing_for

logger = logging.getLogger(__name__)


def relay_for(settings: Settings) -> Relay:
    return Relay(settings.smtp_host, settings.smtp_port, settings.mail_from)


def run_notification_jobs_once(settings: Settings) -> dict[str, int]:
    database_url = settings.resolved_database_url()
    mailing = mailing_for(settings)
    fanned = run_pending_fan_outs(
        database_url, batch_size=settings.notification_batch_size, mailing=mailing
    )
    with unit_of_work(database_url) as session:
        reminded = reminders.remind_starting_rooms(
            session, minutes=settings.room_reminder_minutes, mailing=mailing
        )
    with unit_of_work(database_url) as session:
        coupons = reminders.warn_expiring_coupons(session, mailing=mailing)
    emailed = send_pending_emails(database_url, relay=relay_for(settings))
    return {"fanned_out": fanned, "reminded": reminded, "coupons": coupons, "emailed": emailed}


async def run_notification_jobs_forever(
    settings: Settings, *, in_thread: InThread = asyncio.to_thread
) -> None:
    while True:
        try:
            await in_thread(run_notification_jobs_once, settings)
        except Exception:
            logger.exception("notification jobs failed; will retry")
        await asyncio.sleep(settings.notification_jobs_seconds)
