"""Moderation's penalties carried out in the room: stop it, hide it, keep a suspended
host from going live."""

from __future__ import annotations

from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from tests.conftest import Account, MakeAccount
from tests.live.helpers import live_room


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
