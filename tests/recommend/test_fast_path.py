"""The recommendation GETs answered before FastAPI's router (``recommend/fast_path.py``)
answer as the routed requests do: the same status, headers and body for anonymous,
personalised and opted-out viewers, by token or session cookie; a revoked token and a
withdrawn consent take effect at the next request; a query FastAPI must judge (a 422)
goes to the router."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from liveshop.accounts.dependencies import SESSION_COOKIE
from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.live import service as live
from liveshop.privacy.consents import Purpose
from liveshop.recommend import fast_path
from liveshop.recommend import rooms as rooms_ranking
from liveshop.recommend.jobs import train_once
from tests.conftest import Account, MakeAccount
from tests.recommend.helpers import allow_personalisation, events, merchants, product

PRODUCTS = "/api/recommendations/products"
ROOMS = "/api/recommendations/rooms"


class World:
    """Two shops' products viewed together by people who allowed personalisation, a
    reader who allowed it, a private viewer who did not, a live and a scheduled room."""

    def __init__(self, database_url: str, settings: Settings, make_account: MakeAccount):
        tea_shop, cup_shop = merchants(make_account, 2)
        self.tea = [product(database_url, tea_shop, f"Tea {i}", "tea") for i in range(3)]
        self.cups = [product(database_url, cup_shop, f"Cup {i}", "cups") for i in range(3)]
        self.reader = make_account(Role.VIEWER, "reader")
        self.private = make_account(Role.VIEWER, "private")
        allow_personalisation(database_url, self.reader)
        crowd = [make_account(Role.VIEWER, f"crowd_{i}") for i in range(4)]
        for account in crowd:
            allow_personalisation(database_url, account)
        rows: list[tuple[int | str, str, dict[str, Any]]] = []
        for account in [*crowd, self.reader, self.private]:
            rows += [
                (account.id, "view", {"product_id": self.tea[0]}),
                (account.id, "cart", {"product_id": self.cups[0]}),
            ]
        events(settings, rows)
        host = make_account(Role.HOST, "room_host")
        with unit_of_work(database_url) as work:
            user = work.get_one(User, host.id)
            on = live.create_room(work, host=user, title="on now")
            soon = live.create_room(
                work, host=user, title="soon", scheduled_at=utcnow() + timedelta(minutes=30)
            )
            work.flush()
            live.start_room(work, actor=user, room_id=on.id)
            self.room_ids = (on.id, soon.id)
        train_once(settings)


@pytest.fixture
def world(database_url: str, settings: Settings, make_account: MakeAccount) -> World:
    return World(database_url, settings, make_account)


@pytest.fixture
def fast_answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the fast path answered, in order."""
    answered: list[str] = []
    real = fast_path._plain_query

    def spied(scope: Any) -> Any:
        query = real(scope)
        if query is not None:
            answered.append(scope["path"])
        return query

    monkeypatch.setattr(fast_path, "_plain_query", spied)
    return answered


def both(client: TestClient, path: str, **request: Any) -> tuple[httpx.Response, httpx.Response]:
    """(fast, routed) answers to the same request."""
    fast = client.get(path, **request)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(fast_path, "_plain_query", lambda scope: None)
        slow = client.get(path, **request)
    return fast, slow


def assert_same(fast: httpx.Response, slow: httpx.Response) -> None:
    assert fast.status_code == slow.status_code
    assert fast.content == slow.content
    assert fast.headers == slow.headers


def cookie(account: Account) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={account.token}"}


def test_fast_answers_equal_routed_answers(
    world: World, client: TestClient, fast_answers: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A scheduled room's score rises as its start nears: both answers are read at one moment.
    moment = utcnow()
    monkeypatch.setattr(rooms_ranking, "utcnow", lambda: moment)
    viewers: dict[str, dict[str, str]] = {
        "anonymous": {},
        "reader": world.reader.headers,
        "reader by cookie": cookie(world.reader),
        "private": world.private.headers,
        "spaced token": {"Authorization": f"Bearer  {world.reader.token} "},
    }
    queries = [
        (PRODUCTS, {}),
        (PRODUCTS, {"context": "home", "limit": "3"}),
        (PRODUCTS, {"context": f"product:{world.tea[0]}"}),
        (PRODUCTS, {"context": f"room:{world.room_ids[0]}", "limit": "50"}),
        (ROOMS, {}),
        (ROOMS, {"limit": "1", "context": "ignored\n"}),
    ]
    personalised = {}
    for name, headers in viewers.items():
        for path, params in queries:
            answered = len(fast_answers)
            fast, slow = both(client, path, params=params, headers=headers)
            assert len(fast_answers) == answered + 1  # the first answer was the fast path's
            assert fast.status_code == 200, fast.text
            assert_same(fast, slow)
            personalised[name, path] = fast.json()["personalised"]
    assert personalised["reader", PRODUCTS]
    assert personalised["reader by cookie", ROOMS]
    assert personalised["spaced token", PRODUCTS]  # read as HTTPBearer reads it
    assert not personalised["private", PRODUCTS]
    assert not personalised["anonymous", ROOMS]
    home = client.get(PRODUCTS, headers=world.reader.headers).json()
    assert world.cups[0] in {item["product_id"] for item in home["items"]}
    rooms = client.get(ROOMS).json()["items"]
    assert [room["room_id"] for room in rooms] == list(world.room_ids)
    assert rooms[1]["scheduled_at"] is not None


def test_refusals_are_the_routers(
    world: World, client: TestClient, fast_answers: list[str]
) -> None:
    """A context the service refuses is the app's LiveShopError answer; a query FastAPI
    must judge is FastAPI's own 422, a bad token the same 401."""
    answered_here = [
        ({"context": "shelf:1"}, 422),  # no such kind: the service's InvalidInput
        ({"context": "room:987654"}, 404),
        ({"context": "product:987654"}, 404),
    ]
    for params, status in answered_here:
        fast, slow = both(client, PRODUCTS, params=params)
        assert fast.status_code == status, fast.text
        assert_same(fast, slow)
    assert fast_answers == [PRODUCTS] * 3
    for query in (
        "context=Home",
        "context=home%0A",
        f"context=product:{'9' * 40}",
        "context=",
        "limit=0",
        "limit=51",
        "limit=010",
        "limit=ten",
        "limit=",
        "limit=5&limit=6",
        "context=home&context=shelf:1",
    ):
        fast, slow = both(client, f"{PRODUCTS}?{query}")
        assert fast.status_code in (200, 422), query
        assert_same(fast, slow)
    fast, slow = both(client, f"{ROOMS}?limit=0")
    assert fast.status_code == 422
    assert_same(fast, slow)
    assert fast_answers == [PRODUCTS] * 3  # FastAPI judged every one of them
    bad_token = {"Authorization": "Bearer not-a-token"}
    fast, slow = both(client, ROOMS, headers=bad_token)
    assert fast.status_code == 401
    assert fast.json()["code"] == "bad_token"
    assert_same(fast, slow)
    assert client.post(PRODUCTS).status_code == 405


def test_revoked_token_and_withdrawn_consent_take_effect_at_once(
    world: World, client: TestClient, fast_answers: list[str]
) -> None:
    headers = world.reader.headers
    assert client.get(PRODUCTS, headers=headers).json()["personalised"] is True
    purpose = Purpose.PERSONALISED_RECOMMENDATIONS.value
    assert client.delete(f"/api/me/consents/{purpose}", headers=headers).status_code == 204
    assert client.get(PRODUCTS, headers=headers).json()["personalised"] is False
    assert client.get(ROOMS, headers=headers).json()["personalised"] is False
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    refused = client.get(PRODUCTS, headers=headers)
    assert refused.status_code == 401
    assert refused.json()["code"] == "bad_token"
    assert client.get(ROOMS, headers=cookie(world.reader)).json()["personalised"] is False
    assert fast_answers == [PRODUCTS, PRODUCTS, ROOMS, PRODUCTS, ROOMS]


def test_only_plain_queries_are_taken() -> None:
    def query(method: str, path: str, query_string: bytes) -> Any:
        scope = {"type": "http", "method": method, "path": path, "query_string": query_string}
        return fast_path._plain_query(scope)

    assert query("GET", PRODUCTS, b"") == ("home", 10)
    assert query("GET", PRODUCTS, b"context=room%3A12&limit=50&other=x") == ("room:12", 50)
    assert query("GET", ROOMS, b"limit=7&context=anything") == (None, 7)
    assert query("HEAD", PRODUCTS, b"") is None
    assert query("GET", f"{PRODUCTS}/", b"") is None
    assert query("GET", PRODUCTS, b"limit=50&limit=50") is None
    assert query("GET", PRODUCTS, b"context=home%0A") is None
    assert query("GET", PRODUCTS, b"context=" + b"a" * 41) is None
    assert query("GET", PRODUCTS, b"context=" + b"a" * 40) == ("a" * 40, 10)
