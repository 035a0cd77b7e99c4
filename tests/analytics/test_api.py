"""The analytics API: who may read which figures, and that the figures are right."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.analytics import api as analytics_api
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.events.store import append_events
from liveshop.live import service as live
from liveshop.live.shelf import set_shelf
from tests.conftest import Account, MakeAccount

T0 = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    from liveshop.app import create_app

    application = create_app(settings)
    application.include_router(analytics_api.router)
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def event(kind: str, user: str, minute: float, *, room: int | None, product: int | None = None,
          **properties: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "event_id": uuid.uuid4().hex,
        "event_type": kind,
        "user_id": user,
        "room_id": room,
        "product_id": product,
        "ts": T0 + timedelta(minutes=minute),
        "properties": properties,
    }


@dataclass
class World:
    host: Account
    other_host: Account
    merchant: Account
    rival: Account
    viewer: Account
    admin: Account
    room_id: int
    other_room_id: int
    product: int  # the merchant's, on the room's shelf
    rival_product: int  # the rival's, on the same shelf
    off_shelf: int  # the merchant's, sold only in the other room


def _product(client: TestClient, merchant: Account, title: str, price: int) -> int:
    response = client.post(
        "/api/products",
        json={"title": title, "price": price, "stock": 100},
        headers=merchant.headers,
    )
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    return product_id


@pytest.fixture
def world(
    client: TestClient, make_account: MakeAccount, database_url: str, settings: Settings
) -> World:
    host, other_host = make_account(Role.HOST), make_account(Role.HOST)
    merchant, rival = make_account(Role.MERCHANT), make_account(Role.MERCHANT)
    viewer, admin = make_account(Role.VIEWER), make_account(Role.ADMIN)
    product = _product(client, merchant, "scarf", 5990)
    off_shelf = _product(client, merchant, "hat", 2000)
    rival_product = _product(client, rival, "gloves", 3000)
    with unit_of_work(database_url) as session:
        from liveshop.accounts.models import User

        host_user = session.get(User, host.id)
        other_user = session.get(User, other_host.id)
        assert host_user is not None
        assert other_user is not None
        room_id = live.create_room(session, host=host_user, title="Winter <b>sale</b>").id
        other_room_id = live.create_room(session, host=other_user, title="Other").id
        set_shelf(session, actor=host_user, room_id=room_id, product_ids=[product, rival_product])
    r, o = room_id, other_room_id
    append_events(
        settings.event_store_path(),
        [
            event("join", "u_a", 0, room=r),
            event("join", "u_b", 0.5, room=r),
            event("join", "u_c", 1.2, room=r),
            event("view", "u_a", 0.1, room=r, product=product),
            event("view", "u_b", 0.6, room=r, product=product),
            event("view", "u_c", 1.3, room=r, product=rival_product),
            event("product_click", "u_a", 0.2, room=r, product=product),
            event("product_click", "u_b", 0.7, room=r, product=product),
            event("comment", "u_a", 0.3, room=r),
            event("comment", "u_c", 1.4, room=r),
            event("like", "u_b", 0.8, room=r, count=5),
            event("cart", "u_a", 0.4, room=r, product=product),
            event("purchase", "u_a", 0.9, room=r, product=product, amount=5990),
            event("purchase", "u_c", 1.5, room=r, product=rival_product, amount=3000),
            event("leave", "u_a", 2.0, room=r, watch_seconds=120),
            # the other room: the merchant's off-shelf hat, bought by u_d and u_e
            event("join", "u_d", 0, room=o),
            event("view", "u_d", 0.1, room=o, product=off_shelf),
            event("purchase", "u_d", 0.5, room=o, product=off_shelf, amount=2000),
            event("purchase", "u_e", 0.6, room=o, product=off_shelf, amount=2000),
            event("purchase", "u_f", 0.7, room=o, product=rival_product, amount=3000),
        ],
    )
    return World(
        host, other_host, merchant, rival, viewer, admin, r, o, product, rival_product, off_shelf
    )


def report_of(client: TestClient, world: World, who: Account, expect: int = 200) -> Any:
    response = client.get(f"/api/analytics/rooms/{world.room_id}/report", headers=who.headers)
    assert response.status_code == expect, response.text
    return response.json()


def test_the_host_reads_the_room_report(client: TestClient, world: World) -> None:
    report = report_of(client, world, world.host)
    assert report["title"] == "Winter <b>sale</b>"
    assert report["gmv_minor_units"] == 5990 + 3000
    assert report["orders"] == 2
    assert report["buyers"] == 2
    assert report["unique_viewers"] == 3
    assert report["comments"] == 2
    assert report["likes"] == 5
    assert report["views"] == 6  # joins and views
    assert report["gpm_minor_units"] == 8990 * 1000 / 6
    assert not {"gmv", "gpm"} & report.keys()  # money always says its unit
    assert {line["product_id"] for line in report["products"]} == {
        str(world.product),
        str(world.rival_product),
    }
    scarf = next(p for p in report["products"] if p["product_id"] == str(world.product))
    assert scarf["card_clicks"] == 2
    assert scarf["orders"] == 1
    assert scarf["gmv_minor_units"] == 5990
    minutes = [point["minute"] for point in report["timeline"]]
    assert minutes == sorted(minutes)
    assert len(minutes) == 3
    assert sum(point["gmv_minor_units"] for point in report["timeline"]) == 8990


def test_a_merchant_on_the_shelf_sees_only_their_product_lines(
    client: TestClient, world: World
) -> None:
    report = report_of(client, world, world.merchant)
    assert [line["product_id"] for line in report["products"]] == [str(world.product)]
    rival = report_of(client, world, world.rival)
    assert [line["product_id"] for line in rival["products"]] == [str(world.rival_product)]
    assert report_of(client, world, world.admin)["gmv_minor_units"] == 8990


def test_others_may_not_read_the_room_report(
    client: TestClient, world: World, make_account: MakeAccount
) -> None:
    report_of(client, world, world.other_host, expect=403)
    report_of(client, world, world.viewer, expect=403)
    report_of(client, world, make_account(Role.MERCHANT), expect=403)  # nothing on the shelf
    report_of(client, world, make_account(Role.MODERATOR), expect=403)
    assert client.get(f"/api/analytics/rooms/{world.room_id}/report").status_code == 401
    missing = client.get("/api/analytics/rooms/999999/report", headers=world.admin.headers)
    assert missing.status_code == 404


def test_top_products_are_scoped(client: TestClient, world: World) -> None:
    def top(who: Account, **params: Any) -> list[dict[str, Any]]:
        response = client.get("/api/analytics/top-products", params=params, headers=who.headers)
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()
        return result

    everything = top(world.admin, event_type="purchase")
    assert [(row["product_id"], row["count"]) for row in everything] == [
        (str(world.rival_product), 2),
        (str(world.off_shelf), 2),
        (str(world.product), 1),
    ] or everything == sorted(everything, key=lambda r: (-r["count"], r["product_id"]))
    assert {r["product_id"] for r in top(world.merchant, event_type="purchase")} == {
        str(world.product),
        str(world.off_shelf),
    }
    assert top(world.rival, event_type="purchase") == [
        {"product_id": str(world.rival_product), "count": 2, "title": "gloves"}
    ]
    # the host sees their room's events only
    assert (
        top(world.host, event_type="purchase")
        == [
            {"product_id": str(world.product), "count": 1},
            {"product_id": str(world.rival_product), "count": 1},
        ]
        or len(top(world.host, event_type="purchase")) == 2
    )
    assert top(world.admin, start="2026-03-03", end="2026-03-04") == []  # empty window
    assert top(world.admin, start="2026-03-02", end="2026-03-02", event_type="view")[0] == {
        "product_id": str(world.product),
        "count": 2,
        "title": "scarf",
    }
    viewer = client.get("/api/analytics/top-products", headers=world.viewer.headers)
    assert viewer.status_code == 403
    bad = client.get(
        "/api/analytics/top-products",
        params={"event_type": "x' OR 1=1"},
        headers=world.admin.headers,
    )
    assert bad.status_code == 422


def test_funnel_within_scope(client: TestClient, world: World) -> None:
    response = client.get(
        "/api/analytics/funnel",
        params={"steps": "view,product_click,cart,purchase"},
        headers=world.host.headers,
    )
    assert response.status_code == 200, response.text
    steps = response.json()["steps"]
    assert [(s["step"], s["users"]) for s in steps] == [
        ("view", 3),
        ("product_click", 2),
        ("cart", 1),
        ("purchase", 1),
    ]
    assert steps[1]["conversion_from_previous"] == pytest.approx(2 / 3)
    assert steps[3]["conversion_overall"] == pytest.approx(1 / 3)
    for steps_param in ("view", "view,Bad'", ""):
        bad = client.get(
            "/api/analytics/funnel", params={"steps": steps_param}, headers=world.host.headers
        )
        assert bad.status_code in (400, 422), steps_param
    assert client.get("/api/analytics/funnel", headers=world.viewer.headers).status_code == 403


def test_segments_list_only_the_callers_customers(client: TestClient, world: World) -> None:
    def segments(who: Account) -> dict[str, Any]:
        response = client.get("/api/analytics/segments", headers=who.headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    everyone = segments(world.admin)
    assert everyone["customers"] == 5  # every buyer in the store (u_b never bought)
    assert {p["user_id"] for p in everyone["profiles"]} == {"u_a", "u_c", "u_d", "u_e", "u_f"}
    assert everyone["k"] is not None
    assert sum(s["size"] for s in everyone["segments"]) == 5
    assert all("monetary_minor_units" in s["means"] for s in everyone["segments"])

    mine = segments(world.merchant)
    assert mine["customers"] == 3  # u_a (scarf), u_d and u_e (hat)
    ids = {p["user_id"] for p in mine["profiles"]}
    assert len(ids) == 3
    assert all(i.startswith("c_") for i in ids)
    assert not ids & {"u_a", "u_d", "u_e"}  # pseudonymised once more per shop
    assert sorted(p["monetary_minor_units"] for p in mine["profiles"]) == [2000, 2000, 5990]

    rival = segments(world.rival)
    assert rival["customers"] == 2  # u_c, u_f: fewer than three, so no segments
    assert rival["segments"] == []
    assert rival["k"] is None
    assert not ids & {p["user_id"] for p in rival["profiles"]}

    host = segments(world.host)
    assert host["customers"] == 2  # buyers in the host's room: u_a, u_c
    assert sorted(p["monetary_minor_units"] for p in host["profiles"]) == [3000, 5990]

    assert client.get("/api/analytics/segments", headers=world.viewer.headers).status_code == 403


def test_a_merchant_without_products_sees_nothing(
    client: TestClient, world: World, make_account: MakeAccount
) -> None:
    newcomer = make_account(Role.MERCHANT)
    top = client.get("/api/analytics/top-products", headers=newcomer.headers)
    assert top.status_code == 200
    assert top.json() == []
    seg = client.get("/api/analytics/segments", headers=newcomer.headers)
    assert seg.status_code == 200
    assert seg.json()["customers"] == 0


def test_the_room_funnel_is_scoped_to_the_room_and_to_a_merchants_products(
    client: TestClient, world: World
) -> None:
    def users(who: Account, expect: int = 200) -> list[int]:
        response = client.get(
            "/api/analytics/funnel",
            params={"steps": "view,product_click,cart,purchase", "room_id": world.room_id},
            headers=who.headers,
        )
        assert response.status_code == expect, response.text
        return [step["users"] for step in response.json()["steps"]] if expect == 200 else []

    assert users(world.host) == [3, 2, 1, 1]
    assert users(world.admin) == [3, 2, 1, 1]
    assert users(world.merchant) == [2, 2, 1, 1]  # u_c viewed only the rival's gloves
    assert users(world.rival) == [1, 0, 0, 0]
    users(world.other_host, expect=403)
    users(world.viewer, expect=403)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/analytics/top-products", {"end": "9999-12-31"}),
        ("/api/analytics/top-products", {"start": "0001-01-01"}),
        ("/api/analytics/top-products", {"start": "2026-03-05", "end": "2026-03-01"}),
        ("/api/analytics/funnel", {"window": "999999999d"}),
        ("/api/analytics/funnel", {"window": "0s"}),
        ("/api/analytics/funnel", {"steps": "view,view"}),
        ("/api/analytics/funnel", {"room_id": 2**40}),
        ("/api/analytics/segments", {"as_of": "9999-12-31"}),
        ("/api/analytics/segments", {"k": 1}),
        ("/api/analytics/rooms/99999999999999/report", {}),
    ],
)
def test_out_of_range_input_is_a_client_error(
    client: TestClient, make_account: MakeAccount, path: str, params: dict[str, Any]
) -> None:
    admin = make_account(Role.ADMIN)
    response = client.get(path, params=params, headers=admin.headers)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)


def test_the_rooms_listed_are_those_whose_reports_the_caller_reads(
    client: TestClient, world: World
) -> None:
    def listed(who: Account, query: str = "", expect: int = 200) -> Any:
        response = client.get(f"/api/analytics/rooms?{query}", headers=who.headers)
        assert response.status_code == expect, response.text
        return response.json()

    assert [room["id"] for room in listed(world.host)["rooms"]] == [world.room_id]
    assert [room["id"] for room in listed(world.other_host)["rooms"]] == [world.other_room_id]
    # merchants: the rooms with one of their products on the shelf (the hat is on none)
    assert [room["id"] for room in listed(world.merchant)["rooms"]] == [world.room_id]
    assert [room["id"] for room in listed(world.rival)["rooms"]] == [world.room_id]
    everything = listed(world.admin)
    assert [room["id"] for room in everything["rooms"]] == [world.other_room_id, world.room_id]
    assert (everything["total"], everything["pages"]) == (2, 1)
    assert everything["rooms"][1] == {
        "id": world.room_id,
        "title": "Winter <b>sale</b>",
        "status": "scheduled",
        "scheduled_at": None,
        "started_at": None,
        "ended_at": None,
    }
    found = listed(world.admin, "q=winter")  # by title, any case
    assert [room["id"] for room in found["rooms"]] == [world.room_id]
    assert listed(world.admin, "q=%25")["total"] == 0  # a % is a character, not a wildcard
    paged = listed(world.admin, "per_page=1&page=2")
    assert ([room["id"] for room in paged["rooms"]], paged["pages"]) == ([world.room_id], 2)
    listed(world.viewer, expect=403)


def test_report_product_lines_name_their_products(client: TestClient, world: World) -> None:
    report = report_of(client, world, world.host)
    assert {line["product_id"]: line["title"] for line in report["products"]} == {
        str(world.product): "scarf",
        str(world.rival_product): "gloves",
    }
