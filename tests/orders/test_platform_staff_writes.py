"""The platform's staff on the write routes of orders, promotions and catalog:
regulators are refused every one (they only read); moderators and risk analysts
may shop like anyone, but act for no shop and handle nobody's orders (a moderator
keeps the two writes that are their job: deciding disputes and held products).
A refused call changes nothing.

The read-only regulator once cancelled a buyer's order (``POST
/api/orders/{id}/cancel`` -> 200).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts.models import Role
from liveshop.catalog.models import ShopFollower, ShopStaff, ShopStaffInvitation, Sku
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.orders.models import (
    Address,
    AfterSale,
    DrawEntry,
    LuckyDraw,
    Order,
    OrderTransition,
)
from liveshop.orders.service import mark_paid
from liveshop.promotions.models import Coupon, FlashSale, UserCoupon
from tests.catalog.staffing import hire
from tests.conftest import Account, MakeAccount

STAFF_ROLES = (Role.REGULATOR, Role.MODERATOR, Role.RISK_ANALYST)


@dataclass(frozen=True)
class World:
    """Something of everything a write route could touch."""

    merchant: Account
    host: Account
    buyer: Account
    shop_id: int
    product_id: int
    sku_id: int
    room_id: int
    sale_id: int
    coupon_id: int
    draw_id: int
    unpaid_order_id: int
    shipped_order_id: int
    after_sale_id: int
    invitation_id: int


def _window() -> dict[str, str]:
    now = utcnow()
    return {
        "starts_at": (now - timedelta(seconds=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    }


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _order(client: TestClient, world: dict[str, Any], key: str) -> dict[str, Any]:
    body = {"items": [{"sku_id": world["sku_id"], "quantity": 1}], "room_id": world["room_id"]}
    buyer: Account = world["buyer"]
    placed: dict[str, Any] = ok(
        client.post("/api/orders", json=body, headers=buyer.headers | {"Idempotency-Key": key}),
        201,
    )
    return placed


def _disputed_after_sale(client: TestClient, world: dict[str, Any], database_url: str) -> int:
    order = _order(client, world, "overseen-order-2")
    with unit_of_work(database_url) as session:
        mark_paid(session, order_id=order["id"], payment_ref="test-payment")
    merchant, buyer = world["merchant"].headers, world["buyer"].headers
    ok(
        client.post(
            f"/api/orders/{order['id']}/ship", json={"tracking_number": "SF01"}, headers=merchant
        )
    )
    world["shipped_order_id"] = order["id"]
    after_sale = ok(
        client.post(
            f"/api/orders/{order['id']}/after-sales",
            json={"kind": "return", "reason": "尺码不对"},
            headers=buyer,
        ),
        201,
    )
    decision = {"approve": False, "reason": "吊牌已拆"}
    ok(
        client.post(
            f"/api/after-sales/{after_sale['id']}/decision", json=decision, headers=merchant
        )
    )
    ok(client.post(f"/api/after-sales/{after_sale['id']}/escalate", headers=buyer))
    after_sale_id: int = after_sale["id"]
    return after_sale_id


@pytest.fixture
def world(
    client: TestClient, make_account: MakeAccount, host: Account, viewer: Account, database_url: str
) -> World:
    merchant = make_account(Role.MERCHANT)
    product = ok(
        client.post(
            "/api/products",
            json={"title": "羽绒服", "price": 29_900, "stock": 20},
            headers=merchant.headers,
        ),
        201,
    )
    hire(client, merchant, host)
    invitation = ok(
        client.post(
            "/api/shops/mine/staff-invitations",
            json={"user_id": make_account(Role.HOST).id},
            headers=merchant.headers,
        ),
        201,
    )
    room = ok(client.post("/api/rooms", json={"title": "直播"}, headers=host.headers), 201)
    ok(client.post(f"/api/rooms/{room['id']}/start", headers=host.headers))
    pinned = {"product_id": product["id"]}
    ok(client.put(f"/api/rooms/{room['id']}/pinned", json=pinned, headers=host.headers))
    ok(
        client.post(
            "/api/addresses",
            json={"recipient": "王", "phone": "13800000000", "region": "上海", "line": "1号"},
            headers=viewer.headers,
        ),
        201,
    )
    world: dict[str, Any] = {"merchant": merchant, "buyer": viewer, "room_id": room["id"]}
    world["sku_id"] = product["skus"][0]["id"]
    sale = {"room_id": room["id"], "sku_id": world["sku_id"], "price": 9_900, "quantity": 5}
    sale_id = ok(client.post("/api/flash-sales", json=sale | _window(), headers=host.headers), 201)
    coupon = {"code": "SHOP10", "name": "立减10", "kind": "fixed", "amount": 1_000}
    coupon_id = ok(
        client.post(
            "/api/coupons",
            json=coupon | {"total_quantity": 9, **_window()},
            headers=merchant.headers,
        ),
        201,
    )["id"]
    draw = {"room_id": room["id"], "title": "福袋", "prize_sku_id": world["sku_id"]}
    draw |= {"winners_count": 1, "deadline": (utcnow() + timedelta(minutes=5)).isoformat()}
    draw_id = ok(client.post("/api/draws", json=draw, headers=host.headers), 201)["id"]
    unpaid = _order(client, world, "overseen-order-1")
    after_sale_id = _disputed_after_sale(client, world, database_url)
    return World(
        merchant=merchant,
        host=host,
        buyer=viewer,
        shop_id=product["shop_id"],
        product_id=product["id"],
        sku_id=world["sku_id"],
        room_id=room["id"],
        sale_id=sale_id["id"],
        coupon_id=coupon_id,
        draw_id=draw_id,
        unpaid_order_id=unpaid["id"],
        shipped_order_id=world["shipped_order_id"],
        after_sale_id=after_sale_id,
        invitation_id=invitation["id"],
    )


def _state(database_url: str) -> dict[str, Any]:
    """Everything the write routes below could change."""
    with unit_of_work(database_url) as session:
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (
                Order,
                OrderTransition,
                Address,
                AfterSale,
                FlashSale,
                Coupon,
                UserCoupon,
                LuckyDraw,
                DrawEntry,
                ShopFollower,
                ShopStaff,
            )
        }
        return counts | {
            "orders": sorted(session.execute(select(Order.id, Order.status)).tuples().all()),
            "after_sales": sorted(
                session.execute(select(AfterSale.id, AfterSale.status)).tuples().all()
            ),
            "stock": sorted(session.execute(select(Sku.id, Sku.stock)).tuples().all()),
            "invitations": sorted(
                session.execute(select(ShopStaffInvitation.id, ShopStaffInvitation.status))
                .tuples()
                .all()
            ),
            "draws": sorted(session.execute(select(LuckyDraw.id, LuckyDraw.status)).tuples().all()),
        }


# (method, path, body, {role: (status, code)}); ``None``: that role may (its job, or
# shopping), so the call is not made here.
WRONG_ROLE = (403, "wrong_role")
HIDDEN_ORDER = (404, "order_not_found")
HIDDEN_AFTER_SALE = (404, "after_sale_not_found")


def _routes(w: World) -> list[tuple[str, str, dict[str, Any] | None, dict[Role, Any]]]:
    everyone = dict.fromkeys(STAFF_ROLES, WRONG_ROLE)
    shopping = {Role.REGULATOR: WRONG_ROLE, Role.MODERATOR: None, Role.RISK_ANALYST: None}

    def order_route(code: str) -> dict[Role, Any]:
        # The regulator reads every order, so it learns why it may not act on one.
        return {Role.REGULATOR: (403, code)} | dict.fromkeys(
            (Role.MODERATOR, Role.RISK_ANALYST), HIDDEN_ORDER
        )

    def after_sale_route(code: str) -> dict[Role, Any]:
        # Regulators and moderators read after-sales; risk analysts do not.
        return dict.fromkeys((Role.REGULATOR, Role.MODERATOR), (403, code)) | {
            Role.RISK_ANALYST: HIDDEN_AFTER_SALE
        }

    not_the_shop = dict.fromkeys(STAFF_ROLES, (403, "not_your_shop"))

    unpaid, shipped, after = w.unpaid_order_id, w.shipped_order_id, w.after_sale_id
    order = {"items": [{"sku_id": w.sku_id, "quantity": 1}]}
    address = {"recipient": "x", "phone": "13800000000", "region": "x", "line": "x"}
    coupon = {"code": "OVERSEE1", "name": "x", "kind": "fixed", "amount": 100}
    coupon |= {"total_quantity": 1, **_window()}
    sale = {"room_id": w.room_id, "sku_id": w.sku_id, "price": 1, "quantity": 1, **_window()}
    draw = {"room_id": w.room_id, "title": "x", "prize_sku_id": w.sku_id, "winners_count": 1}
    draw |= {"deadline": (utcnow() + timedelta(minutes=5)).isoformat()}
    not_owner = dict.fromkeys(STAFF_ROLES, (403, "not_shop_owner"))
    not_invitee = dict.fromkeys(STAFF_ROLES, (404, "invitation_not_found"))
    return [
        ("POST", "/api/orders", order, shopping),
        ("POST", f"/api/orders/{unpaid}/cancel", {}, order_route("not_your_order")),
        (
            "POST",
            f"/api/orders/{shipped}/ship",
            {"tracking_number": "SF99"},
            order_route("not_your_shop"),
        ),
        ("POST", f"/api/orders/{shipped}/confirm-delivery", None, order_route("not_buyer")),
        ("POST", f"/api/orders/{shipped}/complete", None, order_route("not_buyer")),
        ("POST", f"/api/orders/{unpaid}/claim-prize", None, order_route("not_buyer")),
        ("POST", f"/api/orders/{shipped}/after-sales", {"reason": "x"}, order_route("not_buyer")),
        ("POST", "/api/addresses", address, shopping),
        ("POST", f"/api/rooms/{w.room_id}/buy-now", {}, shopping),
        ("POST", f"/api/flash-sales/{w.sale_id}/buy", {}, shopping),
        (
            "POST",
            f"/api/after-sales/{after}/decision",
            {"approve": True},
            not_the_shop,
        ),
        (
            "POST",
            f"/api/after-sales/{after}/return-shipment",
            {"tracking_number": "SF98"},
            after_sale_route("not_buyer"),
        ),
        (
            "POST",
            f"/api/after-sales/{after}/return-received",
            None,
            not_the_shop,
        ),
        ("POST", f"/api/after-sales/{after}/escalate", None, after_sale_route("not_buyer")),
        (
            "POST",
            f"/api/after-sales/{after}/resolution",
            {"refund": True, "reason": "x"},
            {Role.REGULATOR: WRONG_ROLE, Role.RISK_ANALYST: WRONG_ROLE, Role.MODERATOR: None},
        ),
        ("POST", "/api/draws", draw, dict.fromkeys(STAFF_ROLES, (403, "not_room_host"))),
        ("POST", f"/api/draws/{w.draw_id}/entries", None, shopping),
        (
            "POST",
            f"/api/draws/{w.draw_id}/draw",
            None,
            dict.fromkeys(STAFF_ROLES, (403, "not_room_host")),
        ),
        ("POST", "/api/flash-sales", sale, dict.fromkeys(STAFF_ROLES, (403, "not_your_goods"))),
        ("POST", "/api/coupons", coupon, dict.fromkeys(STAFF_ROLES, (403, "no_shop"))),
        ("POST", "/api/coupons", coupon | {"platform": True}, everyone),
        ("POST", f"/api/coupons/{w.coupon_id}/grab", None, shopping),
        ("POST", "/api/products", {"title": "x", "price": 1, "stock": 1}, everyone),
        (
            "PATCH",
            f"/api/products/{w.product_id}",
            {"title": "改"},
            dict.fromkeys(STAFF_ROLES, (403, "not_your_shop")),
        ),
        ("POST", f"/api/shops/{w.shop_id}/follow", None, shopping),
        ("POST", "/api/shops/mine/staff-invitations", {"user_id": w.buyer.id}, not_owner),
        ("DELETE", f"/api/shops/mine/staff-invitations/{w.invitation_id}", None, not_owner),
        ("DELETE", f"/api/shops/mine/staff/{w.host.id}", None, not_owner),
        ("POST", f"/api/staff-invitations/{w.invitation_id}/accept", None, not_invitee),
        ("POST", f"/api/staff-invitations/{w.invitation_id}/decline", None, not_invitee),
    ]


@pytest.mark.parametrize("role", STAFF_ROLES, ids=[role.value for role in STAFF_ROLES])
def test_platform_staff_are_refused_writes_that_are_not_theirs_and_nothing_changes(
    client: TestClient, make_account: MakeAccount, world: World, database_url: str, role: Role
) -> None:
    staff_member = make_account(role)
    before = _state(database_url)
    answers = []
    for method, path, body, expected in _routes(world):
        if expected[role] is None:
            continue
        headers = staff_member.headers | {"Idempotency-Key": f"oversee-{len(answers):04d}"}
        response = client.request(method, path, json=body, headers=headers)
        answers.append((method, path, response.status_code, response.json().get("code")))
        assert answers[-1][2:] == expected[role], (method, path, response.text)
    assert _state(database_url) == before


def test_the_regulator_cannot_cancel_a_buyers_order_but_still_reads_it(
    client: TestClient, make_account: MakeAccount, world: World, database_url: str
) -> None:
    regulator = make_account(Role.REGULATOR)
    before = _state(database_url)

    cancelled = client.post(
        f"/api/orders/{world.unpaid_order_id}/cancel", json={}, headers=regulator.headers
    )

    assert (cancelled.status_code, cancelled.json()) == (
        403,
        {"detail": "only the buyer or the shop cancels an order", "code": "not_your_order"},
    )
    assert _state(database_url) == before
    read = client.get(f"/api/orders/{world.unpaid_order_id}", headers=regulator.headers)
    assert (read.status_code, read.json()["status"]) == (200, "pending_payment")
    listed = client.get("/api/orders?scope=all", headers=regulator.headers).json()
    assert sorted(o["id"] for o in listed) == sorted(
        [world.unpaid_order_id, world.shipped_order_id]
    )
    room_orders = client.get(f"/api/rooms/{world.room_id}/orders", headers=regulator.headers)
    assert room_orders.status_code == 200
    disputes = client.get(f"/api/after-sales/{world.after_sale_id}", headers=regulator.headers)
    assert disputes.json()["status"] == "disputed"
