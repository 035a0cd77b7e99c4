"""Factories shared by the enforcement, reports, scores, qualifications and
inspections tests (no tests here): shops, products, rooms, settings, an app
with enforcement's routers, and a recorder of domain events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.app import create_app
from liveshop.catalog import service as catalog
from liveshop.catalog.schemas import ProductIn
from liveshop.core.bus import DomainEvent, bus
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.governance.api import routers
from liveshop.governance.config import ModerationSettings, get_moderation_settings
from liveshop.governance.models import PenaltyKind
from liveshop.governance.penalties import ActionRequest, impose_penalty
from liveshop.live import service as live
from tests.conftest import Account


def moderation_settings(**overrides: Any) -> ModerationSettings:
    """Defaults spelled out, so tests do not read the environment."""
    values: dict[str, Any] = {"points_window_days": 30, "appeal_days": 7, "claim_minutes": 30}
    values.update(overrides)
    return ModerationSettings(**values)


def limit_room_exposure(session: Session, *, moderator_id: int, room_id: int) -> None:
    """A moderator hides the room from listings for a day (it stays reachable by link)."""
    impose_penalty(
        session,
        moderator=session.get_one(User, moderator_id),
        request=ActionRequest(
            PenaltyKind.LIMIT_EXPOSURE,
            "misleading title",
            target_type="room",
            target_id=room_id,
            days=1,
        ),
        settings=moderation_settings(),
    )


def enforcement_app(settings: Settings, moderation: ModerationSettings | None = None) -> FastAPI:
    """The app with enforcement's routers (until app.py includes them)."""
    application = create_app(settings)
    if not any(getattr(route, "path", "") == "/api/reports" for route in application.routes):
        for router in routers:
            application.include_router(router)
    chosen = moderation or moderation_settings()
    application.dependency_overrides[get_moderation_settings] = lambda: chosen
    return application


@contextmanager
def api_client(
    settings: Settings, moderation: ModerationSettings | None = None
) -> Iterator[TestClient]:
    """A client of :func:`enforcement_app` without the app's lifespan: these routes
    need no live hub, event recorder or background jobs, which are slow to start."""
    client = TestClient(enforcement_app(settings, moderation))
    try:
        yield client
    finally:
        client.close()


def make_shop_product(
    database_url: str,
    merchant: Account,
    *,
    category: str = "",
    stock: int = 10,
    title: str = "Tea",
) -> tuple[int, int]:
    """A product (one SKU) in the merchant's shop: (shop id, product id)."""
    with unit_of_work(database_url) as session:
        user = session.get_one(User, merchant.id)
        product = catalog.create_product(
            session,
            merchant=user,
            body=ProductIn(title=title, category=category, price=1_000, stock=stock),
        )
        return product.shop_id, product.id


def make_room(database_url: str, host: Account) -> int:
    with unit_of_work(database_url) as session:
        room = live.create_room(session, host=session.get_one(User, host.id), title="Live")
        return room.id


@contextmanager
def recorded(*event_types: type[DomainEvent]) -> Iterator[list[Any]]:
    """Collect the events of these types published while the block runs."""
    seen: list[Any] = []
    for event_type in event_types:
        bus.subscribe(event_type, seen.append)
    try:
        yield seen
    finally:
        for event_type in event_types:
            bus.unsubscribe(event_type, seen.append)
