"""Creating a flash sale asks moderation whether the room's host may run one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role, User
from liveshop.catalog import staff
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.governance.models import PenaltyKind, SubjectType
from liveshop.governance.penalties import ActionRequest, impose_penalty
from liveshop.live import shelf
from tests.conftest import Account, MakeAccount
from tests.governance.helpers import (
    api_client,
    make_room,
    make_shop_product,
    moderation_settings,
)

PRICE = 1_000  # make_shop_product's price


def _penalise(database_url: str, moderator: Account, request: ActionRequest) -> None:
    with unit_of_work(database_url) as session:
        impose_penalty(
            session,
            moderator=session.get_one(User, moderator.id),
            request=request,
            settings=moderation_settings(),
        )


def _warn(database_url: str, moderator: Account, host: Account, points: int) -> None:
    request = ActionRequest(
        PenaltyKind.WARNING,
        "misleading claims",
        subject_type=SubjectType.USER,
        subject_id=host.id,
        points=points,
    )
    _penalise(database_url, moderator, request)


def _sale(room_id: int, sku_id: int) -> dict[str, Any]:
    now = utcnow()
    return {
        "room_id": room_id,
        "sku_id": sku_id,
        "price": PRICE // 2,
        "quantity": 3,
        "starts_at": (now + timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    }


@dataclass(frozen=True)
class Scene:
    """A host's live room and a merchant's product to sell in it, and a moderator."""

    moderator: Account
    host: Account
    merchant: Account
    product_id: int
    room_id: int


@pytest.fixture
def scene(database_url: str, make_account: MakeAccount) -> Scene:
    """The host acts for the merchant's shop and shelves its product: both may start
    a sale of it in the room (promotions.access), so the gate decides."""
    moderator, host = make_account(Role.MODERATOR), make_account(Role.HOST)
    merchant = make_account(Role.MERCHANT)
    _, product_id = make_shop_product(database_url, merchant)
    room_id = make_room(database_url, host)
    with unit_of_work(database_url) as session:
        hosting = session.get_one(User, host.id)
        invited = staff.invite_staff(
            session, owner=session.get_one(User, merchant.id), user_id=host.id
        )
        staff.accept_invitation(session, invitee=hosting, invitation_id=invited.id)
        shelf.set_shelf(session, actor=hosting, room_id=room_id, product_ids=[product_id])
    return Scene(moderator, host, merchant, product_id, room_id)


def _sku_of(client: TestClient, product_id: int, merchant: Account) -> tuple[int, int]:
    """(SKU id, stock) of the product's only SKU."""
    sku = client.get(f"/api/products/{product_id}", headers=merchant.headers).json()["skus"][0]
    return sku["id"], sku["stock"]


def test_a_host_below_the_minimum_score_cannot_create_a_flash_sale(
    settings: Settings, database_url: str, scene: Scene
) -> None:
    moderator, host, merchant = scene.moderator, scene.host, scene.merchant
    product_id, room_id = scene.product_id, scene.room_id
    _warn(database_url, moderator, host, 4)  # -8: 92
    with api_client(settings, moderation_settings(flash_sale_min_score=95)) as client:
        sku_id, stock = _sku_of(client, product_id, merchant)
        for caller in (host, merchant):  # the gate is the room host's, whoever asks
            refused = client.post(
                "/api/flash-sales", json=_sale(room_id, sku_id), headers=caller.headers
            )
            assert refused.status_code == 403
            assert refused.json() == {
                "detail": "the room's host has a credit score of 92, below the 95 a flash "
                "sale needs (-8: 4 violation points in the last 30 days)",
                "code": "host_score_too_low",
            }
        assert client.get(f"/api/rooms/{room_id}/flash-sales").json() == []
        assert _sku_of(client, product_id, merchant) == (sku_id, stock)  # nothing set aside


def test_a_host_at_the_minimum_score_creates_a_flash_sale(
    settings: Settings, database_url: str, scene: Scene
) -> None:
    moderator, host, merchant = scene.moderator, scene.host, scene.merchant
    product_id, room_id = scene.product_id, scene.room_id
    _warn(database_url, moderator, host, 4)  # -8: 92
    with api_client(settings, moderation_settings(flash_sale_min_score=92)) as client:
        sku_id, stock = _sku_of(client, product_id, merchant)
        created = client.post("/api/flash-sales", json=_sale(room_id, sku_id), headers=host.headers)
        assert created.status_code == 201, created.text
        assert (created.json()["room_id"], created.json()["quantity"]) == (room_id, 3)
        assert _sku_of(client, product_id, merchant) == (sku_id, stock - 3)


def test_a_suspended_host_cannot_create_a_flash_sale(
    settings: Settings, database_url: str, scene: Scene
) -> None:
    moderator, host, merchant = scene.moderator, scene.host, scene.merchant
    product_id, room_id = scene.product_id, scene.room_id
    suspension = ActionRequest(
        PenaltyKind.SUSPENSION,
        "repeated fraud",
        subject_type=SubjectType.USER,
        subject_id=host.id,
        days=3,
    )
    _penalise(database_url, moderator, suspension)
    with api_client(settings, moderation_settings(flash_sale_min_score=0)) as client:
        sku_id, _ = _sku_of(client, product_id, merchant)
        refused = client.post("/api/flash-sales", json=_sale(room_id, sku_id), headers=host.headers)
        assert refused.status_code == 403
        assert refused.json() == {
            "detail": "the room's host is suspended: no flash sales until it ends",
            "code": "host_suspended",
        }
        assert client.get(f"/api/rooms/{room_id}/flash-sales").json() == []
