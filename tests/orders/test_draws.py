"""Lucky draws: tasks gate entry, the seed is committed first, anyone can recompute winners."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from liveshop.accounts.models import Role
from liveshop.cli import app as cli
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.ids import new_id
from liveshop.core.settings import get_settings
from liveshop.live import service as live
from liveshop.orders import draws
from tests.catalog.staffing import hire
from tests.conftest import Account, MakeAccount


def _say(database_url: str, room_id: int, user: Account, text: str) -> None:
    with unit_of_work(database_url) as session:
        live.store_comments(
            session,
            comments=[
                {
                    "id": new_id(),
                    "room_id": room_id,
                    "user_id": user.id,
                    "kind": "comment",
                    "text": text,
                    "created_at": utcnow(),
                }
            ],
        )


@pytest.fixture
def draw_room(client: TestClient, make_account: MakeAccount, host: Account) -> tuple[int, int]:
    merchant = make_account(Role.MERCHANT)
    product = client.post(
        "/api/products",
        json={"title": "福袋", "price": 9_900, "stock": 5},
        headers=merchant.headers,
    ).json()
    hire(client, merchant, host)  # the host gives away the shop's goods
    room = client.post("/api/rooms", json={"title": "福袋专场"}, headers=host.headers).json()
    client.post(f"/api/rooms/{room['id']}/start", headers=host.headers)
    return room["id"], product["skus"][0]["id"]


def test_a_draw_is_committed_gated_fair_and_verifiable(
    client: TestClient,
    make_account: MakeAccount,
    host: Account,
    draw_room: tuple[int, int],
    database_url: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    room_id, sku_id = draw_room
    viewers = [make_account(Role.VIEWER) for _ in range(4)]
    deadline = utcnow() + timedelta(seconds=3)
    created = client.post(
        "/api/draws",
        json={
            "room_id": room_id,
            "title": "粉丝福袋",
            "prize_sku_id": sku_id,
            "winners_count": 2,
            "tasks": {"comment_keyword": "想要"},
            "deadline": deadline.isoformat(),
        },
        headers=host.headers,
    )
    assert created.status_code == 201, created.text
    draw = created.json()
    assert draw["seed"] is None
    assert len(draw["commitment"]) == 64
    refused = client.post(f"/api/draws/{draw['id']}/entries", headers=viewers[0].headers)
    assert refused.status_code == 409
    assert "想要" in refused.json()["detail"]
    for viewer in viewers[:3]:
        _say(database_url, room_id, viewer, "我想要!")
        assert (
            client.post(f"/api/draws/{draw['id']}/entries", headers=viewer.headers).status_code
            == 204
        )
    again = client.post(f"/api/draws/{draw['id']}/entries", headers=viewers[0].headers)
    assert again.json()["code"] == "already_entered"
    early = client.post(f"/api/draws/{draw['id']}/draw", headers=host.headers)
    assert early.json()["code"] == "draw_not_due"
    time.sleep(max((deadline - utcnow()).total_seconds(), 0) + 0.1)
    drawn = client.post(f"/api/draws/{draw['id']}/draw", headers=host.headers).json()
    entrants = sorted(v.id for v in viewers[:3])
    assert drawn["entries"] == entrants
    assert drawn["winners"] == draws.pick_winners(drawn["seed"], draw["id"], entrants, 2)
    usernames = {v.id: v.username for v in viewers}  # other viewers see 张**, never an id
    assert drawn["winner_names"] == [usernames[i][:1] + "**" for i in drawn["winners"]]
    verification = client.get(f"/api/draws/{draw['id']}/verification").json()
    assert verification["commitment_matches"]
    assert verification["winners_match"]

    winner = next(v for v in viewers if v.id == drawn["winners"][0])
    prize = client.get("/api/orders", headers=winner.headers).json()
    assert [(o["total"], o["status"]) for o in prize] == [(0, "pending_payment")]
    claimed = client.post(f"/api/orders/{prize[0]['id']}/claim-prize", headers=winner.headers)
    assert claimed.json()["status"] == "paid"

    tampered = draws.DrawOut.model_validate(drawn | {"winners": list(reversed(drawn["winners"]))})
    assert not draws.verify(tampered).winners_match

    monkeypatch.setenv("LIVESHOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LIVESHOP_HOME", str(home))
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["draws", "verify", str(draw["id"]), "--format", "json"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output)["winners_match"] is True


def test_only_the_rooms_host_runs_a_draw(
    client: TestClient, make_account: MakeAccount, draw_room: tuple[int, int]
) -> None:
    room_id, sku_id = draw_room
    other_host = make_account(Role.HOST)
    response = client.post(
        "/api/draws",
        json={
            "room_id": room_id,
            "title": "x",
            "prize_sku_id": sku_id,
            "winners_count": 1,
            "deadline": (utcnow() + timedelta(minutes=5)).isoformat(),
        },
        headers=other_host.headers,
    )
    assert response.status_code == 403
    assert client.get(f"/api/rooms/{room_id}/draws").json() == []
