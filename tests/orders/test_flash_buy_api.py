"""POST /api/flash-sales/{id}/buy, the lean route: the same answers on both engines.

The route reads its body, header and caller itself (no FastAPI dependencies),
so its validation, authentication and idempotency are asserted here over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role
from liveshop.app import create_app
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.risk import (
    RiskCheck,
    RiskDecision,
    RiskPath,
    RiskRequest,
    RiskVerdict,
    register_risk_assessor,
    registered_risk_assessor,
)
from liveshop.core.settings import Settings
from liveshop.orders.models import Order
from liveshop.promotions import flash_sales
from tests.catalog.staffing import hire
from tests.conftest import REDIS_URL, SECRET_KEY, Account, MakeAccount, require_service

TEST_REDIS_DB = 13


@pytest.fixture(params=["sql", pytest.param("redis", marks=pytest.mark.redis)])
def settings(request: pytest.FixtureRequest, database_url: str, home: Path) -> Iterator[Settings]:
    """The app's settings with each stock engine (Redis: the server's own key names)."""
    flash_sales.forget_cached_sales()
    redis_url = None
    if request.param == "redis":
        require_service("Redis", REDIS_URL, 6379)
        redis_url = f"{REDIS_URL}/{TEST_REDIS_DB}"
        _delete_server_keys(redis_url)
    yield Settings(
        home=home,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=SECRET_KEY,
        environment="development",
    )
    if redis_url is not None:
        _delete_server_keys(redis_url)
    flash_sales.forget_cached_sales()


def _delete_server_keys(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    stale = list(client.scan_iter("liveshop:*"))
    if stale:
        client.delete(*stale)
    client.close()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app: FastAPI = create_app(settings)
    with TestClient(app) as test_client:
        yield test_client


def open_sale(client: TestClient, make_account: MakeAccount, host: Account, units: int) -> int:
    merchant = make_account(Role.MERCHANT)
    product = client.post(
        "/api/products",
        json={"title": "羽绒服", "price": 29_900, "stock": 20},
        headers=merchant.headers,
    ).json()
    hire(client, merchant, host)  # the host sells for the shop
    room = client.post("/api/rooms", json={"title": "秒杀"}, headers=host.headers).json()
    client.post(f"/api/rooms/{room['id']}/start", headers=host.headers)
    now = utcnow()
    sale = client.post(
        "/api/flash-sales",
        json={
            "room_id": room["id"],
            "sku_id": product["skus"][0]["id"],
            "price": 9_900,
            "quantity": units,
            "per_user_limit": 1,
            "starts_at": (now - timedelta(seconds=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
        },
        headers=host.headers,
    )
    assert sale.status_code == 201, sale.text
    sale_id: int = sale.json()["id"]
    return sale_id


def test_a_buy_a_retry_and_the_answers_after_the_sell_out(
    client: TestClient, make_account: MakeAccount, host: Account, database_url: str
) -> None:
    sale_id = open_sale(client, make_account, host, units=1)
    buyer, late = make_account(Role.VIEWER), make_account(Role.VIEWER)
    path = f"/api/flash-sales/{sale_id}/buy"
    key = {"Idempotency-Key": "first-tap-0001"}

    bought = client.post(path, json={"quantity": 1}, headers={**buyer.headers, **key})
    retried = client.post(path, json={"quantity": 1}, headers={**buyer.headers, **key})
    again = client.post(path, json={}, headers={**buyer.headers, "Idempotency-Key": "tap-0002"})
    sold_out = client.post(path, headers=late.headers)

    assert bought.status_code == 201, bought.text
    assert bought.json()["flash_sale_id"] == sale_id
    assert bought.json()["buyer_id"] == buyer.id
    assert bought.json()["total"] == 9_900
    assert (retried.status_code, retried.json()["id"]) == (200, bought.json()["id"])
    assert again.status_code == 409
    assert again.json() == {"detail": "sold out", "code": "sold_out"}
    assert (sold_out.status_code, sold_out.json()["code"]) == (409, "sold_out")
    with unit_of_work(database_url) as session:
        orders = session.scalar(select(func.count()).where(Order.flash_sale_id == sale_id))
    assert orders == 1
    shown = client.get(f"/api/flash-sales/{sale_id}").json()
    assert (shown["sold"], shown["remaining"]) == (1, 0)


def test_bad_input_and_bad_callers_are_refused_and_buy_nothing(
    client: TestClient, make_account: MakeAccount, host: Account, database_url: str
) -> None:
    sale_id = open_sale(client, make_account, host, units=5)
    buyer = make_account(Role.VIEWER)
    path = f"/api/flash-sales/{sale_id}/buy"

    no_caller = client.post(path, json={"quantity": 1})
    bad_token = client.post(path, json={"quantity": 1}, headers={"Authorization": "Bearer nope"})
    zero = client.post(path, json={"quantity": 0}, headers=buyer.headers)
    not_json = client.post(
        path, content=b"{", headers={**buyer.headers, "Content-Type": "application/json"}
    )
    short_key = client.post(
        path, json={"quantity": 1}, headers={**buyer.headers, "Idempotency-Key": "short"}
    )
    no_sale = client.post("/api/flash-sales/999999/buy", json={}, headers=buyer.headers)
    cookie_without_csrf = client.post(
        path, json={"quantity": 1}, cookies={"liveshop_session": buyer.token}
    )

    assert (no_caller.status_code, no_caller.json()["code"]) == (401, "not_authenticated")
    assert (bad_token.status_code, bad_token.json()["code"]) == (401, "bad_token")
    assert zero.status_code == 422
    assert zero.json()["detail"][0]["loc"] == ["body", "quantity"]
    assert not_json.status_code == 422
    assert short_key.status_code == 422
    assert short_key.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert (no_sale.status_code, no_sale.json()["code"]) == (404, "flash_sale_not_found")
    assert (cookie_without_csrf.status_code, cookie_without_csrf.json()["code"]) == (
        403,
        "csrf_failed",
    )
    with unit_of_work(database_url) as session:
        orders = session.scalar(select(func.count()).where(Order.flash_sale_id == sale_id))
    assert orders == 0
    shown = client.get(f"/api/flash-sales/{sale_id}").json()
    assert (shown["sold"], shown["remaining"]) == (0, 5)


@dataclass
class RecordingRisk:
    """The registered engine, with every request it is asked kept for the test."""

    engine: RiskCheck
    asked: list[RiskRequest] = field(default_factory=list)

    def assess(self, request: RiskRequest, *, session: Session | None = None) -> RiskVerdict:
        self.asked.append(request)
        return self.engine.assess(request, session=session)

    def record_outcome(self, request: RiskRequest, *, succeeded: bool) -> None:
        self.engine.record_outcome(request, succeeded=succeeded)


def test_a_flash_buy_tells_the_risk_engine_the_rooms_host_as_the_merchant(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    """The 刷单 features (accounts sharing a device, IP or address with the room's
    merchant) need the merchant on the flash buy's request, as on an order's."""
    sale_id = open_sale(client, make_account, host, units=2)
    engine = registered_risk_assessor()
    assert engine is not None
    recording = RecordingRisk(engine)
    register_risk_assessor(recording)
    buyer = make_account(Role.VIEWER)

    bought = client.post(f"/api/flash-sales/{sale_id}/buy", json={}, headers=buyer.headers)

    assert bought.status_code == 201, bought.text
    (flash_buy,) = [asked for asked in recording.asked if asked.path is RiskPath.FLASH_BUY]
    assert (flash_buy.merchant_id, flash_buy.user_id) == (host.id, buyer.id)


def test_a_retried_attempt_is_not_a_new_attempt_for_the_risk_checks(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    """A client retries a tap after a timeout or a restart with the same key: the retry
    answers the first attempt's order and is not counted (a burst of retries would look
    like a bot's taps and be refused)."""
    sale_id = open_sale(client, make_account, host, units=3)
    engine = registered_risk_assessor()
    assert engine is not None
    recording = RecordingRisk(engine)
    register_risk_assessor(recording)
    buyer = make_account(Role.VIEWER)
    headers = {**buyer.headers, "Idempotency-Key": "tap-after-timeout"}

    answers = [client.post(f"/api/flash-sales/{sale_id}/buy", json={}, headers=headers)]
    answers += [client.post(f"/api/flash-sales/{sale_id}/buy", json={}, headers=headers)]

    assert [answer.status_code for answer in answers] == [201, 200], answers[-1].text
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assessed = [asked for asked in recording.asked if asked.path is RiskPath.FLASH_BUY]
    assert len(assessed) == 1


@dataclass
class BlockingRisk:
    """The registered engine, but one buyer's flash buys are blocked (a bot)."""

    engine: RiskCheck
    bot_id: int

    def assess(self, request: RiskRequest, *, session: Session | None = None) -> RiskVerdict:
        if request.path is RiskPath.FLASH_BUY and request.user_id == self.bot_id:
            return RiskVerdict(RiskDecision.BLOCK, public_reason="risk: declined")
        return self.engine.assess(request, session=session)

    def record_outcome(self, request: RiskRequest, *, succeeded: bool) -> None:
        self.engine.record_outcome(request, succeeded=succeeded)


def test_a_refused_bot_takes_nothing_from_the_sale(
    client: TestClient, make_account: MakeAccount, host: Account, database_url: str
) -> None:
    """The last unit: the bot's buy is refused (on Redis after its claim, which is then
    undone), and a person who taps next buys it."""
    sale_id = open_sale(client, make_account, host, units=1)
    bot, person = make_account(Role.VIEWER), make_account(Role.VIEWER)
    engine = registered_risk_assessor()
    assert engine is not None
    register_risk_assessor(BlockingRisk(engine, bot.id))
    path = f"/api/flash-sales/{sale_id}/buy"

    refused = client.post(path, json={}, headers={**bot.headers, "Idempotency-Key": "bot-tap-1"})
    again = client.post(path, json={}, headers={**bot.headers, "Idempotency-Key": "bot-tap-1"})
    bought = client.post(path, json={}, headers=person.headers)

    assert (refused.status_code, refused.json()["code"]) == (403, "risk_refused")
    assert again.status_code == 403  # the undone attempt is no held claim
    assert bought.status_code == 201, bought.text
    with unit_of_work(database_url) as session:
        buyers = session.scalars(select(Order.buyer_id).where(Order.flash_sale_id == sale_id))
        assert list(buyers) == [person.id]
    shown = client.get(f"/api/flash-sales/{sale_id}").json()
    assert (shown["sold"], shown["remaining"]) == (1, 0)
