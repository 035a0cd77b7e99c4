"""A room's shelf as recommendations order it for a viewer (issue 14 §2): the shelf's
products first, lifted by what the viewer did and saying so (bought it, watched one
like it); for a viewer without personalisation they are there for being on the shelf,
in the order popularity and then the host give them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from liveshop.core.settings import Settings
from liveshop.recommend.jobs import train_once
from tests.conftest import MakeAccount
from tests.recommend.test_room_content import _live_room
from tests.recommend.test_serving import Shopfront


@pytest.fixture
def shopfront(database_url: str, settings: Settings, make_account: MakeAccount) -> Shopfront:
    return Shopfront(database_url, settings, make_account)


def _ranked(client: TestClient, room_id: int, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get(
        "/api/recommendations/products",
        params={"context": f"room:{room_id}", "limit": 50},
        headers=headers,
    )
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_the_shelf_says_why_for_the_viewer(
    shopfront: Shopfront,
    database_url: str,
    make_account: MakeAccount,
    settings: Settings,
    client: TestClient,
) -> None:
    snack, unseen_tea, cup, bought_tea = (
        shopfront.snacks[0],
        shopfront.tea[2],
        shopfront.cups[0],
        shopfront.tea[0],
    )
    shelf = [snack, unseen_tea, cup, bought_tea]  # the host's order
    room = _live_room(database_url, make_account, title="tea room", shelf=shelf, viewers=3)
    train_once(settings)

    mine = _ranked(client, room, shopfront.reader.headers)
    assert [(i["product_id"], i["reason_kind"], i["reason_subject"]) for i in mine[:4]] == [
        (bought_tea, "buy_again", ""),
        (cup, "because_you_watched", "Tea 0"),
        (snack, "because_you_watched", "Tea 0"),
        (unseen_tea, "because_you_watched", "Tea 0"),
    ]
    assert mine[1]["reason"] == "because you watched Tea 0"
    assert all(item["product_id"] not in shelf for item in mine[4:])

    for headers in ({}, shopfront.private.headers):
        theirs = _ranked(client, room, headers)
        # The most popular first; the tea nobody viewed keeps its place from the host.
        assert [(i["product_id"], i["reason"]) for i in theirs[:4]] == [
            (cup, "on the shelf in this room"),
            (bought_tea, "on the shelf in this room"),
            (snack, "on the shelf in this room"),
            (unseen_tea, "on the shelf in this room"),
        ]
        assert all(item["product_id"] not in shelf for item in theirs[4:])
