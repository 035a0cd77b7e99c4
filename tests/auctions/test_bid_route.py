"""The bid route, answered before FastAPI's router (``auctions/bid_fast_path.py``):
the answers a routed request gave, for a bid and for every refusal (the same JSON:
401, 402, 403, 409, and 422 in FastAPI's shape, input never echoed), and the route
still in the OpenAPI schema with its body and Idempotency-Key."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.auctions.bid_fast_path import AuctionBidFastPath
from liveshop.campaigns.tracking import AttributionTouches
from liveshop.orders.flash_fast_path import FlashSaleBuyFastPath
from tests.auctions.conftest import Shelf, give_cards
from tests.conftest import MakeAccount


def _start(client: TestClient, shelf: Shelf) -> int:
    created = client.post(
        "/api/auctions",
        json={"room_id": shelf.room_id, "sku_id": shelf.sku_id, "starting_price": 1_000},
        headers=shelf.host.headers,
    )
    assert created.status_code == 201, created.text
    auction_id: int = created.json()["id"]
    started = client.post(f"/api/auctions/{auction_id}/start", headers=shelf.host.headers)
    assert started.status_code == 200, started.text
    return auction_id


def test_bids_and_refusals_answer_as_the_routed_request_did(
    client: TestClient, database_url: str, shelf: Shelf, make_account: MakeAccount
) -> None:
    auction_id = _start(client, shelf)
    path = f"/api/auctions/{auction_id}/bids"
    alice = make_account(Role.VIEWER, "fastalice")

    def post(body: object, headers: dict[str, str]) -> tuple[int, Any]:
        response = client.post(path, json=body, headers=headers)
        return response.status_code, response.json()

    keyed = {**alice.headers, "Idempotency-Key": "k1"}
    assert post({"max_amount": 2_000}, {"Idempotency-Key": "k1"}) == (
        401,
        {"detail": "log in first: send Authorization: Bearer <token>", "code": "not_authenticated"},
    )
    assert post({"max_amount": 2_000}, keyed)[1] == {
        "detail": "add a card before bidding: the winner pays at once",
        "code": "card_required",
    }
    assert post({"max_amount": 2_000}, keyed)[0] == 402
    host = {**shelf.host.headers, "Idempotency-Key": "h1"}
    assert post({"max_amount": 2_000}, host) == (
        403,
        {"detail": "the auction's own host and shop may not bid on it", "code": "own_auction"},
    )
    assert post({"max_amount": 0}, alice.headers) == (
        422,
        {
            "detail": [
                {"type": "missing", "loc": ["header", "Idempotency-Key"], "msg": "Field required"},
                {
                    "type": "greater_than_equal",
                    "loc": ["body", "max_amount"],
                    "msg": "Input should be greater than or equal to 1",
                    "ctx": {"ge": 1},
                },
            ]
        },
    )
    malformed = client.post(
        path, content=b"{", headers={**keyed, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["type"] == "json_invalid"
    assert post(None, keyed)[1] == {
        "detail": [{"type": "missing", "loc": ["body"], "msg": "Field required"}]
    }

    give_cards(database_url, [alice.id])
    status, first = post({"max_amount": 2_000}, keyed)
    assert status == 200, first
    assert (first["bid"]["seq"], first["replayed"]) == (1, False)
    assert post({"max_amount": 2_000}, keyed)[1]["replayed"] is True
    assert post({"max_amount": 3_000}, keyed)[1]["code"] == "idempotency_conflict"
    assert post({"max_amount": 1_000}, {**alice.headers, "Idempotency-Key": "k2"})[0] == 409
    assert (
        client.post("/api/auctions/999999/bids", json={"max_amount": 2_000}, headers=keyed).json()[
            "code"
        ]
        == "auction_not_found"
    )
    assert (
        client.post("/api/auctions/0/bids", json={"max_amount": 2_000}, headers=keyed).status_code
        == 422
    )


def test_the_bid_route_stays_in_the_openapi_schema(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/auctions/{auction_id}/bids"][
        "post"
    ]
    assert operation["requestBody"]["required"] is True
    assert (
        "max_amount"
        in operation["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {"auction_id", "Idempotency-Key"}


def test_a_bid_still_passes_the_campaigns_touches(client: TestClient) -> None:
    """A bid carrying an attribution code counts as a touch, as it did through the router:
    the fast path sits inside the touches' middleware (the flash sale's buy, outside).
    Starlette lists the app's middleware outermost first."""
    stack = [middleware.cls for middleware in client.app.user_middleware]  # type: ignore[attr-defined]
    assert stack.index(AttributionTouches) < stack.index(AuctionBidFastPath)
    assert stack.index(FlashSaleBuyFastPath) < stack.index(AttributionTouches)
