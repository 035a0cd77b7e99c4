"""The process-wide payment context: the configured gateway, vault key and rates."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from liveshop.core.settings import Settings
from liveshop.payments.charges import PaymentContext
from liveshop.payments.gateway import SandboxGateway
from liveshop.payments.order_ledger import FeeRates
from liveshop.payments.vault import MasterKey


def webhook_secret(settings: Settings) -> str:
    return hmac.new(
        settings.resolved_secret_key().encode(), b"sandbox-webhooks", hashlib.sha256
    ).hexdigest()


@lru_cache(maxsize=8)
def _sandbox(secret: str, database_url: str) -> SandboxGateway:
    """One sandbox per process, secret and database (it keeps the refunds it made and
    its outbox, whose payment ids mean something in one database only)."""
    del database_url  # part of the cache key only
    return SandboxGateway(webhook_secret=secret)


def payment_context(settings: Settings) -> PaymentContext:
    return PaymentContext(
        gateway=_sandbox(webhook_secret(settings), settings.resolved_database_url()),
        master=MasterKey(settings.resolved_vault_master_key()),
        rates=FeeRates.from_settings(settings),
        step_up_amount=settings.step_up_amount,
        secret_key=settings.resolved_secret_key(),
        seamless_daily_max=settings.seamless_pay_max_daily,
    )
