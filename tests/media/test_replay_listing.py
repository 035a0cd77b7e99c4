"""Which shows can be watched again: ``replay_state`` tells a room's page whether to offer
its replay (ready, still being remuxed, or nothing recorded), and ``latest_replays`` gives
the home page's replays (ended rooms with a ready recording, the most recently recorded
first, without a room whose exposure moderation limited) and a product page's (those of
shows that had the product in their bag)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from liveshop.accounts.models import Role, User
from liveshop.catalog import staff
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.live import service as live
from liveshop.live import shelf
from liveshop.media.models import Recording, RecordingStatus
from liveshop.media.recordings import ReplayState, latest_replays, replay_state
from tests.conftest import MakeAccount
from tests.governance.helpers import limit_room_exposure
from tests.reviews.helpers import make_product


def _record(session: Session, room_id: int, status: RecordingStatus, minutes_ago: int) -> None:
    started = utcnow() - timedelta(minutes=minutes_ago)
    session.add(
        Recording(
            room_id=room_id,
            flv_name=f"room-{room_id}-{int(started.timestamp())}.flv",
            started_at=started,
            status=status,
            mp4_name=f"room-{room_id}.mp4" if status is RecordingStatus.READY else None,
            duration_s=60.0 if status is RecordingStatus.READY else None,
        )
    )


def test_replays_are_ended_rooms_with_a_ready_recording_newest_first(
    database_url: str, make_account: MakeAccount
) -> None:
    host, moderator = make_account(Role.HOST), make_account(Role.MODERATOR)
    with unit_of_work(database_url) as session:
        user = session.get_one(User, host.id)
        rooms = [live.create_room(session, host=user, title=f"show {i}") for i in range(6)]
        session.flush()
        for room in rooms:
            live.start_room(session, actor=user, room_id=room.id)
        for room in rooms[:5]:  # the last one is still live
            live.end_room(session, actor=user, room_id=room.id)
        older, newer, preparing, failed, limited, on_air = (room.id for room in rooms)
        _record(session, older, RecordingStatus.READY, minutes_ago=90)
        _record(session, older, RecordingStatus.READY, minutes_ago=20)  # a second publish
        _record(session, newer, RecordingStatus.READY, minutes_ago=40)
        _record(session, preparing, RecordingStatus.RECORDED, minutes_ago=5)
        _record(session, failed, RecordingStatus.FAILED, minutes_ago=5)
        _record(session, limited, RecordingStatus.READY, minutes_ago=1)
        _record(session, on_air, RecordingStatus.READY, minutes_ago=1)
        limit_room_exposure(session, moderator_id=moderator.id, room_id=limited)
    with unit_of_work(database_url, writes=False) as session:
        assert latest_replays(session, limit=10) == [older, newer]
        assert latest_replays(session, limit=1) == [older]
        states = {room_id: replay_state(session, room_id=room_id) for room_id in (older, preparing)}
        assert states == {older: ReplayState.READY, preparing: ReplayState.PREPARING}
        assert replay_state(session, room_id=failed) is None


def test_an_ended_room_page_offers_its_replay_only_when_there_is_one(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    host = make_account(Role.HOST)
    with unit_of_work(database_url) as session:
        user = session.get_one(User, host.id)
        recorded, unrecorded = (live.create_room(session, host=user, title=t) for t in "ab")
        session.flush()
        for room in (recorded, unrecorded):
            live.start_room(session, actor=user, room_id=room.id)
            live.end_room(session, actor=user, room_id=room.id)
        _record(session, recorded.id, RecordingStatus.READY, minutes_ago=3)
        ids = recorded.id, unrecorded.id
    offered = client.get(f"/rooms/{ids[0]}").text
    assert f'href="/rooms/{ids[0]}/replay" >' in offered
    assert f'href="/rooms/{ids[1]}/replay" hidden' in client.get(f"/rooms/{ids[1]}").text
    home = client.get("/").text
    assert f'href="/rooms/{ids[0]}/replay" class="room-link"' in home
    assert f"/rooms/{ids[1]}/replay" not in home


def test_a_product_page_offers_the_replays_of_shows_that_sold_it(
    client: TestClient, database_url: str, make_account: MakeAccount
) -> None:
    merchant, host = make_account(Role.MERCHANT), make_account(Role.HOST)
    product_id, _ = make_product(database_url, merchant, title="Silk scarf")
    other_id, _ = make_product(database_url, merchant, title="Kettle")
    with unit_of_work(database_url) as session:
        owner, acting = session.get_one(User, merchant.id), session.get_one(User, host.id)
        invitation = staff.invite_staff(session, owner=owner, user_id=host.id)
        staff.accept_invitation(session, invitee=acting, invitation_id=invitation.id)
        rooms = {}
        for title, bag, recorded in (
            ("Scarves, recorded", [product_id], True),
            ("Scarves, not recorded", [product_id], False),
            ("Kettles, recorded", [other_id], True),
        ):
            room = live.create_room(session, host=acting, title=title)
            session.flush()
            shelf.set_shelf(session, actor=acting, room_id=room.id, product_ids=bag)
            live.start_room(session, actor=acting, room_id=room.id)
            live.end_room(session, actor=acting, room_id=room.id)
            if recorded:
                _record(session, room.id, RecordingStatus.READY, minutes_ago=3)
            rooms[title] = room.id
    with unit_of_work(database_url, writes=False) as session:
        assert latest_replays(session, limit=10, product_id=product_id) == [
            rooms["Scarves, recorded"]
        ]
    page = client.get(f"/products/{product_id}").text
    shown = {room_id for title, room_id in rooms.items() if f"/rooms/{room_id}/replay" in page}
    assert shown == {rooms["Scarves, recorded"]}
