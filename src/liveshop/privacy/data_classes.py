"""The classes of personal data a retention job handles (kept apart from
``retention.py`` so the ``liveshop privacy`` command's help lists them without
importing SQLAlchemy)."""

from __future__ import annotations

import enum


class DataClass(enum.StrEnum):
    BEHAVIOUR_EVENTS = "behaviour_events"
    CHAT_MESSAGES = "chat_messages"
    API_TOKENS = "api_tokens"
    CONSENT_RECORDS = "consent_records"
    AUDIT_LOG = "audit_log"
    ORDER_ADDRESSES = "order_addresses"
