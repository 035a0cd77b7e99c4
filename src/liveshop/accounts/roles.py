"""The roles a user can hold (kept apart from the models so the ``liveshop users``
command's help lists them without importing SQLAlchemy)."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    VIEWER = "viewer"
    HOST = "host"
    MERCHANT = "merchant"
    MODERATOR = "moderator"
    RISK_ANALYST = "risk_analyst"
    ADMIN = "admin"
    REGULATOR = "regulator"
