"""Mail the accounts domain sends itself (a reset link, a sign-in code), over SMTP
(``LIVESHOP_SMTP_HOST``/``PORT``, from ``LIVESHOP_MAIL_FROM``), after the commit."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

SMTP_TIMEOUT_SECONDS = 10.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    sender: str


def deliver(message: EmailMessage, *, relay: Relay, what: str) -> bool:
    """Send ``message`` from ``relay.sender``; a relay that fails is logged (the person
    asks again), never raised: callers answer the same whether or not it went."""
    message["From"] = relay.sender
    try:
        with smtplib.SMTP(relay.host, relay.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("%s email not sent: %s", what, error)
        return False
    return True
