"""Factories for the recommendation tests: shops' products, rooms, consents, and
behaviour events written to the store through the events domain."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from liveshop.accounts.models import Role, User
from liveshop.catalog import service as catalog
from liveshop.catalog.schemas import ProductIn
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.events.recorder import pseudonymous_id
from liveshop.events.store import append_events
from liveshop.privacy.consents import POLICY_VERSIONS, Purpose, grant_consent
from tests.conftest import Account, MakeAccount


def product(database_url: str, merchant: Account, title: str, category: str) -> int:
    with unit_of_work(database_url) as session:
        made = catalog.create_product(
            session,
            merchant=session.get_one(User, merchant.id),
            body=ProductIn(title=title, category=category, price=1_000, stock=10),
        )
        return made.id


def allow_personalisation(database_url: str, account: Account) -> None:
    purpose = Purpose.PERSONALISED_RECOMMENDATIONS
    with unit_of_work(database_url) as session:
        grant_consent(
            session, user_id=account.id, purpose=purpose, policy_version=POLICY_VERSIONS[purpose]
        )


def events(
    settings: Settings, rows: list[tuple[int | str, str, dict[str, Any]]], *, days_ago: float = 1.0
) -> None:
    """(user id, event type, ids) rows into the store, as the recorder would write them."""
    when = utcnow() - timedelta(days=days_ago)
    append_events(
        settings.event_store_path(),
        [
            {
                "event_id": uuid.uuid4().hex,
                "event_type": kind,
                "user_id": pseudonymous_id(user, settings.resolved_secret_key()),
                "room_id": ids.get("room_id"),
                "product_id": ids.get("product_id"),
                "ts": when + timedelta(seconds=index),
                "properties": {k: v for k, v in ids.items() if k not in ("room_id", "product_id")},
            }
            for index, (user, kind, ids) in enumerate(rows)
        ],
    )


def merchants(make_account: MakeAccount, count: int) -> list[Account]:
    return [make_account(Role.MERCHANT, f"merchant_{i}") for i in range(count)]


def store_path(settings: Settings) -> Path:
    return settings.event_store_path()
