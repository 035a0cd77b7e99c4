"""Payments' background work: delivering the sandbox's notifications, refunding
approved after-sales through the gateway."""

from __future__ import annotations

import asyncio
import logging

import httpx

from liveshop.core.background import InThread
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.orders.events import AfterSaleRefunded
from liveshop.payments import refunds
from liveshop.payments.cash_on_delivery import capture_delivered_cash
from liveshop.payments.context import payment_context
from liveshop.payments.gateway import SIGNATURE_HEADER, Notification, SandboxGateway
from liveshop.payments.notifications import handle_notification
from liveshop.payments.order_ledger import FeeRates
from liveshop.payments.red_packets import return_expired_red_packets
from liveshop.payments.settlement import settle_due_orders

logger = logging.getLogger(__name__)

DELIVERY_SECONDS = 0.2
FREQUENT_JOBS_SECONDS = 5.0
SETTLEMENT_SECONDS = 600.0


def deliver_notifications(settings: Settings, notifications: list[Notification]) -> None:
    """To our webhook endpoint over HTTP when a URL is set, else through the same handler."""
    for notification in notifications:
        headers = {SIGNATURE_HEADER: notification.signature, "content-type": "application/json"}
        if settings.sandbox_webhook_url:
            httpx.post(settings.sandbox_webhook_url, content=notification.body, headers=headers)
            continue
        with unit_of_work(settings.resolved_database_url()) as session:
            handle_notification(
                session,
                headers=headers,
                body=notification.body,
                context=payment_context(settings),
            )


async def deliver_sandbox_notifications_forever(
    settings: Settings, *, in_thread: InThread = asyncio.to_thread
) -> None:
    gateway = payment_context(settings).gateway
    if not isinstance(gateway, SandboxGateway):
        return
    while True:
        await asyncio.sleep(DELIVERY_SECONDS)
        notifications = gateway.take_notifications()
        if notifications:
            try:
                await in_thread(deliver_notifications, settings, notifications)
            except Exception:
                logger.exception("delivering sandbox notifications failed")


async def run_payment_jobs_forever(
    settings: Settings, *, in_thread: InThread = asyncio.to_thread
) -> None:
    """Red packets past their deadline go back to their senders and delivered
    cash-on-delivery orders are captured (every few seconds);
    orders past their after-sales window settle to their shops (every few minutes)."""
    since_settlement = SETTLEMENT_SECONDS  # settle once at start (after a restart)
    while True:
        await asyncio.sleep(FREQUENT_JOBS_SECONDS)
        since_settlement += FREQUENT_JOBS_SECONDS
        try:
            await in_thread(_run_frequent_jobs, settings)
            if since_settlement >= SETTLEMENT_SECONDS:
                since_settlement = 0
                await in_thread(_settle_due_orders, settings)
        except Exception:
            logger.exception("a payments job failed; will retry")


def _run_frequent_jobs(settings: Settings) -> None:
    with unit_of_work(settings.resolved_database_url()) as session:
        return_expired_red_packets(session)
    with unit_of_work(settings.resolved_database_url()) as session:
        capture_delivered_cash(session, rates=FeeRates.from_settings(settings))


def _settle_due_orders(settings: Settings) -> None:
    with unit_of_work(settings.resolved_database_url()) as session:
        settle_due_orders(session, after_sale_days=settings.after_sale_request_days)


class RefundOnAfterSale:
    """Subscribed (by ``liveshop.wiring``) to AfterSaleRefunded: money back to the
    original card, once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, event: AfterSaleRefunded) -> None:
        with unit_of_work(self.settings.resolved_database_url()) as session:
            refunds.refund_after_sale(
                session,
                after_sale_id=event.after_sale_id,
                order_id=event.order_id,
                amount=event.amount,
                gateway=payment_context(self.settings).gateway,
            )
