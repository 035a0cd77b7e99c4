"""Who may move money: a regulator (it only reads) sends no gifts, grabs no red
packets and buys nothing in one click, and nothing moves when it tries; a
third-party wallet's approval page is the payer's alone.

A regulator once grabbed a share of a host's red packet (201); a stranger holding a
wallet reference saw the payment's amount on its approval page.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.payments.models import GiftSend, Payment, RedPacketShare, TopUpKind
from tests.conftest import Account
from tests.payments.money import (
    Json,
    add_card,
    credit,
    new_account,
    new_room,
    transaction_count,
)


def _counts(database_url: str) -> tuple[int, int, int, int]:
    """Ledger transactions, gifts, grabbed shares and payments."""
    with unit_of_work(database_url) as session:
        grabbed = select(func.count()).where(RedPacketShare.user_id.is_not(None))
        return (
            transaction_count(database_url),
            session.scalar(select(func.count(GiftSend.id))) or 0,
            session.scalar(grabbed) or 0,
            session.scalar(select(func.count(Payment.id))) or 0,
        )


def _post(client: TestClient, account: Account, path: str, body: Json | None) -> Json:
    response = client.post(
        path, json=body, headers=account.headers | {"Idempotency-Key": f"regulator-{path}"}
    )
    answer: Json = response.json()
    return {**answer, "http": response.status_code}


def test_a_regulator_moves_no_money_in_a_room(client: TestClient, database_url: str) -> None:
    host = new_account(database_url, Role.HOST)
    merchant = new_account(database_url, Role.MERCHANT)
    regulator = new_account(database_url, Role.REGULATOR)
    room_id = new_room(database_url, host.id)
    credit(database_url, host.id, kind=TopUpKind.WALLET, amount=10_000)
    credit(database_url, regulator.id, kind=TopUpKind.COINS, amount=10_000)
    credit(database_url, regulator.id, kind=TopUpKind.WALLET, amount=100_000)
    add_card(client, regulator)
    product = _post(client, merchant, "/api/products", {"title": "围巾", "price": 900, "stock": 5})
    pinned = client.put(
        f"/api/rooms/{room_id}/pinned", json={"product_id": product["id"]}, headers=host.headers
    )
    assert pinned.status_code == 200, pinned.text
    packet = _post(client, host, f"/api/rooms/{room_id}/red-packets", {"total": 100, "shares": 2})
    assert packet["http"] == 201, packet
    before = _counts(database_url)

    answers = [
        _post(client, regulator, f"/api/rooms/{room_id}/gifts", {"gift": "heart"}),
        _post(client, regulator, f"/api/red-packets/{packet['id']}/grab", None),
        _post(client, regulator, f"/api/rooms/{room_id}/buy-now/pay", {"quantity": 1}),
    ]

    refusal = {
        "detail": "a regulator only reads: it moves no money",
        "code": "wrong_role",
        "http": 403,
    }
    assert answers == [refusal, refusal, refusal]
    assert _counts(database_url) == before


def test_a_wallet_approval_page_is_the_payers_alone(client: TestClient, database_url: str) -> None:
    payer = new_account(database_url)
    stranger = new_account(database_url)
    body = {"kind": "wallet", "amount": 1_000, "method": "third_party"}
    payment = _post(client, payer, "/api/top-ups", body)
    page_path = payment["redirect_url"]
    assert page_path.startswith("/sandbox/wallet/sbx_tp_")

    theirs = client.get(page_path, headers=stranger.headers)
    approved = client.post(f"/api{page_path}", json={"approve": True}, headers=stranger.headers)
    own = client.get(page_path, headers=payer.headers)

    assert theirs.status_code == 404
    assert "找不到这笔付款" in theirs.text  # the page says it in its own words, no id
    assert 'id="provider"' not in theirs.text
    assert (approved.status_code, approved.json()["code"]) == (404, "payment_not_found")
    assert own.status_code == 200
    assert 'id="provider"' in own.text
    with unit_of_work(database_url) as session:
        assert session.get_one(Payment, payment["id"]).status.value == "requires_action"
