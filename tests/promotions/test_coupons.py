"""Coupons: what they take off, how they stack, exact spreading, live drops that never oversell."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.errors import LiveShopError
from liveshop.promotions import coupons
from liveshop.promotions.pricing import AppliedDiscount, PriceLine, price_lines, spread_exactly
from tests.catalog.staffing import hire
from tests.conftest import Account, MakeAccount
from tests.promotions.conftest import create_buyers


def _window() -> dict[str, str]:
    now = utcnow()
    return {
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }


def _coupon(client: TestClient, issuer: Account, **fields: object) -> dict:
    body = {"name": "券", "total_quantity": 100, **_window(), **fields}
    response = client.post("/api/coupons", json=body, headers=issuer.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _shop_with_two_products(client: TestClient, merchant: Account) -> tuple[int, int]:
    skus = []
    for title, price in (("羽绒服", 20_000), ("围巾", 10_000)):
        product = client.post(
            "/api/products",
            json={"title": title, "price": price, "stock": 10},
            headers=merchant.headers,
        ).json()
        skus.append(product["skus"][0]["id"])
    return skus[0], skus[1]


def test_threshold_and_platform_coupons_stack_once_each(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant, admin, buyer = (
        make_account(role) for role in (Role.MERCHANT, Role.ADMIN, Role.VIEWER)
    )
    coat, scarf = _shop_with_two_products(client, merchant)
    _coupon(client, merchant, code="SPEND200", kind="threshold", threshold=20_000, amount=3_000)
    _coupon(client, merchant, code="SHOP10", kind="fixed", amount=1_000)
    _coupon(client, admin, code="PLAT15", kind="percent", percent=15, cap=2_000, platform=True)
    items = [{"sku_id": coat, "quantity": 1}, {"sku_id": scarf, "quantity": 1}]
    response = client.post(
        "/api/orders",
        json={"items": items, "coupon_codes": ["SPEND200", "PLAT15"]},
        headers=buyer.headers | {"Idempotency-Key": "coupon-order-1"},
    )
    order = response.json()
    assert response.status_code == 201, order
    # 30,000 - 3,000 (满减) - min(15 % of 30,000, 2,000 cap) = 25,000
    assert (order["items_total"], order["discount_total"], order["total"]) == (
        30_000,
        5_000,
        25_000,
    )
    assert sum(item["total"] for item in order["items"]) == order["total"]
    # 满减 3,000 spread 2,000 + 1,000; then 2,000 over what is left (18,000 : 9,000)
    assert [item["discount"] for item in order["items"]] == [3_333, 1_667]
    two_shop = client.post(
        "/api/orders",
        json={"items": items, "coupon_codes": ["SPEND200", "SHOP10"]},
        headers=buyer.headers | {"Idempotency-Key": "coupon-order-2"},
    )
    assert two_shop.status_code == 422
    assert two_shop.json()["code"] == "coupon_stacking"


def test_a_coupon_below_its_threshold_is_refused_and_nothing_is_reserved(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    _coat, scarf = _shop_with_two_products(client, merchant)
    _coupon(client, merchant, code="SPEND200", kind="threshold", threshold=20_000, amount=3_000)
    response = client.post(
        "/api/orders",
        json={"items": [{"sku_id": scarf, "quantity": 1}], "coupon_codes": ["SPEND200"]},
        headers=buyer.headers | {"Idempotency-Key": "coupon-order-3"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "coupon_not_applicable"
    assert client.get("/api/coupons/mine", headers=buyer.headers).json() == []
    assert client.get("/api/orders", headers=buyer.headers).json() == []


def test_a_cancelled_order_gives_the_coupon_back(
    client: TestClient, make_account: MakeAccount
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    coat, _scarf = _shop_with_two_products(client, merchant)
    _coupon(client, merchant, code="SHOP10", kind="fixed", amount=1_000)
    order = client.post(
        "/api/orders",
        json={"items": [{"sku_id": coat, "quantity": 1}], "coupon_codes": ["SHOP10"]},
        headers=buyer.headers | {"Idempotency-Key": "coupon-order-4"},
    ).json()
    assert [
        held["order_id"] for held in client.get("/api/coupons/mine", headers=buyer.headers).json()
    ] == [order["id"]]
    client.post(f"/api/orders/{order['id']}/cancel", json={}, headers=buyer.headers)
    assert [
        held["order_id"] for held in client.get("/api/coupons/mine", headers=buyer.headers).json()
    ] == [None]


def test_a_room_drop_never_hands_out_more_than_issued(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant_host = make_account(Role.HOST, "host_and_staff")
    owner = make_account(Role.MERCHANT)
    _shop_with_two_products(client, owner)
    hire(client, owner, merchant_host)
    room = client.post("/api/rooms", json={"title": "抢券"}, headers=merchant_host.headers).json()
    drop = _coupon(
        client,
        merchant_host,
        code="DROP50",
        kind="fixed",
        amount=500,
        room_id=room["id"],
        total_quantity=30,
        per_user_limit=1,
    )
    buyers = create_buyers(database_url, 60, prefix="grabber")

    def grab(user_id: int) -> str:
        try:
            with unit_of_work(database_url) as session:
                coupons.grab_coupon(
                    session, user=session.get_one(User, user_id), coupon_id=drop["id"]
                )
        except LiveShopError as error:
            return error.code
        return "grabbed"

    attempts = buyers + buyers[:20]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = Counter(pool.map(grab, attempts))
    assert outcomes["grabbed"] == 30
    assert outcomes["grabbed"] + outcomes["coupons_gone"] + outcomes["coupon_limit"] == len(
        attempts
    )
    shown = client.get(f"/api/rooms/{room['id']}/coupons").json()
    assert [(c["claimed"], c["remaining"]) for c in shown] == [(30, 0)]


@given(
    amount=st.integers(0, 10**9),
    weights=st.lists(st.integers(0, 10**7), min_size=1, max_size=12),
)
def test_spreading_is_exact_and_never_exceeds_a_line(amount: int, weights: list[int]) -> None:
    parts = spread_exactly(amount, weights)
    assert sum(parts) == min(amount, sum(weights))
    assert all(0 <= part <= weight for part, weight in zip(parts, weights, strict=True))


@given(
    prices=st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 5)), min_size=1, max_size=6),
    discount=st.integers(0, 10**7),
)
def test_line_totals_always_add_up_to_the_order_total(
    prices: list[tuple[int, int]], discount: int
) -> None:
    lines = [
        PriceLine(
            sku_id=index,
            product_id=index,
            title="x",
            unit_price=price,
            quantity=quantity,
            subtotal=price * quantity,
        )
        for index, (price, quantity) in enumerate(prices)
    ]
    breakdown = price_lines(
        lines, currency="CNY", discounts=[AppliedDiscount(code="C", label="c", amount=discount)]
    )
    assert sum(line.total for line in breakdown.lines) == breakdown.total
    assert breakdown.total == breakdown.items_total - breakdown.discount_total
    assert breakdown.discount_total == min(discount, breakdown.items_total)
