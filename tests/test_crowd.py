"""A crowd through a real server: sign-ups, logins and browsing at once on the embedded
default (SQLite), and more orders at once than the server has worker threads (on both
databases), answer no 5xx and drop no connection."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from liveshop.accounts.models import ApiToken, Role, User
from liveshop.app import create_app
from liveshop.catalog.models import Sku
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.orders.models import Order
from tests.conftest import Account
from tests.payments.money import new_account
from tests.ports import free_port

USERS = 40
IN_FLIGHT = 20
BROWSING = ("/api/auth/me", "/api/rooms", "/api/orders", "/api/payment-methods", "/api/wallet")
# More than the server's 40 worker threads: requests waiting for a lock the whole pool
# long must not starve the lock's holder of the thread it needs to finish.
BUYERS = 60
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn in a thread, as ``liveshop serve`` does."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=free_port(), log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{config.port}"
    server.should_exit = True
    thread.join(10)


def _journey(base_url: str, index: int) -> list[str]:
    """One person: sign up, log in, look around. Each answer as "METHOD path status"."""
    address = f"198.51.100.{index + 1}"  # each person behind the proxy has an address
    credentials = {"username": f"crowd_{index}", "password": f"crowd-{index}-hunter-two"}
    answers: list[str] = []
    with httpx.Client(base_url=base_url, headers={"X-Forwarded-For": address}, timeout=60) as http:
        try:
            registered = http.post("/api/auth/register", json=credentials)
            answers.append(f"POST register {registered.status_code}")
            logged_in = http.post("/api/auth/login", json=credentials)
            answers.append(f"POST login {logged_in.status_code}")
            if logged_in.status_code != 200:
                return answers
            bearer = {"Authorization": f"Bearer {logged_in.json()['token']}"}
            for path in BROWSING:
                answers.append(f"GET {path} {http.get(path, headers=bearer).status_code}")
        except httpx.TransportError as error:
            answers.append(f"dropped {type(error).__name__}")
    return answers


@sqlite_only
def test_a_crowd_signs_up_logs_in_and_browses_with_no_server_error(
    base_url: str, database_url: str
) -> None:
    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        journeys = list(pool.map(lambda index: _journey(base_url, index), range(USERS)))
    answers = Counter(answer for journey in journeys for answer in journey)
    expected = Counter({"POST register 201": USERS, "POST login 200": USERS})
    expected.update({f"GET {path} 200": USERS for path in BROWSING})
    assert answers == expected
    with unit_of_work(database_url, writes=False) as session:
        users = session.scalar(select(func.count(User.id)).where(User.username.like("crowd_%")))
        tokens = session.scalar(select(func.count(ApiToken.id)))
    assert (users, tokens) == (USERS, USERS)


def _product_in_stock(base_url: str, merchant: Account, stock: int) -> int:
    product = httpx.post(
        f"{base_url}/api/products",
        json={"title": "羽绒服", "price": 29_900, "stock": stock},
        headers=merchant.headers,
        timeout=30,
    )
    assert product.status_code == 201, product.text
    sku_id: int = product.json()["skus"][0]["id"]
    return sku_id


def _order(base_url: str, buyer: Account, sku_id: int, start: threading.Barrier) -> int | str:
    """The answer's status, or the name of the error if the connection dropped."""
    start.wait()
    try:
        return httpx.post(
            f"{base_url}/api/orders",
            json={"items": [{"sku_id": sku_id, "quantity": 1}]},
            headers=buyer.headers | {"Idempotency-Key": f"crowd-order-{buyer.id:06d}"},
            timeout=60,
        ).status_code
    except httpx.TransportError as error:
        return type(error).__name__


def test_more_orders_at_once_than_worker_threads_all_succeed(
    base_url: str, database_url: str
) -> None:
    sku_id = _product_in_stock(base_url, new_account(database_url, Role.MERCHANT), BUYERS)
    buyers = [new_account(database_url) for _ in range(BUYERS)]
    start = threading.Barrier(BUYERS)
    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        answers = Counter(pool.map(lambda buyer: _order(base_url, buyer, sku_id, start), buyers))
    assert answers == Counter({201: BUYERS})
    with unit_of_work(database_url, writes=False) as session:
        orders = session.scalar(select(func.count(Order.id)))
        stock = session.get_one(Sku, sku_id).stock
    assert (orders, stock) == (BUYERS, 0)
