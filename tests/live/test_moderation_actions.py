"""Moderation's penalties carried out in the room: stop it, hide it, keep a suspended
host from going live."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from tests.catalog.staffing import hire
from tests.conftest import Account, MakeAccount
from tests.live.helpers import live_room, receive, receive_until, shop_product, ws_path


def _act(client: TestClient, moderator: Account, body: dict[str, object]) -> None:
    response = client.post("/api/moderation/actions", json=body, headers=moderator.headers)
    assert response.status_code == 201, response.text


def test_a_stopped_room_ends_and_a_limited_room_leaves_the_listings(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    moderator = make_account(Role.MODERATOR)
    hidden, stopped = live_room(client, host, "hidden"), live_room(client, host, "stopped")

    _act(
        client,
        moderator,
        {
            "kind": "limit_exposure",
            "rule": "诱导互动",
            "target_type": "room",
            "target_id": hidden,
            "days": 1,
        },
    )
    _act(
        client,
        moderator,
        {"kind": "stop_room", "rule": "违规售卖", "target_type": "room", "target_id": stopped},
    )

    listed = [room["id"] for room in client.get("/api/rooms").json()]
    assert hidden not in listed
    assert client.get(f"/api/rooms/{hidden}").json()["status"] == "live"  # still by its link
    assert client.get(f"/api/rooms/{stopped}").json()["status"] == "ended"


def test_a_suspended_host_cannot_go_live(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    moderator = make_account(Role.MODERATOR)
    room = client.post("/api/rooms", json={"title": "later"}, headers=host.headers).json()
    _act(
        client,
        moderator,
        {
            "kind": "suspension",
            "rule": "虚假宣传",
            "subject_type": "user",
            "subject_id": host.id,
            "days": 3,
        },
    )

    started = client.post(f"/api/rooms/{room['id']}/start", headers=host.headers)

    assert (started.status_code, started.json()["code"]) == (403, "host_suspended")
    assert client.get(f"/api/rooms/{room['id']}").json()["status"] == "scheduled"


def test_a_revoked_mute_lets_the_viewer_talk_in_the_room_again(
    client: TestClient, make_account: MakeAccount, host: Account, viewer: Account
) -> None:
    moderator, second_moderator = make_account(Role.MODERATOR), make_account(Role.MODERATOR)
    room_id = live_room(client, host)
    with client.websocket_connect(ws_path(room_id, viewer)) as ws:
        receive(ws)
        muted = client.post(
            "/api/moderation/actions",
            json={
                "kind": "mute",
                "rule": "刷屏",
                "target_type": "user",
                "target_id": viewer.id,
                "room_id": room_id,
                "minutes": 60,
            },
            headers=moderator.headers,
        )
        assert muted.status_code == 201, muted.text
        receive_until(ws, lambda frame: frame["type"] == "mute")
        ws.send_json({"type": "comment", "text": "let me talk"})
        refused, _ = receive_until(ws, lambda frame: frame["type"] == "error")
        assert refused["code"] == "muted"

        appeal = client.post(
            f"/api/penalties/{muted.json()['id']}/appeal",
            json={"statement": "我没有刷屏"},
            headers=viewer.headers,
        )
        assert appeal.status_code == 201, appeal.text
        overturned = client.post(
            f"/api/moderation/appeals/{appeal.json()['id']}/decision",
            json={"overturn": True},
            headers=second_moderator.headers,
        )
        assert overturned.status_code == 200, overturned.text
        lifted, _ = receive_until(ws, lambda frame: frame["type"] == "mute")
        ws.send_json({"type": "comment", "text": "thank you"})
        ack, _ = receive_until(ws, lambda frame: frame["type"] in ("ack", "error"))

    assert lifted["until"] <= time.time()
    assert (ack["type"], ack["comment"]["text"]) == ("ack", "thank you")


def test_a_product_that_fails_an_inspection_leaves_every_shelf_and_pinned_card(
    client: TestClient, make_account: MakeAccount, host: Account
) -> None:
    admin, merchant = make_account(Role.ADMIN), make_account(Role.MERCHANT)
    failed, kept = shop_product(client, merchant, "奶粉"), shop_product(client, merchant, "围巾")
    hire(client, merchant, host)
    room_id = live_room(client, host)
    shelved = client.put(
        f"/api/rooms/{room_id}/shelf",
        json={"product_ids": [failed["id"], kept["id"]]},
        headers=host.headers,
    )
    assert shelved.status_code == 200, shelved.text
    pinned = client.put(
        f"/api/rooms/{room_id}/pinned", json={"product_id": failed["id"]}, headers=host.headers
    )
    assert pinned.status_code == 200, pinned.text
    drawn = client.post(
        "/api/admin/inspections/sample", json={"rate": "1", "seed": "q2"}, headers=admin.headers
    )
    assert drawn.status_code == 201, drawn.text
    inspection = next(item for item in drawn.json() if item["target_id"] == failed["id"])

    recorded = client.post(
        f"/api/admin/inspections/{inspection['id']}/result",
        json={"result": "fail", "findings": "蛋白质含量不达标"},
        headers=admin.headers,
    )

    assert recorded.status_code == 200, recorded.text
    shelf = client.get(f"/api/rooms/{room_id}/shelf").json()
    assert [product["id"] for product in shelf] == [kept["id"]]
    assert client.get(f"/api/rooms/{room_id}").json()["pinned"] is None
