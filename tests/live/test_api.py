"""Live rooms over HTTP: lifecycle, host controls, questions; SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role
from liveshop.live.models import HostAction, Question, RoomRestriction
from tests.conftest import Account, MakeAccount
from tests.live.helpers import pinned_card, shop_product


def _create_room(client: TestClient, host: Account, title: str = "Spring sale") -> dict[str, Any]:
    response = client.post(
        "/api/rooms", json={"title": title, "description": "new season"}, headers=host.headers
    )
    assert response.status_code == 201, response.text
    room: dict[str, Any] = response.json()
    return room


def _live_room(client: TestClient, host: Account) -> int:
    room_id: int = _create_room(client, host)["id"]
    assert client.post(f"/api/rooms/{room_id}/start", headers=host.headers).status_code == 200
    return room_id


def test_host_creates_a_scheduled_room(client: TestClient, host: Account) -> None:
    room = _create_room(client, host, title="  Spring sale  ")

    assert room == {
        "id": room["id"],
        "host": {"id": host.id, "username": "host_anna"},
        "title": "Spring sale",
        "description": "new season",
        "playback_url": None,
        "status": "scheduled",
        "scheduled_at": None,
        "started_at": None,
        "ended_at": None,
        "viewers": 0,
        "peak_viewers": 0,
        "likes": 0,
        "comment_count": 0,
        "pinned": None,
        "stream_status": "offline",
    }
    assert client.get(f"/api/rooms/{room['id']}").json() == room


def test_viewer_cannot_create_a_room(client: TestClient, viewer: Account) -> None:
    response = client.post("/api/rooms", json={"title": "Mine"}, headers=viewer.headers)

    assert response.status_code == 403
    assert response.json() == {"detail": "only hosts can create rooms", "code": "wrong_role"}
    assert client.get("/api/rooms").json() == []


def test_anonymous_cannot_create_a_room(client: TestClient) -> None:
    response = client.post("/api/rooms", json={"title": "Mine"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert client.get("/api/rooms").json() == []


def test_start_and_end_by_the_host(client: TestClient, host: Account, session: Session) -> None:
    room_id = _create_room(client, host)["id"]

    started = client.post(f"/api/rooms/{room_id}/start", headers=host.headers)
    restart = client.post(f"/api/rooms/{room_id}/start", headers=host.headers)
    ended = client.post(f"/api/rooms/{room_id}/end", headers=host.headers)
    end_again = client.post(f"/api/rooms/{room_id}/end", headers=host.headers)

    assert started.status_code == 200
    assert started.json()["status"] == "live"
    assert started.json()["started_at"] is not None
    assert restart.status_code == 409
    assert restart.json() == {"detail": "a live room cannot start", "code": "bad_room_status"}
    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    assert ended.json()["ended_at"] is not None
    assert end_again.status_code == 409
    actions = session.scalars(select(HostAction.action).order_by(HostAction.id)).all()
    assert actions == ["start", "end"]


def test_another_host_cannot_start_or_end_the_room(
    client: TestClient, host: Account, make_account: MakeAccount, session: Session
) -> None:
    room = _create_room(client, host)
    rival = make_account(Role.HOST, "host_rival")

    start = client.post(f"/api/rooms/{room['id']}/start", headers=rival.headers)
    end = client.post(f"/api/rooms/{room['id']}/end", headers=rival.headers)

    for response in (start, end):
        assert response.status_code == 403
        assert response.json() == {
            "detail": "only the room's host can do this",
            "code": "not_room_host",
        }
    assert client.get(f"/api/rooms/{room['id']}").json() == room
    assert session.scalars(select(HostAction)).all() == []


def test_admin_may_control_any_room(
    client: TestClient, host: Account, make_account: MakeAccount
) -> None:
    room_id = _create_room(client, host)["id"]
    admin = make_account(Role.ADMIN)

    response = client.post(f"/api/rooms/{room_id}/start", headers=admin.headers)

    assert response.status_code == 200
    assert response.json()["status"] == "live"


def test_list_rooms_by_status(client: TestClient, host: Account) -> None:
    scheduled = _create_room(client, host, "Later")["id"]
    live = _live_room(client, host)
    ended = _live_room(client, host)
    assert client.post(f"/api/rooms/{ended}/end", headers=host.headers).status_code == 200

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/rooms{query}")
        assert response.status_code == 200
        return [room["id"] for room in response.json()]

    assert ids("") == [ended, live, scheduled]
    assert ids("?status=live") == [live]
    assert ids("?status=scheduled") == [scheduled]
    assert ids("?status=ended") == [ended]
    assert ids("?limit=1") == [ended]
    bad = client.get("/api/rooms?status=paused")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "status"]


def test_pin_and_unpin_a_product(
    client: TestClient, host: Account, viewer: Account, make_account: MakeAccount
) -> None:
    room_id = _live_room(client, host)
    product = shop_product(client, make_account(Role.MERCHANT))
    pin = {"product_id": product["id"]}

    denied = client.put(f"/api/rooms/{room_id}/pinned", json=pin, headers=viewer.headers)
    assert denied.status_code == 403
    assert client.get(f"/api/rooms/{room_id}").json()["pinned"] is None

    pinned = client.put(f"/api/rooms/{room_id}/pinned", json=pin, headers=host.headers)
    assert pinned.status_code == 200
    assert pinned.json()["pinned"] == pinned_card(product)
    assert client.get(f"/api/rooms/{room_id}").json()["pinned"] == pinned_card(product)
    shelf = client.get(f"/api/rooms/{room_id}/shelf").json()
    assert [item["id"] for item in shelf] == [product["id"]]  # pinning puts it on the shelf

    unpinned = client.delete(f"/api/rooms/{room_id}/pinned", headers=host.headers)
    assert unpinned.status_code == 200
    assert unpinned.json()["pinned"] is None
    assert client.get(f"/api/rooms/{room_id}").json()["pinned"] is None


def test_pinning_an_unknown_product_pins_nothing(client: TestClient, host: Account) -> None:
    room_id = _live_room(client, host)

    missing = client.put(
        f"/api/rooms/{room_id}/pinned", json={"product_id": 999}, headers=host.headers
    )
    malformed = client.put(
        f"/api/rooms/{room_id}/pinned", json={"product_id": -1}, headers=host.headers
    )

    assert missing.status_code == 404
    assert missing.json()["code"] == "product_not_found"
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["body", "product_id"]
    assert client.get(f"/api/rooms/{room_id}").json()["pinned"] is None


def test_announcement_is_stored_as_chat(client: TestClient, host: Account, viewer: Account) -> None:
    room_id = _live_room(client, host)

    denied = client.post(
        f"/api/rooms/{room_id}/announcements", json={"text": "hi"}, headers=viewer.headers
    )
    posted = client.post(
        f"/api/rooms/{room_id}/announcements",
        json={"text": "  Free shipping today  "},
        headers=host.headers,
    )

    assert denied.status_code == 403
    assert posted.status_code == 201
    body = posted.json()
    assert body["kind"] == "announcement"
    assert body["text"] == "Free shipping today"
    assert body["user"] == "host_anna"
    assert body["user_id"] == host.id
    comments = client.get(f"/api/rooms/{room_id}/comments").json()
    assert comments == [body]


def test_blank_announcement_is_422_with_a_code(client: TestClient, host: Account) -> None:
    room_id = _live_room(client, host)

    response = client.post(
        f"/api/rooms/{room_id}/announcements", json={"text": "   "}, headers=host.headers
    )

    assert response.status_code == 422
    assert response.json() == {"detail": "the text is empty", "code": "empty_text"}
    assert client.get(f"/api/rooms/{room_id}/comments").json() == []


def test_host_and_moderator_mute_and_kick(
    client: TestClient,
    host: Account,
    viewer: Account,
    make_account: MakeAccount,
    session: Session,
) -> None:
    room_id = _live_room(client, host)
    moderator = make_account(Role.MODERATOR)
    other = make_account(Role.VIEWER)

    muted = client.post(
        f"/api/rooms/{room_id}/mutes",
        json={"user_id": viewer.id, "minutes": 10},
        headers=host.headers,
    )
    kicked = client.post(
        f"/api/rooms/{room_id}/kicks",
        json={"user_id": other.id, "minutes": 5},
        headers=moderator.headers,
    )

    assert muted.status_code == 201
    assert muted.json()["kind"] == "mute"
    assert muted.json()["user_id"] == viewer.id
    assert kicked.status_code == 201
    assert kicked.json()["kind"] == "kick"
    rows = session.execute(
        select(RoomRestriction.user_id, RoomRestriction.kind, RoomRestriction.created_by).order_by(
            RoomRestriction.id
        )
    ).all()
    assert [(u, k.value, c) for u, k, c in rows] == [
        (viewer.id, "mute", host.id),
        (other.id, "kick", moderator.id),
    ]


def test_viewer_cannot_mute_and_nothing_is_restricted(
    client: TestClient,
    host: Account,
    viewer: Account,
    make_account: MakeAccount,
    session: Session,
) -> None:
    room_id = _live_room(client, host)
    other = make_account(Role.VIEWER)

    response = client.post(
        f"/api/rooms/{room_id}/mutes",
        json={"user_id": other.id, "minutes": 10},
        headers=viewer.headers,
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_room_host"
    assert session.scalars(select(RoomRestriction)).all() == []


def test_restriction_input_errors(client: TestClient, host: Account, session: Session) -> None:
    room_id = _live_room(client, host)

    unknown = client.post(
        f"/api/rooms/{room_id}/mutes", json={"user_id": 999_999, "minutes": 1}, headers=host.headers
    )
    self_mute = client.post(
        f"/api/rooms/{room_id}/mutes", json={"user_id": host.id, "minutes": 1}, headers=host.headers
    )
    zero = client.post(
        f"/api/rooms/{room_id}/kicks", json={"user_id": host.id, "minutes": 0}, headers=host.headers
    )

    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "user 999999 not found", "code": "user_not_found"}
    assert self_mute.status_code == 422
    assert self_mute.json() == {
        "detail": "the host cannot be restricted in their own room",
        "code": "invalid_input",
    }
    assert zero.status_code == 422
    assert zero.json()["detail"][0]["loc"] == ["body", "minutes"]
    assert session.scalars(select(RoomRestriction)).all() == []


def test_questions_ask_upvote_answer_pin_and_order(
    client: TestClient, host: Account, viewer: Account, make_account: MakeAccount
) -> None:
    room_id = _live_room(client, host)
    voters = [make_account(Role.VIEWER) for _ in range(2)]

    def ask(text: str) -> int:
        response = client.post(
            f"/api/rooms/{room_id}/questions", json={"text": text}, headers=viewer.headers
        )
        assert response.status_code == 201
        assert response.json()["upvotes"] == 0
        assert response.json()["status"] == "open"
        question_id: int = response.json()["id"]
        return question_id

    first, second, third = ask("Size M?"), ask("Colours?"), ask("Shipping?")
    for voter in voters:
        vote = client.post(f"/api/rooms/{room_id}/questions/{third}/upvote", headers=voter.headers)
        assert vote.status_code == 200
    assert vote.json()["upvotes"] == 2
    assert (
        client.post(
            f"/api/rooms/{room_id}/questions/{second}/upvote", headers=voters[0].headers
        ).json()["upvotes"]
        == 1
    )

    twice = client.post(f"/api/rooms/{room_id}/questions/{third}/upvote", headers=voters[0].headers)
    assert twice.status_code == 409
    assert twice.json() == {"detail": "you already up-voted this question", "code": "already_voted"}

    def order() -> list[tuple[int, int]]:
        listed = client.get(f"/api/rooms/{room_id}/questions").json()
        return [(question["id"], question["upvotes"]) for question in listed]

    assert order() == [(third, 2), (second, 1), (first, 0)]

    answered = client.post(
        f"/api/rooms/{room_id}/questions/{second}/answer",
        json={"answer": "Red and blue"},
        headers=host.headers,
    )
    assert answered.status_code == 200
    assert answered.json()["status"] == "answered"
    assert answered.json()["answer"] == "Red and blue"
    answered_only = client.get(f"/api/rooms/{room_id}/questions?status=answered").json()
    assert [question["id"] for question in answered_only] == [second]

    pinned = client.put(f"/api/rooms/{room_id}/questions/{first}/pinned", headers=host.headers)
    assert pinned.status_code == 200
    assert pinned.json()["pinned"] is True
    assert order() == [(first, 0), (third, 2), (second, 1)]

    repinned = client.put(f"/api/rooms/{room_id}/questions/{second}/pinned", headers=host.headers)
    assert repinned.json()["pinned"] is True
    listed = client.get(f"/api/rooms/{room_id}/questions").json()
    assert [(q["id"], q["pinned"]) for q in listed] == [
        (second, True),
        (third, False),
        (first, False),
    ]

    unpinned = client.delete(
        f"/api/rooms/{room_id}/questions/{second}/pinned", headers=host.headers
    )
    assert unpinned.json()["pinned"] is False
    assert order() == [(third, 2), (second, 1), (first, 0)]


def test_only_the_host_answers_and_pins(
    client: TestClient, host: Account, viewer: Account, session: Session
) -> None:
    room_id = _live_room(client, host)
    question_id = client.post(
        f"/api/rooms/{room_id}/questions", json={"text": "Size M?"}, headers=viewer.headers
    ).json()["id"]

    answer = client.post(
        f"/api/rooms/{room_id}/questions/{question_id}/answer",
        json={"answer": "yes"},
        headers=viewer.headers,
    )
    pin = client.put(f"/api/rooms/{room_id}/questions/{question_id}/pinned", headers=viewer.headers)

    assert answer.status_code == 403
    assert pin.status_code == 403
    question = session.get(Question, question_id)
    assert question is not None
    assert question.answer is None
    assert question.is_pinned is False
    assert question.status.value == "open"


def test_a_regulator_asks_and_up_votes_nothing(
    client: TestClient, host: Account, viewer: Account, make_account: MakeAccount, session: Session
) -> None:
    """Regulators read and write nothing in a room (one once asked and up-voted);
    moderators and risk analysts take part like anyone."""
    room_id = _live_room(client, host)
    asked = client.post(
        f"/api/rooms/{room_id}/questions", json={"text": "Silk?"}, headers=viewer.headers
    )
    question_id = asked.json()["id"]
    regulator = make_account(Role.REGULATOR)

    question = client.post(
        f"/api/rooms/{room_id}/questions", json={"text": "Why?"}, headers=regulator.headers
    )
    vote = client.post(
        f"/api/rooms/{room_id}/questions/{question_id}/upvote", headers=regulator.headers
    )

    refusal = {"detail": "a regulator only reads: it takes no part in rooms", "code": "wrong_role"}
    assert (question.status_code, question.json()) == (403, refusal)
    assert (vote.status_code, vote.json()) == (403, refusal)
    for role in (Role.MODERATOR, Role.RISK_ANALYST):
        voted = client.post(
            f"/api/rooms/{room_id}/questions/{question_id}/upvote",
            headers=make_account(role).headers,
        )
        assert voted.status_code == 200, voted.text
    questions = session.scalars(select(Question)).all()
    assert [(q.id, q.text, q.upvotes) for q in questions] == [(question_id, "Silk?", 2)]


def test_questions_need_a_live_room(client: TestClient, host: Account, viewer: Account) -> None:
    room_id = _create_room(client, host)["id"]

    response = client.post(
        f"/api/rooms/{room_id}/questions", json={"text": "Early?"}, headers=viewer.headers
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "questions are taken while the room is live",
        "code": "room_not_live",
    }
    assert client.get(f"/api/rooms/{room_id}/questions").json() == []


def test_muted_viewer_cannot_ask(client: TestClient, host: Account, viewer: Account) -> None:
    room_id = _live_room(client, host)
    client.post(
        f"/api/rooms/{room_id}/mutes",
        json={"user_id": viewer.id, "minutes": 10},
        headers=host.headers,
    )

    response = client.post(
        f"/api/rooms/{room_id}/questions", json={"text": "Hello?"}, headers=viewer.headers
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "you are muted in this room", "code": "muted"}
    assert client.get(f"/api/rooms/{room_id}/questions").json() == []


def test_not_found(client: TestClient, host: Account, viewer: Account) -> None:
    room_id = _live_room(client, host)

    missing_room = client.get("/api/rooms/424242")
    start_missing = client.post("/api/rooms/424242/start", headers=host.headers)
    comments_missing = client.get("/api/rooms/424242/comments")
    question_missing = client.post(
        f"/api/rooms/{room_id}/questions/424242/upvote", headers=viewer.headers
    )

    assert missing_room.status_code == 404
    assert missing_room.json() == {"detail": "room 424242 not found", "code": "room_not_found"}
    assert start_missing.status_code == 404
    assert comments_missing.status_code == 404
    assert question_missing.status_code == 404
    assert question_missing.json() == {
        "detail": f"question 424242 not found in room {room_id}",
        "code": "not_found",
    }


def test_question_of_another_room_is_404(
    client: TestClient, host: Account, viewer: Account
) -> None:
    room_a, room_b = _live_room(client, host), _live_room(client, host)
    question_id = client.post(
        f"/api/rooms/{room_a}/questions", json={"text": "Here?"}, headers=viewer.headers
    ).json()["id"]

    response = client.post(
        f"/api/rooms/{room_b}/questions/{question_id}/answer",
        json={"answer": "no"},
        headers=host.headers,
    )

    assert response.status_code == 404
    assert client.get(f"/api/rooms/{room_a}/questions").json()[0]["answer"] is None


def test_bad_room_input_is_422_with_a_message(client: TestClient, host: Account) -> None:
    empty = client.post("/api/rooms", json={"title": ""}, headers=host.headers)
    naive = client.post(
        "/api/rooms",
        json={"title": "Later", "scheduled_at": "2030-01-01T10:00:00"},
        headers=host.headers,
    )
    # The host no longer sets a playback URL: only a live stream gives one.
    retired = client.post(
        "/api/rooms",
        json={"title": "Later", "playback_url": "https://example.com/live.m3u8"},
        headers=host.headers,
    )

    assert empty.status_code == 422
    assert empty.json()["detail"][0]["msg"] == "String should have at least 1 character"
    assert naive.status_code == 422
    assert naive.json()["detail"][0]["loc"] == ["body", "scheduled_at"]
    assert naive.json()["detail"][0]["msg"] == "Input should have timezone info"
    assert retired.status_code == 422
    assert retired.json()["detail"][0]["loc"] == ["body", "playback_url"]
    assert retired.json()["detail"][0]["msg"] == "Extra inputs are not permitted"
    assert client.get("/api/rooms").json() == []


def test_ids_beyond_the_integer_range_are_422_not_500(
    client: TestClient, host: Account, session: Session
) -> None:
    room_id = _live_room(client, host)
    huge = 2**63

    room = client.get(f"/api/rooms/{huge}")
    question = client.post(f"/api/rooms/{room_id}/questions/{huge}/upvote", headers=host.headers)
    mute = client.post(
        f"/api/rooms/{room_id}/mutes", json={"user_id": 2**40, "minutes": 1}, headers=host.headers
    )

    assert room.status_code == 422
    assert room.json()["detail"][0]["loc"] == ["path", "room_id"]
    assert question.status_code == 422
    assert question.json()["detail"][0]["loc"] == ["path", "question_id"]
    assert mute.status_code == 422
    assert mute.json()["detail"][0]["loc"] == ["body", "user_id"]
    assert session.scalars(select(RoomRestriction)).all() == []


def test_url_longer_once_normalised_is_422_not_500(
    client: TestClient, host: Account, make_account: MakeAccount
) -> None:
    room_id = _live_room(client, host)
    # 2083 characters: valid as sent, 2084 once normalised (a trailing slash)
    image_url = "https://" + "0" * 63 + "." + ".".join(["a" * 63] * 31) + "." + "a" * 27

    merchant = make_account(Role.MERCHANT)
    product = client.post(
        "/api/products",
        json={"title": "Scarf", "price": 1, "stock": 1, "images": [image_url]},
        headers=merchant.headers,
    )

    assert product.status_code == 422
    assert product.json()["detail"][0]["msg"] == "Value error, the URL is over 2000 characters"
    assert [room["id"] for room in client.get("/api/rooms").json()] == [room_id]


def test_nul_characters_are_refused_before_the_database(
    client: TestClient, host: Account, viewer: Account
) -> None:
    room_id = _live_room(client, host)

    title = client.post("/api/rooms", json={"title": "a\x00b"}, headers=host.headers)
    announcement = client.post(
        f"/api/rooms/{room_id}/announcements", json={"text": "a\x00b"}, headers=host.headers
    )
    question = client.post(
        f"/api/rooms/{room_id}/questions", json={"text": "a\x00b"}, headers=viewer.headers
    )

    assert title.status_code == 422
    assert title.json()["detail"][0]["loc"] == ["body", "title"]
    assert announcement.status_code == 422
    assert announcement.json() == {
        "detail": "the text contains a NUL character",
        "code": "invalid_text",
    }
    assert question.status_code == 422
    assert question.json()["code"] == "invalid_text"
    assert [room["id"] for room in client.get("/api/rooms").json()] == [room_id]
    assert client.get(f"/api/rooms/{room_id}/comments").json() == []
    assert client.get(f"/api/rooms/{room_id}/questions").json() == []
