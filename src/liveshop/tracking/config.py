"""Which carriers exist, built from the settings."""

from __future__ import annotations

import hashlib

from liveshop.core.languages import N_
from liveshop.core.settings import Settings
from liveshop.tracking.carriers import SANDBOX, Carrier, SandboxCarrier, WebhookCarrier

# Carriers that push signed webhooks, and their names for buyers (msgids: tracking.words).
PUSHING_CARRIERS = {"sf": N_("顺丰速运"), "zto": N_("中通快递"), "yto": N_("圆通速递")}
CARRIER_NAMES = {SANDBOX: N_("沙箱快递"), **PUSHING_CARRIERS}


def webhook_secret(settings: Settings) -> str:
    """The carriers' signing secret: set, or derived from the app's key (development)."""
    if settings.tracking_webhook_secret is not None:
        return settings.tracking_webhook_secret.get_secret_value()
    key = settings.resolved_secret_key().encode()
    return hashlib.sha256(b"liveshop-carrier-webhook-v1" + key).hexdigest()


def carriers_for(settings: Settings) -> dict[str, Carrier]:
    secret = webhook_secret(settings)
    carriers: dict[str, Carrier] = {SANDBOX: SandboxCarrier(settings.sandbox_carrier_step_seconds)}
    for code in PUSHING_CARRIERS:
        carriers[code] = WebhookCarrier(code, secret)
    return carriers
