"""Prize orders: only a lucky draw makes them, only they are claimed, and the ledger agrees."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.orders import service as orders
from liveshop.orders.models import LuckyDraw
from liveshop.orders.schemas import OrderIn, OrderItemIn
from liveshop.payments.verify import verify_ledger
from tests.catalog.staffing import hire
from tests.conftest import Account, MakeAccount


def _product(client: TestClient, merchant: Account, price: int = 9_900, stock: int = 5) -> dict:
    created = client.post(
        "/api/products",
        json={"title": "福袋", "price": price, "stock": stock},
        headers=merchant.headers,
    )
    assert created.status_code == 201, created.text
    product: dict = created.json()
    return product


def _ledger_breaches(database_url: str) -> list[tuple[str, str]]:
    with unit_of_work(database_url) as session:
        return [(breach.check, breach.subject) for breach in verify_ledger(session).breaches]


def test_a_buyer_cannot_claim_a_prize_for_an_order_they_placed(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    merchant, buyer = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = _product(client, merchant)
    placed = client.post(
        "/api/orders",
        json={"items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}]},
        headers=buyer.headers | {"Idempotency-Key": "draw-anything"},
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["origin"] == "checkout"

    claimed = client.post(f"/api/orders/{order['id']}/claim-prize", headers=buyer.headers)

    assert claimed.status_code == 422
    assert claimed.json() == {
        "detail": f"order {order['id']} is not a lucky-draw prize: pay for it instead",
        "code": "not_a_prize",
    }
    after = client.get(f"/api/orders/{order['id']}", headers=buyer.headers).json()
    assert (after["status"], after["payment_ref"]) == ("pending_payment", None)
    assert [t["to_status"] for t in after["transitions"]] == ["pending_payment"]
    shipped = client.post(
        f"/api/orders/{order['id']}/ship",
        json={"tracking_number": "SF0001"},
        headers=merchant.headers,
    )
    assert shipped.status_code == 409
    assert _ledger_breaches(database_url) == []


def _draw_won_by(
    client: TestClient, database_url: str, host: Account, winner: Account, sku_id: int
) -> dict:
    """A lucky draw in the host's live room with one entrant, drawn."""
    room = client.post("/api/rooms", json={"title": "福袋专场"}, headers=host.headers).json()
    client.post(f"/api/rooms/{room['id']}/start", headers=host.headers)
    created = client.post(
        "/api/draws",
        json={
            "room_id": room["id"],
            "title": "福袋",
            "prize_sku_id": sku_id,
            "winners_count": 1,
            "deadline": (utcnow() + timedelta(minutes=5)).isoformat(),
        },
        headers=host.headers,
    )
    assert created.status_code == 201, created.text
    draw: dict = created.json()
    entered = client.post(f"/api/draws/{draw['id']}/entries", headers=winner.headers)
    assert entered.status_code == 204, entered.text
    with unit_of_work(database_url) as session:  # the deadline passes
        session.execute(
            update(LuckyDraw)
            .where(LuckyDraw.id == draw["id"])
            .values(deadline=utcnow() - timedelta(seconds=1))
        )
    drawn = client.post(f"/api/draws/{draw['id']}/draw", headers=host.headers)
    assert drawn.status_code == 200, drawn.text
    assert drawn.json()["winners"] == [winner.id]
    return draw


def test_a_won_prize_is_claimed_at_no_cost_and_the_ledger_verifies(
    client: TestClient, make_account: MakeAccount, host: Account, database_url: str
) -> None:
    merchant, winner = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = _product(client, merchant, stock=5)
    hire(client, merchant, host)
    _draw_won_by(client, database_url, host, winner, product["skus"][0]["id"])
    [prize] = client.get("/api/orders", headers=winner.headers).json()
    assert (prize["origin"], prize["total"], prize["status"]) == (
        "lucky_draw",
        0,
        "pending_payment",
    )

    claimed = client.post(f"/api/orders/{prize['id']}/claim-prize", headers=winner.headers)

    assert claimed.status_code == 200, claimed.text
    assert (claimed.json()["status"], claimed.json()["total"]) == ("paid", 0)
    shipped = client.post(
        f"/api/orders/{prize['id']}/ship",
        json={"tracking_number": "SF0002"},
        headers=merchant.headers,
    )
    assert shipped.json()["status"] == "shipped"
    assert _ledger_breaches(database_url) == []
    again = client.post(f"/api/orders/{prize['id']}/claim-prize", headers=winner.headers)
    assert (again.status_code, again.json()["code"]) == (409, "illegal_transition")


def test_only_the_winner_claims_the_prize(
    client: TestClient, make_account: MakeAccount, host: Account, database_url: str
) -> None:
    merchant, winner = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    other = make_account(Role.VIEWER)
    product = _product(client, merchant)
    hire(client, merchant, host)
    _draw_won_by(client, database_url, host, winner, product["skus"][0]["id"])
    [prize] = client.get("/api/orders", headers=winner.headers).json()
    for stranger in (other, merchant):
        refused = client.post(f"/api/orders/{prize['id']}/claim-prize", headers=stranger.headers)
        assert refused.status_code in (403, 404), refused.text
    assert client.get(f"/api/orders/{prize['id']}", headers=winner.headers).json()["status"] == (
        "pending_payment"
    )


def test_an_order_under_the_key_prizes_once_used_changes_nothing(
    client: TestClient, make_account: MakeAccount, host: Account, database_url: str
) -> None:
    """Prize orders were keyed ``draw-{id}``: a buyer who took that key first (the
    header allows it from draw 100 on; placed here directly for draw 1) once made
    the whole draw fail. Now the draw still gives its prize, and the buyer's order
    stays an ordinary one that claim-prize refuses."""
    merchant, winner = make_account(Role.MERCHANT), make_account(Role.VIEWER)
    product = _product(client, merchant, stock=5)
    hire(client, merchant, host)
    sku_id = product["skus"][0]["id"]
    with unit_of_work(database_url) as session:
        taken, _created = orders.place_order(
            session,
            buyer=session.get_one(User, winner.id),
            body=OrderIn(items=[OrderItemIn(sku_id=sku_id, quantity=2)]),
            idempotency_key="draw-1",
            payment_minutes=30,
        )
        taken_id = taken.id
    draw = _draw_won_by(client, database_url, host, winner, sku_id)
    assert draw["id"] == 1
    listed = client.get("/api/orders", headers=winner.headers).json()
    assert [(o["origin"], o["total"]) for o in listed] == [("lucky_draw", 0), ("checkout", 19_800)]
    refused = client.post(f"/api/orders/{taken_id}/claim-prize", headers=winner.headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "not_a_prize")
