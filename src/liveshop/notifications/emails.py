"""Queued emails leave through an SMTP relay, in a background job (never in a request).

Each message carries the one-click unsubscribe of RFC 8058 (``List-Unsubscribe`` and
``List-Unsubscribe-Post``). A message the relay refuses is tried again on the next
run, up to ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.notifications.models import OutboundEmail, OutboundEmailStatus

MAX_ATTEMPTS = 5
# Long headers (the unsubscribe link) stay whole: folding would encode them as words.
HEADER_POLICY = policy.default.clone(max_line_length=998)
BATCH = 200
SMTP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    sender: str


def message_for(email: OutboundEmail, *, sender: str) -> EmailMessage:
    message = EmailMessage(policy=HEADER_POLICY)
    message["From"] = sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Message-ID"] = make_msgid(domain="liveshop.local")
    message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(f"{email.body}\n")  # its unsubscribe line in the reader's words
    return message


def _pending(session: Session) -> list[OutboundEmail]:
    return list(
        session.scalars(
            select(OutboundEmail)
            .where(OutboundEmail.status == OutboundEmailStatus.PENDING)
            .order_by(OutboundEmail.id)
            .limit(BATCH)
        )
    )


def send_pending_emails(database_url: str, *, relay: Relay) -> int:
    """Send what is queued over one SMTP connection; the number sent."""
    with unit_of_work(database_url) as session:
        batch = _pending(session)
        session.expunge_all()
    if not batch:
        return 0
    sent, failures = [], []
    try:
        with smtplib.SMTP(relay.host, relay.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            for email in batch:
                try:
                    smtp.send_message(message_for(email, sender=relay.sender))
                    sent.append(email.id)
                except smtplib.SMTPException as error:
                    failures.append((email, str(error)[:300]))
    except (OSError, smtplib.SMTPException) as error:
        failures = [
            (email, f"relay unreachable: {error}"[:300]) for email in batch if email.id not in sent
        ]
    with unit_of_work(database_url) as session:
        if sent:
            session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id.in_(sent))
                .values(
                    status=OutboundEmailStatus.SENT,
                    sent_at=utcnow(),
                    attempts=OutboundEmail.attempts + 1,
                )
            )
        for email, reason in failures:
            attempts = email.attempts + 1
            session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id == email.id)
                .values(
                    attempts=attempts,
                    last_error=reason,
                    status=OutboundEmailStatus.FAILED
                    if attempts >= MAX_ATTEMPTS
                    else OutboundEmailStatus.PENDING,
                )
            )
    return len(sent)
