"""A chat line the filter holds for review reaches the moderators' queue with its
author, room, time and the filter's reasons; approved, it appears in the room and
in the stored chat; rejected, nobody but its author ever sees it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.core.audit.models import AuditEntry
from liveshop.core.db import unit_of_work
from liveshop.live.models import HeldComment
from tests.conftest import Account, MakeAccount
from tests.live.helpers import (
    comment_texts,
    has_comment,
    live_room,
    persist,
    receive,
    receive_until,
    stored_texts,
    ws_path,
)

FAIR = "这是跳楼价吗"  # a bargain, in words the filter holds for a moderator ("jump off a roof")
FOUL = "大家人肉搜索这个人"  # doxxing: held too


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _queue(client: TestClient, moderator: Account, status: str = "held") -> list[dict[str, Any]]:
    response = client.get(
        f"/api/moderation/held-comments?status={status}", headers=moderator.headers
    )
    assert response.status_code == 200, response.text
    held: list[dict[str, Any]] = response.json()
    return held


def _say(author: Any, text: str) -> dict[str, Any]:
    author.send_json({"type": "comment", "text": text})
    ack, _ = receive_until(author, lambda frame: frame["type"] == "ack")
    comment: dict[str, Any] = ack["comment"]
    return comment


def test_held_lines_wait_for_a_moderator_who_publishes_or_rejects_them(
    client: TestClient, make_account: MakeAccount, host: Account, viewer: Account
) -> None:
    moderator = make_account(Role.MODERATOR)
    room_id = live_room(client, host, "冬季清仓")
    with (
        client.websocket_connect(ws_path(room_id, viewer)) as author,
        client.websocket_connect(ws_path(room_id)) as watcher,
    ):
        receive(author)
        receive(watcher)
        fair, foul = _say(author, FAIR), _say(author, FOUL)
        author.send_json({"type": "comment", "text": "好看"})
        shown, before = receive_until(watcher, has_comment("好看"))  # said after the held ones
        assert stored_texts(client, room_id) == ["好看"]

        queue = _queue(client, moderator)
        assert [(line["id"], line["text"], line["status"]) for line in queue] == [
            (fair["id"], FAIR, "held"),
            (foul["id"], FOUL, "held"),
        ]
        assert {(line["room_id"], line["room_title"]) for line in queue} == {(room_id, "冬季清仓")}
        assert {(line["user_id"], line["user"]) for line in queue} == {(viewer.id, "viewer_bo")}
        assert {tuple(line["categories"]) for line in queue} == {("violence",)}

        approved = client.post(
            f"/api/moderation/held-comments/{fair['id']}/approve", headers=moderator.headers
        )
        assert approved.status_code == 200, approved.text
        frame, _ = receive_until(watcher, has_comment(FAIR))
        rejected = client.post(
            f"/api/moderation/held-comments/{foul['id']}/reject",
            json={"note": "煽动人肉搜索"},
            headers=moderator.headers,
        )
        assert rejected.status_code == 200, rejected.text

    watched_before_approval = [text for seen in [*before, shown] for text in comment_texts(seen)]
    assert watched_before_approval == ["好看"]
    assert [line["id"] for line in frame["comments"] if line["text"] == FAIR] == [fair["id"]]
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", moderator.id)
    assert (rejected.json()["status"], rejected.json()["decision_note"]) == (
        "rejected",
        "煽动人肉搜索",
    )
    assert _queue(client, moderator) == []
    assert [line["text"] for line in _queue(client, moderator, "rejected")] == [FOUL]
    assert sorted(stored_texts(client, room_id)) == sorted(["好看", FAIR])
    exported = client.get("/api/me/export", headers=viewer.headers).json()["live"]
    assert [(line["text"], line["status"]) for line in exported["held_comments"]] == [
        (FAIR, "approved"),
        (FOUL, "rejected"),
    ]


def test_only_moderators_decide_once_and_never_on_their_own_line(
    client: TestClient, make_account: MakeAccount, host: Account, viewer: Account, database_url: str
) -> None:
    moderator, chatty_moderator = make_account(Role.MODERATOR), make_account(Role.MODERATOR)
    room_id = live_room(client, host)
    with client.websocket_connect(ws_path(room_id, viewer)) as author:
        receive(author)
        held = _say(author, FAIR)
    with client.websocket_connect(ws_path(room_id, chatty_moderator)) as author:
        receive(author)
        own = _say(author, FOUL)
    persist(client)
    path = f"/api/moderation/held-comments/{held['id']}"

    by_viewer = client.post(f"{path}/approve", headers=viewer.headers)
    by_host = client.get("/api/moderation/held-comments", headers=host.headers)
    on_own = client.post(
        f"/api/moderation/held-comments/{own['id']}/approve", headers=chatty_moderator.headers
    )
    first = client.post(f"{path}/reject", headers=moderator.headers)
    second = client.post(f"{path}/approve", headers=chatty_moderator.headers)
    unknown = client.post("/api/moderation/held-comments/42/approve", headers=moderator.headers)

    assert (by_viewer.status_code, by_host.status_code) == (403, 403)
    assert (on_own.status_code, on_own.json()["code"]) == (403, "own_comment")
    assert first.status_code == 200, first.text
    assert (second.status_code, second.json()["code"]) == (409, "comment_decided")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "comment_not_found")
    with unit_of_work(database_url, writes=False) as session:
        statuses = dict(session.execute(select(HeldComment.id, HeldComment.status)).tuples().all())
        decisions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("chat.held_%"))
        ).all()
    assert {str(key): value.value for key, value in statuses.items()} == {
        held["id"]: "rejected",
        own["id"]: "held",
    }
    assert decisions == ["chat.held_rejected"]
    assert stored_texts(client, room_id) == []
