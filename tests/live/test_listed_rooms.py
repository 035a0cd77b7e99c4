"""``listed_rooms`` (the rankings' room list) gives the rooms ``list_rooms`` gives, in
its order, with the host's name, and leaves out a room whose exposure is limited."""

from __future__ import annotations

from datetime import timedelta

from liveshop.accounts.models import Role, User
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.live import service as live
from liveshop.live.listed_rooms import listed_rooms
from liveshop.live.models import RoomStatus
from tests.conftest import MakeAccount
from tests.governance.helpers import limit_room_exposure


def test_the_listing_rooms_in_its_order_without_limited_ones(
    database_url: str, make_account: MakeAccount
) -> None:
    hosts = [make_account(Role.HOST, f"host_{i}") for i in range(3)]
    moderator = make_account(Role.MODERATOR)
    with unit_of_work(database_url) as session:
        users = [session.get_one(User, host.id) for host in hosts]
        live_rooms = [
            live.create_room(session, host=user, title=f"on {i}") for i, user in enumerate(users)
        ]
        soon = utcnow() + timedelta(hours=1)
        scheduled = [
            live.create_room(session, host=users[i], title=f"later {i}", scheduled_at=soon)
            for i in (2, 0)
        ]
        ended = live.create_room(session, host=users[1], title="over")
        session.flush()
        for room, user, peak in zip(live_rooms, users, (5, 50, 20), strict=True):
            live.start_room(session, actor=user, room_id=room.id)
            room.peak_viewers = peak
        live.start_room(session, actor=users[1], room_id=ended.id)
        live.end_room(session, actor=users[1], room_id=ended.id)
        limited = live_rooms[0].id
        limit_room_exposure(session, moderator_id=moderator.id, room_id=limited)
        scheduled_ids = [room.id for room in scheduled]
    with unit_of_work(database_url, writes=False) as session:
        statuses = (RoomStatus.LIVE, RoomStatus.SCHEDULED)
        listed = listed_rooms(session, statuses=statuses, limit=10)
        expected = [
            room
            for status in statuses
            for room in live.list_rooms(session, status=status, limit=10)
        ]
        assert [
            (r.id, r.title, r.status, r.scheduled_at, r.viewers, r.host_id, r.host_name)
            for r in listed
        ] == [
            (r.id, r.title, r.status, r.scheduled_at, r.viewers, r.host.id, r.host.username)
            for r in expected
        ]
        assert [room.title for room in listed] == ["on 1", "on 2", "later 0", "later 2"]
        assert limited not in {room.id for room in listed}
        assert [room.id for room in listed[2:]] == scheduled_ids[::-1]
        assert [room.title for room in listed_rooms(session, statuses=statuses, limit=1)] == [
            "on 1",
            "later 0",
        ]
