"""The room WebSocket through TestClient: snapshot, frames, acks, errors, moderation, resume."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from liveshop.accounts.models import Role
from tests.conftest import Account, MakeAccount
from tests.live.helpers import (
    Frame,
    comment_texts,
    has_comment,
    live_room,
    pinned_card,
    receive,
    receive_until,
    receive_until_closed,
    shop_product,
    stored_texts,
    wait_for_viewers,
    ws_path,
)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _is_error(code: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("type") == "error" and frame.get("code") == code


def test_snapshot_comes_first(client: TestClient, host: Account, viewer: Account) -> None:
    room_id = live_room(client, host)

    with client.websocket_connect(ws_path(room_id, viewer)) as ws:
        snapshot = receive(ws)

    assert snapshot["type"] == "snapshot"
    assert snapshot["room"] == {
        "id": room_id,
        "title": "Spring sale",
        "host": "host_anna",
        "host_id": host.id,
        "status": "live",
    }
    assert snapshot["status"] == "live"
    assert snapshot["comments"] == []
    assert snapshot["likes"] == 0
    assert snapshot["pinned"] is None
    assert snapshot["questions"] == []
    assert snapshot["seq"] >= 0
    assert snapshot["stream"].endswith(f"-{room_id}-" + snapshot["stream"].rsplit("-", 1)[1])
    assert snapshot["you"] == {
        "id": viewer.id,
        "username": "viewer_bo",
        "role": "viewer",
        "is_host": False,
        "muted_until": None,
    }


def test_comment_reaches_others_and_the_author_gets_an_ack(
    client: TestClient, host: Account, viewer: Account
) -> None:
    room_id = live_room(client, host)

    with (
        client.websocket_connect(ws_path(room_id, viewer)) as author,
        client.websocket_connect(ws_path(room_id)) as watcher,
    ):
        assert receive(author)["type"] == "snapshot"
        assert receive(watcher)["type"] == "snapshot"
        receive_until(watcher, lambda frame: frame.get("viewers") == 2)
        author.send_json({"type": "comment", "text": "  does it come in red?  "})

        ack, _ = receive_until(author, lambda frame: frame["type"] == "ack")
        frame, _ = receive_until(watcher, has_comment("does it come in red?"), timeout=1.0)

    assert ack["comment"]["text"] == "does it come in red?"
    assert ack["comment"]["user"] == "viewer_bo"
    assert ack["comment"]["user_id"] == viewer.id
    assert ack["comment"]["kind"] == "comment"
    [line] = frame["comments"]
    assert line == {**ack["comment"], "count": 1}
    assert frame["viewers"] == 2
    assert stored_texts(client, room_id) == ["does it come in red?"]


def test_host_comment_is_marked_as_host(client: TestClient, host: Account) -> None:
    room_id = live_room(client, host)

    with client.websocket_connect(ws_path(room_id, host)) as ws:
        assert receive(ws)["you"]["is_host"] is True
        ws.send_json({"type": "comment", "text": "welcome!"})
        frame, _ = receive_until(ws, has_comment("welcome!"))

    assert frame["comments"][0]["kind"] == "host"


def test_anonymous_viewer_watches_but_cannot_comment(
    client: TestClient, host: Account, viewer: Account
) -> None:
    room_id = live_room(client, host)

    with client.websocket_connect(ws_path(room_id)) as anonymous:
        snapshot = receive(anonymous)
        anonymous.send_json({"type": "comment", "text": "hello"})
        error, _ = receive_until(anonymous, lambda frame: frame["type"] == "error")
        anonymous.send_json({"type": "like", "count": 3})
        like_error, _ = receive_until(anonymous, lambda frame: frame["type"] == "error")

    assert snapshot["type"] == "snapshot"
    assert snapshot["you"] is None
    assert error == {
        "type": "error",
        "code": "not_authenticated",
        "message": "log in to take part; anonymous viewers may only watch",
    }
    assert like_error["code"] == "not_authenticated"
    assert stored_texts(client, room_id) == []
    assert client.get(f"/api/rooms/{room_id}").json()["likes"] == 0


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"type": "comment", "text": "x" * 201}, "text_too_long"),
        ({"type": "comment", "text": "   "}, "empty_text"),
        ({"type": "comment", "text": 42}, "invalid_input"),
        ({"type": "comment", "text": "a\x00b"}, "invalid_text"),
        ({"type": "dance"}, "unknown_type"),
        ({"type": "like", "count": 0}, "invalid_input"),
    ],
)
def test_invalid_messages_get_an_error_frame(
    client: TestClient, host: Account, viewer: Account, message: dict[str, Any], code: str
) -> None:
    room_id = live_room(client, host)

    with client.websocket_connect(ws_path(room_id, viewer)) as ws:
        receive(ws)
        ws.send_json(message)
        error, _ = receive_until(ws, lambda frame: frame["type"] == "error")

    assert error["code"] == code
    assert stored_texts(client, room_id) == []


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "x" * 5000])
def test_malformed_messages_get_an_error_frame(
    client: TestClient, host: Account, viewer: Account, raw: str
) -> None:
    room_id = live_room(client, host)

    with client.websocket_connect(ws_path(room_id, viewer)) as ws:
        receive(ws)
        ws.send_text(raw)
        error, _ = receive_until(ws, lambda frame: frame["type"] == "error")
        ws.send_json({"type": "ping"})
        pong, _ = receive_until(ws, lambda frame: frame["type"] == "pong")

    expected = "message_too_large" if len(raw) > 4096 else "malformed"
    assert error["code"] == expected
    assert pong["type"] == "pong"


def test_a_flood_is_rate_limited_then_closed_with_1008(
    client: TestClient, host: Account, viewer: Account
) -> None:
    room_id = live_room(client, host)
    with client.websocket_connect(ws_path(room_id, viewer)) as ws:
        receive(ws)
        for number in range(20):
            ws.send_json({"type": "comment", "text": f"buy {number}"})
        received, close_code = receive_until_closed(ws)

    assert close_code == 1008
    acks = [frame["comment"]["text"] for frame in received if frame["type"] == "ack"]
    errors = [frame["code"] for frame in received if frame["type"] == "error"]
    assert acks == ["buy 0", "buy 1", "buy 2"]  # the burst
    assert errors == ["rate_limited"] * 9 + ["policy_violation"], received
    assert stored_texts(client, room_id) == ["buy 0", "buy 1", "buy 2"]


def test_identical_comments_fold_into_one_line_with_a_count(
    client: TestClient, host: Account, make_account: MakeAccount
) -> None:
    room_id = live_room(client, host)
    fans = [make_account(Role.VIEWER) for _ in range(3)]

    with client.websocket_connect(ws_path(room_id)) as watcher:
        receive(watcher)
        sockets = [client.websocket_connect(ws_path(room_id, fan)) for fan in fans]
        for ws in sockets:
            ws.__enter__()
            receive(ws)
        try:
            for ws, text in zip(sockets, ["666", "6666", "666!"], strict=True):
                ws.send_json({"type": "comment", "text": text})
                receive_until(ws, lambda frame: frame["type"] == "ack")

            def folded_to_three(frame: Frame) -> bool:
                return any(line["count"] == 3 for line in frame.get("comments", []))

            final, before = receive_until(watcher, folded_to_three, timeout=2.0)
        finally:
            for ws in sockets:
                ws.__exit__(None, None, None)

    lines = [line for frame in [*before, final] for line in frame.get("comments", [])]
    assert {line["id"] for line in lines} == {lines[0]["id"]}
    assert {line["text"] for line in lines} == {"666"}
    assert [line["count"] for line in final["comments"]] == [3]
    counts = [line["count"] for line in lines]
    assert counts == sorted(counts)


def test_muted_viewer_is_told_and_refused(
    client: TestClient, host: Account, viewer: Account
) -> None:
    room_id = live_room(client, host)

    with client.websocket_connect(ws_path(room_id, viewer)) as ws:
        receive(ws)
        muted = client.post(
            f"/api/rooms/{room_id}/mutes",
            json={"user_id": viewer.id, "minutes": 10},
            headers=host.headers,
        )
        assert muted.status_code == 201
        notice, _ = receive_until(ws, lambda frame: frame["type"] == "mute")
        ws.send_json({"type": "comment", "text": "let me talk"})
        error, _ = receive_until(ws, lambda frame: frame["type"] == "error")

    assert notice["until"] > 0
    assert error == {"type": "error", "code": "muted", "message": "you are muted in this room"}
    assert stored_texts(client, room_id) == []


def test_kicked_viewer_is_disconnected_and_refused_on_reconnect(
    client: TestClient, host: Account, viewer: Account
) -> None:
    room_id = live_room(client, host)

    with client.websocket_connect(ws_path(room_id, viewer)) as ws:
        receive(ws)
        kicked = client.post(
            f"/api/rooms/{room_id}/kicks",
            json={"user_id": viewer.id, "minutes": 10},
            headers=host.headers,
        )
        assert kicked.status_code == 201
        notice, _ = receive_until(ws, lambda frame: frame["type"] == "kick")
        _, close_code = receive_until_closed(ws)

    assert close_code == 4403
    assert notice["until"] > 0
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(ws_path(room_id, viewer)),
    ):
        pass
    assert refused.value.code == 4403
    assert wait_for_viewers(client, room_id, 0) == 0


def test_pinned_change_appears_in_the_next_frame(
    client: TestClient, host: Account, viewer: Account, make_account: MakeAccount
) -> None:
    room_id = live_room(client, host)
    product = shop_product(client, make_account(Role.MERCHANT))
    card = pinned_card(product)

    with client.websocket_connect(ws_path(room_id, viewer)) as ws:
        assert receive(ws)["pinned"] is None
        assert (
            client.put(
                f"/api/rooms/{room_id}/pinned",
                json={"product_id": product["id"]},
                headers=host.headers,
            ).status_code
            == 200
        )
        pinned, _ = receive_until(ws, lambda frame: frame.get("pinned") == card, timeout=1.0)
        assert (
            client.delete(f"/api/rooms/{room_id}/pinned", headers=host.headers).status_code == 200
        )
        unpinned, _ = receive_until(ws, lambda frame: frame.get("pinned") is None, timeout=1.0)

    assert pinned["type"] == "frame"
    assert unpinned["type"] == "frame"


def test_question_and_announcement_reach_the_room(
    client: TestClient, host: Account, viewer: Account
) -> None:
    room_id = live_room(client, host)

    with client.websocket_connect(ws_path(room_id, viewer)) as ws:
        receive(ws)
        ws.send_json({"type": "question", "text": "Size M?"})
        ack, _ = receive_until(ws, lambda frame: frame["type"] == "question_ack")
        changed, _ = receive_until(
            ws, lambda frame: frame["type"] == "frame" and bool(frame["questions"])
        )
        client.post(
            f"/api/rooms/{room_id}/announcements", json={"text": "Sale!"}, headers=host.headers
        )
        announced, _ = receive_until(ws, has_comment("Sale!"))

    assert ack["question"]["text"] == "Size M?"
    assert [question["id"] for question in changed["questions"]] == [ack["question"]["id"]]
    assert announced["comments"][0]["kind"] == "announcement"


def test_resume_gets_missed_frames_and_a_stale_stream_gets_a_snapshot(
    client: TestClient, host: Account, viewer: Account, make_account: MakeAccount
) -> None:
    room_id = live_room(client, host)
    talker = make_account(Role.VIEWER)

    with client.websocket_connect(ws_path(room_id, talker)) as talking:
        receive(talking)
        with client.websocket_connect(ws_path(room_id, viewer)) as ws:
            snapshot = receive(ws)
            frame, _ = receive_until(ws, lambda frame: frame["type"] == "frame")
        stream, last_seq = snapshot["stream"], frame["seq"]
        talking.send_json({"type": "comment", "text": "while you were away"})
        receive_until(talking, has_comment("while you were away"))

        with client.websocket_connect(
            ws_path(room_id, viewer, stream=stream, last_seq=last_seq)
        ) as resumed:
            missed, before = receive_until(resumed, has_comment("while you were away"))
        with client.websocket_connect(
            ws_path(room_id, viewer, stream="gone-1-1", last_seq=last_seq)
        ) as stale:
            fresh = receive(stale)

    resumed_frames = [*before, missed]
    assert [item["type"] for item in resumed_frames] == ["frame"] * len(resumed_frames)
    seqs = [item["seq"] for item in resumed_frames]
    assert seqs == list(range(last_seq + 1, last_seq + 1 + len(seqs)))
    assert fresh["type"] == "snapshot"
    assert fresh["stream"] == stream
    assert "while you were away" in comment_texts(fresh)


def test_unknown_room_and_bad_token_are_refused(client: TestClient, host: Account) -> None:
    room_id = live_room(client, host)

    with (
        pytest.raises(WebSocketDisconnect) as missing,
        client.websocket_connect("/ws/rooms/424242"),
    ):
        pass
    with (
        pytest.raises(WebSocketDisconnect) as bad,
        client.websocket_connect(f"/ws/rooms/{room_id}?token=forged"),
    ):
        pass

    assert missing.value.code == 4404
    assert bad.value.code == 1008
    assert wait_for_viewers(client, room_id, 0) == 0


def test_likes_are_summed_into_the_frame_total(
    client: TestClient, host: Account, viewer: Account
) -> None:
    room_id = live_room(client, host)

    with client.websocket_connect(ws_path(room_id, viewer)) as ws:
        receive(ws)
        ws.send_json({"type": "like", "count": 5})
        ws.send_json({"type": "like", "count": 500})  # capped at 50 a message
        frame, _ = receive_until(ws, lambda frame: frame.get("likes") == 55)

    assert frame["type"] == "frame"
    assert json.loads(json.dumps(frame))["likes"] == 55


def test_chat_is_moderated_masked_blocked_or_held(
    client: TestClient, host: Account, viewer: Account
) -> None:
    """Evasive contact details are starred for everyone, drug sales are refused, and
    nothing refused or held reaches the room or its stored chat."""
    room_id = live_room(client, host)

    with (
        client.websocket_connect(ws_path(room_id, viewer)) as author,
        client.websocket_connect(ws_path(room_id)) as watcher,
    ):
        receive(author)
        receive(watcher)
        author.send_json({"type": "comment", "text": "加我 V 信 1 3 8 0 0 1 3 8 0 0 0"})
        masked, _ = receive_until(author, lambda frame: frame["type"] == "ack")
        author.send_json({"type": "comment", "text": "出售冰毒"})
        refused, _ = receive_until(author, lambda frame: frame["type"] == "error")
        shown, _ = receive_until(watcher, has_comment(masked["comment"]["text"]), timeout=1.0)

    assert masked["comment"]["text"].startswith("加我")
    assert "1 3 8 0 0" not in masked["comment"]["text"]
    assert "*" in masked["comment"]["text"]
    assert refused["code"] == "message_blocked"
    assert "冰毒" not in str(shown)
    assert stored_texts(client, room_id) == [masked["comment"]["text"]]
