"""A buyer's phone in full only in their own address book: every order, after-sales
and payout view, whoever reads it (the buyer, the shop, the room's host, admins,
moderators, regulators), shows it masked as a privacy waybill (隐私面单) does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.clock import utcnow
from liveshop.orders.schemas import OrderAddressOut
from liveshop.privacy.masking import find_personal_data, mask_address_snapshot
from tests.conftest import Account, MakeAccount
from tests.privacy.conftest import ADDRESS, CARD, PHONE, ok

MASKED = "138****5678"  # PHONE as everyone but its owner's address book shows it
ADDRESS_BOOK = re.compile(r"^(POST|GET) /api/addresses$")


@dataclass(frozen=True)
class Cast:
    buyer: Account
    merchant: Account
    host: Account
    admin: Account
    moderator: Account
    regulator: Account


@dataclass(frozen=True)
class Seen:
    """One response: who asked, what, and the text (headers and body)."""

    caller: str
    request: str
    text: str


def _cast(make_account: MakeAccount) -> Cast:
    return Cast(
        buyer=make_account(Role.VIEWER, "buyer_wang"),
        merchant=make_account(Role.MERCHANT),
        host=make_account(Role.HOST),
        admin=make_account(Role.ADMIN),
        moderator=make_account(Role.MODERATOR),
        regulator=make_account(Role.REGULATOR),
    )


def _order_in_room_paid(client: TestClient, cast: Cast) -> tuple[int, int]:
    """The buyer's address book gets the full phone; an order in the host's room is
    placed and paid by card. Returns (room id, order id)."""
    buyer = cast.buyer.headers
    ok(client.post("/api/addresses", json=ADDRESS, headers=buyer))
    card = {
        "card_number": CARD,
        "exp_month": 12,
        "exp_year": utcnow().year + 2,
        "cvc": "123",
        "holder": "WANG XIAOMING",
        "save_consent": True,
    }
    method = ok(client.post("/api/payment-methods", json=card, headers=buyer))
    product = ok(
        client.post(
            "/api/products",
            json={"title": "羽绒服", "price": 29_900, "stock": 5},
            headers=cast.merchant.headers,
        )
    )
    room = ok(client.post("/api/rooms", json={"title": "冬装专场"}, headers=cast.host.headers))
    order = ok(
        client.post(
            "/api/orders",
            json={
                "items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}],
                "room_id": room["id"],
            },
            headers=buyer | {"Idempotency-Key": "masked-order-1"},
        )
    )
    payment = ok(
        client.post(
            "/api/payments",
            json={"order_id": order["id"], "payment_method_id": method["id"]},
            headers=buyer | {"Idempotency-Key": "masked-pay-1"},
        )
    )
    assert payment["status"] == "succeeded", payment
    return room["id"], order["id"]


def _ship_and_dispute(client: TestClient, cast: Cast, order_id: int) -> int:
    """Shipped; a return asked for, rejected, disputed and decided. Returns its id."""
    ok(
        client.post(
            f"/api/orders/{order_id}/ship",
            json={"tracking_number": "SF1234567890"},
            headers=cast.merchant.headers,
        )
    )
    after_sale = ok(
        client.post(
            f"/api/orders/{order_id}/after-sales",
            json={"kind": "return", "reason": "尺码不对"},
            headers=cast.buyer.headers,
        )
    )
    after_sale_id: int = after_sale["id"]
    ok(
        client.post(
            f"/api/after-sales/{after_sale_id}/decision",
            json={"approve": False, "reason": "吊牌已拆"},
            headers=cast.merchant.headers,
        )
    )
    ok(client.post(f"/api/after-sales/{after_sale_id}/escalate", headers=cast.buyer.headers))
    return after_sale_id


def _reads(
    cast: Cast, room_id: int, order_id: int, after_sale_id: int
) -> list[tuple[Account, str]]:
    """Every order, after-sales and payout view each role may open."""
    order, after_sale = f"/api/orders/{order_id}", f"/api/after-sales/{after_sale_id}"
    room_orders = f"/api/rooms/{room_id}/orders"
    return [
        (cast.buyer, "/api/orders"),
        (cast.buyer, order),
        (cast.buyer, after_sale),
        (cast.merchant, "/api/orders?scope=shop"),
        (cast.merchant, order),
        (cast.merchant, "/api/after-sales?scope=shop"),
        (cast.merchant, after_sale),
        (cast.merchant, "/api/payouts/mine"),
        (cast.host, room_orders),
        (cast.host, "/api/payouts/mine"),
        (cast.admin, "/api/orders?scope=all"),
        (cast.admin, order),
        (cast.admin, room_orders),
        (cast.admin, "/api/after-sales?scope=disputes"),
        (cast.admin, after_sale),
        (cast.admin, "/api/payouts"),
        (cast.moderator, "/api/after-sales?scope=disputes"),
        (cast.moderator, after_sale),
        (cast.regulator, "/api/orders?scope=all"),
        (cast.regulator, order),
        (cast.regulator, room_orders),
        (cast.regulator, after_sale),
        (cast.regulator, "/api/regulator/audit"),
    ]


def _recorder(client: TestClient, cast: Cast) -> list[Seen]:
    """Keep every response with the role of the caller (by the token it sent)."""
    roles = {
        account.headers["Authorization"]: account.role.value for account in vars(cast).values()
    }
    seen: list[Seen] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        caller = roles.get(response.request.headers.get("Authorization", ""), "anonymous")
        request = f"{response.request.method} {response.request.url.path}"
        seen.append(Seen(caller, request, str(response.headers) + response.text))

    client.event_hooks["response"].append(keep)
    return seen


def _orders_in(body: Any) -> list[dict[str, Any]]:
    """The orders in a response: one order, or a list of them."""
    items = body if isinstance(body, list) else [body]
    return [item for item in items if isinstance(item, dict) and "address" in item]


def test_only_the_buyers_own_address_book_shows_the_full_phone(
    client: TestClient, make_account: MakeAccount
) -> None:
    cast = _cast(make_account)
    seen = _recorder(client, cast)
    room_id, order_id = _order_in_room_paid(client, cast)
    after_sale_id = _ship_and_dispute(client, cast, order_id)
    order_views = 0
    for account, path in _reads(cast, room_id, order_id, after_sale_id):
        for order in _orders_in(ok(client.get(path, headers=account.headers))):
            assert order["address"]["phone"] == MASKED, (account.role, path)
            order_views += 1
    ok(
        client.post(
            f"/api/after-sales/{after_sale_id}/resolution",
            json={"refund": False, "reason": "退货条件不符"},
            headers=cast.admin.headers,
        )
    )
    book = ok(client.get("/api/addresses", headers=cast.buyer.headers))

    assert [address["phone"] for address in book] == [PHONE]
    assert order_views == 11  # the order, in each list and each single view of it
    full = [(s.caller, s.request) for s in seen if PHONE in s.text]
    assert full == [("viewer", "POST /api/addresses"), ("viewer", "GET /api/addresses")]
    leaks = [
        (s.caller, s.request)
        for s in seen
        if "phone" in find_personal_data(s.text) and not ADDRESS_BOOK.match(s.request)
    ]
    assert leaks == []
    for role in ("merchant", "host", "admin", "regulator"):
        assert any(s.caller == role and MASKED in s.text for s in seen), role


def test_an_order_copy_masked_once_is_not_masked_again() -> None:
    """The data export masks the order's copy after the serialiser has."""
    served = OrderAddressOut.model_validate(ADDRESS).model_dump(mode="json")
    assert served["phone"] == MASKED
    assert mask_address_snapshot(served) == served
