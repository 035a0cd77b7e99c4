"""A reported comment reaches the moderation queue with its evidence: the line, its
author, room and time, and the chat around it, captured from the stored chat."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.core.ids import new_id
from liveshop.core.settings import Settings
from liveshop.live import service as live
from liveshop.live.models import CommentKind
from liveshop.live.moderation_evidence import CONTEXT_LINES, comment_evidence
from liveshop.wiring import connect_domains
from tests.conftest import Account, MakeAccount
from tests.governance.helpers import api_client, make_room

START = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
LINES = 25
REPORTED = 12  # the reported line's position: more than CONTEXT_LINES on each side


@pytest.fixture(autouse=True)
def wired() -> None:
    """Register the source as the app does at start-up. Re-run for each test, since
    tests/moderation/test_reports.py's stand-in source unregisters the comment
    source when its test ends."""
    connect_domains()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with api_client(settings) as test_client:
        yield test_client


def _comment_id(position: int) -> int:
    """Even ids for the reported room's lines, odd ones for another room's lines in
    between. Small, because a report's target_id is capped at 2**31 - 1 for now."""
    return 1_000 + 2 * position


def _store_chat(
    database_url: str, *, room_id: int, other_room_id: int, speakers: list[Account]
) -> None:
    """``LINES`` lines in the room, a second apart, each followed by a line elsewhere."""
    rows: list[dict[str, Any]] = []
    for position in range(LINES):
        at = START + timedelta(seconds=position)
        rows.append(
            {
                "id": _comment_id(position),
                "room_id": room_id,
                "user_id": speakers[position % len(speakers)].id,
                "kind": CommentKind.COMMENT,
                "text": f"line {position}",
                "created_at": at,
            }
        )
        rows.append(
            {
                "id": _comment_id(position) + 1,
                "room_id": other_room_id,
                "user_id": speakers[0].id,
                "kind": CommentKind.COMMENT,
                "text": f"elsewhere {position}",
                "created_at": at,
            }
        )
    with unit_of_work(database_url) as session:
        live.store_comments(session, comments=rows)


def _rooms(database_url: str, make_account: MakeAccount) -> tuple[int, int]:
    return make_room(database_url, make_account(Role.HOST)), make_room(
        database_url, make_account(Role.HOST)
    )


def test_the_queue_shows_a_reported_comment_with_the_chat_around_it(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    author, other, reporter = (make_account(Role.VIEWER) for _ in range(3))
    moderator = make_account(Role.MODERATOR)
    room_id, other_room_id = _rooms(database_url, make_account)
    _store_chat(
        database_url, room_id=room_id, other_room_id=other_room_id, speakers=[author, other]
    )
    reported_id = _comment_id(REPORTED)  # line 12, by the author (even positions)

    filed = client.post(
        "/api/reports",
        json={
            "target_type": "comment",
            "target_id": reported_id,
            "reason": "off_platform_trading",
            "evidence": {"message": "what the reporter says it said", "room_id": other_room_id},
        },
        headers=reporter.headers,
    )
    assert filed.status_code == 201, filed.text

    (item,) = client.get("/api/moderation/queue", headers=moderator.headers).json()
    assert (item["target_id"], item["accused_user_id"], item["room_id"]) == (
        reported_id,
        author.id,
        room_id,
    )
    captured = item["evidence"]["captured"]
    assert captured["message"] == "line 12"
    assert (captured["author_id"], captured["author"], captured["room_id"]) == (
        author.id,
        author.username,
        room_id,
    )
    assert captured["at"] == "2026-03-01T20:00:12+00:00"
    shown = range(REPORTED - CONTEXT_LINES, REPORTED + CONTEXT_LINES + 1)
    assert [line["text"] for line in captured["context"]] == [f"line {n}" for n in shown]
    assert [line["reported"] for line in captured["context"]] == [n == REPORTED for n in shown]
    assert [line["author_id"] for line in captured["context"]] == [
        (author if n % 2 == 0 else other).id for n in shown
    ]
    assert captured["context"][0]["at"] == "2026-03-01T20:00:02+00:00"
    assert item["evidence"]["reported"]["message"] == "what the reporter says it said"


def test_a_line_near_the_start_of_the_chat_has_fewer_lines_before_it(
    make_account: MakeAccount, database_url: str
) -> None:
    speaker = make_account(Role.VIEWER)
    room_id, other_room_id = _rooms(database_url, make_account)
    _store_chat(database_url, room_id=room_id, other_room_id=other_room_id, speakers=[speaker])
    with unit_of_work(database_url) as session:
        evidence = comment_evidence(session, _comment_id(2))
    assert evidence is not None
    assert (evidence.accused_user_id, evidence.room_id) == (speaker.id, room_id)
    texts = [line["text"] for line in evidence.facts["context"]]
    assert texts == [f"line {n}" for n in range(0, 2 + CONTEXT_LINES + 1)]


def test_a_comment_not_written_yet_keeps_the_reporters_copy(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    author, reporter = make_account(Role.VIEWER), make_account(Role.VIEWER)
    moderator = make_account(Role.MODERATOR)
    room_id = make_room(database_url, make_account(Role.HOST))
    filed = client.post(
        "/api/reports",
        json={
            "target_type": "comment",
            "target_id": 77,  # the hub has not written it (chat is written behind)
            "reason": "abuse",
            "evidence": {"message": "you idiot", "author_id": author.id, "room_id": room_id},
        },
        headers=reporter.headers,
    )
    assert filed.status_code == 201, filed.text
    (item,) = client.get("/api/moderation/queue", headers=moderator.headers).json()
    assert item["evidence"]["captured"] is None
    assert item["evidence"]["reported"]["message"] == "you idiot"
    assert (item["accused_user_id"], item["room_id"]) == (author.id, room_id)


def test_a_comment_with_a_hub_minted_id_can_be_reported(
    client: TestClient, make_account: MakeAccount, database_url: str
) -> None:
    author, reporter = make_account(Role.VIEWER), make_account(Role.VIEWER)
    room_id = make_room(database_url, make_account(Role.HOST))
    comment_id = new_id()
    row = {
        "id": comment_id,
        "room_id": room_id,
        "user_id": author.id,
        "kind": CommentKind.COMMENT,
        "text": "加我 vx",
        "created_at": START,
    }
    with unit_of_work(database_url) as session:
        live.store_comments(session, comments=[row])
    filed = client.post(
        "/api/reports",
        json={"target_type": "comment", "target_id": comment_id, "reason": "spam"},
        headers=reporter.headers,
    )
    assert filed.status_code == 201, filed.text
